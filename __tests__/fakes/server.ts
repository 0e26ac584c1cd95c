/**
 * `FakeServer`, the base of every fake: one service on 127.0.0.1 with a handler that answers as the
 * real service does. It records every request (`requests`: method, URL, headers, body, the status it
 * got, when it arrived, its connection) and can be told to misbehave for the next matching requests:
 * `inject({ match, times, reply | reset | delayMs | until })` answers with a given reply (a 502, a 429
 * with `retry-after`), drops the connection, waits, or holds the answer until a promise settles (ECR
 * holding its answer until GitHub has seen a public-key request, to prove order). Latency knobs for
 * the benchmark: `latencyMs` delays every answer, and `connectionSetupMs` adds the TCP and TLS round
 * trips to the first request on each new connection; both zero in tests.
 *
 * Every status, header, error shape and limit a fake shows is one the real service shows, with the
 * source (API reference, GitHub docs, an issue where users quote the message) in a comment beside it;
 * where no source was found, the comment says it is a guess.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TlsIdentity } from './tls.ts';

/** One request a fake received, as the tests inspect it. */
export interface RecordedRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** Status the fake answered with; 0 when it reset the connection. */
  status: number;
  /** `performance.now()` when the request arrived, for the start-up benchmark. */
  receivedAt: number;
  /** The client's port on the connection it came by: whose socket it was (the proxy test matches it to the proxy's). */
  remotePort: number;
  /** True for the first request on its connection (a fresh TCP socket), false for one on a kept-alive connection. */
  newConnection: boolean;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/** A fault to inject: answer the next `times` matching requests with it instead of the real answer. */
export interface Fault {
  match: (request: { method: string; url: string; body: string }) => boolean;
  times?: number;
  /** A reply, a dropped connection, or a delay before the real answer. */
  reply?: Reply;
  reset?: boolean;
  delayMs?: number;
  /** Holds the answer until this settles: a service slow to answer, timed against what another fake has seen. */
  until?: () => Promise<unknown>;
}

export type Handler = (request: {
  method: string;
  url: URL;
  headers: IncomingMessage['headers'];
  body: string;
}) => Reply | Promise<Reply>;

/**
 * A loopback HTTP server that records every request and can inject faults. Started with `tls`, it
 * speaks HTTPS with that certificate, as the real services do.
 *
 * Latency, for the start-up benchmark (both zero by default, so the tests run at loopback speed):
 * every answer is sent `latencyMs` after its request arrived (one round trip to a distant service),
 * and the first answer on each new connection `connectionSetupMs` later still. Set-up is the round
 * trips paid before a request can be sent on a fresh connection: TCP's handshake is one, TLS 1.3's
 * full handshake one more (RFC 8446, section 2; TLS 1.2 takes two), so `2 * latencyMs` models HTTPS.
 * It is charged to the connection's first request rather than to the connect itself (loopback here
 * needs no handshake worth the name), so a connection opened early but used late pays it all the same.
 */
export class FakeServer {
  readonly requests: RecordedRequest[] = [];
  latencyMs = 0;
  connectionSetupMs = 0;
  private seenSockets = new WeakSet<object>();
  private faults: (Fault & { remaining: number })[] = [];
  private server: Server = createServer();
  private handler: Handler;
  url = '';

  constructor(handler: Handler) {
    this.handler = handler;
  }

  async start({ tls }: { tls?: TlsIdentity } = {}): Promise<this> {
    const listener = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
    this.server = tls ? createTlsServer({ key: tls.key, cert: tls.cert }, listener) : createServer(listener);
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.url = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  inject(fault: Fault): void {
    this.faults.push({ ...fault, remaining: fault.times ?? 1 });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const receivedAt = performance.now();
    const newConnection = !this.seenSockets.has(req.socket);
    this.seenSockets.add(req.socket);
    // Fixed when the request arrives, so that a knob changed mid-request does not change its answer's time.
    const answerAt = receivedAt + this.latencyMs + (newConnection ? this.connectionSetupMs : 0);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const record: RecordedRequest = {
      method,
      url,
      headers: req.headers,
      body,
      status: 0,
      receivedAt,
      remotePort: req.socket.remotePort ?? 0,
      newConnection,
    };
    this.requests.push(record);

    const fault = this.faults.find((f) => f.remaining > 0 && f.match({ method, url, body }));
    if (fault) fault.remaining--;
    if (fault?.reset) {
      req.socket.destroy();
      return;
    }
    if (fault?.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    if (fault?.until) await fault.until();
    if (res.destroyed) return;

    let reply: Reply;
    try {
      // The Host header, as a real service sees it (a proxied request names the service, not 127.0.0.1).
      const base = req.headers.host ? `${new URL(this.url).protocol}//${req.headers.host}` : this.url;
      reply = fault?.reply ?? (await this.handler({ method, url: new URL(url, base), headers: req.headers, body }));
    } catch (error) {
      reply = { status: 500, body: JSON.stringify({ message: `fake failed: ${(error as Error).message}` }) };
    }
    record.status = reply.status;
    // Latency comes on top of an injected delay, as a slow service far away is slower still.
    const due = answerAt + (fault?.delayMs ?? 0);
    if (performance.now() < due) {
      await waitUntil(due);
      if (res.destroyed) return;
    }
    res.writeHead(reply.status, reply.headers ?? {});
    res.end(reply.body ?? '');
  }
}

/**
 * Resolves once `performance.now()` has reached `time`. A timer may fire a little early by this
 * clock (libuv counts whole milliseconds from the loop's cached time), so it waits again until it has.
 */
async function waitUntil(time: number): Promise<void> {
  for (let left = time - performance.now(); left > 0; left = time - performance.now()) {
    await new Promise((resolve) => setTimeout(resolve, Math.ceil(left)));
  }
}

export const json = (status: number, data: unknown, headers: Record<string, string> = {}): Reply => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  body: JSON.stringify(data),
});
