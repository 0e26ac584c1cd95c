import { request, type Dispatcher } from 'undici';
import { REQUEST_TIMEOUT_MS, urlForMessages } from '../net/failures.ts';
import { unansweredAfterRetries } from '../net/retrying-dispatcher.ts';
import { USER_AGENT } from '../util/version.ts';

/** Whose CI/CD variables: a project's or a group's. */
export type GitLabOwnerKind = 'project' | 'group';

export interface GitLabVariableWrite {
  /** The API's root, such as `https://gitlab.com/api/v4` (a job's `CI_API_V4_URL`). */
  apiUrl: string;
  /** A personal, project or group access token with the `api` scope. */
  token: string;
  /** The name of the environment variable the token came from, for messages. */
  tokenSource: string;
  /** A project (numeric id or `group/sub/project` path) or a group (id or path). */
  owner: { kind: GitLabOwnerKind; id: string };
  key: string;
  value: string;
  /** Undefined: a new variable is unprotected (GitLab's default), an existing one keeps its setting. */
  protected?: boolean;
  /** `*` for every environment. */
  environmentScope: string;
  /** Whether the value is a secret, to be masked in job logs where GitLab allows it. */
  sensitive: boolean;
}

/*
 * GitLab's REST API as the variable sink (variables.ts) speaks it: one request and its answer, and
 * GitLab's refusals in words that say what to change. Neither the value nor the token is ever in a
 * message.
 */

export interface Context {
  input: GitLabVariableWrite;
  origin: string;
}

export interface Answer {
  method: string;
  status: number;
  body: unknown;
  location?: string;
}

/** The advice for a token GitLab refuses, once, for every message that needs it. */
export function tokenAdvice(kind: GitLabOwnerKind, tokenSource: string): string {
  const role = kind === 'project' ? 'the Maintainer role on the project' : 'the Owner role on the group';
  return `Use a personal, project or group access token with the api scope and ${role}, in ${tokenSource}.`;
}

export function apiRoot(apiUrl: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(apiUrl);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:'))
    throw new Error(
      `the GitLab API URL "${urlForMessages(apiUrl)}" is not an http(s) URL: use the API's root, such as https://gitlab.com/api/v4 (a job's CI_API_V4_URL).`,
    );
  if (url.username || url.password || url.search)
    throw new Error(
      `the GitLab API URL "${urlForMessages(apiUrl)}" carries a user, password or query: give the token in its own variable and the URL alone.`,
    );
  return url;
}

export async function send(
  dispatcher: Dispatcher,
  { input, origin }: Context,
  method: 'GET' | 'PUT' | 'POST' | 'DELETE',
  path: string,
  body?: Record<string, unknown>,
): Promise<Answer> {
  const url = `${origin}${path}`;
  let answer: Awaited<ReturnType<typeof request>>;
  try {
    answer = await request(url, {
      dispatcher,
      method,
      headers: {
        'private-token': input.token,
        accept: 'application/json',
        'user-agent': USER_AGENT,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
      headersTimeout: REQUEST_TIMEOUT_MS,
      bodyTimeout: REQUEST_TIMEOUT_MS,
    });
  } catch (error) {
    throw new Error(scrub(unansweredMessage(new URL(url).host, url, error), input), { cause: error });
  }
  const text = await answer.body.text().catch(() => '');
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON (a proxy's or load balancer's page): kept as text, for the status line only.
  }
  const location = answer.headers['location'];
  return {
    method,
    status: answer.statusCode,
    body: parsed,
    ...(typeof location === 'string' ? { location } : {}),
  };
}

/** GitLab's API errors are `{"message": "404 Variable Not Found"}` (not_found!), or `{"message": {"field": [...]}}` for a refused record. */
export function messageOf(body: unknown): unknown {
  return typeof body === 'object' && body !== null ? (body as { message?: unknown }).message : undefined;
}

/** `404 Variable Not Found` (project), `404 GroupVariable Not Found` (group): no variable with that key and scope. */
export function isVariableNotFound(body: unknown): boolean {
  const message = messageOf(body);
  return typeof message === 'string' && /^404 (Group)?Variable Not Found$/.test(message);
}

/** A 400 whose record errors name the value: `{"message":{"value":["is invalid"]}}`, GitLab's answer to a value it cannot mask. */
export function valueRefused(body: unknown): boolean {
  const message = messageOf(body);
  return typeof message === 'object' && message !== null && 'value' in message;
}

/** A 400 whose record errors say the key is taken for that scope: `{"message":{"key":["(KEY) has already been taken"]}}`. */
export function keyTaken(body: unknown): boolean {
  const message = messageOf(body);
  const key = typeof message === 'object' && message !== null ? (message as { key?: unknown }).key : undefined;
  return (
    Array.isArray(key) &&
    key.some((problem) => typeof problem === 'string' && problem.includes('has already been taken'))
  );
}

/** A request that got no answer: a network failure, a timeout, or 429/5xx on every attempt. */
export function unansweredMessage(host: string, url: string, error: unknown): string {
  return unansweredAfterRetries(host, url, error, {
    answered: (status, attempts) => {
      // Returned here, so the troubleshooting check reads it as this function's message.
      return `GitLab at ${host} answered ${status} (${attempts}); GitLab may be busy or having trouble: run again later.`;
    },
    settings: "the GitLab API URL (--gitlab-api-url, or the job's CI_API_V4_URL)",
  });
}

/** What GitLab's refusal means for the user, in words that say what to change. */
export function gitlabFailureMessage(answer: Answer, { input }: Context): string {
  const { owner, key, tokenSource } = input;
  const holder = `GitLab ${owner.kind} ${owner.id}`;
  const message = messageOf(answer.body);
  const said = typeof message === 'string' ? message : undefined;
  const error = typeof answer.body === 'object' && answer.body !== null ? (answer.body as Record<string, unknown>) : {};
  const advice = tokenAdvice(owner.kind, tokenSource);
  if (answer.status >= 300 && answer.status < 400) {
    return `GitLab answered ${answer.method} with a redirect (${answer.status}${answer.location ? ` to ${urlForMessages(answer.location)}` : ''}): not followed, as it would carry the token. Use the API's own URL, such as https://gitlab.com/api/v4.`;
  }
  if (answer.status === 401) {
    // `{"message":"401 Unauthorized"}` for an unknown token; `{"error":"invalid_token","error_description":...}` for an expired or revoked one.
    const why =
      typeof error['error_description'] === 'string' ? error['error_description'] : (said ?? '401 Unauthorized');
    return `GitLab refused the token in ${tokenSource} (${why}): it is unknown, expired or revoked. ${advice}`;
  }
  if (answer.status === 403 && error['error'] === 'insufficient_scope') {
    return `the token in ${tokenSource} lacks the api scope that writing a CI/CD variable needs (read_api is not enough). ${advice}`;
  }
  if (answer.status === 403) {
    return `the token in ${tokenSource} may not change the CI/CD variables of ${holder} (${said ?? '403 Forbidden'}). ${advice}`;
  }
  if (answer.status === 404) {
    const flag = owner.kind === 'project' ? '--gitlab-project' : '--gitlab-group';
    return `${holder} was not found, or the token in ${tokenSource} cannot see it (${said ?? '404 Not Found'}). Check ${flag} (a numeric id or the full path, such as group/sub/project) and the token's membership.`;
  }
  if (answer.status === 400 && typeof message === 'object' && message !== null) {
    const fields = Object.entries(message as Record<string, unknown>)
      .map(([field, problems]) => `${field} ${Array.isArray(problems) ? problems.join(', ') : String(problems)}`)
      .join('; ');
    return `GitLab refused variable ${key} of ${holder}: ${fields}.`;
  }
  const detail = said ?? (typeof answer.body === 'string' && answer.body.length < 200 ? answer.body.trim() : '');
  return `GitLab answered ${answer.method} on variable ${key} of ${holder} with ${answer.status}${detail ? ` (${detail})` : ''}.`;
}

/** Neither the value nor the token is ever in a message, whatever GitLab or a proxy put in its answer. */
export function scrub(text: string, { value, token }: GitLabVariableWrite): string {
  let clean = text;
  for (const secret of [value, token]) if (secret.length >= 4) clean = clean.split(secret).join('***');
  return clean;
}
