import { partitionOfRegion } from './partitions.ts';

/**
 * Which registry the password is for: a private ECR registry in aws-region (with, for the docker
 * config, the other accounts' registries the same password opens), or ECR Public.
 */
export type RegistrySpec = { type: 'private'; accounts: readonly string[] } | { type: 'public' };

export const PRIVATE_REGISTRY: RegistrySpec = { type: 'private', accounts: [] };

/**
 * ECR Public's one registry host, whatever the account or region ("The URI to use when pulling
 * images ... is public.ecr.aws/registry_alias/repository_name", Amazon ECR Public user guide,
 * "Amazon ECR public registries").
 */
export const PUBLIC_REGISTRY_HOST = 'public.ecr.aws';

/**
 * ECR Public's API answers GetAuthorizationToken in us-east-1 only: `aws ecr-public get-login-password
 * --region us-east-1` in its user guide, and Terraform's `aws_ecrpublic_authorization_token` "can only
 * be used in the us-east-1 region". STS still runs in aws-region.
 */
export const ECR_PUBLIC_REGION = 'us-east-1';

/** ECR Public exists in the commercial partition only (none in China, GovCloud or the isolated regions). */
export const ECR_PUBLIC_PARTITION = 'aws';

/** `<account>.dkr.ecr.<region>.<dns suffix>`, the host of an account's private registry in a region. */
export function privateRegistryHost(accountId: string, region: string): string {
  // config/aws.ts accepts only region codes of a known partition, so the fallback is never used.
  const dnsSuffix = partitionOfRegion(region)?.dnsSuffix ?? 'amazonaws.com';
  return `${accountId}.dkr.ecr.${region}.${dnsSuffix}`;
}

/**
 * Every registry host the docker config names: the login's own first (as ECR answered it), then one
 * per listed account in aws-region, each once. One ECR token opens every registry the principal may
 * pull from ("An authentication token is used to access any Amazon ECR registry that your IAM
 * principal has access to", Amazon ECR user guide, "Private registry authentication").
 */
export function registryHosts(loginRegistry: string, spec: RegistrySpec, region: string): string[] {
  const accounts = spec.type === 'private' ? spec.accounts : [];
  return [...new Set([loginRegistry, ...accounts.map((account) => privateRegistryHost(account, region))])];
}
