import * as http from 'node:http';
import * as https from 'node:https';
import type * as net from 'node:net';
import { getProxyUrl } from '@actions/http-client';
import { CONNECT_TIMEOUT_MS } from './failures.ts';
import { Agent, type AgentConnectOpts } from 'agent-base';
import { HttpProxyAgent } from 'http-proxy-agent';
import { HttpsProxyAgent } from 'https-proxy-agent';

/**
 * The agent of the AWS SDK and of GitHub's requests when the runner has a proxy: it decides for each
 * request, from the request's own host, whether it goes through the proxy, with `@actions/http-client`'s
 * rules (the ones the OIDC token request follows, and `@actions/core` and `@actions/github` with it):
 * `https_proxy` for https, `http_proxy` for http, either case; `no_proxy` with host names,
 * `host:port`, domain suffixes (`.internal` or `internal`) and `*`; loopback hosts always direct.
 *
 * Deciding per request rather than per client: STS and ECR endpoints may come from
 * `AWS_ENDPOINT_URL_STS` / `AWS_ENDPOINT_URL_ECR`, the shared config file or the region, and only the
 * SDK knows which applies; the request it sends does. This is proxy-agent's design (used by
 * aws-actions/configure-aws-credentials), without its PAC and SOCKS support, which would add a
 * JavaScript engine to the bundle for nothing the runner's variables can express.
 * The proxy connection itself is `https-proxy-agent` (CONNECT, for https) and `http-proxy-agent`
 * (absolute-form, for plain http endpoints, which proxies commonly refuse to CONNECT to).
 * Loaded only when a proxy variable is set, so runs without a proxy never pay for it.
 */
export class RunnerProxyAgent extends Agent {
  private readonly direct = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };
  private readonly viaProxy = new Map<string, http.Agent>();

  override connect(req: http.ClientRequest, options: AgentConnectOpts): http.Agent {
    const protocol = options.secureEndpoint ? 'https:' : 'http:';
    const target = new URL(req.path, `${protocol}//${String(req.getHeader('host') ?? options.host)}`);
    const proxy = getProxyUrl(target.href);
    if (!proxy) return options.secureEndpoint ? this.direct.https : this.direct.http;
    const key = `${protocol} ${proxy}`;
    let agent = this.viaProxy.get(key);
    if (!agent) {
      const { url, headers } = credentialsApart(proxy);
      agent = options.secureEndpoint
        ? new TunnelAgent(url, { keepAlive: true, headers })
        : new HttpProxyAgent(url, { keepAlive: true, headers });
      this.viaProxy.set(key, agent);
    }
    return agent;
  }
}

/**
 * The proxy's URL without its user and password, and the `Proxy-Authorization` header that carries
 * them instead. Both agents would build that header from the URL themselves, but they also log the
 * whole URL with the `debug` package (`DEBUG=*`), straight to stderr, where neither the runner's
 * masks (a user name may be a token) nor the command's reach.
 */
function credentialsApart(proxy: string): { url: string; headers: Record<string, string> } {
  const url = new URL(proxy);
  if (!url.username && !url.password) return { url: proxy, headers: {} };
  // As `@actions/http-client` and the agents read them: percent-decoded.
  const basic = Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString(
    'base64',
  );
  url.username = '';
  url.password = '';
  return { url: url.href, headers: { 'Proxy-Authorization': `Basic ${basic}` } };
}

/**
 * A CONNECT agent whose refused tunnel fails the request. `https-proxy-agent` hands the proxy's
 * refusal (squid's 403 "Access Denied" page, a 407, a 502) back as if the host had answered it, so
 * a squid ACL would read as "GitHub answered 403", a token permission problem, and a 502 as GitHub's
 * own trouble. Here the connection fails instead, with `ERR_PROXY_TUNNEL` (the code Node gives its
 * own proxy's refusals), the way a proxy that cannot be reached fails: a network failure that names
 * the proxy (src/net/failures.ts). Nothing reaches the host: the tunnel was never opened.
 */
class TunnelAgent extends HttpsProxyAgent<string> {
  override async connect(req: http.ClientRequest, options: AgentConnectOpts): Promise<net.Socket> {
    let refusal: Error | undefined;
    const answered = ({ statusCode, statusText }: { statusCode: number; statusText?: string }) => {
      if (statusCode === 200) return;
      refusal = Object.assign(
        new Error(`the proxy refused the tunnel (${statusCode}${statusText ? ` ${statusText}` : ''})`),
        { code: 'ERR_PROXY_TUNNEL', statusCode },
      );
    };
    req.once('proxyConnect', answered);
    // https-proxy-agent waits for the proxy's answer without a deadline, on a socket no one else can
    // reach: a proxy that accepts the connection and never answers would hold the request, and the
    // open socket would keep the process from exiting after the run. The socket is opened with a
    // signal that ends it after the connection timeout (`net.connect` takes `signal`; the agent opens
    // its socket synchronously from `connectOpts` as `connect` starts).
    const handshake = new AbortController();
    const deadline = setTimeout(() => handshake.abort(), CONNECT_TIMEOUT_MS);
    this.connectOpts.signal = handshake.signal;
    let socket: net.Socket;
    try {
      socket = await super.connect(req, options);
    } catch (error) {
      if (!handshake.signal.aborted) throw error;
      throw Object.assign(
        new Error(`the proxy did not answer the tunnel request within ${CONNECT_TIMEOUT_MS / 1000} s`),
        // Named as a timeout, so that the AWS SDK retries it as it retries its own connection timeout.
        { code: 'ERR_PROXY_TUNNEL', name: 'TimeoutError', cause: error },
      );
    } finally {
      clearTimeout(deadline);
      req.off('proxyConnect', answered);
    }
    if (refusal) {
      socket.destroy();
      throw refusal;
    }
    return socket;
  }
}
