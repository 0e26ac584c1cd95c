import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { awsClientConfig } from './client-config.ts';
import { explainAwsError } from './errors.ts';

/** A docker login for one private ECR registry. */
export interface EcrLogin {
  /** Registry host, such as 123456789012.dkr.ecr.eu-west-1.amazonaws.com. */
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
): Promise<EcrLogin> {
  const ecr = new ECRClient({ ...(await awsClientConfig(region)), ...(credentials ? { credentials } : {}) });
  try {
    const response = await ecr.send(new GetAuthorizationTokenCommand({}));
    return decodeAuthorizationData(response.authorizationData?.[0], setSecret);
  } catch (error) {
    if (error instanceof EcrAnswerError) throw error;
    throw explainAwsError(error, { action: 'ecr:GetAuthorizationToken', ...(roleArn ? { roleArn } : {}) });
  }
}

class EcrAnswerError extends Error {}

export function decodeAuthorizationData(
  data: { authorizationToken?: string | undefined; proxyEndpoint?: string | undefined; expiresAt?: Date | undefined } | undefined,
  setSecret: (value: string) => void,
): EcrLogin {
  const token = data?.authorizationToken;
  if (!token) throw new EcrAnswerError('ECR answered GetAuthorizationToken without a token; try again.');
  setSecret(token);
  const decoded = Buffer.from(token, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const username = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  if (colon < 1 || !password) throw new EcrAnswerError('ECR answered GetAuthorizationToken with a token that is not user:password; try again.');
  setSecret(password);
  if (!data.proxyEndpoint || !data.expiresAt) {
    throw new EcrAnswerError('ECR answered GetAuthorizationToken without a registry endpoint or expiry; try again.');
  }
  const endpoint = data.proxyEndpoint.includes('://') ? data.proxyEndpoint : `https://${data.proxyEndpoint}`;
  return { registry: new URL(endpoint).host, username, password, expiresAt: data.expiresAt };
}
