import { isVariableName } from './variable-name.ts';
import { errorMessage } from '../util/errors.ts';
import { retryingDispatcher } from '../net/retrying-dispatcher.ts';
import {
  apiRoot,
  gitlabFailureMessage,
  isVariableNotFound,
  keyTaken,
  scrub,
  send,
  tokenAdvice,
  valueRefused,
  type Answer,
  type Context,
  type GitLabVariableWrite,
} from './api.ts';

/*
 * One GitLab CI/CD variable, created or updated through GitLab's REST API (docs: "Project-level CI/CD
 * variables API", "Group-level Variables API"); the requests and GitLab's refusals are in api.ts.
 *
 * Plain requests rather than `@gitbeaker/rest`: bundled with ncc (minified) a file that updates one
 * variable through gitbeaker weighs 287 KB (every resource of `@gitbeaker/core`, `qs`,
 * `rate-limiter-flexible`), plain requests a few hundred bytes, for the routes needed here; and
 * gitbeaker's own retry (429 and 502 only, ten times, Retry-After ignored) and its global `fetch` are
 * not what the rest of the project does. So it sends undici requests as the OIDC token request does
 * (`retrying-dispatcher.ts`): through the runner's proxy as `@actions/http-client` decides it
 * (`https_proxy`, `http_proxy`, `no_proxy`), a deadline per attempt, and undici's RetryAgent for 429,
 * 5xx, timeouts and dropped connections (three retries, as for AWS and GitHub).
 */

export type { GitLabOwnerKind, GitLabVariableWrite } from './api.ts';

export interface GitLabVariableResult {
  status: 'created' | 'updated';
  /** Whether GitLab masks the value in job logs. */
  masked: boolean;
  /** What the user should know: why a secret is not masked. */
  note?: string;
}

/**
 * GitLab's limit for a CI/CD variable's value (docs "GitLab CI/CD variables", "Define a CI/CD variable
 * in the UI": "The value is limited to 10,000 characters"). Whether the API itself refuses a longer one
 * is not visible in GitLab's source, so a longer value is never sent: a job may not receive it whole.
 */
export const GITLAB_VALUE_MAX_CHARS = 10_000;

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

/** What GitLab says it holds: Entities::Ci::Variable (a hidden variable's value is not shown). */
interface Stored {
  scope?: string;
  protected?: boolean;
  hidden: boolean;
}

type Outcome = { status: 'created' | 'updated'; stored: Stored } | { failed: Answer };

/**
 * Creates or updates the variable `key` of a project or group for `environmentScope`: a PUT with
 * `filter[environment_scope]` (for a project GitLab answers 404 "Variable Not Found" when there is
 * none with that key and scope; for a group, and before a write that would unmask, a GET asks first),
 * then a POST to create it. Masked where GitLab allows it, with the reason in `note` where it does not;
 * a hidden variable is never unmasked (GitLab refuses it). What GitLab stored is read back from its
 * answer: a scope or protection other than the one asked is never left in place (a variable just
 * created so is deleted again) and fails the write. Throws an Error that says what to do; neither the
 * value nor the token is ever in a message.
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
  if (value.length > GITLAB_VALUE_MAX_CHARS)
    throw new Error(
      `the value of GitLab variable ${key} is ${value.length} characters, and GitLab takes at most ${GITLAB_VALUE_MAX_CHARS}: write less into it (a docker config of fewer registries).`,
    );

  const unmaskable = input.sensitive ? maskProblem(value) : undefined;
  const ownerPath = `${api.pathname.replace(/\/$/, '')}/${owner.kind}s/${encodeURIComponent(owner.id)}/variables`;
  const context: Context = { input, origin: api.origin };
  // POST is not repeated: a create whose answer was lost would be refused as "has already been taken".
  const dispatcher = retryingDispatcher(api.href, ['GET', 'PUT', 'DELETE']);
  const variablePath = (scope: string) =>
    `${ownerPath}/${encodeURIComponent(key)}?${new URLSearchParams({ 'filter[environment_scope]': scope })}`;
  const request = (method: 'GET' | 'PUT' | 'POST' | 'DELETE', path: string, body?: Record<string, unknown>) =>
    send(dispatcher, context, method, path, body);
  const fail = (answer: Answer): never => {
    throw new Error(scrub(gitlabFailureMessage(answer, context), input));
  };
  /** The variable of `key` GitLab holds for `scope`: undefined when none. */
  const lookUp = async (scope: string): Promise<Stored | undefined> => {
    const found = await request('GET', variablePath(scope));
    if (found.status === 404 && isVariableNotFound(found.body)) return undefined;
    if (found.status !== 200) return fail(found);
    return storedOf(found.body);
  };
  try {
    let masked = input.sensitive && !unmaskable;
    let note = input.sensitive && unmaskable ? `not masked: ${unmaskable}` : undefined;

    // A group's PUT whose filter matches nothing updates the first variable of that key whatever its
    // scope, and moves it to this one (lib/api/group_variables.rb hands Ci::ChangeVariableService no
    // variable, which then finds one by key alone): so a group's variable is looked up first. A
    // project's PUT answers 404 instead (lib/api/ci/variables.rb), which saves the look-up, except
    // before a write that unmasks: GitLab refuses to change `masked` on a hidden variable.
    let current: Stored | undefined | 'unknown' = 'unknown';
    if (owner.kind === 'group' || !masked) current = await lookUp(environmentScope);
    if (current !== 'unknown' && current && current.scope !== undefined && current.scope !== environmentScope)
      throw new Error(scrub(filterIgnoredMessage(input, current.scope), input));
    if (current !== 'unknown' && current?.hidden && !masked)
      throw new Error(scrub(hiddenKeptMessage(input, unmaskable ?? 'the value is not a secret'), input));

    const write = async (mask: boolean): Promise<Outcome> => {
      // An update sends only what this write decides: the variable's type (env_var or file), and its
      // protection unless --gitlab-protected says otherwise, stay as their owner set them.
      const update = {
        value,
        masked: mask,
        raw: true,
        environment_scope: environmentScope,
        ...(input.protected === undefined ? {} : { protected: input.protected }),
      };
      if (current !== undefined) {
        const updated = await request('PUT', variablePath(environmentScope), update);
        if (updated.status === 200) return { status: 'updated', stored: storedOf(updated.body) };
        if (updated.status !== 404 || !isVariableNotFound(updated.body)) return { failed: updated };
      }
      const create = { key, ...update, protected: input.protected ?? false, variable_type: 'env_var' };
      const created = await request('POST', ownerPath, create);
      if (created.status === 201) return { status: 'created', stored: storedOf(created.body) };
      return { failed: created };
    };

    let outcome = await write(masked);
    if ('failed' in outcome && masked && outcome.failed.status === 400 && valueRefused(outcome.failed.body)) {
      // A GitLab older than the rule for masked raw values masks only Base64 and `@ : . ~`: keep the
      // value, unmasked, and say so rather than fail a write that can succeed; but never on a hidden
      // variable, whose `masked` GitLab refuses to change (Ci::HidableVariable: "Updating masked
      // attribute is not allowed on updates for hidden variables.").
      if (outcome.failed.method === 'PUT') {
        if (current === 'unknown') current = await lookUp(environmentScope);
        if (current?.hidden) throw new Error(scrub(hiddenKeptMessage(input, olderMaskRuleProblem()), input));
      }
      masked = false;
      note = `not masked: ${olderMaskRuleProblem()}`;
      outcome = await write(false);
    }
    if ('failed' in outcome) {
      const { failed } = outcome;
      // GitLab dropped the scope (a group on Free) and found the key taken under `*`: say what it holds.
      if (failed.method === 'POST' && failed.status === 400 && keyTaken(failed.body) && environmentScope !== '*') {
        const everywhere = await lookUp('*');
        if (everywhere && (everywhere.scope ?? '*') === '*')
          throw new Error(scrub(heldEverywhereMessage(input), input));
      }
      return fail(failed);
    }

    const asked = {
      scope: environmentScope,
      protected: outcome.status === 'created' ? (input.protected ?? false) : input.protected,
    };
    // A GitLab whose answer has no environment_scope (a group variable before scopes existed) stores it for every environment.
    const stored = { ...outcome.stored, scope: outcome.stored.scope ?? '*' };
    const wrongScope = stored.scope !== asked.scope;
    const wrongProtection = asked.protected !== undefined && stored.protected !== asked.protected;
    if (wrongScope || wrongProtection) {
      const otherwise = storedOtherwiseProblem(input, stored, asked.protected);
      if (outcome.status === 'updated') throw new Error(scrub(notLeftMessage(input, otherwise, 'updated'), input));
      // Never leave a credential where it was not asked to go: the variable just created is removed.
      let aftermath: string;
      try {
        const removed = await request('DELETE', variablePath(stored.scope));
        const gone =
          removed.status === 204 ||
          removed.status === 200 ||
          (removed.status === 404 && isVariableNotFound(removed.body));
        aftermath = gone ? 'removed' : `GitLab answered ${removed.status}`;
      } catch (error) {
        aftermath = errorMessage(error);
      }
      throw new Error(scrub(notLeftMessage(input, otherwise, aftermath, wrongScope), input));
    }
    return { status: outcome.status, masked, ...(note ? { note } : {}) };
  } finally {
    // Idle keep-alive sockets would hold the process open after the run.
    await dispatcher.close();
  }
}

function storedOf(body: unknown): Stored {
  const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const scope = fields['environment_scope'];
  const isProtected = fields['protected'];
  return {
    ...(typeof scope === 'string' ? { scope } : {}),
    ...(typeof isProtected === 'boolean' ? { protected: isProtected } : {}),
    hidden: fields['hidden'] === true,
  };
}

/** Why a GitLab from before the rule for masked raw values refused to mask the value. */
function olderMaskRuleProblem(): string {
  return 'this GitLab masks only values of the Base64 alphabet and @ : . ~ (newer versions also mask other values without spaces)';
}

function holderOf({ owner }: GitLabVariableWrite): string {
  return `GitLab ${owner.kind} ${owner.id}`;
}

/** A hidden variable whose value cannot be masked: GitLab refuses to unmask it, so nothing is changed. */
function hiddenKeptMessage(input: GitLabVariableWrite, why: string): string {
  return `variable ${input.key} of ${holderOf(input)} is hidden (masked and hidden), and GitLab refuses to unmask a hidden variable, which this value needs (${why}): it was kept as it was, hidden, masked and with its previous value. Delete it and run again, so that it is created unhidden, or use another variable (--gitlab-variable).`;
}

/** A group GET that answered a variable of another scope: a GitLab before 16.9 ignores the filter. */
function filterIgnoredMessage(input: GitLabVariableWrite, answered: string): string {
  return `GitLab answered the look-up of variable ${input.key} of ${holderOf(input)} for environment scope "${input.environmentScope}" with its variable for "${answered}": this GitLab (before 16.9) cannot look up a group variable by environment scope, and an update could change the wrong one. Nothing was changed. Use a project variable (--gitlab-project), or a variable name of its own for this scope (--gitlab-variable).`;
}

/** A create refused as taken, with a variable for every environment in place: the scope was dropped. */
function heldEverywhereMessage(input: GitLabVariableWrite): string {
  const why =
    input.owner.kind === 'group'
      ? ' (group variables take an environment scope on GitLab Premium and Ultimate only)'
      : ' (this GitLab keeps no environment scope for project variables)';
  return `${holderOf(input)} holds variable ${input.key} for every environment ("*"), and GitLab did not keep environment scope "${input.environmentScope}" for a new one beside it${why}. Nothing was changed. ${storedOtherwiseFix(input, true)}`;
}

/** What GitLab stored that was not asked: another scope, or another protection. */
function storedOtherwiseProblem(
  input: GitLabVariableWrite,
  stored: Stored & { scope: string },
  askedProtected: boolean | undefined,
): string {
  const parts = [
    ...(stored.scope !== input.environmentScope
      ? [`for environment scope "${stored.scope}", not "${input.environmentScope}"`]
      : []),
    ...(askedProtected !== undefined && stored.protected !== askedProtected
      ? [askedProtected ? 'unprotected, not protected' : 'protected, not unprotected']
      : []),
  ];
  return `GitLab stored variable ${input.key} of ${holderOf(input)} ${parts.join(' and ')}.`;
}

/** What became of a variable GitLab stored otherwise than asked: updated so, or removed again (or not). */
function notLeftMessage(
  input: GitLabVariableWrite,
  otherwise: string,
  /** `updated`, `removed`, or why the removal failed. */
  aftermath: string,
  wrongScope = false,
): string {
  const settings = `the ${input.owner.kind}'s Settings > CI/CD > Variables`;
  const fix = storedOtherwiseFix(input, wrongScope);
  return aftermath === 'updated'
    ? `${otherwise} The variable was updated so: check it in ${settings}.`
    : aftermath === 'removed'
      ? `${otherwise} It was removed again. ${fix}`
      : `${otherwise} Removing it again failed (${aftermath}): remove it by hand in ${settings}. ${fix}`;
}

function storedOtherwiseFix(input: GitLabVariableWrite, scope: boolean): string {
  if (!scope) return 'Check the protection the variable needs (--gitlab-protected or --no-gitlab-protected).';
  return input.owner.kind === 'group'
    ? `Group variables take an environment scope on GitLab Premium and Ultimate only: write a project variable instead (--gitlab-project), whose scopes every tier keeps, or use --gitlab-environment-scope '*' if every environment of the group's projects may receive it.`
    : 'Check the environment scope (--gitlab-environment-scope).';
}
