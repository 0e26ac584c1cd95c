import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { awsClientConfig } from './client-config.ts';
import { explainAwsError } from './errors.ts';
import { EcrAnswerError, userAndPassword } from './authorization-token.ts';

/** A docker login for one registry: a private ECR registry (ecr.ts) or ECR Public (ecr-public.ts). */
export interface EcrLogin {
  /** Registry host, such as 123456789012.dkr.ecr.eu-west-1.amazonaws.com, or public.ecr.aws. */
  registry: string;
  username: string;
  password: string;
  expiresAt: Date;
}

/** Calls GetAuthorizationToken and masks the token and password the moment they exist. */
export async function getEcrLogin(
  region: string,
  credentials: AwsCredentialIdentity | undefined,
  setSecret: (value: string) => void,
  roleArn?: string,
  signer?: string,
): Promise<EcrLogin> {
  const ecr = new ECRClient({ ...(await awsClientConfig(region)), ...(credentials ? { credentials } : {}) });
  try {
    const response = await ecr.send(new GetAuthorizationTokenCommand({}));
    return decodeAuthorizationData(response.authorizationData?.[0], setSecret);
  } catch (error) {
    if (error instanceof EcrAnswerError) throw error;
    throw explainAwsError(error, {
      action: 'ecr:GetAuthorizationToken',
      region,
      ...(roleArn ? { roleArn } : {}),
      ...(signer ? { signer } : {}),
    });
  }
}

export function decodeAuthorizationData(
  data:
    | { authorizationToken?: string | undefined; proxyEndpoint?: string | undefined; expiresAt?: Date | undefined }
    | undefined,
  setSecret: (value: string) => void,
): EcrLogin {
  const token = data?.authorizationToken;
  if (!token) throw new EcrAnswerError('ECR answered GetAuthorizationToken without a token; try again.');
  const credentials = userAndPassword(token, setSecret);
  if (!credentials)
    throw new EcrAnswerError('ECR answered GetAuthorizationToken with a token that is not user:password; try again.');
  const { username, password } = credentials;
  if (!data.proxyEndpoint || !data.expiresAt) {
    throw new EcrAnswerError('ECR answered GetAuthorizationToken without a registry endpoint or expiry; try again.');
  }
  const registry = registryHost(data.proxyEndpoint);
  if (!registry)
    throw new EcrAnswerError(
      `ECR answered GetAuthorizationToken with a registry endpoint that is not a host or URL ("${data.proxyEndpoint}"); try again.`,
    );
  return { registry, username, password, expiresAt: data.expiresAt };
}

/**
 * The registry host of `proxyEndpoint`. ECR documents it as "the registry URL to use for this
 * authorization token in a docker login command", `https://aws_account_id.dkr.ecr.region.amazonaws.com`
 * (API reference, AuthorizationData), and answers it so; a bare host is read the same way. The
 * host is kept as ECR gives it, so that other partitions' hosts (`….amazonaws.com.cn`) come through.
 */
export function registryHost(proxyEndpoint: string): string | undefined {
  const endpoint = /^[a-z][a-z0-9+.-]*:\/\//i.test(proxyEndpoint) ? proxyEndpoint : `https://${proxyEndpoint}`;
  try {
    return new URL(endpoint).host || undefined;
  } catch {
    return undefined;
  }
}
