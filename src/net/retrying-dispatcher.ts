import { HttpClient } from '@actions/http-client';
import { Agent, RetryAgent, type Dispatcher } from 'undici';
import { USER_AGENT } from '../util/version.ts';

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
