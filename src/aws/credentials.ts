import type { AwsCredentialIdentity } from '@aws-sdk/types';
import type { AwsAuth } from './auth.ts';
import { errorMessage } from '../util/errors.ts';
import { explainAwsError } from './errors.ts';
import { awsClientConfig } from './client-config.ts';
import { afterRequestsLeave, awaitedLater } from '../util/awaited-later.ts';

export interface CredentialDeps {
  /** `requestGitHubIdToken` (aws/github-oidc-token.ts): asks the runner for a GitHub OIDC token, and masks it. */
  getIDToken: (audience: string) => Promise<string>;
  /** `core.setSecret`. */
  setSecret: (value: string) => void;
  env: NodeJS.ProcessEnv;
  /** Aborts the STS requests in flight (and `getIDToken`'s, which is given the same signal) once no password is needed. */
  signal?: AbortSignal;
}

/**
 * The AWS identity to call ECR with. `undefined` means the SDK's default chain
 * (credentials from an earlier step, or an instance profile on a self-hosted runner).
 */
export async function resolveCredentials(
  auth: AwsAuth,
  region: string,
  deps: CredentialDeps,
): Promise<AwsCredentialIdentity | undefined> {
  if ('keys' in auth) {
    // Inputs fed from secrets are masked by the runner already; keys typed in another way are not.
    deps.setSecret(auth.keys.secretAccessKey);
    if (auth.keys.sessionToken) deps.setSecret(auth.keys.sessionToken);
  }
  switch (auth.kind) {
    case 'default-chain':
      return undefined;
    case 'access-keys':
      return auth.keys;
    case 'oidc': {
      checkIdTokenPermission(deps);
      // The STS client loads while the token request is in flight, not after it.
      const idToken = awaitedLater(requestIdToken(auth.audience, deps));
      await afterRequestsLeave();
      const sts = awaitedLater(stsClient(region, undefined));
      const webIdentityToken = await idToken;
      return assumeRoleWithWebIdentity(sts, auth, webIdentityToken, deps, { region, audience: auth.audience });
    }
    case 'web-identity':
      deps.setSecret(auth.token);
      return assumeRoleWithWebIdentity(stsClient(region, undefined), auth, auth.token, deps, {
        region,
        tokenSource: auth.tokenSource,
      });
    case 'access-keys-and-role':
    case 'default-chain-and-role': {
      // Signed with the keys given, or (the command) with whatever the SDK's default chain finds.
      const keys = auth.kind === 'access-keys-and-role' ? auth.keys : undefined;
      try {
        const { module, client } = await stsClient(region, keys);
        const { Credentials } = await client.send(
          new module.AssumeRoleCommand({
            RoleArn: auth.roleArn,
            RoleSessionName: auth.sessionName,
            DurationSeconds: auth.durationSeconds,
          }),
          abortable(deps),
        );
        return temporaryCredentials(Credentials, deps.setSecret);
      } catch (error) {
        throw explainAwsError(error, {
          action: 'sts:AssumeRole',
          region,
          roleArn: auth.roleArn,
          ...(keys ? {} : { signer: 'the default credential chain' }),
        });
      }
    }
  }
}

/** Throws, before anything is requested or loaded, when the job may not ask for an OIDC token. */
function checkIdTokenPermission(deps: CredentialDeps): void {
  if (!deps.env['ACTIONS_ID_TOKEN_REQUEST_URL'] || !deps.env['ACTIONS_ID_TOKEN_REQUEST_TOKEN']) {
    throw new Error(
      "role-to-assume is set without access keys, so the action uses GitHub OIDC, but this job cannot request an OIDC token. Add 'permissions: id-token: write' to the workflow or job (and keep 'contents: read'), or pass aws-access-key-id and aws-secret-access-key.",
    );
  }
}

async function requestIdToken(audience: string, deps: CredentialDeps): Promise<string> {
  try {
    return await deps.getIDToken(audience);
  } catch (error) {
    throw new Error(`Could not get a GitHub OIDC token for audience "${audience}": ${errorMessage(error)}`, {
      cause: error,
    });
  }
}

/**
 * An STS client. Its code is loaded only here, when a role is assumed: runs with keys or the default
 * chain never pay for it. IDPCommunicationError (STS briefly failing to reach GitHub's OIDC keys) is
 * modelled as retryable, so the SDK's standard retry covers it with throttling and 5xx.
 */
/**
 * `sts:AssumeRoleWithWebIdentity` with a token from GitHub's OIDC endpoint or another CI's; a
 * refusal is explained with the token's claims and, when given, the audience asked for or where the token came from.
 */
async function assumeRoleWithWebIdentity(
  sts: ReturnType<typeof stsClient>,
  role: { roleArn: string; sessionName: string; durationSeconds: number },
  token: string,
  deps: CredentialDeps,
  explained: { region: string; audience?: string; tokenSource?: string },
): Promise<AwsCredentialIdentity> {
  try {
    const { module, client } = await sts;
    const { Credentials } = await client.send(
      new module.AssumeRoleWithWebIdentityCommand({
        RoleArn: role.roleArn,
        RoleSessionName: role.sessionName,
        DurationSeconds: role.durationSeconds,
        WebIdentityToken: token,
      }),
      abortable(deps),
    );
    return temporaryCredentials(Credentials, deps.setSecret);
  } catch (error) {
    throw explainAwsError(error, {
      action: 'sts:AssumeRoleWithWebIdentity',
      roleArn: role.roleArn,
      idToken: token,
      ...explained,
    });
  }
}

async function stsClient(region: string, credentials: AwsCredentialIdentity | undefined) {
  const module = await import('@aws-sdk/client-sts');
  return {
    module,
    client: new module.STSClient({ ...(await awsClientConfig(region)), ...(credentials ? { credentials } : {}) }),
  };
}

interface StsCredentials {
  AccessKeyId?: string | undefined;
  SecretAccessKey?: string | undefined;
  SessionToken?: string | undefined;
  Expiration?: Date | undefined;
}

function temporaryCredentials(
  credentials: StsCredentials | undefined,
  setSecret: (value: string) => void,
): AwsCredentialIdentity {
  const { AccessKeyId, SecretAccessKey, SessionToken, Expiration } = credentials ?? {};
  if (!AccessKeyId || !SecretAccessKey || !SessionToken) {
    throw new Error('STS answered without credentials; try again, and report it if it persists.');
  }
  // Masked the moment they exist, before any log line could hold them.
  for (const value of [AccessKeyId, SecretAccessKey, SessionToken]) setSecret(value);
  return {
    accessKeyId: AccessKeyId,
    secretAccessKey: SecretAccessKey,
    sessionToken: SessionToken,
    ...(Expiration ? { expiration: Expiration } : {}),
  };
}

function abortable({ signal }: CredentialDeps): { abortSignal?: AbortSignal } {
  return signal ? { abortSignal: signal } : {};
}
