import { partitionById, partitionOfRegion, PARTITIONS } from '../aws/partitions.ts';
import type { AccessKeys, AwsAuth } from '../aws/auth.ts';
import { ECR_PUBLIC_PARTITION, type RegistrySpec } from '../aws/registry.ts';
import { parseImageReference, type ImageReference } from '../aws/pull-check/image-reference.ts';
import { MAX_REGISTRY_ACCOUNTS } from '../run/secret-kinds.ts';
import { splitList, type Read, type Report, type RunContext } from './problems.ts';

/**
 * The AWS side of the inputs: the region, the identity (keys, a role, OIDC, the default chain), the
 * registry (private with other accounts, or ECR Public) and the images to check. Every front door
 * has this side, whatever it writes to: the command fetches an ECR Public password for a dotenv file
 * or a GitLab variable alone.
 */

/** The AWS part of a run: every front door has it, whatever it writes to. */
export interface AwsConfig {
  region: string;
  auth: AwsAuth;
  /** Private ECR (with the other accounts' registries the docker config names) or ECR Public. */
  registry: RegistrySpec;
  /** Images the fresh password must be able to pull (`verify-images`), checked beside the writes; none by default. */
  verifyImages: readonly ImageReference[];
}

const DEFAULT_AUDIENCE = 'sts.amazonaws.com';
const DEFAULT_DURATION_SECONDS = 900;
/** AWS caps role chaining (AssumeRole signed with temporary credentials) at one hour, whatever the role allows. */
const ROLE_CHAINING_MAX_SECONDS = 3600;

const PATTERNS = {
  /** The partition is checked apart, against the AWS SDK's list (src/aws/partitions.ts). */
  roleArn: /^arn:([a-z-]+):iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/,
  sessionName: /^[\w+=,.@-]{2,64}$/,
  accessKeyId: /^[A-Z0-9]{16,128}$/,
  durationSeconds: /^\d{1,9}$/,
} as const;

/** `verify-images`: image references, one per line or separated by commas, each once; none by default. */
export function parseVerifyImages(text: string, report: Report): ImageReference[] {
  const images: ImageReference[] = [];
  for (const entry of splitList(text)) {
    const parsed = parseImageReference(entry);
    if ('problem' in parsed)
      report(
        'verify-images',
        parsed.problem,
        'List images as repository:tag in the registry of this run, or as <account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag> or public.ecr.aws/<alias>/<repository>:<tag>.',
      );
    else if (images.some((image) => image.text === parsed.text))
      report('verify-images', `"${entry}" is listed twice`, 'List each image once.');
    else images.push(parsed);
  }
  return images;
}

export function parseRegion(value: string, env: NodeJS.ProcessEnv, report: Report): string | undefined {
  const region = value || env['AWS_REGION'] || env['AWS_DEFAULT_REGION'] || '';
  if (!region) {
    report(
      'aws-region',
      'no AWS region is set',
      'Set {aws-region} (for example eu-west-1), or AWS_REGION in the environment.',
    );
    return undefined;
  }
  if (!partitionOfRegion(region)) {
    report(
      'aws-region',
      `"${region}" is not an AWS region code`,
      'Use a region code in lower case, such as eu-west-1, cn-north-1 or us-gov-west-1.',
    );
    return undefined;
  }
  return region;
}

export function parseAuth(read: Read, context: RunContext, region: string | undefined, report: Report): AwsAuth {
  const roleArn = read('role-to-assume');
  const accessKeyId = read('aws-access-key-id');
  const secretAccessKey = read('aws-secret-access-key');
  const sessionToken = read('aws-session-token');

  if (roleArn) checkRoleArn(roleArn, region, report);
  if (accessKeyId && !secretAccessKey) {
    report(
      'aws-secret-access-key',
      "it must be provided if '{aws-access-key-id}' is provided",
      'Set both keys, or neither to use OIDC or the default credential chain.',
    );
  }
  if (secretAccessKey && !accessKeyId) {
    report(
      'aws-access-key-id',
      "it must be provided if '{aws-secret-access-key}' is provided",
      'Set both keys, or neither to use OIDC or the default credential chain.',
    );
  }
  if (accessKeyId && !PATTERNS.accessKeyId.test(accessKeyId)) {
    // Never echo the value: a mistyped key can be a secret pasted into the wrong input.
    report(
      'aws-access-key-id',
      'it is not an AWS access key id (upper-case letters and digits, such as AKIA...)',
      'Check that the right secret is passed to {aws-access-key-id}.',
    );
  }
  if (sessionToken && !accessKeyId) {
    report(
      'aws-session-token',
      'it is only used together with {aws-access-key-id} and {aws-secret-access-key}',
      'Set the keys too, or remove {aws-session-token}.',
    );
  }

  const audience = read('audience') || DEFAULT_AUDIENCE;
  const sessionName = read('role-session-name') || defaultSessionName(context);
  if (!PATTERNS.sessionName.test(sessionName)) {
    report(
      'role-session-name',
      `"${sessionName}" is not a valid session name`,
      'Use 2 to 64 characters of letters, digits and =,.@_+-.',
    );
  }
  const durationText = read('role-duration-seconds');
  // Decimal digits only: Number() would also read 0x384, 1e3 or 900.0.
  const durationSeconds =
    durationText === ''
      ? DEFAULT_DURATION_SECONDS
      : PATTERNS.durationSeconds.test(durationText)
        ? Number(durationText)
        : Number.NaN;
  if (!Number.isInteger(durationSeconds) || durationSeconds < 900 || durationSeconds > 43200) {
    report(
      'role-duration-seconds',
      `"${durationText}" is not a whole number of seconds from 900 to 43200, in decimal digits`,
      'Leave it unset for the default of 900, which is enough: the action needs the role for seconds.',
    );
  } else if (roleArn && sessionToken && durationSeconds > ROLE_CHAINING_MAX_SECONDS) {
    report(
      'role-duration-seconds',
      `${durationSeconds} is more than 3600, and AWS limits a role assumed with temporary keys ({aws-session-token} set: role chaining) to one hour`,
      'Use at most 3600, or leave it unset for the default of 900.',
    );
  }
  if (!roleArn) {
    for (const input of ['role-session-name', 'role-duration-seconds', 'audience'] as const) {
      if (read(input))
        report(input, 'it only applies when {role-to-assume} is set', `Set {role-to-assume}, or remove {${input}}.`);
    }
  } else if (accessKeyId && read('audience')) {
    // With keys the role is assumed by sts:AssumeRole, which has no audience: an ignored input would mislead.
    report(
      'audience',
      'it only applies to GitHub OIDC, and access keys are set, so {role-to-assume} is assumed with them (sts:AssumeRole)',
      'Remove {audience}, or remove the access keys to use OIDC.',
    );
  }
  const keys: AccessKeys | undefined = accessKeyId
    ? { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) }
    : undefined;
  if (roleArn && keys) return { kind: 'access-keys-and-role', keys, roleArn, sessionName, durationSeconds };
  if (roleArn) return { kind: 'oidc', roleArn, audience, sessionName, durationSeconds };
  if (keys) return { kind: 'access-keys', keys };
  return { kind: 'default-chain' };
}

/**
 * An IAM role ARN in a partition the AWS SDK knows, and the partition of aws-region: STS in one
 * partition cannot assume a role of another.
 */
function checkRoleArn(roleArn: string, region: string | undefined, report: Report): void {
  const partitionId = PATTERNS.roleArn.exec(roleArn)?.[1];
  const partition = partitionId === undefined ? undefined : partitionById(partitionId);
  if (!partition) {
    report(
      'role-to-assume',
      `"${roleArn}" is not an IAM role ARN`,
      `Give the full ARN, such as arn:aws:iam::123456789012:role/ecr-pull; its partition is one of ${PARTITIONS.map((p) => p.id).join(', ')}.`,
    );
    return;
  }
  const regionPartition = region ? partitionOfRegion(region) : undefined;
  if (regionPartition && regionPartition.id !== partition.id) {
    report(
      'role-to-assume',
      `the role is in partition ${partition.id}, but {aws-region} ${region} is in partition ${regionPartition.id}, whose STS cannot assume it`,
      `Give the role's ARN in ${regionPartition.id} (arn:${regionPartition.id}:iam::...), or set {aws-region} to a region of ${partition.id}.`,
    );
  }
}

/** A session name that shows in CloudTrail which run asked: `ecr-secret-refresh-<run id>-<attempt>`. */
function defaultSessionName({ runId, runAttempt }: RunContext): string {
  const run = [runId, runAttempt].filter((n) => n !== undefined && Number.isFinite(n)).join('-');
  return `ecr-secret-refresh${run ? `-${run}` : ''}`.replace(/[^\w+=,.@-]/g, '-').slice(0, 64);
}

/**
 * `registry-type` and `registries`: ECR Public, or a private registry with the other accounts whose
 * registries the docker config also names. Account ids stay text: `012345678901` is an account.
 */
export function parseRegistry(read: Read, region: string | undefined, report: Report): RegistrySpec | undefined {
  const typeText = read('registry-type');
  const type = typeText ? typeText.toLowerCase() : 'private';
  const accountsText = read('registries');
  if (type !== 'private' && type !== 'public') {
    report('registry-type', `"${typeText}" is not one of private, public`, 'Use private (the default) or public.');
    return undefined;
  }
  if (type === 'public') {
    const partition = region ? partitionOfRegion(region) : undefined;
    if (partition && partition.id !== ECR_PUBLIC_PARTITION) {
      report(
        'registry-type',
        `ECR Public exists only in partition aws, and {aws-region} ${region} is in partition ${partition.id}`,
        'Use registry-type: private (the default) for this region, or a region of partition aws (ECR Public is reached in us-east-1 whatever {aws-region} says).',
      );
    }
    if (accountsText) {
      report(
        'registries',
        'it only applies to private registries, and {registry-type} is public (public.ecr.aws is one registry)',
        'Remove {registries}, or set registry-type: private.',
      );
    }
    return { type: 'public' };
  }
  if (!accountsText) return { type: 'private', accounts: [] };
  const accounts: string[] = [];
  for (const account of splitList(accountsText)) {
    if (!/^\d{12}$/.test(account)) {
      report(
        'registries',
        `"${account}" is not an AWS account id`,
        'List 12-digit account ids (leading zeros included), one per line or separated by commas.',
      );
    } else if (accounts.includes(account)) {
      report('registries', `"${account}" is listed twice`, 'List each account once.');
    } else {
      accounts.push(account);
    }
  }
  if (accounts.length > MAX_REGISTRY_ACCOUNTS) {
    // Each account adds an `auths` entry of up to 3.8 KB (the password, in base64): more would pass
    // GitHub's 48 KB limit for one secret (run/secret-kinds.ts, MAX_REGISTRY_ACCOUNTS, has the arithmetic).
    report(
      'registries',
      `it lists ${accounts.length} accounts, and at most ${MAX_REGISTRY_ACCOUNTS} fit: each adds an entry of up to 3.8 KB to the docker config (an ECR password runs to 2,700 characters), and GitHub refuses a secret over 48 KB`,
      `List at most ${MAX_REGISTRY_ACCOUNTS} accounts; for more, add a step per group of accounts, each with its own {docker-config-secret-name}.`,
    );
  }
  return { type: 'private', accounts };
}
