import { RequestError } from '@octokit/request-error';
import type { SecretValue } from '../secrets.ts';
import { seal } from '../seal.ts';
import type { GitHub } from './client.ts';
import { describeGitHubError } from './errors.ts';
import type { Target } from './targets.ts';

export type SecretStatus = 'created' | 'updated' | 'skipped' | 'failed';

/** What happened to one secret at one target. */
export interface SecretResult {
  target: string;
  secret: string;
  status: SecretStatus;
  /** For `failed`: what went wrong and what to do; for `skipped`: why. */
  detail?: string;
  takesEffect: string;
}

export interface WriteOptions {
  /** Skip a secret whose stored `updated_at` is younger than this. */
  maxAgeMs?: number;
  now: Date;
}

/** Writes every secret to every target, each target on its own, so that one failing target stops no other. */
export async function writeSecrets(
  github: GitHub,
  targets: readonly Target[],
  secrets: readonly SecretValue[],
  options: WriteOptions,
): Promise<SecretResult[]> {
  const perTarget = await Promise.all(targets.map((target) => writeTarget(github, target, secrets, options)));
  return perTarget.flat();
}

/** One target: at most one list and one public-key request, then one PUT per secret that is due. */
async function writeTarget(
  github: GitHub,
  target: Target,
  secrets: readonly SecretValue[],
  options: WriteOptions,
): Promise<SecretResult[]> {
  const result = (secret: string, status: SecretStatus, detail?: string): SecretResult => ({
    target: target.label,
    secret,
    status,
    takesEffect: target.takesEffect,
    ...(detail ? { detail } : {}),
  });
  const failAll = (items: readonly SecretValue[], detail: string) => items.map(({ name }) => result(name, 'failed', detail));
  const explain = (error: unknown, doing: string) =>
    describeGitHubError(error, { doing, target: target.label, permission: target.permission, notFoundHint: target.notFoundHint });

  let due = [...secrets];
  const results: SecretResult[] = [];
  if (options.maxAgeMs !== undefined) {
    let updatedAt: Map<string, Date>;
    try {
      updatedAt = await listUpdatedAt(github, target);
    } catch (error) {
      return failAll(secrets, explain(error, 'list the secrets of'));
    }
    const maxAgeMs = options.maxAgeMs;
    due = secrets.filter(({ name }) => {
      const stored = updatedAt.get(name.toUpperCase());
      const fresh = stored !== undefined && options.now.getTime() - stored.getTime() < maxAgeMs;
      if (fresh) results.push(result(name, 'skipped', `updated ${stored.toISOString()}, younger than max-age`));
      return !fresh;
    });
  }
  if (due.length === 0) return results;

  let body: Record<string, unknown>;
  let key: PublicKey;
  try {
    [body, key] = await Promise.all([target.writeBody(github), publicKey(github, target)]);
  } catch (error) {
    const detail = error instanceof RequestError ? explain(error, 'read the secrets public key of') : String((error as Error).message ?? error);
    return [...results, ...failAll(due, detail)];
  }

  for (const [index, secret] of due.entries()) {
    try {
      let status: number;
      try {
        status = await put(github, target, secret, key, body);
      } catch (error) {
        // 422 after a key rotation between our GET and PUT: fetch the new key once and seal again.
        if (!(error instanceof RequestError) || error.status !== 422) throw error;
        key = await publicKey(github, target);
        status = await put(github, target, secret, key, body);
      }
      results.push(result(secret.name, status === 201 ? 'created' : 'updated'));
    } catch (error) {
      const detail = explain(error, `write secret ${secret.name} to`);
      // A refused token or a missing target will refuse the remaining secrets too: do not ask again.
      if (error instanceof RequestError && [401, 403, 404].includes(error.status)) {
        return [...results, ...failAll(due.slice(index), detail)];
      }
      results.push(result(secret.name, 'failed', detail));
    }
  }
  return results;
}

interface PublicKey {
  key_id: string;
  key: string;
}

async function publicKey(github: GitHub, target: Target): Promise<PublicKey> {
  const { data } = await github.request(target.routes.publicKey, target.params);
  const { key_id, key } = data as Partial<PublicKey>;
  if (typeof key_id !== 'string' || typeof key !== 'string') {
    throw new Error(`GitHub answered the public-key request for ${target.label} without key_id and key; try again.`);
  }
  return { key_id, key };
}

async function put(github: GitHub, target: Target, secret: SecretValue, key: PublicKey, body: Record<string, unknown>): Promise<number> {
  const encrypted_value = await seal(secret.value, key.key);
  const response = await github.request(target.routes.write, {
    ...target.params,
    secret_name: secret.name,
    encrypted_value,
    key_id: key.key_id,
    ...body,
  });
  return response.status;
}

/** `updated_at` of every secret at the target, by upper-cased name (names are case-insensitive). */
async function listUpdatedAt(github: GitHub, target: Target): Promise<Map<string, Date>> {
  const updatedAt = new Map<string, Date>();
  // A repository or environment holds at most 100 secrets, so one page of 100 is all of them;
  // an organisation (up to 1,000) may need more pages.
  for (let page = 1; ; page++) {
    const { data } = await github.request(target.routes.list, { ...target.params, per_page: 100, page });
    const { total_count, secrets } = data as { total_count: number; secrets: { name: string; updated_at: string }[] };
    for (const { name, updated_at } of secrets) updatedAt.set(name.toUpperCase(), new Date(updated_at));
    if (secrets.length < 100 || page * 100 >= total_count) return updatedAt;
  }
}
