import { PROXY_VARIABLES } from './failures.ts';

/*
 * The runner's settings that libraries read as URLs: the proxy variables (`@actions/http-client` reads
 * `https_proxy` or `HTTPS_PROXY`, `http_proxy` or `HTTP_PROXY`, and makes a URL of the value, with
 * `http://` put before it when it has no scheme) and GITHUB_API_URL (`@actions/github` builds its proxy
 * agent for it as its module loads). A value that is no URL makes `new URL` throw a TypeError whose
 * `input` is the whole value, password included, and Node prints it with the stack when nothing catches
 * it. So both front doors check these first, before `@actions/github` is loaded (src/github/client.ts
 * loads it on first use) and before any request, and fail with a message that never quotes a password.
 * NO_PROXY, GITHUB_SERVER_URL and GITHUB_GRAPHQL_URL are read as text only, never as URLs.
 */

/** What is wrong with the runner's proxy variables and GITHUB_API_URL, one message each; empty when nothing is. */
export function runnerEnvironmentProblems(env: NodeJS.ProcessEnv): string[] {
  const problems = PROXY_VARIABLES.flatMap((name) => {
    const value = env[name] ?? '';
    const wrong = value ? whatIsWrongWithProxy(value) : undefined;
    return wrong ? [proxyVariableMessage(name, value, wrong)] : [];
  });
  const apiUrl = env['GITHUB_API_URL'];
  if (apiUrl && !parses(apiUrl)) problems.push(apiUrlVariableMessage(apiUrl));
  return problems;
}

function proxyVariableMessage(name: string, value: string, wrong: string): string {
  return `could not use the proxy "${envUrlForMessages(value)}" (${name}): ${wrong}. Set ${name} to the proxy's URL, such as http://user:password@proxy.example.com:3128 (special characters in the user name and password percent-encoded), or unset it.`;
}

function apiUrlVariableMessage(value: string): string {
  return `GITHUB_API_URL "${envUrlForMessages(value)}" is not a URL. Set it to the GitHub REST API's base URL, such as https://api.github.com or https://ghe.example.com/api/v3, or unset it.`;
}

/** Why `@actions/http-client` could not use `value` as a proxy (or would use it as something else); undefined when it can. */
function whatIsWrongWithProxy(value: string): string | undefined {
  // As `@actions/http-client` reads it (lib/proxy.js): the value as a URL, else with http:// before it.
  const url = parses(value) ?? (/^https?:\/\//.test(value) ? undefined : parses(`http://${value}`));
  if (!url) return 'it is not a URL';
  if (url.protocol !== 'http:' && url.protocol !== 'https:' && !value.includes('://'))
    return 'it does not start with http:// or https:// (a value such as proxy.example.com:3128 reads as a URL of scheme proxy.example.com:)';
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return `it is a ${url.protocol} URL, and only http:// and https:// proxies are supported`;
  if (!url.hostname) return 'it names no host';
  try {
    // `@actions/http-client` decodes both as it reads the URL, and throws on a `%` that is no escape.
    decodeURIComponent(url.username);
    decodeURIComponent(url.password);
  } catch {
    return 'its user name or password holds a % that is not percent-encoding (write % as %25)';
  }
  return undefined;
}

function parses(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/**
 * A URL from the environment as a message may quote it, whether or not it parses: the user info (up to
 * the last `@`) replaced by `***`, as the input checks show it (net/failures.ts urlForMessages), since a
 * user name may be a token too (`http://<token>:x@proxy`); the query and fragment (`?access_token=`)
 * left out. Without an `@`, a value that looks like more than `host:port` is hidden after its scheme,
 * as a password may sit there (`http://user:secret`).
 */
export function envUrlForMessages(text: string): string {
  const shown = text.replace(/[?#].*$/s, '?…');
  const scheme = /^(?:[a-z][a-z0-9+.-]*)?:?\/\//i.exec(shown)?.[0] ?? '';
  const rest = shown.slice(scheme.length);
  const at = rest.lastIndexOf('@');
  if (at === -1) return /^[^:/]*(?::\d*)?(?:\/[^:@]*)?(?:\?…)?$/.test(rest) ? shown : `${scheme}***`;
  return `${scheme}***${rest.slice(at)}`;
}
