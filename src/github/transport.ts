import * as http from 'node:http';
import { STATUS_CODES } from 'node:http';
import * as https from 'node:https';
import { Headers, Response } from 'undici';
import { Semaphore } from '../net/semaphore.ts';
import { PROXY_VARIABLES, REQUEST_TIMEOUT_MS } from '../net/failures.ts';
import type { GitHubPace } from './pace.ts';

// How the GitHub client's requests travel: Node's http/https through the runner's proxy, paced,
// ten at a time, redirects kept within github-api-url's origin, each answer handed to Octokit as
// the `Response` its `fetch` would give. src/github/client.ts builds Octokit on top.

/**
 * At most this many requests to GitHub at once, the others waiting their turn: the cap the throttling
 * plugin's own global group kept (see AT_ONCE in src/github/client.ts). A fan-out (a dry run's
 * too) has five targets in flight with their reads (a list, settings, a key each); a slow GitHub
 * would otherwise see more connections opened together than it needs (GitHub counts concurrent
 * requests against its secondary limit).
 */
const MAX_REQUESTS_IN_FLIGHT = 10;

/** Redirects that repeat the request at the new location (GitHub: 301 for reads of a renamed repository, 307 for writes). */
const FOLLOWED_REDIRECTS = new Set([301, 302, 307, 308]);
const MAX_REDIRECTS = 5;

/**
 * `fetch` through the runner's proxy settings (`https_proxy`, `http_proxy`, `no_proxy`), by
 * `@actions/http-client`'s rules as `@actions/github` follows them, with a deadline: Node's fetch
 * has none, and a stalled answer would hold the job until the runner's timeout. The timeout surfaces
 * as a network error, which the retry plugin retries (PUTs of a secret are idempotent).
 *
 * Redirects are followed only within the origin they came from: fetch would follow one to any host,
 * re-sending the Authorization header and, for a write, the sealed value. One to another origin is
 * handed back as it is, and the client's `after` hook turns it into an error.
 */
export function proxyAwareFetch(apiUrl: string, pace: GitHubPace): typeof fetch {
  let connections: Promise<http.Agent> | undefined;
  const inFlight = new Semaphore(MAX_REQUESTS_IN_FLIGHT);
  const fetchOnce = async (url: string, init: RequestInit | undefined) => {
    await inFlight.enter();
    try {
      // Every request that leaves is paced and counted, a retry or a followed redirect included, as GitHub counts it.
      const turn = pace.admit(init?.method ?? 'GET', url);
      if (turn) await turn;
      // A request abandoned while it waited for its turn (a write whose password got too old) never leaves.
      init?.signal?.throwIfAborted();
      const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
      const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
      connections ??= connectionsFor(apiUrl, process.env);
      return await answerOf(url, init, signal, connections);
    } finally {
      inFlight.leave();
    }
  };
  return (async (input: string | URL | Request, init?: RequestInit) => {
    let url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    for (let hops = 0; ; hops++) {
      const response = await fetchOnce(url, init);
      const location = response.headers.get('location');
      if (!FOLLOWED_REDIRECTS.has(response.status) || !location || hops >= MAX_REDIRECTS) return response;
      const next = new URL(location, url);
      if (next.origin !== new URL(url).origin) return response;
      url = next.href;
    }
  }) as unknown as typeof fetch;
}

/** Statuses whose answer has no body (a `Response` refuses one). */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/**
 * The keep-alive connections to github-api-url's host; through the runner's proxy when
 * `@actions/http-client`'s rules send that host through one (`RunnerProxyAgent`, as for the AWS SDK).
 */
async function connectionsFor(apiUrl: string, env: NodeJS.ProcessEnv): Promise<http.Agent> {
  if (PROXY_VARIABLES.some((name) => env[name])) {
    const { RunnerProxyAgent } = await import('../net/proxy-agent.ts');
    // agent-base's Agent is an http.Agent that picks the connection per request.
    return new RunnerProxyAgent({ keepAlive: true });
  }
  return new URL(apiUrl).protocol === 'https:'
    ? new https.Agent({ keepAlive: true })
    : new http.Agent({ keepAlive: true });
}

/**
 * One request with Node's `http`/`https`, its answer read whole within the deadline and handed to
 * Octokit as the `Response` that `fetch` would give (status, reason phrase, headers, body, url).
 *
 * Not undici (its `fetch` or `request`), by measurement:
 * - undici parses answers with llhttp compiled to WebAssembly. After a few GitHub answers V8 finds its
 *   parser function hot and compiles it again with its optimising compiler on a background thread:
 *   40 to 60 ms of CPU and 20 MB of compiler memory (`--trace-wasm-compilation-times`), and the process
 *   cannot exit before that compilation ends, so a one-secret run waited 30 to 45 ms at its very end.
 *   Node's own parser is native code. On `bench:startup` at 50 ms per request, runs alternated 40
 *   times: 444 ms with undici's `request`, 413 ms with this (docs/performance.md).
 * - A fetch's objects (its Request, Response, body streams, and the Octokit and Bottleneck state
 *   waiting on it) outlive V8's young-generation collections long after the answer is read; in a
 *   fan-out they are promoted by the megabyte and V8 grows its young generation again and again
 *   (docs/performance.md, "Fan-out"). `bench/fetch-survival.mjs`, 3,000 requests: about 20 % of what is allocated
 *   survives each young collection with fetch, 6 % with undici's `request`, 5 % with this.
 * A GitHub answer is a few hundred bytes of JSON, read at once as Octokit would read it anyway. No
 * `accept-encoding` is sent (fetch sent one and decoded), so answers come uncompressed.
 *
 * Failures keep fetch's shape, which Octokit and src/net/failures.ts read: an abort or a timeout rejects
 * with the signal's reason, anything else with `TypeError('fetch failed')` whose cause is Node's error.
 */
async function answerOf(
  url: string,
  init: RequestInit | undefined,
  signal: AbortSignal,
  connections: Promise<http.Agent>,
): Promise<Response> {
  // fetch's refusal, word for word (the message is scrubbed of the credentials before it is shown):
  // Node would send them as basic authentication.
  const { username, password, protocol } = new URL(url);
  if (username || password)
    throw new TypeError(`Request cannot be constructed from a URL that includes credentials: ${url}`);
  const agent = await connections;
  return new Promise<Response>((resolve, reject) => {
    const fail = (error: unknown) =>
      reject(signal.aborted ? (signal.reason as Error) : new TypeError('fetch failed', { cause: error }));
    // Node reports an abort only once the request has a connection; one still waiting for its
    // connection (a proxy that never answers the tunnel request) would never settle.
    const aborted = () => fail(signal.reason);
    signal.addEventListener('abort', aborted, { once: true });
    const options = {
      method: init?.method ?? 'GET',
      headers: (init?.headers ?? {}) as http.OutgoingHttpHeaders,
      agent,
      signal,
    };
    const sent = (protocol === 'https:' ? https.request : http.request)(url, options, (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => chunks.push(chunk));
      answer.on('error', fail);
      answer.on('end', () => {
        // In a listener, a throw would end the process: a status a Response cannot hold (Node takes
        // 100 to 999 from a middlebox; a Response only 200 to 599) fails this request instead.
        try {
          const status = answer.statusCode ?? 0;
          const headers = new Headers();
          for (let at = 0; at + 1 < answer.rawHeaders.length; at += 2)
            headers.append(answer.rawHeaders[at] as string, answer.rawHeaders[at + 1] as string);
          const response = new Response(NULL_BODY_STATUSES.has(status) ? null : Buffer.concat(chunks), {
            status,
            statusText: STATUS_CODES[status] ?? '',
            headers,
          });
          // What fetch's answer says: the URL asked for (redirects are followed above, one hop at a time).
          Object.defineProperty(response, 'url', { value: url });
          resolve(response);
        } catch (error) {
          fail(error);
        }
      });
    });
    sent.on('error', fail);
    sent.once('close', () => signal.removeEventListener('abort', aborted));
    sent.end((init?.body ?? undefined) as string | undefined);
  });
}
