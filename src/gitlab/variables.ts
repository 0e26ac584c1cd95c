import { isVariableName } from '../config/checks.ts';
import { request, type Dispatcher } from 'undici';
import { errorMessage } from '../errors.ts';
import { networkFailure, REQUEST_TIMEOUT_MS, unreachableMessage, urlForMessages } from '../network.ts';
import { MAX_RETRIES, retryingDispatcher, TRANSIENT_ERROR_CODES } from '../retrying-dispatcher.ts';
import { USER_AGENT } from '../version.ts';

/*
 * One GitLab CI/CD variable, created or updated through GitLab's REST API (docs: "Project-level CI/CD
 * variables API", "Group-level Variables API").
 *
 * Plain requests rather than `@gitbeaker/rest`: bundled with ncc (minified) a file that updates one
 * variable through gitbeaker weighs 287 KB (every resource of `@gitbeaker/core`, `qs`,
 * `rate-limiter-flexible`), plain requests a few hundred bytes, for the two routes needed here; and
 * gitbeaker's own retry (429 and 502 only, ten times, Retry-After ignored) and its global `fetch` are
 * not what the rest of the project does. So it sends undici requests as the OIDC token request does
 * (`retrying-dispatcher.ts`): through the runner's proxy as `@actions/http-client` decides it
 * (`https_proxy`, `http_proxy`, `no_proxy`), a deadline per attempt, and undici's RetryAgent for 429,
 * 5xx, timeouts and dropped connections (three retries, as for AWS and GitHub).
 */

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

export interface GitLabVariableResult {
  status: 'created' | 'updated';
  /** Whether GitLab masks the value in job logs. */
  masked: boolean;
  /** What the user should know: why a secret is not masked, or a setting GitLab did not keep. */
  note?: string;
}

/** The advice for a token GitLab refuses, once, for every message that needs it. */
function tokenAdvice(kind: GitLabOwnerKind, tokenSource: string): string {
  const role = kind === 'project' ? 'the Maintainer role on the project' : 'the Owner role on the group';
  return `Use a personal, project or group access token with the api scope and ${role}, in ${tokenSource}.`;
}

/**
 * Why GitLab would refuse to mask `value`, or undefined when it masks it. The variable is written with
 * `raw: true` (a credential is taken literally, never expanded), and GitLab's rule for a masked raw
 * value (Ci::Maskable::MASK_AND_RAW_REGEX, `\A\S{8,}\z`; docs "Mask a CI/CD variable") is: one line,
 * no spaces, at least 8 characters. A docker config JSON written on one line without spaces passes
 * it; GitLab versions before that rule accept only the Base64 alphabet and `@ : . ~` (REGEX), which
 * `writeGitLabVariable` learns from GitLab's refusal.
 */
export function maskProblem(value: string): string | undefined {
  if (value.length < 8) return 'GitLab masks only values of 8 characters or more';
  if (/\s/.test(value)) return 'GitLab masks only values on one line without spaces';
  return undefined;
}

/**
 * Creates or updates the variable `key` of a project or group for `environmentScope`: a PUT with
 * `filter[environment_scope]` (for a project GitLab answers 404 "Variable Not Found" when there is
 * none with that key and scope; for a group a GET asks first), then a POST to create it. Masked where
 * GitLab allows it, with the reason in `note` where it does not. Throws an Error that says what to do;
 * neither the value nor the token is ever in a message.
 */
export async function writeGitLabVariable(input: GitLabVariableWrite): Promise<GitLabVariableResult> {
  const { owner, key, value, environmentScope, tokenSource } = input;
  const api = apiRoot(input.apiUrl);
  if (!isVariableName(key))
    throw new Error(
      `the GitLab variable name "${key}" is not one GitLab accepts: use letters, digits and _ only (at most 255).`,
    );
  if (!owner.id.trim())
    throw new Error(`no GitLab ${owner.kind} is named: give its numeric id or its full path, such as group/project.`);
  if (!environmentScope.trim())
    throw new Error(`the environment scope of GitLab variable ${key} is empty: use * for every environment.`);
  if (!input.token.trim() || /\s/.test(input.token))
    throw new Error(
      `${tokenSource} is empty or holds spaces or line breaks, not a GitLab token. ${tokenAdvice(owner.kind, tokenSource)}`,
    );

  const unmaskable = input.sensitive ? maskProblem(value) : undefined;
  const ownerPath = `${api.pathname.replace(/\/$/, '')}/${owner.kind}s/${encodeURIComponent(owner.id)}/variables`;
  const context: Context = { input, origin: api.origin };
  // POST is not repeated: a create whose answer was lost would be refused as "has already been taken".
  const dispatcher = retryingDispatcher(api.href, ['GET', 'PUT']);
  try {
    const write = async (masked: boolean) => {
      // An update sends only what this write decides: the variable's type (env_var or file), and its
      // protection unless --gitlab-protected says otherwise, stay as their owner set them.
      const update = {
        value,
        masked,
        raw: true,
        environment_scope: environmentScope,
        ...(input.protected === undefined ? {} : { protected: input.protected }),
      };
      const create = { ...update, protected: input.protected ?? false, variable_type: 'env_var' };
      const filter = new URLSearchParams({ 'filter[environment_scope]': environmentScope });
      const variablePath = `${ownerPath}/${encodeURIComponent(key)}?${filter}`;
      // A group's PUT whose filter matches nothing updates the first variable of that key whatever its
      // scope, and moves it to this one (lib/api/group_variables.rb hands Ci::ChangeVariableService no
      // variable, which then finds one by key alone): so a group's variable is looked up first. A
      // project's PUT answers 404 instead (lib/api/ci/variables.rb), which saves the look-up.
      let exists = true;
      if (owner.kind === 'group') {
        const found = await send(dispatcher, context, 'GET', variablePath);
        if (found.status === 404 && isVariableNotFound(found.body)) exists = false;
        else if (found.status !== 200) return { failed: found };
      }
      if (exists) {
        const updated = await send(dispatcher, context, 'PUT', variablePath, update);
        if (updated.status === 200) return { status: 'updated' as const, stored: updated.body };
        if (updated.status !== 404 || !isVariableNotFound(updated.body)) return { failed: updated };
      }
      const created = await send(dispatcher, context, 'POST', ownerPath, { key, ...create });
      if (created.status === 201) return { status: 'created' as const, stored: created.body };
      return { failed: created };
    };

    let masked = input.sensitive && !unmaskable;
    let note = input.sensitive && unmaskable ? `not masked: ${unmaskable}` : undefined;
    let outcome = await write(masked);
    if ('failed' in outcome && masked && outcome.failed.status === 400 && valueRefused(outcome.failed.body)) {
      // A GitLab older than the rule for masked raw values masks only Base64 and `@ : . ~`: keep the
      // value, unmasked, and say so rather than fail a write that can succeed.
      masked = false;
      note = olderMaskRuleMessage();
      outcome = await write(false);
    }
    if ('failed' in outcome) throw new Error(scrub(gitlabFailureMessage(outcome.failed, context), input));
    const scopeKept = storedScope(outcome.stored);
    if (scopeKept !== undefined && scopeKept !== environmentScope) {
      note = [note, scopeDroppedMessage(scopeKept, environmentScope)].filter(Boolean).join('; ');
    }
    return { status: outcome.status, masked, ...(note ? { note } : {}) };
  } finally {
    // Idle keep-alive sockets would hold the process open after the run.
    await dispatcher.close();
  }
}

/** The note for a GitLab from before the rule for masked raw values. */
function olderMaskRuleMessage(): string {
  return 'not masked: this GitLab masks only values of the Base64 alphabet and @ : . ~ (newer versions also mask other values without spaces)';
}

/** The note for a group variable whose environment scope GitLab dropped (group scopes are a Premium feature). */
function scopeDroppedMessage(kept: string, wanted: string): string {
  return `GitLab stored it for environment scope "${kept}", not "${wanted}" (group variables take an environment scope on GitLab Premium and Ultimate only)`;
}

interface Context {
  input: GitLabVariableWrite;
  origin: string;
}

interface Answer {
  method: string;
  status: number;
  body: unknown;
  location?: string;
}

function apiRoot(apiUrl: string): URL {
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

async function send(
  dispatcher: Dispatcher,
  { input, origin }: Context,
  method: 'GET' | 'PUT' | 'POST',
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
function messageOf(body: unknown): unknown {
  return typeof body === 'object' && body !== null ? (body as { message?: unknown }).message : undefined;
}

/** `404 Variable Not Found` (project), `404 GroupVariable Not Found` (group): no variable with that key and scope. */
function isVariableNotFound(body: unknown): boolean {
  const message = messageOf(body);
  return typeof message === 'string' && /^404 (Group)?Variable Not Found$/.test(message);
}

/** A 400 whose record errors name the value: `{"message":{"value":["is invalid"]}}`, GitLab's answer to a value it cannot mask. */
function valueRefused(body: unknown): boolean {
  const message = messageOf(body);
  return typeof message === 'object' && message !== null && 'value' in message;
}

function storedScope(body: unknown): string | undefined {
  const scope =
    typeof body === 'object' && body !== null ? (body as { environment_scope?: unknown }).environment_scope : undefined;
  return typeof scope === 'string' ? scope : undefined;
}

/** A request that got no answer: a network failure, a timeout, or 429/5xx on every attempt. */
function unansweredMessage(host: string, url: string, error: unknown): string {
  const { code, statusCode } = (error ?? {}) as { code?: string; statusCode?: number };
  const attempts = `${MAX_RETRIES + 1} attempts`;
  if (code === 'UND_ERR_REQ_RETRY' && statusCode)
    return `GitLab at ${host} answered ${statusCode} (${attempts}); GitLab may be busy or having trouble: run again later.`;
  const failure = networkFailure(error, REQUEST_TIMEOUT_MS) ?? { kind: 'unreachable', words: errorMessage(error) };
  const tried = code && TRANSIENT_ERROR_CODES.includes(code) ? ` (${attempts})` : '';
  return unreachableMessage(
    host,
    { ...failure, words: `${failure.words}${tried}` },
    { url, settings: "the GitLab API URL (--gitlab-api-url, or the job's CI_API_V4_URL)" },
  );
}

/** What GitLab's refusal means for the user, in words that say what to change. */
function gitlabFailureMessage(answer: Answer, { input }: Context): string {
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
function scrub(text: string, { value, token }: GitLabVariableWrite): string {
  let clean = text;
  for (const secret of [value, token]) if (secret.length >= 4) clean = clean.split(secret).join('***');
  return clean;
}
