import { getProxyUrl } from '@actions/http-client/lib/proxy';

/** How long one request (GitHub, AWS, the OIDC token service) may take before it is dropped and, where allowed, retried. */
export const REQUEST_TIMEOUT_MS = 10_000;
/** How long opening a connection may take, within that. */
export const CONNECT_TIMEOUT_MS = 5_000;

/** Why a host could not be reached, as a kind (for the advice) and in words (for the message). */
export interface NetworkFailure {
  kind: 'refused' | 'dns' | 'tls' | 'timeout' | 'reset' | 'unreachable';
  words: string;
}

/** Node's (libuv's, OpenSSL's, undici's) error codes for a host that could not be reached. */
const BY_CODE: Record<string, (error: CodedError, timeoutMs?: number) => NetworkFailure> = {
  ECONNREFUSED: () => ({ kind: 'refused', words: 'connection refused' }),
  ENOTFOUND: () => ({ kind: 'dns', words: 'host not found (DNS)' }),
  EAI_AGAIN: () => ({ kind: 'dns', words: 'host not found (DNS lookup failed; it may be temporary)' }),
  ECONNRESET: () => ({ kind: 'reset', words: 'connection reset' }),
  EPIPE: () => ({ kind: 'reset', words: 'connection reset' }),
  UND_ERR_SOCKET: () => ({ kind: 'reset', words: 'connection closed before an answer' }),
  EHOSTUNREACH: () => ({ kind: 'unreachable', words: 'host unreachable' }),
  ENETUNREACH: () => ({ kind: 'unreachable', words: 'network unreachable' }),
  ENETDOWN: () => ({ kind: 'unreachable', words: 'network down' }),
  // src/net/proxy-agent.ts: the proxy answered CONNECT with something else than 200 (an ACL, 407, 502).
  ERR_PROXY_TUNNEL: (error) => ({
    kind: 'unreachable',
    words: typeof error.message === 'string' ? error.message : 'the proxy refused the tunnel (status unknown)',
  }),
  ETIMEDOUT: timedOut,
  UND_ERR_CONNECT_TIMEOUT: timedOut,
  UND_ERR_HEADERS_TIMEOUT: timedOut,
  UND_ERR_BODY_TIMEOUT: timedOut,
};

interface CodedError {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  cause?: unknown;
}

/**
 * The network or TLS failure behind an error, looking through its causes (fetch wraps the socket's
 * error in a TypeError "fetch failed", Octokit wraps that in a RequestError with status 500); or
 * undefined when the error is anything else, an answer from the service included. `timeoutMs` is the
 * deadline the caller set, for timeouts whose error does not say it.
 */
export function networkFailure(error: unknown, timeoutMs?: number): NetworkFailure | undefined {
  for (const link of causes(error)) {
    const failure = classify(link, timeoutMs);
    if (failure) return failure;
  }
  return undefined;
}

/**
 * An error and the errors behind it (`cause`), outermost first, five at most: Octokit's RequestError,
 * fetch's TypeError, then the socket's or the proxy's own error.
 */
export function* causes(error: unknown): Generator<CodedError & { statusCode?: unknown }> {
  for (let link = error, depth = 0; link && typeof link === 'object' && depth < 5; depth++) {
    yield link;
    link = (link as CodedError).cause;
  }
}

function classify(error: CodedError, timeoutMs: number | undefined): NetworkFailure | undefined {
  const code = typeof error.code === 'string' ? error.code : '';
  const message = typeof error.message === 'string' ? error.message : '';
  // Codes first: the AWS SDK renames a reset socket's error to TimeoutError to have it retried.
  const byCode = BY_CODE[code];
  if (byCode) return byCode(error, timeoutMs);
  if (
    /^(CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|ERR_TLS_CERT_ALTNAME_INVALID$|HOSTNAME_MISMATCH$)/.test(
      code,
    )
  ) {
    return { kind: 'tls', words: `TLS certificate problem (${firstClause(message) || code})` };
  }
  if (/^ERR_(SSL|TLS)_/.test(code) || /SSL routines/.test(message)) {
    const reason = opensslReason(message) || code;
    const hint = /wrong version number/.test(reason) ? '; the address may not speak HTTPS' : '';
    return { kind: 'tls', words: `TLS handshake failed (${reason}${hint})` };
  }
  // AbortSignal.timeout's DOMException, and the AWS SDK's own timeouts.
  if (error.name === 'TimeoutError') return timedOut(error, timeoutMs);
  return undefined;
}

function timedOut(error: CodedError, timeoutMs: number | undefined): NetworkFailure {
  const said = typeof error.message === 'string' ? /(\d+) ms/.exec(error.message)?.[1] : undefined;
  const ms = said === undefined ? timeoutMs : Number(said);
  return { kind: 'timeout', words: ms === undefined ? 'timed out' : `timed out after ${ms / 1000} s` };
}

/** "self-signed certificate; if the root CA is installed locally, try ..." -> "self-signed certificate". */
function firstClause(message: string): string {
  return message.split(';')[0]?.trim() ?? '';
}

/** OpenSSL's "...:error:0A00010B:SSL routines:<function>:<reason>:<file>:<line>:" -> "<reason>". */
function opensslReason(message: string): string {
  const parts = message.split(':');
  const at = parts.indexOf('SSL routines');
  return at >= 0 ? (parts[at + 2] ?? '').trim() : '';
}

/** A URL's `host` (name and port), never its user name or password; undefined when it is not a URL. */
export function hostOf(url: unknown): string | undefined {
  if (typeof url !== 'string') return undefined;
  try {
    return new URL(url).host || undefined;
  } catch {
    return undefined;
  }
}

/** Removes `user:password@` from every URL in a text: a message may quote a URL that carries credentials. */
export function withoutUrlCredentials(text: string): string {
  // Up to the last `@` before the path: a password may hold an `@` of its own.
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^/\s]*@/gi, '$1***@');
}

/**
 * A URL as an input's error message may quote it: scheme, host and path only. User info, query and
 * fragment are where a careless user pastes credentials (`?access_token=`), so they are never shown.
 */
export function urlForMessages(text: string): string {
  try {
    const url = new URL(text);
    return `${url.protocol}//${url.username || url.password ? '***@' : ''}${url.host}${url.pathname === '/' && !text.endsWith('/') ? '' : url.pathname}${url.search || url.hash ? '?…' : ''}`;
  } catch {
    // Not a URL, so no telling where its user info ends: hide all up to the last `@` (a password may hold `/` or `@`).
    const at = text.lastIndexOf('@');
    const scheme = /^[a-z][a-z0-9+.-]*:\/*/i.exec(text)?.[0] ?? '';
    return (at === -1 ? text : `${scheme}***@${text.slice(at + 1)}`).replace(/[?#].*$/s, '?…');
  }
}

/** The variables that name the runner's proxy, as `@actions/http-client` reads them (`no_proxy` only exempts). */
export const PROXY_VARIABLES = ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY'] as const;

/**
 * The passwords inside the runner's proxy URLs (`https_proxy=http://user:secret@proxy:3128`): the
 * runner does not mask them, and a library's error could quote the URL.
 */
export function proxyPasswords(env: NodeJS.ProcessEnv): string[] {
  return PROXY_VARIABLES.flatMap((name) => {
    try {
      const { password } = new URL(env[name] ?? '');
      return password ? [password, decodeURIComponent(password)] : [];
    } catch {
      return [];
    }
  });
}

/**
 * "could not reach <host>: <cause>. <what to check>", for GitHub, AWS and the OIDC token service alike.
 * When the runner's proxy applies to `url` (the rules `@actions/http-client` follows), the proxy is
 * named: a refused or unresolvable proxy is the proxy's doing, not the service's.
 */
export function unreachableMessage(
  host: string,
  failure: NetworkFailure,
  options: { url?: string; settings: string },
): string {
  const proxy = options.url ? proxyHostFor(options.url) : undefined;
  const where = proxy ? `${host} through the proxy ${proxy}` : host;
  return `could not reach ${where}: ${failure.words}. ${unreachableAdvice(failure, options.settings, proxy)}`;
}

function unreachableAdvice({ kind }: NetworkFailure, settings: string, proxy: string | undefined): string {
  switch (kind) {
    case 'tls':
      return `Check ${settings}; if ${proxy ? `the proxy ${proxy}` : 'a proxy or firewall on the way'} presents its own certificate, give its certificate authority to Node with NODE_EXTRA_CA_CERTS.`;
    case 'timeout':
    case 'reset':
      return `The request was retried. Check the runner's network${proxy ? ` and the proxy ${proxy}` : ' and proxy settings (https_proxy, no_proxy)'}, or run the job again.`;
    default:
      return proxy
        ? `Check that the proxy ${proxy} (https_proxy / http_proxy) is up and lets this runner through to ${settings}, or list the host in no_proxy.`
        : `Check ${settings}, and that this runner can reach that host, directly or through its proxy (https_proxy, no_proxy).`;
  }
}

/** `host:port` of the proxy a request to `url` goes through, or undefined when it goes direct. */
function proxyHostFor(url: string): string | undefined {
  try {
    return getProxyUrl(new URL(url))?.host || undefined;
  } catch {
    return undefined;
  }
}
