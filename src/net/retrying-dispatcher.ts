import { HttpClient } from '@actions/http-client';
import { Agent, RetryAgent, type Dispatcher } from 'undici';
import { errorMessage } from '../util/errors.ts';
import { USER_AGENT } from '../util/version.ts';
import { networkFailure, REQUEST_TIMEOUT_MS, unreachableMessage } from './failures.ts';

/** Retries after the first attempt, as for AWS (maxAttempts 4) and GitHub (the retry plugin's 3). */
export const MAX_RETRIES = 3;

/** Failures worth another attempt: undici's defaults, plus its own timeouts and dropped sockets. */
export const TRANSIENT_ERROR_CODES = [
  'ECONNRESET',
  'ECONNREFUSED',
  'ENOTFOUND',
  'ENETDOWN',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EHOSTUNREACH',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
];

/**
 * An undici dispatcher for plain requests (`undici.request`) to `url`'s host: through the runner's
 * `https_proxy` / `http_proxy` unless `no_proxy` (or a loopback host) says otherwise, as
 * `@actions/http-client` decides, and retried by undici's RetryAgent for 429, 5xx, timeouts and
 * network errors, `MAX_RETRIES` times, for the `methods` that are safe to repeat. Each request sets
 * its own deadline (`headersTimeout`, `bodyTimeout`), so each attempt has one. Close it when done:
 * idle keep-alive sockets would hold the process open.
 */
export function retryingDispatcher(url: string, methods: Dispatcher.HttpMethod[]): RetryAgent {
  return new RetryAgent(new HttpClient(USER_AGENT).getAgentDispatcher(url) ?? new Agent(), {
    maxRetries: MAX_RETRIES,
    methods,
    statusCodes: [429, 500, 502, 503, 504],
    errorCodes: TRANSIENT_ERROR_CODES,
  });
}

/**
 * What to tell the user of a request a retrying dispatcher gave up on: `answered(status, attempts)`
 * when the service kept answering 429 or 5xx, else the network failure in words (with the attempts
 * made when it was one worth retrying), naming `settings` as what to check.
 */
export function unansweredAfterRetries(
  host: string,
  url: string,
  error: unknown,
  { answered, settings }: { answered: (status: number, attempts: string) => string; settings: string },
): string {
  const { code, statusCode } = (error ?? {}) as { code?: string; statusCode?: number };
  const attempts = `${MAX_RETRIES + 1} attempts`;
  if (code === 'UND_ERR_REQ_RETRY' && statusCode) return answered(statusCode, attempts);
  const failure = networkFailure(error, REQUEST_TIMEOUT_MS) ?? { kind: 'unreachable', words: errorMessage(error) };
  const tried = code && TRANSIENT_ERROR_CODES.includes(code) ? ` (${attempts})` : '';
  return unreachableMessage(host, { ...failure, words: `${failure.words}${tried}` }, { url, settings });
}
