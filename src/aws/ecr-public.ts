import { ECRPUBLICClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr-public';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { awsClientConfig } from './client-config.ts';
import { EcrAnswerError, userAndPassword } from './authorization-token.ts';
import type { EcrLogin } from './ecr.ts';
import { explainAwsError } from './errors.ts';
import { ECR_PUBLIC_REGION, PUBLIC_REGISTRY_HOST } from './registry.ts';

/**
 * The login to ECR Public (`public.ecr.aws`): GetAuthorizationToken of ECR Public's API, which lives
 * in us-east-1 only, whatever aws-region says (the credentials were got in aws-region; a token from
 * STS is valid in every region of its partition). Same shape as the private login, same masking.
 * `_region` is aws-region, unused: the signature is the private login's, so login.ts picks either.
 */
export async function getEcrPublicLogin(
  _region: string,
  credentials: AwsCredentialIdentity | undefined,
  setSecret: (value: string) => void,
  roleArn?: string,
  signer?: string,
): Promise<EcrLogin> {
  const client = new ECRPUBLICClient({
    ...(await awsClientConfig(ECR_PUBLIC_REGION)),
    ...(credentials ? { credentials } : {}),
  });
  try {
    const response = await client.send(new GetAuthorizationTokenCommand({}));
    return decodePublicAuthorizationData(response.authorizationData, setSecret);
  } catch (error) {
    if (error instanceof EcrAnswerError) throw error;
    throw explainAwsError(error, {
      action: 'ecr-public:GetAuthorizationToken',
      region: ECR_PUBLIC_REGION,
      ...(roleArn ? { roleArn } : {}),
      ...(signer ? { signer } : {}),
    });
  }
}

/**
 * ECR Public's `authorizationData` is one object, `{ authorizationToken, expiresAt }`, without a
 * registry endpoint (ECR Public API reference, AuthorizationData): the registry is always public.ecr.aws.
 */
export function decodePublicAuthorizationData(
  data: { authorizationToken?: string | undefined; expiresAt?: Date | undefined } | undefined,
  setSecret: (value: string) => void,
): EcrLogin {
  const token = data?.authorizationToken;
  if (!token) throw new EcrAnswerError('ECR Public answered GetAuthorizationToken without a token; try again.');
  const credentials = userAndPassword(token, setSecret);
  if (!credentials)
    throw new EcrAnswerError(
      'ECR Public answered GetAuthorizationToken with a token that is not user:password; try again.',
    );
  if (!data.expiresAt)
    throw new EcrAnswerError('ECR Public answered GetAuthorizationToken without an expiry; try again.');
  return { registry: PUBLIC_REGISTRY_HOST, ...credentials, expiresAt: data.expiresAt };
}
