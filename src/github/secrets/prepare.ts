import { RequestError } from '@octokit/request-error';
import type { SecretResult, SecretStatus } from '../../run/results.ts';
import { errorMessage } from '../../util/errors.ts';
import { publicKeyProblem } from './seal.ts';
import type { GitHub } from '../client.ts';
import { describeGitHubError, type TokenSource } from '../errors.ts';
import { ensureEnvironment, type EnvironmentCreation } from '../targets/environments.ts';
import type { PublicKey } from './put.ts';
import type { SecretSettings, Target } from '../targets/kinds.ts';

/*
 * A GitHub target's reads before any password exists: its stored secrets (max-age: the `updated_at`
 * of each; the username: whether it is stored), its public key, and the settings each write would
 * send (an organisation secret's visibility). What is due, and what is already known, comes out;
 * write.ts then seals and writes it.
 */

export interface PrepareOptions {
  /** Skip a secret whose stored `updated_at` is younger than this. */
  maxAgeMs?: number;
  now: Date;
  /** Names whose value never changes (the username `AWS`): written only where the target does not hold them yet. */
  unchanging?: readonly string[];
  /** What GitHub's refusals call the token (Config's `github.tokenSource`). */
  tokenSource: TokenSource;
  /** Called as soon as some secret of the target that needs a password is known to be due (perhaps more than once): the AWS side may start then. */
  onDue?: () => void;
  /**
   * Plan only: read every target's public key whatever is due (it proves read access), and never
   * create a missing environment: say it would be created.
   */
  dryRun?: boolean;
}

/** One secret due for a write, with what its PUT carries beyond the sealed value. */
export interface DueSecret {
  name: string;
  settings: SecretSettings;
}

/** A target after every GitHub read that needs no password: what is due, the key to seal it with, and what is already known. */
export interface PreparedTarget {
  target: Target;
  /** Empty when nothing is due or a read failed. */
  due: DueSecret[];
  /** Set whenever something is due: read (and checked) before any password exists. */
  key?: PublicKey;
  /** Results already known: skipped (max-age, or an unchanging secret already stored), or failed reads. */
  results: SecretResult[];
  /**
   * Secrets that keep their value (fresh by max-age, or unchanging and stored) but whose selected
   * repositories differ from the inputs: their list alone is set, without a password or key. `kept`
   * says why the value is kept.
   */
  repositoriesOnly?: (DueSecret & { kept: string })[];
  /** Set when the environment was missing: created while preparing, or in a dry run to be created (then there is no key). */
  environmentCreation?: EnvironmentCreation;
}

/** Whether a prepared target has something to write and the key to seal it with. */
export function isReadyToWrite(prepared: PreparedTarget): boolean {
  return (prepared.key !== undefined && prepared.due.length > 0) || (prepared.repositoriesOnly?.length ?? 0) > 0;
}

/**
 * One target's GitHub reads that need nothing from AWS (never rejects: a failed read is a failed
 * result): the list of stored secrets (with max-age, or to learn whether an unchanging secret is
 * there already), each secret's settings (an organisation secret's visibility, selected repository
 * ids), and the public key when something is due. A token GitHub refuses, a missing target or a
 * malformed key thus fails before any password is minted. The engine asks ECR once one target is
 * ready to write, and writes each target as soon as it is (src/github/sink.ts, src/run/engine.ts).
 */
export async function prepareTarget(
  github: GitHub,
  target: Target,
  names: readonly string[],
  { maxAgeMs, now, unchanging = [], onDue, dryRun = false, tokenSource }: PrepareOptions,
): Promise<PreparedTarget> {
  const fail = (items: readonly string[], detail: string) =>
    items.map((name) => result(target, name, 'failed', detail));
  // Known before any request (an archived repository): nothing of it is read or written.
  if (target.skipped !== undefined) {
    const reason = target.skipped;
    return { target, due: [], results: names.map((name) => result(target, name, 'skipped', reason)) };
  }
  const isUnchanging = (name: string) => unchanging.includes(name);
  /** Why a secret need not be written, from the list (stored names and their `updated_at`), or undefined. */
  const skipReason = (name: string, stored: ReadonlyMap<string, Date>): string | undefined => {
    const updatedAt = stored.get(name.toUpperCase());
    if (updatedAt === undefined) return undefined;
    // The list tells names and dates, never values: a stored username secret is taken to hold `AWS`.
    if (isUnchanging(name))
      return `already stored (updated ${updatedAt.toISOString()}); its value never changes, so it is written only when missing`;
    if (maxAgeMs !== undefined && now.getTime() - updatedAt.getTime() < maxAgeMs)
      return `updated ${updatedAt.toISOString()}, younger than max-age`;
    return undefined;
  };

  // An environment that may be missing is looked into once, after the first 404 from its routes.
  let environmentCreation: EnvironmentCreation | undefined;
  let ensuring: Promise<EnvironmentCreation | undefined> | undefined;
  /** `read`; after a 404 that means a missing environment, `read` again once it is created, or (dry run) `absent`. */
  const throughEnvironment = async <T>(read: () => Promise<T>, absent: () => T): Promise<T> => {
    try {
      return await read();
    } catch (error) {
      if (!target.missing || !(error instanceof RequestError) || error.status !== 404) throw error;
      ensuring ??= ensureEnvironment(github, target.missing, { dryRun, tokenSource });
      const outcome = await ensuring;
      if (outcome === undefined) throw error;
      environmentCreation = outcome;
      return outcome === 'created' ? read() : absent();
    }
  };
  const readKey = () =>
    throughEnvironment<PublicKey | undefined>(
      () => readPublicKey(github, target),
      () => undefined,
    );

  // With max-age the list comes first: it decides whether anything, the key included, is needed.
  // Without it, the list only tells whether an unchanging secret is there, and runs beside the key.
  // Asked only to spare the username a write, it gets no retries: a failure costs the saving, never the writes' time.
  // An environment still to be created holds no secret.
  const listing =
    maxAgeMs !== undefined || names.some(isUnchanging)
      ? throughEnvironment(
          () => listUpdatedAt(github, target, { retry: maxAgeMs !== undefined }),
          () => new Map<string, Date>(),
        )
      : undefined;
  let stored: ReadonlyMap<string, Date> | undefined;
  if (maxAgeMs !== undefined) {
    try {
      stored = await listing;
    } catch (error) {
      return { target, due: [], results: fail(names, explain(target, error, 'list the secrets of', tokenSource)) };
    }
  }

  // The key is read beside the settings (and the list) as soon as some secret is due whatever they say.
  // A dry run reads every key: reading it is the proof that the token can reach the target.
  const certainlyDue =
    dryRun || names.some((name) => (stored ? skipReason(name, stored) === undefined : !isUnchanging(name)));
  if (names.some((name) => !isUnchanging(name) && (stored ? skipReason(name, stored) === undefined : true))) onDue?.();
  const early = certainlyDue ? readKey() : undefined;
  const [keyRead, settingsRead, listRead] = await Promise.allSettled([
    early,
    target.settings(github, names, tokenSource),
    stored ?? listing,
  ]);
  // Without max-age a failed list costs only the saving: the unchanging secrets are written as if missing.
  if (!stored && listRead.status === 'fulfilled') stored = listRead.value;
  // When both fail, the key's failure says more: it concerns the token and the target as a whole.
  const keyFailure =
    keyRead.status === 'rejected'
      ? explain(target, keyRead.reason, 'read the secrets public key of', tokenSource)
      : undefined;
  if (settingsRead.status === 'rejected')
    return { target, due: [], results: fail(names, keyFailure ?? errorMessage(settingsRead.reason)) };

  const results: SecretResult[] = [];
  const due: DueSecret[] = [];
  const repositoriesOnly: (DueSecret & { kept: string })[] = [];
  for (const name of names) {
    const settings = settingsRead.value.get(name) as SecretSettings;
    if (settings.refusal !== undefined) {
      results.push(result(target, name, 'failed', settings.refusal));
      continue;
    }
    const skip = stored ? skipReason(name, stored) : undefined;
    // A secret whose visibility differs from the inputs is due all the same; one whose selected
    // repositories alone differ gets its list set, and keeps its value.
    if (skip !== undefined && settings.repositoriesDiffer && !settings.differs)
      repositoriesOnly.push({ name, settings, kept: skip });
    else if (skip !== undefined && !settings.differs) results.push(result(target, name, 'skipped', skip));
    else due.push({ name, settings });
  }
  const listsOnly = repositoriesOnly.length > 0 ? { repositoriesOnly } : {};
  if (due.length === 0) {
    // Nothing to write, but a dry run vouches for read access: a key it could not read fails the plan.
    if (dryRun && keyFailure)
      return {
        target,
        due,
        results: [
          ...results.map((skipped) => ({ ...skipped, status: 'failed' as const, detail: keyFailure })),
          ...repositoriesOnly.map(({ name }) => result(target, name, 'failed', keyFailure)),
        ],
      };
    return { target, due, results, ...listsOnly, ...(environmentCreation ? { environmentCreation } : {}) };
  }
  if (due.some(({ name }) => !isUnchanging(name))) onDue?.();
  // Without a key nothing due can be written: each fails with the key's reason, beside what is known.
  const keyless = (detail: string): PreparedTarget => ({
    target,
    due: [],
    ...listsOnly,
    results: [
      ...results,
      ...fail(
        due.map(({ name }) => name),
        detail,
      ),
    ],
  });
  if (keyFailure) return keyless(keyFailure);
  try {
    // Read early, the key stands (none when a dry run's environment is still to be created); else it is read now.
    const key = keyRead.status === 'fulfilled' && early ? keyRead.value : await readKey();
    // A dry run's environment still to be created has no key yet: its due secrets are planned without one.
    if (!key) return { target, due, results, ...listsOnly, ...(environmentCreation ? { environmentCreation } : {}) };
    return { target, due, key, results, ...listsOnly, ...(environmentCreation ? { environmentCreation } : {}) };
  } catch (error) {
    return keyless(explain(target, error, 'read the secrets public key of', tokenSource));
  }
}

export function result(
  target: Target,
  secret: string,
  status: SecretStatus,
  detail?: string,
  takesEffect = target.takesEffect,
): SecretResult {
  return { target: target.label, secret, status, takesEffect, ...(detail ? { detail } : {}) };
}

/** A RequestError explained for the user; any other error was already written for them. */
export function explain(target: Target, error: unknown, doing: string, tokenSource: TokenSource): string {
  if (!(error instanceof RequestError)) return errorMessage(error);
  return describeGitHubError(error, {
    doing,
    target: target.label,
    permission: target.permission,
    notFoundHint: target.notFoundHint,
    tokenSource,
  });
}

/**
 * The target's public key, checked before anything is sealed with it (libsodium's own complaint is
 * a bare "invalid input"). A malformed answer is asked for once more, then fails naming the target.
 */
export async function readPublicKey(github: GitHub, target: Target): Promise<PublicKey> {
  let problem = '';
  for (let attempt = 0; attempt < 2; attempt++) {
    const data: unknown = (await github.request(target.routes.publicKey, target.params)).data;
    const { key_id, key } = data as Partial<PublicKey>;
    problem =
      typeof key_id !== 'string' || typeof key !== 'string' ? 'has no key_id and key' : (publicKeyProblem(key) ?? '');
    if (!problem && typeof key_id === 'string' && typeof key === 'string') return { key_id, key };
  }
  throw new Error(
    `GitHub's public key for ${target.label} is not a valid key (it ${problem}), twice in a row; nothing was sealed with it. Run the job again; if it persists, check github-api-url.`,
  );
}

/** `updated_at` of every secret at the target, by upper-cased name (names are case-insensitive). */
async function listUpdatedAt(
  github: GitHub,
  target: Target,
  { retry }: { retry: boolean },
): Promise<Map<string, Date>> {
  const updatedAt = new Map<string, Date>();
  let pages = 0;
  // paginate asks for every page with the request function it is given, without per-call options:
  // "no retries" has to be that function's default.
  const request = retry ? github.request : github.request.defaults({ request: { retries: 0 } });
  const [method = 'GET', url = ''] = target.routes.list.split(' ');
  // `paginate` follows GitHub's Link headers; the cap keeps an answer that never ends from looping.
  // (Octokit's types know the endpoint-options form of a request function only as a route string.)
  const first = { method, url, ...target.params, per_page: 100 } as unknown as Parameters<typeof request>[0];
  for await (const { data } of github.paginate.iterator(request, first)) {
    for (const { name, updated_at } of listedSecrets(data)) updatedAt.set(name.toUpperCase(), new Date(updated_at));
    if (++pages >= MAX_LIST_PAGES) break;
  }
  return updatedAt;
}

interface StoredSecretInfo {
  name: string;
  updated_at: string;
}

/**
 * The secrets of one list page. `paginate` unwraps `{ total_count, secrets }` into the array only
 * when `total_count` is present; an answer without it still holds its page under `secrets`.
 */
function listedSecrets(data: unknown): StoredSecretInfo[] {
  const items = Array.isArray(data) ? data : (data as { secrets?: unknown } | null)?.secrets;
  return Array.isArray(items) ? (items as unknown[]).filter(isStoredSecretInfo) : [];
}

function isStoredSecretInfo(item: unknown): item is StoredSecretInfo {
  const { name, updated_at } = (item ?? {}) as Partial<Record<keyof StoredSecretInfo, unknown>>;
  return typeof name === 'string' && typeof updated_at === 'string';
}

/** GitHub holds at most 1,000 secrets per organisation and 100 per repository or environment: ten pages of 100. */
const MAX_LIST_PAGES = 10;
