import { RequestError } from '@octokit/request-error';
import type { SecretValue } from '../../run/secret-kinds.ts';
import type { SecretResult, SecretStatus } from '../../run/results.ts';
import { formatDuration } from '../../util/duration.ts';
import type { GitHub, Log } from '../client.ts';
import type { TokenSource } from '../errors.ts';
import {
  isEncryptionRefusal,
  LOGIN_FRESH_FOR_MS,
  LoginTooOld,
  MAX_LOGIN_ATTEMPTS,
  put,
  saysImproperlyEncrypted,
} from './put.ts';
import type { SecretSettings } from '../targets/kinds.ts';
import { explain, readPublicKey, result, type DueSecret, type PreparedTarget } from './prepare.ts';

/*
 * A prepared GitHub target's writes: each due secret sealed with the target's key and PUT, paced, a
 * stale login or a rotated key recovered from; an organisation secret's selected list set alone.
 */

/** The statuses GitHub answers a stored secret with: 201 created, 204 updated. Anything else stored nothing we can vouch for. */
const WRITTEN_STATUS: Readonly<Record<number, SecretStatus>> = { 201: 'created', 204: 'updated' };

/**
 * One prepared target: one PUT per due secret, sealed with the key read while preparing. Each target
 * is written on its own, so that one failing (or slow to prepare) target holds back no other.
 */
export async function writeTarget(
  github: GitHub,
  prepared: PreparedTarget,
  secrets: readonly SecretValue[],
  log: Pick<Log, 'warning'>,
  tokenSource: TokenSource,
  { fresh }: WriteOptions = {},
): Promise<SecretResult[]> {
  const { target, due } = prepared;
  let key = prepared.key;
  const results: SecretResult[] = [...prepared.results];
  for (const listOnly of prepared.repositoriesOnly ?? [])
    results.push(await putRepositories(github, prepared, listOnly, log, tokenSource));
  if (!key || due.length === 0) return results;
  for (const [index, { name, settings }] of due.entries()) {
    try {
      let status: number | undefined;
      for (let attempt = 1; status === undefined; attempt++) {
        // The values of a login young enough (minted again when the last one is too old), and the
        // moment its password may no longer be sent.
        const { secrets: values, notAfter } = fresh ? await fresh() : { secrets };
        const secret = values.find((value) => value.name === name);
        if (!secret) {
          // Unreachable while run/secret-kinds.ts builds a value for every name; never let it pass as success.
          throw new Error('the action built no value for this secret; please report this bug');
        }
        try {
          status = await put(github, target, secret, key, settings, notAfter);
        } catch (error) {
          if (error instanceof LoginTooOld) {
            if (attempt < MAX_LOGIN_ATTEMPTS) continue;
            throw new Error(
              `not written: GitHub's rate limits held the write of secret ${name} to ${target.label} until its ECR password was more than ${formatDuration(LOGIN_FRESH_FOR_MS)} old, ${MAX_LOGIN_ATTEMPTS} times, and the action writes no older one. Run the job again later, or spread the repositories over several runs or tokens.`,
              { cause: error },
            );
          }
          // A value GitHub could not open (its key rotated between our GET and PUT): read the key again
          // and write once more, when the key changed or GitHub says the value could not be decrypted.
          // Any other 422 (size, visibility, a repository id) would fail again: it is not repeated.
          if (!isEncryptionRefusal(error)) throw error;
          const current = await readPublicKey(github, target);
          if (current.key_id === key.key_id && !saysImproperlyEncrypted(error)) throw error;
          key = current;
          status = await put(github, target, secret, key, settings, notAfter);
        }
      }
      const written = WRITTEN_STATUS[status];
      if (!written) {
        results.push(
          result(
            target,
            name,
            'failed',
            `GitHub answered ${status} to the write of secret ${name} to ${target.label}, not 201 (created) or 204 (updated), so it may not be stored. Check github-api-url, and run the job again.`,
          ),
        );
        continue;
      }
      if (settings.warning) log.warning(`${settings.warning}.`);
      results.push(result(target, name, written, writeNotes(prepared, settings), settings.takesEffect));
    } catch (error) {
      const detail = explain(target, error, `write secret ${name} to`, tokenSource);
      // A refused token or a missing target will refuse the remaining secrets too: do not ask again.
      if (error instanceof RequestError && [401, 403, 404].includes(error.status)) {
        return [...results, ...due.slice(index).map((rest) => result(target, rest.name, 'failed', detail))];
      }
      results.push(result(target, name, 'failed', detail));
    }
  }
  return results;
}

/**
 * A written (or planned) secret's notes: what preparing did to a missing environment ("environment ecr in
 * octo/app created by this run", or in a dry run "would be created"), and the settings' warning.
 */
export function writeNotes(
  { target, environmentCreation }: Pick<PreparedTarget, 'target' | 'environmentCreation'>,
  settings: Pick<SecretSettings, 'warning' | 'note'>,
): string {
  const made =
    environmentCreation && target.missing
      ? `${target.missing.label} ${environmentCreation === 'created' ? 'created by this run' : `would be created (${target.missing.input})`}`
      : '';
  return [made, settings.warning, settings.note].filter(Boolean).join('; ');
}

/** The notes of a secret whose selected repositories alone are set: why its value is kept, then the change. */
export function repositoriesOnlyNotes(
  prepared: Pick<PreparedTarget, 'target' | 'environmentCreation'>,
  { settings, kept }: DueSecret & { kept: string },
): string {
  return [`its selected repositories alone (value kept: ${kept})`, writeNotes(prepared, settings)]
    .filter(Boolean)
    .join('; ');
}

/**
 * Sets a selected organisation secret's repositories alone ("Set selected repositories for an
 * organization secret", 204), for a secret whose value is kept: no password, no key, no new value.
 */
async function putRepositories(
  github: GitHub,
  prepared: PreparedTarget,
  listOnly: DueSecret & { kept: string },
  log: Pick<Log, 'warning'>,
  tokenSource: TokenSource,
): Promise<SecretResult> {
  const { target } = prepared;
  const { name, settings } = listOnly;
  const route = target.routes.selectedRepositories;
  if (!route) return result(target, name, 'failed', 'this target has no selected repositories; please report this bug');
  try {
    const { status } = await github.request(route, {
      ...target.params,
      secret_name: name,
      selected_repository_ids: settings.body['selected_repository_ids'],
    });
    if (status !== 204) {
      return result(
        target,
        name,
        'failed',
        `GitHub answered ${status} to setting the selected repositories of secret ${name} of ${target.label}, not 204, so they may not be set. Check github-api-url, and run the job again.`,
      );
    }
    if (settings.warning) log.warning(`${settings.warning}.`);
    return result(target, name, 'updated', repositoriesOnlyNotes(prepared, listOnly), settings.takesEffect);
  } catch (error) {
    return result(
      target,
      name,
      'failed',
      explain(target, error, `set the selected repositories of secret ${name} of`, tokenSource),
    );
  }
}

export interface WriteOptions {
  /** The values to seal, from a login young enough, and the `performance.now()` time its password must reach GitHub by. */
  fresh?: () => Promise<{ secrets: readonly SecretValue[]; notAfter?: number }>;
}
