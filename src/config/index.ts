import { checkApiUrl, tokenHasSpaces } from './checks.ts';
import type { InputName } from './input-names.ts';
import { partitionById, partitionOfRegion, PARTITIONS } from '../aws/partitions.ts';
import { urlForMessages } from '../net/failures.ts';
import { parseDuration, formatDuration } from '../util/duration.ts';
import { DEFAULT_WRITE_INTERVAL_MS, MAX_WRITE_INTERVAL_MS, isGitHubCloud, minWriteIntervalMs } from '../github/pace.ts';
import type { AccessKeys, AwsAuth } from '../aws/auth.ts';
import {
  repositoryTarget,
  SECRET_APPS,
  type RepositoryPattern,
  type RepositorySelection,
  type SecretApp,
  type TargetSpec,
} from '../github/targets/spec.ts';
import { ECR_PUBLIC_PARTITION, type RegistrySpec } from '../aws/registry.ts';
import type { TokenSource } from '../github/errors.ts';
import { parseImageReference, type ImageReference } from '../aws/pull-check/image-reference.ts';
import { MAX_REGISTRY_ACCOUNTS, SECRET_KINDS, type SecretKindName, type SecretNames } from '../run/secret-kinds.ts';

/** Reads one input by its name in action.yml; `core.getInput` in the action, a plain map in tests. */
export type InputReader = (name: string) => string;

/** What the run knows about itself: `@actions/github`'s `context` in the action. */
export interface RunContext {
  /** `owner/name` of the repository the workflow runs in, when there is one. */
  repository?: string;
  runId?: number;
  runAttempt?: number;
  /** The runner's GitHub REST API, for when github-api-url is empty. */
  apiUrl: string;
}

/** The AWS part of a run: every front door has it, whatever it writes to. */
export interface AwsConfig {
  region: string;
  auth: AwsAuth;
  /** Images the fresh password must be able to pull (`verify-images`), checked beside the writes; none by default. */
  verifyImages: readonly ImageReference[];
}

export interface Config extends AwsConfig {
  /** `tokenSource`: what GitHub's refusals call the token; its input here, which another front door replaces with its own. */
  github: { token: string; apiUrl: string; tokenSource: TokenSource };
  /** The targets named exactly; with `repositorySelection`, possibly none. */
  targets: TargetSpec[];
  /** Repository patterns (`acme/svc-*`) and topics, resolved by listing each owner's repositories before the run. */
  repositorySelection?: RepositorySelection;
  secretNames: SecretNames;
  /** Skip a secret whose stored `updated_at` is younger than this. */
  maxAgeMs?: number;
  /** Private ECR (with the other accounts' registries the docker config names) or ECR Public. */
  registry: RegistrySpec;
  /** Plan only: resolve targets, read their keys and decide what is due; no AWS call, no write (`dry-run`). */
  dryRun: boolean;
  /** The spacing between GitHub writes (`write-interval`). */
  writeIntervalMs: number;
}

/**
 * One wrong input: which one, what is wrong, and what to do. `problem` and `fix` name inputs through
 * placeholders, `{max-age}`, which each front door renders in its own words (`renderInputNames`): the
 * action's input name, the command's `--max-age`.
 */
export interface InputProblem {
  input: InputName;
  problem: string;
  fix: string;
}

/** Each placeholder (`{max-age}`) of a problem's text replaced by what `name` calls that input. */
export function renderInputNames(text: string, name: (input: string) => string): string {
  return text.replace(/\{([a-z][a-z0-9]*(?:-[a-z0-9]+)*)\}/g, (_placeholder, input: string) => name(input));
}

export class ConfigError extends Error {
  readonly problems: InputProblem[];
  constructor(problems: InputProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** The action's words: `Input 'max-age': ...`, each placeholder the input's own name. */
export function formatProblem({ input, problem, fix }: InputProblem): string {
  const render = (text: string) => renderInputNames(text, (name) => name);
  return `Input '${input}': ${render(problem)}. ${render(fix)}`;
}

const HOUR_MS = 3_600_000;
/**
 * The longest max-age. ECR passwords live 12h and are issued before the secret's `updated_at`, so
 * a secret skipped at max-age M still holds a password with more than 12h - M of life: at most 11h
 * leaves a queued run at least an hour to pull with it.
 */
const MAX_AGE_LIMIT_MS = 11 * HOUR_MS;
const DEFAULT_AUDIENCE = 'sts.amazonaws.com';
const DEFAULT_DURATION_SECONDS = 900;
/** AWS caps role chaining (AssumeRole signed with temporary credentials) at one hour, whatever the role allows. */
const ROLE_CHAINING_MAX_SECONDS = 3600;

const PATTERNS = {
  /** The partition is checked apart, against the AWS SDK's list (src/aws/partitions.ts). */
  roleArn: /^arn:([a-z-]+):iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/,
  sessionName: /^[\w+=,.@-]{2,64}$/,
  accessKeyId: /^[A-Z0-9]{16,128}$/,
  /** Organisation logins: letters, digits and hyphens, at most 39 characters. */
  organization: /^[A-Za-z0-9][A-Za-z0-9-]{0,38}$/,
  /**
   * Repository owners: a user or organisation login; users of Enterprise Managed Users carry their
   * enterprise's shortcode after an underscore (`alice_acme`). Length is checked apart (39).
   */
  owner: /^[A-Za-z0-9][A-Za-z0-9-]*(?:_[A-Za-z0-9]+)?$/,
  repo: /^[A-Za-z0-9._-]{1,100}$/,
  /** A repository name with `*` and `?` among its characters (checked apart: at least one of them, no `**`). */
  repoGlob: /^[A-Za-z0-9._*?-]{1,100}$/,
  /**
   * GitHub topics: lower-case letters, digits and hyphens, starting with a letter or digit, at most 50
   * characters (GitHub docs, "Classifying your repository with topics"; REST "Replace all repository
   * topics": names "cannot contain uppercase letters", so an input in capitals is compared in lower case).
   */
  topic: /^[a-z0-9][a-z0-9-]{0,49}$/,
  secretName: /^[A-Za-z_][A-Za-z0-9_]*$/,
  durationSeconds: /^\d{1,9}$/,
} as const;
const MAX_LOGIN_LENGTH = 39;

/**
 * Reads and checks every input once. All mistakes are collected, so one run shows them all;
 * nothing here touches the network. Each part reports its own mistakes, and any mistake means no
 * Config, so a part's value is only used when nothing was reported.
 */
export function parseConfig(getInput: InputReader, env: NodeJS.ProcessEnv, context: RunContext): Config {
  const { problems, read, report } = inputChecker(getInput);

  const region = parseRegion(read('aws-region'), env, report);
  const auth = parseAuth(read, context, region, report);
  const github = parseGitHub(read, context, report);
  const secretApp = parseSecretType(read, report);
  const selected = parseTargets(read, context, report);
  const secretNames = parseSecretNames(read, report);
  const maxAgeMs = parseMaxAge(read('max-age'), report);
  const registry = parseRegistry(read, region, secretNames, report);
  const dryRun = parseBoolean(read, 'dry-run', report);
  const writeIntervalMs = parseWriteInterval(read('write-interval'), github?.apiUrl, report);
  const verifyImages = parseVerifyImages(read('verify-images'), report);

  if (problems.length > 0 || !region || !github || !selected || !registry) {
    throw new ConfigError(problems);
  }
  const targets = withApp(selected.targets, secretApp);
  const repositorySelection = selected.repositorySelection && {
    ...selected.repositorySelection,
    ...(secretApp === 'actions' ? {} : { app: secretApp }),
  };
  return {
    region,
    auth,
    verifyImages,
    github,
    targets,
    ...(repositorySelection ? { repositorySelection } : {}),
    secretNames,
    ...(maxAgeMs === undefined ? {} : { maxAgeMs }),
    registry,
    dryRun,
    writeIntervalMs,
  };
}

/**
 * The AWS inputs alone (`aws-region` and the credential inputs), checked as `parseConfig` checks them:
 * for a front door whose run writes no GitHub secret (the command with only a dotenv file or GitLab).
 */
export function parseAwsConfig(getInput: InputReader, env: NodeJS.ProcessEnv, context: RunContext): AwsConfig {
  const { problems, read, report } = inputChecker(getInput);
  const region = parseRegion(read('aws-region'), env, report);
  const auth = parseAuth(read, context, region, report);
  const verifyImages = parseVerifyImages(read('verify-images'), report);
  if (problems.length > 0 || !region) throw new ConfigError(problems);
  return { region, auth, verifyImages };
}

/** `verify-images`: image references, one per line or separated by commas, each once; none by default. */
function parseVerifyImages(text: string, report: Report): ImageReference[] {
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

type Report = (input: InputName, problem: string, fix: string) => void;
type Read = (name: InputName) => string;

/** Inputs read trimmed, and every mistake collected, so that one run shows them all. */
function inputChecker(readInput: InputReader): { problems: InputProblem[]; read: Read; report: Report } {
  const problems: InputProblem[] = [];
  return {
    problems,
    read: (name) => readInput(name).trim(),
    report: (input, problem, fix) => void problems.push({ input, problem, fix }),
  };
}

/**
 * A boolean input as `core.getBooleanInput` reads it (YAML 1.2 core schema: true, True, TRUE, false,
 * False, FALSE), empty meaning false. Anything else is a mistake, never quietly false: `dry-run: yes`
 * read as false would write.
 */
function parseBoolean(read: Read, input: InputName, report: Report): boolean {
  const text = read(input);
  if (text === '' || ['false', 'False', 'FALSE'].includes(text)) return false;
  if (['true', 'True', 'TRUE'].includes(text)) return true;
  report(input, `"${text}" is not a boolean`, 'Use true or false (True, TRUE, False and FALSE are accepted too).');
  return false;
}

function parseRegion(value: string, env: NodeJS.ProcessEnv, report: Report): string | undefined {
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

function parseAuth(read: Read, context: RunContext, region: string | undefined, report: Report): AwsAuth {
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

/** The action's token: its input, held in a secret of the workflow's repository or organisation. */
export const GITHUB_TOKEN_INPUT: TokenSource = { name: 'github-token', renewal: 'update the secret that holds it' };

function parseGitHub(read: Read, context: RunContext, report: Report): Config['github'] | undefined {
  const token = read('github-token');
  if (!token) {
    report(
      'github-token',
      'it is empty',
      "Pass a token that may write secrets, such as ${{ secrets.SECRETS_WRITER_TOKEN }} (a fine-grained PAT or a GitHub App token). The workflow's GITHUB_TOKEN cannot write secrets.",
    );
  }
  // Never quote it: a token with a line break in it could not be masked as one value.
  const tokenIsOneWord = !tokenHasSpaces(token);
  if (token && !tokenIsOneWord) {
    report(
      'github-token',
      'it contains spaces, line breaks or other control characters, which no GitHub token has',
      'Check the secret that holds it: paste the token alone, on one line.',
    );
  }
  const apiUrl = parseApiUrl(read('github-api-url') || context.apiUrl, report);
  return token && tokenIsOneWord && apiUrl ? { token, apiUrl, tokenSource: GITHUB_TOKEN_INPUT } : undefined;
}

/**
 * The GitHub REST API base: https, or plain http to a loopback host only (nothing leaves the
 * machine then). No credentials, query or fragment: the token travels in a header, and Octokit
 * appends paths to the base as text. A URL with credentials is never printed with them.
 */
function parseApiUrl(text: string, report: Report): string | undefined {
  const shown = `"${urlForMessages(text)}"`;
  const fix = "Leave it unset to use this runner's GitHub API, or give one such as https://ghe.example.com/api/v3.";
  const { url, problem } = checkApiUrl(text);
  if (problem === 'not a URL') {
    report('github-api-url', `${shown} is not a URL`, fix);
    return undefined;
  }
  if (problem === 'credentials') {
    report(
      'github-api-url',
      `${shown} holds credentials (user:password@)`,
      'Remove them: the action authenticates with {github-token}. Rotate that password if it was a real one.',
    );
    return undefined;
  }
  if (problem === 'not https' || problem === 'not http(s)') {
    report(
      'github-api-url',
      `${shown} is not an https URL (plain http is accepted for loopback hosts only)`,
      'Use https://, such as https://ghe.example.com/api/v3.',
    );
    return undefined;
  }
  if (problem === 'query or fragment' || !url) {
    report(
      'github-api-url',
      `${shown} has a query or fragment`,
      'Give the API base URL alone, such as https://ghe.example.com/api/v3.',
    );
    return undefined;
  }
  return url.href.replace(/\/+$/, '');
}

export { isLoopback } from './checks.ts';

/** Splits a list input on newlines and commas, as actions/create-github-app-token does. */
export function splitList(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

interface ParsedTargets {
  targets: TargetSpec[];
  repositorySelection?: RepositorySelection;
}

function parseTargets(read: Read, context: RunContext, report: Report): ParsedTargets | undefined {
  const organization = read('organization');
  const environment = read('environment');
  const repositoriesText = read('repositories');
  const visibilityText = read('visibility');
  const selectedText = read('selected-repositories');
  const createEnvironment = parseBoolean(read, 'create-environment', report);
  if (createEnvironment && !environment) {
    report(
      'create-environment',
      'it only applies to environment secrets, and {environment} is not set',
      'Set {environment} to the environment to create when a repository lacks it, or remove {create-environment}.',
    );
  }
  const topicsText = read('repository-topics');

  const allowRemoval = parseBoolean(read, 'allow-repository-removal', report);
  if (organization) {
    const targets = parseOrganizationTarget(
      organization,
      { environment, repositoriesText, visibilityText, selectedText, topicsText, allowRemoval },
      report,
    );
    return targets && { targets };
  }
  if (allowRemoval) {
    report(
      'allow-repository-removal',
      'it only applies to an organisation secret with visibility: selected',
      'Remove allow-repository-removal, or set organization with visibility: selected.',
    );
  }
  for (const [input, value] of [
    ['visibility', visibilityText],
    ['selected-repositories', selectedText],
  ] as const) {
    if (value)
      report(input, 'it only applies to organisation secrets', `Set {organization} too, or remove {${input}}.`);
  }

  if (environment && !isValidEnvironmentName(environment)) {
    report(
      'environment',
      `"${environment}" is not a valid environment name`,
      'Use the name shown under Settings > Environments (at most 255 characters, no control characters, not . or ..).',
    );
  }
  const names = repositoriesText ? splitList(repositoriesText) : [context.repository ?? ''];
  if (!repositoriesText && !context.repository) {
    report(
      'repositories',
      'it is empty and GITHUB_REPOSITORY is not set',
      'List the repositories to write to as owner/name.',
    );
    return undefined;
  }
  if (names.length === 0) {
    // Only separators (",", " , \n"): writing nothing and passing would hide the mistake.
    report(
      'repositories',
      `"${repositoriesText}" names no repository`,
      'List the repositories to write to as owner/name, or leave it unset for the current repository.',
    );
    return undefined;
  }
  const repositories: { owner: string; repo: string }[] = [];
  const patterns: RepositoryPattern[] = [];
  const seen = new Set<string>();
  for (const name of names) {
    const isPattern = /[*?]/.test(name);
    const parsed = isPattern ? parseRepositoryPattern(name, report) : parseRepositoryName(name);
    if (!parsed) {
      if (!isPattern)
        report(
          'repositories',
          `"${name}" is not of the form owner/name`,
          'List repositories as owner/name, or a pattern such as owner/svc-*, one per line or separated by commas.',
        );
      continue;
    }
    const [owner, repo] = 'text' in parsed ? [parsed.owner, parsed.name] : [parsed.owner, parsed.repo];
    // GitHub names are case-insensitive: `octo/App` and `octo/app` (or `octo/SVC-*` and `octo/svc-*`) are one.
    const key = `${owner}/${repo}`.toLowerCase();
    if (seen.has(key)) {
      report('repositories', `"${name}" is listed twice`, 'List each repository once.');
      continue;
    }
    seen.add(key);
    if ('text' in parsed) patterns.push(parsed);
    else repositories.push(parsed);
  }
  const holder = environment ? { environment, ...(createEnvironment ? { createIfMissing: true as const } : {}) } : {};
  const topics = parseTopics(topicsText, report);
  if (topics.length > 0 && !names.some((name) => /[*?]/.test(name))) {
    report(
      'repository-topics',
      'it filters the repositories a pattern in {repositories} matches, and {repositories} holds no pattern (names listed exactly are written as listed)',
      'Add a pattern such as octo-org/* to {repositories}, or remove {repository-topics}.',
    );
  }
  return {
    targets: repositories.map(({ owner, repo }) => repositoryTarget(owner, repo, holder)),
    ...(patterns.length > 0 ? { repositorySelection: { patterns, topics, ...holder } } : {}),
  };
}

/**
 * `owner/glob`: a login, then a repository name with `*` (any run of characters) and `?` (one).
 * The owner is never a pattern: resolving one lists a single owner's repositories.
 */
function parseRepositoryPattern(text: string, report: Report): RepositoryPattern | undefined {
  const fix = 'Give a pattern as owner/name with * and ? in the name only, such as octo-org/svc-* or octo-org/*.';
  const parts = text.split('/');
  const [owner = '', name = ''] = parts;
  if (parts.length !== 2) {
    report('repositories', `"${text}" is not of the form owner/pattern`, fix);
    return undefined;
  }
  if (/[*?]/.test(owner)) {
    report(
      'repositories',
      `"${text}" has a pattern in the owner, and only repository names may be patterns`,
      'Name the owner (user or organisation) exactly, such as octo-org/svc-*; list each owner on its own line.',
    );
    return undefined;
  }
  if (!isValidOwner(owner)) {
    report('repositories', `"${text}" does not start with a user or organisation login`, fix);
    return undefined;
  }
  if (name.includes('**')) {
    report(
      'repositories',
      `"${text}" has **, and names hold no folders: one * already matches any run of characters`,
      'Use a single *, such as octo-org/svc-*.',
    );
    return undefined;
  }
  if (!PATTERNS.repoGlob.test(name)) {
    report(
      'repositories',
      `"${text}" has characters no repository name holds (patterns know only * and ?)`,
      'Use letters, digits, . _ - and the wildcards * and ?, such as octo-org/svc-*.',
    );
    return undefined;
  }
  return { text, owner, name };
}

/** repository-topics: a list, compared without regard to case as GitHub stores topics in lower case. */
function parseTopics(text: string, report: Report): string[] {
  const topics: string[] = [];
  for (const entry of splitList(text)) {
    const topic = entry.toLowerCase();
    if (!PATTERNS.topic.test(topic)) {
      report(
        'repository-topics',
        `"${entry}" is not a GitHub topic`,
        'Topics are letters, digits and hyphens, start with a letter or digit, and are at most 50 characters, such as ecr or team-payments.',
      );
      continue;
    }
    if (!topics.includes(topic)) topics.push(topic);
  }
  return topics;
}

function parseOrganizationTarget(
  org: string,
  others: {
    environment: string;
    repositoriesText: string;
    visibilityText: string;
    selectedText: string;
    topicsText: string;
    allowRemoval: boolean;
  },
  report: Report,
): TargetSpec[] | undefined {
  if (!PATTERNS.organization.test(org)) {
    report(
      'organization',
      `"${org}" is not a valid organisation login`,
      'Give the organisation name as it appears in its URL, such as octo-org.',
    );
  }
  if (others.environment) {
    report(
      'environment',
      'organisation secrets have no environment',
      'Remove {environment} to write organisation secrets, or remove {organization} to write environment secrets.',
    );
  }
  if (others.repositoriesText) {
    report(
      'repositories',
      'it does not apply to organisation secrets',
      'To choose which repositories see the organisation secret, use visibility: selected with {selected-repositories}.',
    );
  }
  const visibility = others.visibilityText ? others.visibilityText.toLowerCase() : undefined;
  if (visibility !== undefined && visibility !== 'all' && visibility !== 'private' && visibility !== 'selected') {
    report(
      'visibility',
      `"${others.visibilityText}" is not one of all, private, selected`,
      "Use all, private or selected; leave it unset to keep an existing secret's visibility (a new one is private).",
    );
    return undefined;
  }
  const selected = splitList(others.selectedText);
  if (visibility === 'selected' && selected.length === 0) {
    report(
      'selected-repositories',
      'it is empty but visibility is selected',
      'List the repositories that may read the secret, by name or with a pattern such as svc-*.',
    );
  }
  if (others.allowRemoval && visibility !== 'selected') {
    report(
      'allow-repository-removal',
      `it only applies with visibility: selected (visibility is ${visibility ?? 'not set'})`,
      'Set visibility: selected, or remove allow-repository-removal.',
    );
  }
  if (visibility !== 'selected' && selected.length > 0) {
    report(
      'selected-repositories',
      `it only applies with visibility: selected (visibility is ${visibility ?? 'not set'})`,
      'Set visibility: selected, or remove {selected-repositories}.',
    );
  }
  const selectedRepositories: string[] = [];
  const selectedPatterns: RepositoryPattern[] = [];
  const seen = new Set<string>();
  for (const entry of selected) {
    if (/[*?]/.test(entry)) {
      const pattern = parseSelectedPattern(org, entry, report);
      if (!pattern) continue;
      if (seen.has(pattern.name.toLowerCase())) {
        report('selected-repositories', `"${entry}" is listed twice`, 'List each repository or pattern once.');
        continue;
      }
      seen.add(pattern.name.toLowerCase());
      selectedPatterns.push(pattern);
      continue;
    }
    // Every part counts: `octo/app/extra` is refused, not cut to octo/app.
    const parsed = entry.includes('/')
      ? parseRepositoryName(entry)
      : isValidRepo(entry)
        ? { owner: org, repo: entry }
        : undefined;
    if (!parsed || parsed.owner.toLowerCase() !== org.toLowerCase()) {
      report(
        'selected-repositories',
        `"${entry}" is not a repository of ${org}`,
        `List repositories of ${org} by name, such as app or ${org}/app.`,
      );
      continue;
    }
    // Repository names are case-insensitive on GitHub: `api` and `API` are one repository.
    if (seen.has(parsed.repo.toLowerCase())) {
      report('selected-repositories', `"${entry}" is listed twice`, 'List each repository once.');
      continue;
    }
    seen.add(parsed.repo.toLowerCase());
    selectedRepositories.push(parsed.repo);
  }
  const topics = parseTopics(others.topicsText, report);
  if (topics.length > 0 && selectedPatterns.length === 0) {
    report(
      'repository-topics',
      'with organization, it filters the repositories a pattern in selected-repositories matches, and selected-repositories holds no pattern',
      'Add a pattern such as svc-* to selected-repositories (with visibility: selected), or remove repository-topics.',
    );
  }
  return [
    {
      kind: 'organization',
      org,
      ...(visibility ? { visibility } : {}),
      selectedRepositories,
      ...(selectedPatterns.length > 0 ? { selectedPatterns, topics } : {}),
      ...(others.allowRemoval ? { allowRepositoryRemoval: true as const } : {}),
    },
  ];
}

/**
 * A pattern in selected-repositories: on the names of the organisation's own repositories, as
 * `svc-*` or `octo-org/svc-*`; `*` any run of characters and `?` one, as in repositories.
 */
function parseSelectedPattern(org: string, entry: string, report: Report): RepositoryPattern | undefined {
  const parts = entry.split('/');
  const [owner, name = ''] = parts.length === 2 ? parts : [org, entry];
  if (parts.length > 2 || owner?.toLowerCase() !== org.toLowerCase()) {
    report(
      'selected-repositories',
      `"${entry}" is not a pattern on the repositories of ${org}`,
      `Give a pattern on the name alone, such as svc-* or ${org}/svc-*: an organisation secret is shared with repositories of its organisation only.`,
    );
    return undefined;
  }
  if (name.includes('**') || !PATTERNS.repoGlob.test(name)) {
    report(
      'selected-repositories',
      `"${entry}" is not a pattern on repository names`,
      'Use letters, digits, . _ - and the wildcards * (any characters, a single one) and ?, such as svc-*.',
    );
    return undefined;
  }
  return { text: entry, owner: org, name };
}

export function parseRepositoryName(text: string): { owner: string; repo: string } | undefined {
  const parts = text.split('/');
  if (parts.length !== 2) return undefined;
  const [owner = '', repo = ''] = parts;
  return isValidOwner(owner) && isValidRepo(repo) ? { owner, repo } : undefined;
}

function isValidOwner(owner: string): boolean {
  return owner.length <= MAX_LOGIN_LENGTH && PATTERNS.owner.test(owner);
}

function isValidRepo(repo: string): boolean {
  return PATTERNS.repo.test(repo) && repo !== '.' && repo !== '..';
}

function isValidEnvironmentName(name: string): boolean {
  // The name is one URL path segment (encoded, so `/` is safe), but `.` and `..` stay as they are
  // and URL parsing resolves them: `environments/../secrets` would reach the repository's secrets.
  // eslint-disable-next-line no-control-regex
  return name.length <= 255 && !/[\u0000-\u001f\u007f]/.test(name) && name !== '.' && name !== '..';
}

/** One name per kind of secret (secrets.ts): a kind's input, or its default name when the input is empty. */
function parseSecretNames(read: Read, report: Report): SecretNames {
  const names: Partial<Record<SecretKindName, string>> = {};
  const seen = new Map<string, string>();
  for (const { kind, input, defaultName } of SECRET_KINDS) {
    const name = read(input) || defaultName;
    if (!name) continue;
    names[kind] = name;
    const problem = secretNameProblem(name);
    if (problem) {
      report(
        input,
        `"${name}" ${problem}`,
        'Secret names may contain only letters, digits and underscores, must not start with a digit or GITHUB_, and are at most 255 characters.',
      );
      continue;
    }
    const other = seen.get(name.toUpperCase());
    if (other) {
      report(
        input,
        `"${name}" is the same name as {${other}} (secret names are case-insensitive)`,
        'Give each secret its own name.',
      );
    }
    seen.set(name.toUpperCase(), input);
  }
  // Every kind that SecretNames requires has a default name, so it is set.
  return names as SecretNames;
}

/** GitHub's naming rules ("Secrets reference"); the API itself does not check them. */
export function secretNameProblem(name: string): string | undefined {
  if (/^\d/.test(name)) return 'starts with a digit';
  if (!PATTERNS.secretName.test(name)) return 'contains characters other than letters, digits and underscores';
  if (/^GITHUB_/i.test(name)) return 'starts with GITHUB_, which GitHub reserves';
  if (name.length > 255) return 'is longer than 255 characters';
  return undefined;
}

function parseMaxAge(text: string, report: Report): number | undefined {
  if (!text) return undefined;
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) {
    report('max-age', `"${text}" is not a duration`, 'Use a number with a unit, such as 6h, 90m or 1h30m.');
    return undefined;
  }
  if (ms > MAX_AGE_LIMIT_MS) {
    report(
      'max-age',
      `${formatDuration(ms)} is more than 11h: an ECR password lives 12h, so a secret skipped at this age could expire within the hour, before a queued run pulls with it`,
      'Use at most 11h; run the workflow at least every 12h minus {max-age} minus a margin, such as every 6h with {max-age} 5h.',
    );
    return undefined;
  }
  return ms;
}

/**
 * `secret-type`: which app's secrets to write (Actions, Dependabot, Codespaces). Environments hold
 * Actions secrets only, so the pair is refused here rather than sent to a route GitHub does not have.
 */
function parseSecretType(read: Read, report: Report): SecretApp {
  const text = read('secret-type');
  const app = SECRET_APPS.find((name) => name === text.toLowerCase());
  if (text && !app) {
    report(
      'secret-type',
      `"${text}" is not one of ${SECRET_APPS.join(', ')}`,
      'Use actions (the default), dependabot or codespaces.',
    );
    return 'actions';
  }
  if (app && app !== 'actions' && read('environment')) {
    report(
      'environment',
      `environments hold GitHub Actions secrets only, and {secret-type} is ${app}`,
      `Remove {environment} to write ${app} secrets of the repositories, or remove {secret-type} to write environment secrets.`,
    );
  }
  return app ?? 'actions';
}

/** The targets with the app whose secrets they receive; Actions, the default, is left implicit. */
function withApp(targets: TargetSpec[], app: SecretApp): TargetSpec[] {
  if (app === 'actions') return targets;
  return targets.map((spec) => (spec.kind === 'environment' ? spec : { ...spec, app }));
}

/**
 * `registry-type` and `registries`: ECR Public, or a private registry with the other accounts whose
 * registries the docker config also names. Account ids stay text: `012345678901` is an account.
 */
function parseRegistry(
  read: Read,
  region: string | undefined,
  secretNames: SecretNames,
  report: Report,
): RegistrySpec | undefined {
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
    // GitHub's 48 KB limit for one secret (secrets.ts, MAX_REGISTRY_ACCOUNTS, has the arithmetic).
    report(
      'registries',
      `it lists ${accounts.length} accounts, and at most ${MAX_REGISTRY_ACCOUNTS} fit: each adds an entry of up to 3.8 KB to the docker config (an ECR password runs to 2,700 characters), and GitHub refuses a secret over 48 KB`,
      `List at most ${MAX_REGISTRY_ACCOUNTS} accounts; for more, add a step per group of accounts, each with its own {docker-config-secret-name}.`,
    );
  }
  if (!secretNames.dockerConfig) {
    // The password (and username) secrets are the same for every registry: the list would change nothing written.
    report(
      'registries',
      'it only shapes the docker-config secret, and {docker-config-secret-name} is not set',
      'Set {docker-config-secret-name} (such as DOCKER_AUTH_CONFIG), or remove {registries}: the password secret already opens every registry the identity may pull from.',
    );
  }
  return { type: 'private', accounts };
}

/**
 * `write-interval`: a second unless given (GitHub's advice on github.com). On GitHub's cloud never
 * faster than its 80 content-creating requests a minute (750 ms); GitHub Enterprise Server turns
 * secondary limits off by default, so there it may be shorter, but never shorter than the 900 points
 * a minute allow at 5 points a write (334 ms), the rule GHES applies when its administrator turns
 * them on. At most a minute (src/github/pace.ts, MAX_WRITE_INTERVAL_MS).
 */
function parseWriteInterval(text: string, apiUrl: string | undefined, report: Report): number {
  if (!text) return DEFAULT_WRITE_INTERVAL_MS;
  const ms = parseDuration(text);
  if (ms === undefined) {
    report('write-interval', `"${text}" is not a duration`, 'Use a number with a unit, such as 1s or 500ms.');
    return DEFAULT_WRITE_INTERVAL_MS;
  }
  const least = minWriteIntervalMs(apiUrl);
  if (ms < least) {
    report(
      'write-interval',
      isGitHubCloud(apiUrl)
        ? `${ms}ms is shorter than ${least}ms, the least GitHub.com allows (80 content-creating requests a minute)`
        : `${ms}ms is shorter than ${least}ms, the least GitHub's secondary rate limit allows (900 points a minute, 5 points a write)`,
      `Use at least ${least}ms; 1s (the default) on github.com, as GitHub advises.`,
    );
    return DEFAULT_WRITE_INTERVAL_MS;
  }
  if (ms > MAX_WRITE_INTERVAL_MS) {
    report(
      'write-interval',
      `${formatDuration(ms)} is longer than ${formatDuration(MAX_WRITE_INTERVAL_MS)}, the longest wait between writes the action keeps`,
      `Use at most ${formatDuration(MAX_WRITE_INTERVAL_MS)}; 1s (the default) is GitHub's advice, and a slower pace only lengthens the run.`,
    );
    return DEFAULT_WRITE_INTERVAL_MS;
  }
  return ms;
}
