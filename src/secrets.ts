import type { SecretNames } from './config.ts';
import type { EcrLogin } from './aws/ecr.ts';

/** One secret to write: its name and plaintext value. */
export interface SecretValue {
  name: string;
  value: string;
  /** Whether the value must be masked in logs. The username `AWS` is not: masking it would hide every "AWS" in the log. */
  sensitive: boolean;
}

type Login = Pick<EcrLogin, 'registry' | 'username' | 'password'>;

/** The user name of every ECR login (GetAuthorizationToken's token is `AWS:<password>`). */
export const ECR_USERNAME = 'AWS';

/**
 * What each kind of secret holds; a new kind is a new row. `unchanging`: the value is the same on
 * every run and needs no login (ECR's user name is always `AWS`), so it is written only where the
 * target lacks it, and writing it alone mints no password.
 */
const KINDS = {
  password: { sensitive: true, unchanging: false, value: (login: Login) => login.password },
  username: { sensitive: false, unchanging: true, value: () => ECR_USERNAME },
  dockerConfig: { sensitive: true, unchanging: false, value: (login: Login) => dockerConfigJson([login]) },
} as const satisfies Record<keyof SecretNames, { sensitive: boolean; unchanging: boolean; value: (login: Login) => string }>;

/** The names a run writes, in order: the password, then the optional username and docker config. */
export function secretNames(names: SecretNames): string[] {
  return namedKinds(names).map(([, name]) => name);
}

/** The names whose value never changes (the username): written only where the target does not hold them yet. */
export function unchangingSecretNames(names: SecretNames): string[] {
  return namedKinds(names).flatMap(([kind, name]) => (KINDS[kind].unchanging ? [name] : []));
}

/**
 * The secrets a run writes, in the order of `secretNames`, with their values from the ECR login;
 * without a login (nothing due needed one), only the unchanging ones.
 */
export function secretValues(names: SecretNames, login: Login | undefined): SecretValue[] {
  return namedKinds(names).flatMap(([kind, name]) => {
    const { unchanging, sensitive, value } = KINDS[kind];
    if (!login && !unchanging) return [];
    return [{ name, value: value(login as Login), sensitive }];
  });
}

function namedKinds(names: SecretNames): [keyof SecretNames, string][] {
  return (Object.keys(KINDS) as (keyof SecretNames)[]).flatMap((kind) => {
    const name = names[kind];
    return name ? [[kind, name] as [keyof SecretNames, string]] : [];
  });
}

/**
 * The `DOCKER_AUTH_CONFIG` format that Docker clients and GitLab runners read:
 * `{"auths":{"<host>":{"auth":"<base64 user:password>"}}}`, on one line so that one mask covers it.
 */
export function dockerConfigJson(logins: readonly Login[]): string {
  const auths: Record<string, { auth: string }> = {};
  for (const { registry, username, password } of logins) {
    auths[registry] = { auth: Buffer.from(`${username}:${password}`, 'utf8').toString('base64') };
  }
  return JSON.stringify({ auths });
}
