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

export interface PlanOptions {
  /** Skip a secret whose stored `updated_at` is younger than this. */
  maxAgeMs?: number;
  now: Date;
}

/** What one target needs: the secrets due for a write, and the results already known (skipped, or failed to list). */
export interface TargetPlan {
  target: Target;
  due: string[];
  results: SecretResult[];
}

/**
 * Decides, before any password is fetched, which secrets each target needs: all of them, or with
 * max-age only those older than it (one list request per target). A run with nothing due can then
 * skip AWS altogether.
 */
export async function planWrites(github: GitHub, targets: readonly Target[], names: readonly string[], options: PlanOptions): Promise<TargetPlan[]> {
  return Promise.all(
    targets.map(async (target): Promise<TargetPlan> => {
      const { maxAgeMs } = options;
      if (maxAgeMs === undefined) return { target, due: [...names], results: [] };
      let updatedAt: Map<string, Date>;
      try {
        updatedAt = await listUpdatedAt(github, target);
      } catch (error) {
        return { target, due: [], results: names.map((name) => result(target, name, 'failed', explain(target, error, 'list the secrets of'))) };
      }
      const plan: TargetPlan = { target, due: [], results: [] };
      for (const name of names) {
        const stored = updatedAt.get(name.toUpperCase());
        if (stored !== undefined && options.now.getTime() - stored.getTime() < maxAgeMs) {
          plan.results.push(result(target, name, 'skipped', `updated ${stored.toISOString()}, younger than max-age`));
        } else {
          plan.due.push(name);
        }
      }
      return plan;
    }),
  );
}

/** Writes the due secrets of every target, each target on its own, so that one failing target stops no other. */
export async function writeSecrets(github: GitHub, plans: readonly TargetPlan[], secrets: readonly SecretValue[]): Promise<SecretResult[]> {
  const perTarget = await Promise.all(
    plans.map(async ({ target, due, results }) => [...results, ...(await writeTarget(github, target, secrets.filter(({ name }) => due.includes(name))))]),
  );
  return perTarget.flat();
}

function result(target: Target, secret: string, status: SecretStatus, detail?: string): SecretResult {
  return { target: target.label, secret, status, takesEffect: target.takesEffect, ...(detail ? { detail } : {}) };
}

function explain(target: Target, error: unknown, doing: string): string {
  return describeGitHubError(error, { doing, target: target.label, permission: target.permission, notFoundHint: target.notFoundHint });
}

/** One target: one public-key request, then one PUT per secret. */
async function writeTarget(github: GitHub, target: Target, due: readonly SecretValue[]): Promise<SecretResult[]> {
  if (due.length === 0) return [];
  const failAll = (items: readonly SecretValue[], detail: string) => items.map(({ name }) => result(target, name, 'failed', detail));

  let body: Record<string, unknown>;
  let key: PublicKey;
  try {
    [body, key] = await Promise.all([target.writeBody(github), publicKey(github, target)]);
  } catch (error) {
    const detail = error instanceof RequestError ? explain(target, error, 'read the secrets public key of') : String((error as Error).message ?? error);
    return failAll(due, detail);
  }

  const results: SecretResult[] = [];
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
      results.push(result(target, secret.name, status === 201 ? 'created' : 'updated'));
    } catch (error) {
      const detail = explain(target, error, `write secret ${secret.name} to`);
      // A refused token or a missing target will refuse the remaining secrets too: do not ask again.
      if (error instanceof RequestError && [401, 403, 404].includes(error.status)) {
        return [...results, ...failAll(due.slice(index), detail)];
      }
      results.push(result(target, secret.name, 'failed', detail));
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
  let pages = 0;
  // `paginate` follows GitHub's Link headers; the cap keeps an answer that never ends from looping.
  for await (const { data } of github.paginate.iterator<StoredSecretInfo>(target.routes.list, { ...target.params, per_page: 100 })) {
    for (const { name, updated_at } of data) updatedAt.set(name.toUpperCase(), new Date(updated_at));
    if (++pages >= MAX_LIST_PAGES) break;
  }
  return updatedAt;
}

interface StoredSecretInfo {
  name: string;
  updated_at: string;
}

/** GitHub holds at most 1,000 secrets per organisation and 100 per repository or environment: ten pages of 100. */
const MAX_LIST_PAGES = 10;
