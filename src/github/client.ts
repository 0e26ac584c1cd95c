import { HttpClient } from '@actions/http-client';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import { fetch as undiciFetch } from 'undici';
import { USER_AGENT } from '../version.ts';

const GitHubWithPlugins = Octokit.plugin(retry, throttling);
export type GitHub = InstanceType<typeof GitHubWithPlugins>;

export interface Log {
  debug: (message: string) => void;
  info: (message: string) => void;
  warning: (message: string) => void;
}

/** How long one request may take before it is given up and, if the retry plugin allows, tried again. */
export const REQUEST_TIMEOUT_MS = 10_000;

/**
 * Octokit (`@octokit/rest`, for `paginate`) with GitHub's recommended pacing (writes one at a time,
 * a second apart) and retries for 5xx, network errors and rate limits; never for 401/403/404/422,
 * which cannot succeed.
 */
export function createGitHubClient(options: { token: string; apiUrl: string; log: Log }): GitHub {
  const { log } = options;
  return new GitHubWithPlugins({
    auth: options.token,
    baseUrl: options.apiUrl,
    userAgent: USER_AGENT,
    log: { debug: log.debug, info: log.debug, warn: log.warning, error: log.warning },
    request: { fetch: proxyAwareFetch(options.apiUrl) },
    throttle: {
      onRateLimit: (retryAfter, request, _octokit, retryCount) => {
        // Waiting for the hourly limit to reset would hold the job for up to an hour: retry once, briefly.
        const wait = retryAfter <= 60 && retryCount < 1;
        log.warning(`GitHub's rate limit for github-token is used up (${request.method} ${request.url}); ${wait ? `retrying in ${retryAfter}s` : `it resets in ${retryAfter}s`}.`);
        return wait;
      },
      onSecondaryRateLimit: (retryAfter, request, _octokit, retryCount) => {
        const wait = retryCount < 3;
        log.warning(`GitHub's secondary rate limit slowed ${request.method} ${request.url}; ${wait ? `retrying in ${retryAfter}s` : 'giving up'}.`);
        return wait;
      },
    },
  });
}

/**
 * `fetch` through the runner's proxy settings (`https_proxy`, `http_proxy`, `no_proxy`), decided by
 * `@actions/http-client` for the API's host as `@actions/github` does, with a deadline: Node's fetch
 * has none, and a stalled answer would hold the job until the runner's timeout. The timeout surfaces
 * as a network error, which the retry plugin retries (PUTs of a secret are idempotent).
 */
function proxyAwareFetch(apiUrl: string): typeof fetch {
  const dispatcher = new HttpClient(USER_AGENT).getAgentDispatcher(apiUrl);
  return ((input: string | URL | Request, init?: RequestInit) => {
    const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    return undiciFetch(input as string, { ...(init as object), signal, ...(dispatcher ? { dispatcher } : {}) });
  }) as unknown as typeof fetch;
}
