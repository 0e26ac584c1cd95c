/**
 * The rules more than one setting shares, written once: the API URL that a token travels to, a
 * token's characters, a CI variable's name. Each returns what is wrong (or nothing); the caller
 * names its own setting and fix, so that a rule and its wording stay apart.
 */

/** 127.0.0.0/8, localhost and [::1], as URL parsing normalises them. */
export function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/** What is wrong with an API base URL a token is sent to, first problem first. */
export type ApiUrlProblem = 'not a URL' | 'not http(s)' | 'credentials' | 'not https' | 'query or fragment';

/**
 * An API base URL a token travels to in a header: an http(s) URL, without `user:password@` (the token
 * authenticates; a password there would be printed and sent), https unless the host is loopback
 * (plain http anywhere else lets anyone on the way read the token), and without a query or fragment
 * (clients append paths to the base as text).
 */
export function checkApiUrl(text: string): { url: URL; problem?: undefined } | { url?: URL; problem: ApiUrlProblem } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { problem: 'not a URL' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { url, problem: 'not http(s)' };
  if (url.username || url.password) return { url, problem: 'credentials' };
  if (url.protocol !== 'https:' && !isLoopback(url.hostname)) return { url, problem: 'not https' };
  if (/[?#]/.test(text)) return { url, problem: 'query or fragment' };
  return { url };
}

/**
 * Whether a token holds a character no token of GitHub, GitLab or an OIDC issuer has: a space, a line
 * break or another control character (a value pasted with its neighbours, or two values in one). Such
 * a token could not be masked as one value either, so it is never quoted.
 */
export function tokenHasSpaces(token: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f\s]/.test(token);
}

export { isVariableName } from '../gitlab/variable-name.ts';

/** An environment variable's name as a shell sets it: letters, digits and `_`, not starting with a digit. */
export function isEnvironmentVariableName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
}
