import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { RequestError } from '@octokit/request-error';
import { Octokit } from '@octokit/rest';
import Bottleneck from 'bottleneck/light.js';
import { formatDuration } from '../util/duration.ts';
import { USER_AGENT } from '../util/version.ts';
import { causes } from '../net/failures.ts';
import { DEFAULT_WRITE_INTERVAL_MS, GitHubPace } from './pace.ts';
import { proxyAwareFetch } from './transport.ts';

/** A proxy's answers to CONNECT that retrying cannot change: its access rules (403), its credentials (407). */
const FINAL_PROXY_REFUSALS = new Set([403, 407]);

/**
 * A proxy's definite refusal of the tunnel (403 from its access rules, 407 for its credentials:
 * `ERR_PROXY_TUNNEL`, src/net/proxy-agent.ts) will not change on retry: the request is not retried. As a
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
  for (const { code, statusCode } of causes(error)) {
    if (code === 'ERR_PROXY_TUNNEL') return typeof statusCode === 'number' ? statusCode : undefined;
  }
  return undefined;
}

/**
 * A request abandoned by its own signal (github/secrets/put.ts: a write whose password got too old) is not
 * retried: its caller seals the value again with a newer password. Placed before the retry plugin, as above.
 */
function abandonedFinal(octokit: Pick<Octokit, 'hook'>): void {
  octokit.hook.error('request', (error, options) => {
    const signal = (options.request as { signal?: AbortSignal } | undefined)?.signal;
    if (signal?.aborted) options.request = { ...options.request, retries: 0 };
    throw error;
  });
}

const GitHubWithPlugins = Octokit.plugin(proxyRefusalsFinal, abandonedFinal, retry, throttling);

/**
 * A limiter group that runs each job at once, for the throttling plugin's `global` and `write`
 * groups: the pacing GitHub asks for is `pace`'s (points, and writes `write-interval` apart), and the
 * global group's cap of ten requests at once is kept by `proxyAwareFetch` (src/github/transport.ts). The plugin's groups would add
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
export async function createGitHubClient(options: {
  token: string;
  /** What messages call the token (Config's `github.tokenSource.name`). */
  tokenName: string;
  apiUrl: string;
  log: Log;
  writeIntervalMs?: number;
}): Promise<GitHub> {
  const { log } = options;
  const { getOctokitOptions } = await actionsGitHub();
  const pace = new GitHubPace({
    writeIntervalMs: options.writeIntervalMs ?? DEFAULT_WRITE_INTERVAL_MS,
    holdBudgetMs: LIMIT_HOLD_BUDGET_MS,
  });
  const held = (retryAfter: number, what: string) => pace.hold(retryAfter * 1000, () => heldTooLongMessage(what));
  // `@actions/github`'s options: the token as GitHub expects it, and the runner's orchestration id in
  // the user agent. Its own proxy-aware fetch is made for GITHUB_API_URL as it loads; ours below follows
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
        `GitHub's answer pointed to ${origin}, another origin than {github-api-url}: not followed, as it would carry ${options.tokenName}. Check {github-api-url}.`,
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
        : `to ${to.origin}, another origin than {github-api-url}`;
    throw new RequestError(
      `redirected ${where}: not followed, as it would carry ${options.tokenName}${request.method === 'GET' ? '' : ' and the sealed value'}. Check {github-api-url}`,
      response.status,
      // With the response: GitHub did answer, with a redirect, and the message says so.
      { request, response },
    );
  });
  return github;
}

type ActionsGitHub = typeof import('@actions/github/lib/utils');
let actionsGitHubModule: Promise<ActionsGitHub> | undefined;

/**
 * `@actions/github`, loaded on first use, never at start-up: as its module loads it builds a proxy agent
 * for GITHUB_API_URL from the proxy variables, and a value that is no URL would throw there, before any
 * input is read, with the value (password included) in the stack Node prints. By the time a client is
 * made, the front door has checked those variables (src/net/environment.ts) and failed in its own words.
 */
export function actionsGitHub(): Promise<ActionsGitHub> {
  return (actionsGitHubModule ??= import('@actions/github/lib/utils'));
}

/** Why the requests left after the run's budget of waits for GitHub's limits are not sent. */
function heldTooLongMessage(what: string): string {
  return `not sent: ${what} held this run for ${formatDuration(LIMIT_HOLD_BUDGET_MS)} in all, and the action asks no more. Run the job again later, or spread the repositories over several runs or tokens.`;
}
