import type { AwsAuth } from './auth.ts';
import { ECR_PUBLIC_REGION, PRIVATE_REGISTRY, privateRegistryHost } from './registry.ts';
import type { AwsLoginSettings } from './login.ts';

/**
 * What the AWS side of a real run needs that a dry run does not ask AWS about, as sentences for its
 * report: the identity the inputs choose, the login the registry type needs (ECR Public's is asked
 * in us-east-1 whatever aws-region says), and the pulls from the other accounts of `registries`.
 */
export function uncheckedAws({ auth, region, registry = PRIVATE_REGISTRY }: AwsLoginSettings): string[] {
  return [awsIdentity(auth), ...registryLogin(registry, region)];
}

/** The AWS rights the ECR login needs, and for `registries` the pulls the docker config's other hosts stand for. */
function registryLogin(registry: NonNullable<AwsLoginSettings['registry']>, region: string): string[] {
  if (registry.type === 'public')
    // "This API requires the ecr-public:GetAuthorizationToken and sts:GetServiceBearerToken permissions"
    // (ECR Public API reference, GetAuthorizationToken); its API answers in us-east-1 only (registry.ts).
    return [
      `ecr-public:GetAuthorizationToken and sts:GetServiceBearerToken in ${ECR_PUBLIC_REGION} (ECR Public's login is asked there whatever aws-region says) for that identity.`,
    ];
  const login = `ecr:GetAuthorizationToken in ${region} for that identity.`;
  if (registry.accounts.length === 0) return [login];
  const hosts = registry.accounts.map((account) => privateRegistryHost(account, region));
  return [
    login,
    `Pulling from the registries of accounts ${registry.accounts.join(', ')}, which the docker config would name (${hosts.join(', ')}) beside the login's own registry (the identity's account, known once ECR answers): ecr:BatchGetImage, ecr:GetDownloadUrlForLayer and ecr:BatchCheckLayerAvailability allowed to that identity, and a repository policy in each of those accounts allowing it; a cross-account pull needs both.`,
  ];
}

function awsIdentity(auth: AwsAuth): string {
  switch (auth.kind) {
    case 'oidc':
      return `GitHub OIDC: the job's \`permissions: id-token: write\`, and sts:AssumeRoleWithWebIdentity on ${auth.roleArn}, whose trust policy must accept this workflow's token (audience ${auth.audience}, its sub claim).`;
    case 'access-keys-and-role':
      return `sts:AssumeRole on ${auth.roleArn} with the access keys: allowed to the keys, and accepted by the role's trust policy.`;
    case 'access-keys':
      return 'The access keys themselves: valid, active and not expired.';
    case 'default-chain':
      return "The AWS SDK's default credentials (environment, profile, container or instance role): none was looked for.";
    // The command's two paths (src/cli/options.ts).
    case 'web-identity':
      return `sts:AssumeRoleWithWebIdentity on ${auth.roleArn} with the token from ${auth.tokenSource}, whose issuer, sub and aud its trust policy must accept.`;
    case 'default-chain-and-role':
      return `sts:AssumeRole on ${auth.roleArn} with the default credential chain's identity: allowed to it, and accepted by the role's trust policy.`;
  }
}
