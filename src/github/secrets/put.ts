import { RequestError } from '@octokit/request-error';
import type { SecretValue } from '../../run/secret-kinds.ts';
import { seal } from './seal.ts';
import type { GitHub } from '../client.ts';
import { writeRequestBody, type SecretSettings, type Target } from '../targets/kinds.ts';

// One secret's PUT (secrets/write.ts writes a target's secrets with it): sealed, sent before its
// password is too old, and GitHub's refusal of a value it could not open told apart from the others.

/**
 * The promise on every secret written: its password was asked for at most this long before GitHub
 * took the write, so it holds at least ECR's 12 hours less this (11h55m). A write that could not
 * leave in time (held by GitHub's rate limits) is sealed again with a new login (writeTarget).
 */
export const LOGIN_FRESH_FOR_MS = 5 * 60_000;
/** A login older than this is not used for a new write: one is minted again, leaving the write at least a minute to leave. */
export const LOGIN_REUSE_MS = 4 * 60_000;

export interface PublicKey {
  key_id: string;
  key: string;
}

/**
 * GitHub's refusal of a value sealed with another key than its current one: 422 "Bad request -
 * validation failed due to an improperly encrypted secret" (quoted in integrations/terraform-provider-github#2315,
 * 2024, and rollthecloudinc/hedge#256, 2025). Whether GitHub also refuses a stale `key_id` on its own,
 * and in which words, is not documented: a 422 that names `key_id` is read the same way, and then
 * written again only if the key GitHub returns now has another `key_id`.
 */
export function isEncryptionRefusal(error: unknown): error is RequestError {
  return (
    error instanceof RequestError &&
    error.status === 422 &&
    (saysImproperlyEncrypted(error) || /key_id/i.test(refusalMessage(error)))
  );
}

export function saysImproperlyEncrypted(error: RequestError): boolean {
  return /improperly encrypted/i.test(refusalMessage(error));
}

/** GitHub's own message (`message` of the answer's body), or Octokit's, which contains it. */
function refusalMessage(error: RequestError): string {
  const data = error.response?.data as { message?: unknown } | undefined;
  return typeof data?.message === 'string' ? data.message : error.message;
}

/**
 * One PUT. With `notAfter` (a `performance.now()` time: the login's password must reach GitHub by
 * then), the request is abandoned once that moment passes, before it leaves (held by the pace or a
 * rate limit's `retry-after`) or while in flight, and LoginTooOld is thrown: the caller seals again
 * with a newer login. A request whose own signal aborted is not retried (src/github/client.ts).
 */
export async function put(
  github: GitHub,
  target: Target,
  secret: SecretValue,
  key: PublicKey,
  settings: SecretSettings,
  notAfter?: number,
): Promise<number> {
  const encryptedValue = await seal(secret.value, key.key);
  const deadline = notAfter === undefined ? undefined : new AbortController();
  const timer =
    deadline && setTimeout(() => deadline.abort(new LoginTooOld()), Math.max(0, (notAfter ?? 0) - performance.now()));
  try {
    if (deadline && performance.now() >= (notAfter ?? 0)) throw new LoginTooOld();
    const response = await github.request(target.routes.write, {
      ...target.params,
      secret_name: secret.name,
      ...writeRequestBody({ encryptedValue, keyId: key.key_id }, settings),
      ...(deadline ? { request: { signal: deadline.signal } } : {}),
    });
    return response.status;
  } catch (error) {
    if (deadline?.signal.aborted) throw new LoginTooOld();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** A write abandoned because its password would reach GitHub more than LOGIN_FRESH_FOR_MS after it was asked for. */
export class LoginTooOld extends Error {
  constructor() {
    super('the ECR password would reach GitHub too long after it was minted');
    this.name = 'LoginTooOld';
  }
}

/** How many logins one write may go through before it fails: each is minted anew when the last was held too long. */
export const MAX_LOGIN_ATTEMPTS = 3;
