import { getOctokitOptions } from '@actions/github/lib/utils';
import { HttpClient } from '@actions/http-client';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { RequestError } from '@octokit/request-error';
import { Octokit } from '@octokit/rest';
import Bottleneck from 'bottleneck/light.js';
import { STATUS_CODES } from 'node:http';
import { Headers, request as undiciRequest, Response } from 'undici';
import { formatDuration } from '../duration.ts';
import { REQUEST_TIMEOUT_MS } from '../network.ts';
import { USER_AGENT } from '../version.ts';
import { DEFAULT_WRITE_INTERVAL_MS, GitHubPace } from './pace.ts';

const GitHubWithPlugins = Octokit.plugin(retry, throttling);
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
  // the user agent. Its own proxy-aware fetch is made for GITHUB_API_URL at import; ours below is made
  // the same way (`@actions/http-client`) for github-api-url, which may name another host.
  const github = new GitHubWithPlugins({
    ...getOctokitOptions(options.token, { userAgent: USER_AGENT }),
    baseUrl: options.apiUrl,
    // Octokit logs every failed request as an error; the action reports the ones that matter in its own words.
    log: { debug: log.debug, info: log.debug, warn: log.warning, error: log.debug },
    request: { fetch: proxyAwareFetch(options.apiUrl, pace) },
    retry: { doNotRetry: DO_NOT_RETRY },
    throttle: {
      // The plugin's own write pacing (one a second) would sit before the pace above and keep a shorter
      // write-interval from applying: its writes group, limitless here, leaves the pacing to `pace`.
      write: new Bottleneck.Group(),
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

/** Redirects that repeat the request at the new location (GitHub: 301 for reads of a renamed repository, 307 for writes). */
const FOLLOWED_REDIRECTS = new Set([301, 302, 307, 308]);
const MAX_REDIRECTS = 5;

/**
 * `fetch` through the runner's proxy settings (`https_proxy`, `http_proxy`, `no_proxy`), decided by
 * `@actions/http-client` for the API's host as `@actions/github` does, with a deadline: Node's fetch
 * has none, and a stalled answer would hold the job until the runner's timeout. The timeout surfaces
 * as a network error, which the retry plugin retries (PUTs of a secret are idempotent).
 *
 * Redirects are followed only within the origin they came from: fetch would follow one to any host,
 * re-sending the Authorization header and, for a write, the sealed value. One to another origin is
 * handed back as it is, and the client's `after` hook turns it into an error.
 */
function proxyAwareFetch(apiUrl: string, pace: GitHubPace): typeof fetch {
  const dispatcher = new HttpClient(USER_AGENT).getAgentDispatcher(apiUrl);
  const fetchOnce = async (url: string, init: RequestInit | undefined) => {
    // Every request that leaves is paced and counted, a retry or a followed redirect included, as GitHub counts it.
    const turn = pace.admit(init?.method ?? 'GET', url);
    if (turn) await turn;
    const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    return answerOf(url, init, signal, dispatcher);
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
 * One request with undici's `request`, its answer read whole within the deadline and handed to
 * Octokit as the `Response` that `fetch` would give (status, reason phrase, headers, body, url).
 *
 * Not undici's `fetch`, by measurement: a fetch's objects (its Request, Response, body streams, and
 * the Octokit and Bottleneck state waiting on it) outlive V8's young-generation collections long
 * after the answer is read, until a full collection. A loop of 3,000 fetches on node 24 keeps about
 * 20 % of what it allocates alive across each young collection (`--trace-gc-nvp`), the same loop with
 * `request` about 6 %. In a fan-out those survivors are promoted by the megabyte, and V8 answers by
 * doubling its young generation again and again: peak RSS grew with the number of repositories
 * (README, "Fan-out"). A GitHub answer is a few hundred bytes of JSON, read here at once as Octokit
 * would read it anyway. No `accept-encoding` is sent (fetch sent one and decoded), so answers come
 * uncompressed.
 *
 * Failures keep fetch's shape, which Octokit and src/network.ts read: an abort or a timeout rejects
 * with the signal's reason, anything else with `TypeError('fetch failed')` whose cause is undici's error.
 */
async function answerOf(
  url: string,
  init: RequestInit | undefined,
  signal: AbortSignal,
  dispatcher: ReturnType<HttpClient['getAgentDispatcher']>,
): Promise<Response> {
  // fetch's refusal, word for word (the message is scrubbed of the credentials before it is shown):
  // `request` would drop them without a word and ask the host all the same.
  const { username, password } = new URL(url);
  if (username || password)
    throw new TypeError(`Request cannot be constructed from a URL that includes credentials: ${url}`);
  try {
    const answer = await undiciRequest(url, {
      method: (init?.method ?? 'GET') as 'GET',
      headers: (init?.headers ?? null) as Record<string, string> | null,
      body: (init?.body ?? null) as string | null,
      signal,
      ...(dispatcher ? { dispatcher } : {}),
    });
    const body = await answer.body.arrayBuffer();
    const headers = new Headers();
    for (const [name, value] of Object.entries(answer.headers)) {
      for (const one of Array.isArray(value) ? value : [value]) if (one !== undefined) headers.append(name, one);
    }
    const response = new Response(NULL_BODY_STATUSES.has(answer.statusCode) ? null : body, {
      status: answer.statusCode,
      statusText: STATUS_CODES[answer.statusCode] ?? '',
      headers,
    });
    // What fetch's answer says: the URL asked for (redirects are followed above, one hop at a time).
    Object.defineProperty(response, 'url', { value: url });
    return response;
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    throw new TypeError('fetch failed', { cause: error });
  }
}
