import { getOctokitOptions } from '@actions/github/lib/utils';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { RequestError } from '@octokit/request-error';
import { Octokit } from '@octokit/rest';
import Bottleneck from 'bottleneck/light.js';
import * as http from 'node:http';
import { STATUS_CODES } from 'node:http';
import * as https from 'node:https';
import { Headers, Response } from 'undici';
import { formatDuration } from '../duration.ts';
import { Lanes } from '../lanes.ts';
import { PROXY_VARIABLES, REQUEST_TIMEOUT_MS } from '../network.ts';
import { USER_AGENT } from '../version.ts';
import { DEFAULT_WRITE_INTERVAL_MS, GitHubPace } from './pace.ts';

/** A proxy's answers to CONNECT that retrying cannot change: its access rules (403), its credentials (407). */
const FINAL_PROXY_REFUSALS = new Set([403, 407]);

/**
 * A proxy's definite refusal of the tunnel (403 from its access rules, 407 for its credentials:
 * `ERR_PROXY_TUNNEL`, src/proxy-agent.ts) will not change on retry: the request is not retried. As a
 * plugin placed before the retry plugin, its error hook runs first and sets the per-request `retries`
 * that the retry plugin reads. A proxy's 502 or 503 (the host out of its reach) is retried as usual.
 */
function proxyRefusalsFinal(octokit: Pick<Octokit, 'hook'>): void {
  octokit.hook.error('request', (error, options) => {
    const status = proxyRefusalStatus(error);
    if (status !== undefined && FINAL_PROXY_REFUSALS.has(status)) options.request = { ...options.request, retries: 0 };
    throw error;
  });
}

/** The status with which a proxy refused the tunnel, found through the error's causes (Octokit's, fetch's). */
function proxyRefusalStatus(error: unknown): number | undefined {
  for (let link = error, depth = 0; link && typeof link === 'object' && depth < 5; depth++) {
    const { code, statusCode, cause } = link as { code?: unknown; statusCode?: unknown; cause?: unknown };
    if (code === 'ERR_PROXY_TUNNEL') return typeof statusCode === 'number' ? statusCode : undefined;
    link = cause;
  }
  return undefined;
}

const GitHubWithPlugins = Octokit.plugin(proxyRefusalsFinal, retry, throttling);

/**
 * A limiter group that runs each job at once, for the throttling plugin's `global` and `write`
 * groups: the pacing GitHub asks for is `pace`'s (points, and writes `write-interval` apart), and the
 * global group's cap of ten requests at once is kept by `proxyAwareFetch`. The plugin's groups would add
 * nothing but their cost: each Bottleneck job waits on three timers (its datastore yields to the
 * event loop with `setTimeout(0)` at submit, register and run), so a PUT went through six timers
 * before the retry limiters' (measured: about 10 ms of a one-secret run at 50 ms per request). What
 * the plugin is for stays: its retry limiter, waiting out `retry-after` after a rate limit.
 * `global` is not in the plugin's option types, but the plugin takes every group from its options
 * (`state.global ?? groups.global`); were that to change, the default group would serve, slower.
 */
const AT_ONCE = {
  key: () => ({
    schedule: (_options: unknown, job: (...args: unknown[]) => unknown, ...args: unknown[]) =>
      Promise.resolve().then(() => job(...args)),
  }),
} as unknown as Bottleneck.Group;

export type GitHub = InstanceType<typeof GitHubWithPlugins>;

export interface Log {
  debug: (message: string) => void;
  info: (message: string) => void;
  warning: (message: string) => void;
}

/**
 * What the retry plugin never retries: its own list (refusals that cannot succeed on retry) and
 * 429, which GitHub sends only for rate limits (docs, "Rate limits for the REST API"): the
 * throttling plugin waits those out as GitHub asks, and two plugins retrying it would multiply
 * the attempts.
 */
const DO_NOT_RETRY = [400, 401, 403, 404, 410, 422, 429, 451];

/**
 * How long GitHub's rate limits may hold a whole run, summed over every wait: GitHub asks for a
 * minute or so after a secondary limit, and a fan-out paced within the limits should meet none.
 * Past this the run stops asking (GitHub warns that asking on may get an integration banned), and
 * every secret not yet written fails by name: a scheduled job never hangs on GitHub for long.
 */
const LIMIT_HOLD_BUDGET_MS = 5 * 60_000;
/** The longest single wait the action accepts, and how often one request may be retried after a limit. */
const MAX_LIMIT_WAIT_SECONDS = 120;
const MAX_LIMIT_RETRIES = 3;

/**
 * Octokit (`@octokit/rest`, for `paginate`) with GitHub's pacing (src/github/pace.ts: the secondary
 * limit's points, and `writeIntervalMs` between writes, a second unless given) applied to every
 * request as it leaves, retries included, and retries for 5xx, network errors and rate limits;
 * never for 401/403/404/422, which cannot succeed.
 */
export function createGitHubClient(options: {
  token: string;
  /** What messages call the token (Config's `github.tokenSource.name`). */
  tokenName: string;
  apiUrl: string;
  log: Log;
  writeIntervalMs?: number;
}): GitHub {
  const { log } = options;
  const pace = new GitHubPace({
    writeIntervalMs: options.writeIntervalMs ?? DEFAULT_WRITE_INTERVAL_MS,
    holdBudgetMs: LIMIT_HOLD_BUDGET_MS,
  });
  const held = (retryAfter: number, what: string) => pace.hold(retryAfter * 1000, () => heldTooLongMessage(what));
  // `@actions/github`'s options: the token as GitHub expects it, and the runner's orchestration id in
  // the user agent. Its own proxy-aware fetch is made for GITHUB_API_URL at import; ours below follows
  // the same rules (`@actions/http-client`'s) for github-api-url, which may name another host.
  const github = new GitHubWithPlugins({
    ...getOctokitOptions(options.token, { userAgent: USER_AGENT }),
    baseUrl: options.apiUrl,
    // Octokit logs every failed request as an error; the action reports the ones that matter in its own words.
    log: { debug: log.debug, info: log.debug, warn: log.warning, error: log.debug },
    request: { fetch: proxyAwareFetch(options.apiUrl, pace) },
    retry: { doNotRetry: DO_NOT_RETRY },
    throttle: {
      // The plugin's own write pacing (one a second) would sit before the pace above and keep a shorter
      // write-interval from applying. Both groups run their jobs at once (AT_ONCE, above).
      write: AT_ONCE,
      ...({ global: AT_ONCE } as object),
      onRateLimit: (retryAfter, request, _octokit, retryCount) => {
        // Waiting for the hourly limit to reset would hold the job for up to an hour: retry once, briefly.
        const wait =
          retryAfter <= 60 && retryCount < 1 && held(retryAfter, `GitHub's rate limit for ${options.tokenName}`);
        log.warning(
          `GitHub's rate limit for ${options.tokenName} is used up (${request.method} ${request.url}); ${wait ? `retrying in ${retryAfter}s` : `it resets in ${retryAfter}s`}.`,
        );
        return wait;
      },
      onSecondaryRateLimit: (retryAfter, request, _octokit, retryCount) => {
        // GitHub asks for `retry-after`, or a minute without it (the plugin's fallback); every request
        // waits as long (`held`), not only this one, and the run's waits together stay within a budget.
        const wait =
          retryCount < MAX_LIMIT_RETRIES &&
          retryAfter <= MAX_LIMIT_WAIT_SECONDS &&
          held(retryAfter, "GitHub's secondary rate limit");
        log.warning(
          `GitHub's secondary rate limit slowed ${request.method} ${request.url}; ${wait ? `retrying in ${retryAfter}s` : 'giving up'}.`,
        );
        return wait;
      },
    },
  });
  // A URL that GitHub's answer chose (the Link header's next page) is asked for only on github-api-url's
  // origin: another host would receive github-token. Registered after the plugins, so never retried.
  const apiOrigin = new URL(options.apiUrl).origin;
  github.hook.before('request', (request) => {
    if (!/^[a-z][a-z0-9+.-]*:/i.test(request.url)) return;
    const origin = new URL(request.url).origin;
    if (origin !== apiOrigin) {
      throw new Error(
        `GitHub's answer pointed to ${origin}, another origin than github-api-url: not followed, as it would carry ${options.tokenName}. Check github-api-url.`,
      );
    }
  });
  // Registered after the plugins, so it wraps them: a redirect is never retried, and never counts as an answer.
  github.hook.after('request', (response, request) => {
    if (response.status < 300 || response.status >= 400) return;
    const from = new URL(response.url || String(request.url), options.apiUrl);
    const location = String(response.headers.location ?? '');
    let to: URL | undefined;
    try {
      to = location ? new URL(location, from) : undefined;
    } catch {
      to = undefined;
    }
    const where = !to
      ? 'without a location'
      : to.origin === from.origin
        ? `to ${to.origin} too many times`
        : `to ${to.origin}, another origin than github-api-url`;
    throw new RequestError(
      `redirected ${where}: not followed, as it would carry ${options.tokenName}${request.method === 'GET' ? '' : ' and the sealed value'}. Check github-api-url`,
      response.status,
      // With the response: GitHub did answer, with a redirect, and the message says so.
      { request, response },
    );
  });
  return github;
}

/** Why the requests left after the run's budget of waits for GitHub's limits are not sent. */
function heldTooLongMessage(what: string): string {
  return `not sent: ${what} held this run for ${formatDuration(LIMIT_HOLD_BUDGET_MS)} in all, and the action asks no more. Run the job again later, or spread the repositories over several runs or tokens.`;
}

/**
 * At most this many requests to GitHub at once, the others waiting their turn: the cap the throttling
 * plugin's own global group kept (see AT_ONCE). A dry run reads every target's keys at once, and a
 * fan-out has five targets in flight with their reads; a slow GitHub would otherwise see dozens of
 * connections opened together (GitHub counts concurrent requests against its secondary limit).
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
function proxyAwareFetch(apiUrl: string, pace: GitHubPace): typeof fetch {
  let connections: Promise<http.Agent> | undefined;
  const inFlight = new Lanes(MAX_REQUESTS_IN_FLIGHT);
  const fetchOnce = async (url: string, init: RequestInit | undefined) => {
    await inFlight.enter();
    try {
      // Every request that leaves is paced and counted, a retry or a followed redirect included, as GitHub counts it.
      const turn = pace.admit(init?.method ?? 'GET', url);
      if (turn) await turn;
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
    const { RunnerProxyAgent } = await import('../proxy-agent.ts');
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
 *   times: 444 ms with undici's `request`, 413 ms with this (README, "Performance").
 * - A fetch's objects (its Request, Response, body streams, and the Octokit and Bottleneck state
 *   waiting on it) outlive V8's young-generation collections long after the answer is read; in a
 *   fan-out they are promoted by the megabyte and V8 grows its young generation again and again
 *   (README, "Fan-out"). `bench/fetch-survival.mjs`, 3,000 requests: about 20 % of what is allocated
 *   survives each young collection with fetch, 6 % with undici's `request`, 5 % with this.
 * A GitHub answer is a few hundred bytes of JSON, read at once as Octokit would read it anyway. No
 * `accept-encoding` is sent (fetch sent one and decoded), so answers come uncompressed.
 *
 * Failures keep fetch's shape, which Octokit and src/network.ts read: an abort or a timeout rejects
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
