import type { SecretNames } from './config.ts';
import type { EcrLogin } from './aws/ecr.ts';

/** One secret to write: its name and plaintext value. */
export interface SecretValue {
  name: string;
  value: string;
  /** Whether the value must be masked in logs. The username `AWS` is not: masking it would hide every "AWS" in the log. */
  sensitive: boolean;
}

/** The secrets a run writes, in order: the password, then the optional username and docker config. */
export function secretValues(names: SecretNames, login: EcrLogin): SecretValue[] {
  const values: SecretValue[] = [{ name: names.password, value: login.password, sensitive: true }];
  if (names.username) values.push({ name: names.username, value: login.username, sensitive: false });
  if (names.dockerConfig) values.push({ name: names.dockerConfig, value: dockerConfigJson([login]), sensitive: true });
  return values;
}

/**
 * The `DOCKER_AUTH_CONFIG` format that Docker clients and GitLab runners read:
 * `{"auths":{"<host>":{"auth":"<base64 user:password>"}}}`, on one line so that one mask covers it.
 */
export function dockerConfigJson(logins: readonly Pick<EcrLogin, 'registry' | 'username' | 'password'>[]): string {
  const auths: Record<string, { auth: string }> = {};
  for (const { registry, username, password } of logins) {
    auths[registry] = { auth: Buffer.from(`${username}:${password}`, 'utf8').toString('base64') };
  }
  return JSON.stringify({ auths });
}
