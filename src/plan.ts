import type { AwsAuth } from './aws/auth.ts';
import { ECR_PUBLIC_REGION, privateRegistryHost, type RegistrySpec } from './aws/registry.ts';
import type { Config } from './config.ts';
import { createGitHubClient } from './github/client.ts';
import { resolveTargets } from './github/repositories.ts';
import { describeTarget, type Target } from './github/targets.ts';
import { prepareTargets, writeNotes, type PreparedTarget, type SecretResult } from './github/writer.ts';
import { reportRun, type Reporter } from './report.ts';
import { secretNames, unchangingSecretNames } from './secrets.ts';

/**
 * The dry run (`dry-run: true`): every target resolved, every public key read (proof that
 * github-token can reach it), and with max-age what is due; then the plan is reported. It never
 * asks AWS for anything (no OIDC token, no STS, no ECR: the AWS side is not even loaded), never
 * creates an environment and never writes a secret.
 */
export async function planRun(config: Config, io: Reporter): Promise<void> {
  const now = new Date();
  let targets = config.targets.map(describeTarget);
  const names = secretNames(config.secretNames);
  let notes: readonly string[] = [];
  let unresolved = config.repositorySelection?.patterns ?? [];
  let results: SecretResult[] | undefined;
  let error: unknown;
  try {
    const { token, apiUrl, tokenSource } = config.github;
    const github = await createGitHubClient({ token, tokenName: tokenSource.name, apiUrl, log: io });
    // Repository patterns are resolved as a real run resolves them: the plan names the repositories they match.
    if (config.repositorySelection) {
      const resolved = await resolveTargets(github, config.targets, config.repositorySelection, tokenSource);
      targets = resolved.targets.map(describeTarget);
      notes = resolved.notes;
      unresolved = [];
      for (const note of notes) io.info(note);
    }
    const prepared = await Promise.all(
      prepareTargets(github, targets, names, {
        ...(config.maxAgeMs === undefined ? {} : { maxAgeMs: config.maxAgeMs }),
        now,
        unchanging: unchangingSecretNames(config.secretNames),
        dryRun: true,
        tokenSource,
      }),
    );
    results = prepared.flatMap(plannedResults);
  } catch (thrown) {
    // Errors reaching here were written for the user; the report turns them into failed secrets.
    error = thrown;
  }
  // Until the patterns are resolved, each stands for the repositories it will match.
  const plans = [...targets, ...unresolved.map(({ text }) => ({ label: text, takesEffect: '' }))].map((target) => ({
    target,
    due: names.map((name) => ({ name })),
    results: [],
  }));
  const dryRun = { unchecked: uncheckedPermissions(config.auth, config.region, targets, config.registry) };
  await reportRun(io, { plans, ...(results ? { results } : {}), dryRun, notes }, now, error);
}

/** A prepared target as the plan tells it: what is known (skipped, failed), and each due secret as `planned`, with the settings its write would send. */
export function plannedResults(prepared: PreparedTarget): SecretResult[] {
  return [
    ...prepared.results,
    ...prepared.due.map(({ name, settings }): SecretResult => {
      const detail = writeNotes(prepared, settings);
      return {
        target: prepared.target.label,
        secret: name,
        status: 'planned',
        takesEffect: settings.takesEffect,
        settings: settings.body,
        ...(detail ? { detail } : {}),
      };
    }),
  ];
}

/**
 * What a dry run cannot prove without writing or asking AWS: the write permission of each kind of
 * target (reading a public key needs read access only), the AWS side of the identity the inputs
 * choose, the login the registry type needs (ECR Public's is asked in us-east-1 whatever aws-region
 * says), the pulls from the other accounts of `registries`, and creating environments when
 * create-environment may.
 */
export function uncheckedPermissions(
  auth: AwsAuth,
  region: string,
  targets: readonly Target[],
  registry: RegistrySpec,
): string[] {
  const writes = [...new Set(targets.map((target) => target.permission))].map(
    (permission) => `Writing the secrets: ${permission}; reading the public key needs read access only.`,
  );
  const creating = [...new Set(targets.flatMap((target) => (target.missing?.allowed ? [target.missing] : [])))];
  const create = creating[0]
    ? [`Creating a missing environment (${creating[0].input}): ${creating[0].permission}.`]
    : [];
  return [...writes, ...create, awsIdentity(auth), ...registryLogin(registry, region)];
}

/** The AWS rights the ECR login needs, and for `registries` the pulls the docker config's other hosts stand for. */
function registryLogin(registry: RegistrySpec, region: string): string[] {
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
      return "The runner's default AWS credentials (environment, profile, container or instance role): none was looked for.";
    // The command's two paths (src/cli/options.ts).
    case 'web-identity':
      return `sts:AssumeRoleWithWebIdentity on ${auth.roleArn} with the token from ${auth.tokenSource}, whose issuer, sub and aud its trust policy must accept.`;
    case 'default-chain-and-role':
      return `sts:AssumeRole on ${auth.roleArn} with the default credential chain's identity: allowed to it, and accepted by the role's trust policy.`;
  }
}
