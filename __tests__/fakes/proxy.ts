/**
 * The proxy: `FakeProxy`, a forward proxy like a self-hosted runner's squid: absolute-form requests
 * and `CONNECT` tunnels (TLS copied blindly, plain HTTP read request by request). Only it resolves the
 * fakes' `.test` names (`github.test`, `sts.aws.test`, ...), so a request that bypasses it cannot
 * succeed; it records the local port of every connection it opens, and each fake the remote port of
 * every request, so a test proves that every request came through it. Hosts in `denied` get squid's
 * refusal of a CONNECT its access rules deny (403 Forbidden, `X-Squid-Error: ERR_ACCESS_DENIED 0`, the
 * "Access Denied" page), which the action must report as the proxy's refusal, not as the service's
 * answer.
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect as connectTcp, type AddressInfo, type Socket } from 'node:net';

/** One request the proxy forwarded, as a test compares it with what the fakes received. */
export interface ProxiedRequest {
  /** `CONNECT` for a request that came through a tunnel, `absolute-form` for `GET http://host/path`. */
  mode: 'CONNECT' | 'absolute-form';
  method: string;
  /** `name:port` the client asked for, such as `github.test:40123`. */
  host: string;
  /** Path and query. */
  path: string;
  /** Status the upstream answered with; 0 when it could not be reached. */
  status: number;
}

/**
 * A forward proxy on 127.0.0.1, like the squid or tinyproxy of a self-hosted runner's network. It
 * alone resolves the names given in `names` (such as `github.test`) to loopback, so a client that
 * bypasses it cannot reach those names at all. IP literals are forwarded as they are; any other name
 * fails as unresolvable (502, as squid and tinyproxy answer).
 *
 * It speaks both forms clients use: absolute-form (`GET http://github.test:1234/path`, what
 * `http-proxy-agent` sends for http targets) and CONNECT tunnels (what undici's `ProxyAgent`,
 * `tunnel` and `https-proxy-agent` open). A tunnel carrying TLS is copied blindly to its target, as
 * a real proxy does: the requests inside are the client's and the server's alone. A tunnel carrying
 * plain HTTP (to a plain-HTTP fake) is read request by request instead, so the tests see every such
 * request, not only every tunnel; the client cannot tell the difference.
 *
 * Either way the proxy notes the local port of every connection it opens to a fake (`upstreamPorts`),
 * and each fake notes the remote port of every request: a request whose remote port is not one of
 * the proxy's did not come through it, encrypted or not.
 */
export class FakeProxy {
  /** Every request forwarded, in order of arrival. */
  readonly requests: ProxiedRequest[] = [];
  /** Every CONNECT asked for, as `name:port`, whether it could be opened or not. */
  readonly tunnels: string[] = [];
  /** The CONNECTs whose bytes were TLS, copied blindly to their target, as `name:port`. */
  readonly encryptedTunnels: string[] = [];
  /** The local port of every connection the proxy opened to an upstream server. */
  readonly upstreamPorts = new Set<number>();
  /** The user and password each CONNECT and absolute-form request gave (`Proxy-Authorization: Basic`, decoded), '' when none. Never checked: squid would, with its auth_param. */
  readonly credentials: string[] = [];
  url = '';
  /**
   * Hosts the proxy's access rules refuse: a CONNECT to them is answered as squid answers a request
   * its `http_access` rules deny, 403 Forbidden with `X-Squid-Error: ERR_ACCESS_DENIED 0` and its
   * "Access Denied" page (squid's ERR_ACCESS_DENIED template; the 403 is squid's default for `deny_info`).
   */
  readonly denied = new Set<string>();
  private readonly names: Set<string>;
  /** Real host names (or `*.suffix`) the proxy sends to a local port whatever port was asked: see `route`. */
  private readonly routes = new Map<string, number>();
  private readonly server = createServer((req, res) => this.absoluteForm(req, res));
  /** Reads the requests inside CONNECT tunnels; never listens on a port of its own. */
  private readonly tunnelled = createServer((req, res) => this.insideTunnel(req, res));
  private readonly tunnelTarget = new WeakMap<Socket, string>();
  private readonly blindTunnels = new Set<Socket>();

  constructor(names: string[]) {
    this.names = new Set(names.map((name) => name.toLowerCase()));
    this.server.on('connect', (req: IncomingMessage, socket: Socket, head: Buffer) => this.connect(req, socket, head));
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    this.tunnelled.closeAllConnections();
    for (const socket of this.blindTunnels) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /**
   * Sends every connection to `name` (a host name, or `*.<suffix>` for any one label before it), on
   * whatever port the client asked for (443 for a real service), to `port` on loopback: a real host
   * name, such as an ECR registry's, reaches its fake as it would reach the service.
   */
  route(name: string, port: number): this {
    this.routes.set(name.toLowerCase(), port);
    return this;
  }

  /** Requests forwarded to `host` (a name without port). */
  requestsTo(host: string): ProxiedRequest[] {
    return this.requests.filter((request) => request.host.split(':')[0] === host.toLowerCase());
  }

  private absoluteForm(req: IncomingMessage, res: ServerResponse): void {
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      // A request in origin-form sent to a proxy: it is not a web server.
      res.writeHead(400).end('This is a proxy: send absolute-form requests or CONNECT.');
      return;
    }
    this.forward(
      'absolute-form',
      `${target.hostname}:${target.port || (target.protocol === 'https:' ? 443 : 80)}`,
      `${target.pathname}${target.search}`,
      req,
      res,
    );
  }

  private connect(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const target = (req.url ?? '').toLowerCase();
    this.tunnels.push(target);
    this.credentials.push(basicCredentials(req));
    if (this.denied.has(target.split(':')[0] ?? '')) {
      const page =
        '<html><head><title>ERROR: The requested URL could not be retrieved</title></head><body><h1>ERROR</h1><h2>The requested URL could not be retrieved</h2><p>Access Denied.</p><p>Access control configuration prevents your request from being allowed at this time.</p></body></html>';
      socket.end(
        `HTTP/1.1 403 Forbidden\r\nServer: squid\r\nMime-Version: 1.0\r\nContent-Type: text/html;charset=utf-8\r\nContent-Length: ${Buffer.byteLength(page)}\r\nX-Squid-Error: ERR_ACCESS_DENIED 0\r\nConnection: close\r\n\r\n${page}`,
      );
      return;
    }
    const upstream = this.resolve(target);
    if (!upstream) {
      socket.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    // The client speaks first in both protocols: its first byte tells a TLS ClientHello (record type 22) from HTTP.
    const sniff = (first: Buffer) => {
      socket.pause();
      socket.unshift(first);
      if (first[0] === 0x16) this.copyBlindly(target, upstream, socket);
      else {
        this.tunnelTarget.set(socket, target);
        this.tunnelled.emit('connection', socket);
        socket.resume();
      }
    };
    if (head.length > 0) sniff(head);
    else socket.once('data', sniff).resume();
  }

  private copyBlindly(target: string, upstream: { host: string; port: number }, client: Socket): void {
    this.encryptedTunnels.push(target);
    const server = connectTcp(upstream, () => {
      this.upstreamPorts.add(server.localPort ?? 0);
      client.pipe(server).pipe(client);
    });
    this.blindTunnels.add(client).add(server);
    const close = () => {
      client.destroy();
      server.destroy();
    };
    client.on('error', close).on('close', close);
    server.on('error', close).on('close', close);
  }

  private insideTunnel(req: IncomingMessage, res: ServerResponse): void {
    this.forward('CONNECT', this.tunnelTarget.get(req.socket) ?? '', req.url ?? '/', req, res);
  }

  private forward(
    mode: ProxiedRequest['mode'],
    host: string,
    path: string,
    req: IncomingMessage,
    res: ServerResponse,
  ): void {
    const record: ProxiedRequest = { mode, method: req.method ?? 'GET', host: host.toLowerCase(), path, status: 0 };
    this.requests.push(record);
    if (mode === 'absolute-form') this.credentials.push(basicCredentials(req));
    const upstream = this.resolve(record.host);
    if (!upstream) {
      res.writeHead(502).end(`proxy: cannot resolve ${host}`);
      return;
    }
    // Hop-by-hop headers stay with the proxy; Host keeps the name the client asked for.
    const { 'proxy-connection': _pc, 'proxy-authorization': _pa, ...headers } = req.headers;
    const outgoing = httpRequest(
      { ...upstream, method: record.method, path, headers: { ...headers, host: req.headers.host ?? host } },
      (answer) => {
        record.status = answer.statusCode ?? 0;
        res.writeHead(record.status, answer.headers);
        answer.pipe(res);
      },
    );
    outgoing.on('socket', (socket) => socket.once('connect', () => this.upstreamPorts.add(socket.localPort ?? 0)));
    outgoing.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end('proxy: upstream unreachable');
      else res.destroy();
    });
    res.on('close', () => outgoing.destroy());
    req.pipe(outgoing);
  }

  /** Where `name:port` really is: loopback for the names this proxy knows, IP literals as they are. */
  private resolve(hostPort: string): { host: string; port: number } | undefined {
    const match = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(hostPort);
    if (!match) return undefined;
    const [, name = '', port = ''] = match;
    if (this.names.has(name)) return { host: '127.0.0.1', port: Number(port) };
    const routed = this.routes.get(name) ?? this.routes.get(name.replace(/^[^.]+/, '*'));
    if (routed !== undefined) return { host: '127.0.0.1', port: routed };
    if (/^[\d.]+$/.test(name) || name.startsWith('['))
      return { host: name.replace(/^\[|\]$/g, ''), port: Number(port) };
    return undefined;
  }
}

/** `user:password` of a `Proxy-Authorization: Basic` header (RFC 7617), '' without one. */
function basicCredentials(req: IncomingMessage): string {
  const header = req.headers['proxy-authorization'] ?? '';
  const basic = /^Basic (.+)$/i.exec(header)?.[1];
  return basic ? Buffer.from(basic, 'base64').toString('utf8') : '';
}
