import type { EcrLogin } from '../aws/ecr.ts';

/** One secret to write: its name and plaintext value. */
export interface SecretValue {
  name: string;
  value: string;
  /** Whether the value must be masked in logs. The username `AWS` is not: masking it would hide every "AWS" in the log. */
  sensitive: boolean;
}

type Login = Pick<EcrLogin, 'registry' | 'username' | 'password'>;

/**
 * A login and every registry host its password opens (`registries`); without the list, the login's
 * own host alone.
 */
export type LoginForHosts = Login & { registryHosts?: readonly string[] };

/** The user name of every ECR login (GetAuthorizationToken's token is `AWS:<password>`). */
export const ECR_USERNAME = 'AWS';

/** What a kind of secret is: the input that names it, and what it holds. */
interface SecretKind {
  /** The input (action.yml) that names the secret; config/secrets.ts reports problems under it, so the compiler checks that it is one. */
  input: string;
  /** The name when that input is empty; a kind without one is written only when its input is set. */
  defaultName?: string;
  /** Whether the value must be masked (see `SecretValue`). */
  sensitive: boolean;
  /**
   * The value is the same on every run and needs no login (ECR's user name is always `AWS`), so it
   * is written only where the target lacks it, and writing it alone mints no password.
   */
  unchanging: boolean;
  value: (login: LoginForHosts) => string;
}

/**
 * Every kind of secret, from the input that names it to the value written, in the order they are
 * written; a new kind is a new row (and its input in action.yml).
 */
const KINDS = {
  password: {
    input: 'secret-name',
    defaultName: 'ECR_PASSWORD',
    sensitive: true,
    unchanging: false,
    value: (login: Login) => login.password,
  },
  username: { input: 'username-secret-name', sensitive: false, unchanging: true, value: () => ECR_USERNAME },
  dockerConfig: {
    input: 'docker-config-secret-name',
    sensitive: true,
    unchanging: false,
    value: (login: LoginForHosts) => loginDockerConfig(login),
  },
} as const satisfies Record<string, SecretKind>;

export type SecretKindName = keyof typeof KINDS;

/** The kinds with a default name: every run writes them. */
type AlwaysWritten = {
  [K in SecretKindName]: (typeof KINDS)[K] extends { defaultName: string } ? K : never;
}[SecretKindName];

/** The name of each secret a run writes: the kinds with a default always, the others when their input names them. */
export type SecretNames = { [K in AlwaysWritten]: string } & { [K in Exclude<SecretKindName, AlwaysWritten>]?: string };

export interface SecretKindInput {
  kind: SecretKindName;
  input: (typeof KINDS)[SecretKindName]['input'];
  defaultName?: string;
}

/** Each kind's input and default name, in the order the secrets are written: what config/secrets.ts reads. */
export const SECRET_KINDS: readonly SecretKindInput[] = (Object.keys(KINDS) as SecretKindName[]).map((kind) => {
  const { input }: { input: SecretKindInput['input'] } = KINDS[kind];
  const { defaultName }: SecretKind = KINDS[kind];
  return { kind, input, ...(defaultName === undefined ? {} : { defaultName }) };
});

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
export function secretValues(names: SecretNames, login: LoginForHosts | undefined): SecretValue[] {
  return namedKinds(names).flatMap(([kind, name]) => {
    const { unchanging, sensitive, value } = KINDS[kind];
    if (!login && !unchanging) return [];
    return [{ name, value: value(login as LoginForHosts), sensitive }];
  });
}

function namedKinds(names: SecretNames): [SecretKindName, string][] {
  return SECRET_KINDS.flatMap(({ kind }) => {
    const name = names[kind];
    return name ? [[kind, name] as [SecretKindName, string]] : [];
  });
}

/** The docker config of one login: an `auths` entry for every registry host its password opens. */
export function loginDockerConfig(login: LoginForHosts): string {
  return dockerConfigJson((login.registryHosts ?? [login.registry]).map((registry) => ({ ...login, registry })));
}

/**
 * The `DOCKER_AUTH_CONFIG` format that Docker clients and GitLab runners read:
 * `{"auths":{"<host>":{"auth":"<base64 user:password>"}}}`, on one line so that one mask covers it;
 * one entry per login, in their order (several registries share one password: `registries`).
 */
export function dockerConfigJson(logins: readonly Login[]): string {
  const auths: Record<string, { auth: string }> = {};
  for (const { registry, username, password } of logins) {
    auths[registry] = { auth: Buffer.from(`${username}:${password}`, 'utf8').toString('base64') };
  }
  return JSON.stringify({ auths });
}

/**
 * How many accounts `registries` may list, so that the docker config fits in one GitHub secret
 * whatever ECR answers. The arithmetic, kept conservative at each step:
 * - GitHub refuses a secret over 48 KB (docs, "Secrets reference": "Secrets are limited to 48 KB in
 *   size"), and may measure the value it receives, the sealed box in base64: 4 characters per 3
 *   bytes, the box 48 bytes longer than the plaintext (32-byte ephemeral key, 16-byte MAC). So the
 *   plaintext must stay within 49,152 / 4 * 3 - 48 = 36,816 bytes.
 * - Real ECR passwords are about 2,400 to 2,700 characters (aws/aws-sdk-js-v3#6580,
 *   aws/containers-roadmap#1589); 2,800 is allowed for. `auth` is base64 of `AWS:<password>`:
 *   4 * ceil(2,804 / 3) = 3,740 characters.
 * - A private registry host is `<12 digits>.dkr.ecr.<region>.<suffix>`, under 64 characters in every
 *   partition; an entry `"<host>":{"auth":"<auth>"},` adds 15 characters of JSON: 3,819 at most.
 * - `{"auths":{` and `}}` add 12. (36,816 - 12) / 3,819 = 9.6: nine entries, the login's own
 *   registry and eight others.
 */
const GITHUB_SECRET_LIMIT_BYTES = 48 * 1024;
const SEALED_BOX_OVERHEAD_BYTES = 48;
const PASSWORD_ALLOWANCE = 2800;
const HOST_ALLOWANCE = 64;
const ENTRY_JSON = '"":{"auth":""},'.length;
const WRAPPER_JSON = '{"auths":{}}'.length;
const base64Length = (bytes: number) => 4 * Math.ceil(bytes / 3);
const PLAINTEXT_LIMIT = (GITHUB_SECRET_LIMIT_BYTES / 4) * 3 - SEALED_BOX_OVERHEAD_BYTES;
const ENTRY_LIMIT = HOST_ALLOWANCE + ENTRY_JSON + base64Length('AWS:'.length + PASSWORD_ALLOWANCE);
/**
 * How many accounts beside the login's own registry fit in a docker config of at most `chars`
 * characters (ASCII: bytes alike) whatever ECR answers, by the arithmetic above.
 */
export function registryAccountsWithin(chars: number): number {
  return Math.max(0, Math.floor((chars - WRAPPER_JSON) / ENTRY_LIMIT) - 1);
}
/** Accounts beside the login's own registry in one GitHub secret: 8. */
export const MAX_REGISTRY_ACCOUNTS = registryAccountsWithin(PLAINTEXT_LIMIT);
