import { readFileSync } from 'node:fs';
import type { AwsAuth } from '../aws/auth.ts';
import {
  ConfigError,
  parseAwsConfig,
  parseConfig,
  renderInputNames,
  type AwsConfig,
  type Config,
  type InputProblem,
  type InputReader,
  type RunContext,
} from '../config/index.ts';
import { isEnvironmentVariableName } from '../config/checks.ts';
import { dotenvRegistriesProblem, type DotenvSettings } from '../gitlab/dotenv-sink.ts';
import { gitlabRegistriesProblem, type GitLabSettings } from '../gitlab/variables-sink.ts';
import { flagOf, NOT_FLAGS, UsageError, type FlagSpec, type ParsedFlags } from './flags.ts';
import { dotenvSettings, gitlabSettings, Problems } from './sink-flags.ts';

/** What one command line asks for, checked: the AWS side, and each sink it names. */
export interface CommandRequest {
  aws: AwsConfig;
  /** GitHub secrets, when --repositories or --organization names a target. */
  github?: Config;
  dotenv?: DotenvSettings;
  gitlab?: GitLabSettings;
  /** `--dry-run`: the plan of the GitHub secrets (the only sink beside which it is accepted), nothing written. */
  dryRun: boolean;
  output: 'text' | 'json';
  verbose: boolean;
  /** Values read from the environment that must never be printed (tokens). */
  secrets: string[];
  /** Settings for the AWS SDK's own providers: the session name of its AWS_WEB_IDENTITY_TOKEN_FILE path in a GitLab job. */
  sdkEnv: Record<string, string>;
  /** What the command decided that the user should read first, on stderr. */
  notes: string[];
}

const DEFAULT_GITHUB_API_URL = 'https://api.github.com';
/** The flags that only the GitLab variable uses. */
const GITLAB_FLAGS = [
  'gitlab-variable',
  'gitlab-protected',
  'gitlab-environment-scope',
  'gitlab-api-url',
  'gitlab-token-env',
] as const;
/** The flags that only the dotenv file uses. */
const DOTENV_FLAGS = [
  'dotenv-password-name',
  'dotenv-username-name',
  'dotenv-docker-config-name',
  'dotenv-docker-config',
] as const;
/** The flags that name an environment variable holding a token. */
const TOKEN_VARIABLE_FLAGS = ['github-token-env', 'web-identity-token-env', 'gitlab-token-env'] as const;
/** AWS caps role chaining (AssumeRole signed with temporary credentials) at one hour, whatever the role allows. */
const ROLE_CHAINING_MAX_SECONDS = 3600;

/**
 * Checks a command line before anything is requested or written: which sinks, the action's inputs
 * (parseConfig's own checks and messages, naming flags), the sinks' and token sources' flags. Every
 * problem is collected, then thrown at once as a UsageError.
 */
export function readCommandLine(
  flags: ParsedFlags,
  env: NodeJS.ProcessEnv,
  specs: readonly FlagSpec[],
): CommandRequest {
  const flag = (name: string) => flags.get(name)?.trim() ?? '';
  const problems = new Problems();
  const outputText = flag('output') || 'text';
  if (outputText !== 'text' && outputText !== 'json')
    problems.flag('output', `"${outputText}" is not text or json`, 'Use --output text (the default) or --output json.');
  const output = outputText === 'json' ? 'json' : 'text';

  const wantsGitHub = flags.has('repositories') || flags.has('organization');
  const wantsDotenv = flags.has('dotenv-file');
  const wantsGitLab = flags.has('gitlab-project') || flags.has('gitlab-group');
  if (!wantsGitHub && !wantsDotenv && !wantsGitLab)
    throw new UsageError(
      'Nothing to write: name at least one sink, --repositories or --organization (GitHub secrets), --dotenv-file (a dotenv file), or --gitlab-project or --gitlab-group (a GitLab CI/CD variable). Run ecr-secret-refresh --help for examples.',
    );
  const githubFlags = new Set(specs.flatMap(({ name, half }) => (half === 'github' ? [name] : [])));
  const strays = [...flags.keys()].filter((name) => githubFlags.has(name));
  if (!wantsGitHub && strays.length > 0)
    problems.add(
      `${strays.map((name) => `--${name}`).join(', ')} only appl${strays.length > 1 ? 'y' : 'ies'} to GitHub secrets. Add --repositories or --organization to write GitHub secrets, or remove ${strays.length > 1 ? 'them' : 'it'}.`,
    );
  if (flags.has('github-token-env') && !wantsGitHub)
    problems.add(
      '--github-token-env only applies to GitHub secrets. Add --repositories or --organization to write GitHub secrets, or remove --github-token-env.',
    );
  for (const name of DOTENV_FLAGS)
    if (flags.has(name) && !wantsDotenv)
      problems.add(`--${name} only applies with --dotenv-file. Add --dotenv-file, or remove --${name}.`);
  for (const name of GITLAB_FLAGS)
    if (flags.has(name) && !wantsGitLab)
      problems.add(
        `--${name} only applies with --gitlab-project or --gitlab-group. Add one of them, or remove --${name}.`,
      );
  if (flags.has('web-identity-token-env') && !flags.has('role-to-assume'))
    problems.add(
      '--web-identity-token-env needs --role-to-assume: the token is exchanged for that role (sts:AssumeRoleWithWebIdentity). Add --role-to-assume.',
    );
  const badTokenVariables = TOKEN_VARIABLE_FLAGS.filter(
    (name) => flags.has(name) && !isEnvironmentVariableName(flag(name)),
  );
  for (const name of badTokenVariables)
    // Never quoted: a token pasted where its variable's name belongs would be printed.
    problems.flag(
      name,
      'the value given is not the name of an environment variable',
      "Give the variable's name (letters, digits and _, not starting with a digit), such as GITLAB_OIDC_TOKEN, never the token itself.",
    );
  // The messages below name the variable; with a value that may be a token, stop here.
  if (badTokenVariables.length > 0) problems.throwIfAny();

  // The AWS SDK reads these from the environment; masked so that no message or debug line shows them.
  const secrets: string[] = ['AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'].flatMap((name) =>
    env[name] ? [env[name]] : [],
  );
  const tokenEnv = flag('github-token-env') || (env['GH_TOKEN'] ? 'GH_TOKEN' : 'GITHUB_TOKEN');
  const read: InputReader = (name) => {
    if (name === 'github-token') return env[tokenEnv] ?? '';
    if (name in NOT_FLAGS) return '';
    if (name === 'role-session-name' && !flags.has(name) && flags.has('role-to-assume'))
      return ciSessionName(env) ?? '';
    return flags.get(name) ?? '';
  };
  const context: RunContext = { apiUrl: env['GITHUB_API_URL'] || DEFAULT_GITHUB_API_URL };
  let config: AwsConfig | Config | undefined;
  try {
    config = wantsGitHub ? parseConfig(read, env, context) : parseAwsConfig(read, env, context);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const tokenSource = flags.has('github-token-env') ? tokenEnv : 'GH_TOKEN or GITHUB_TOKEN';
    const inputFlags = new Set(specs.flatMap(({ input }) => (input ? [input] : [])));
    for (const problem of error.problems) problems.add(formatFlagProblem(problem, tokenSource, inputFlags));
  }
  if (wantsGitHub && config && (config as Config).dryRun && (wantsDotenv || wantsGitLab))
    problems.add(
      '--dry-run plans GitHub secrets only: a dotenv file or GitLab variable cannot be planned without a password. Run the dry run with --repositories or --organization alone.',
    );
  const gitlab = wantsGitLab ? gitlabSettings(flags, flag, env, problems) : undefined;
  const dotenv = wantsDotenv ? dotenvSettings(flags, flag, problems) : undefined;
  let auth: AwsAuth | undefined;
  try {
    auth = config && commandAuth(config.auth, flag('web-identity-token-env'), env, secrets);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    problems.add(error.message);
  }
  // GitLab's 10,000 characters for a value, checked before ECR is asked, as GitHub's 48 KB is (config/aws.ts).
  const oversized = gitlab && config ? gitlabRegistriesProblem(config.registry) : undefined;
  if (oversized) problems.add(oversized);
  const tooManyForDotenv = dotenv && config ? dotenvRegistriesProblem(config.registry, dotenv) : undefined;
  if (tooManyForDotenv) problems.add(tooManyForDotenv);
  problems.throwIfAny();
  // Both are set when nothing was found wrong: a config or identity that could not be made added its problems.
  config = config!;
  auth = auth!;
  if (wantsGitHub) secrets.push((config as Config).github.token);
  if (gitlab) secrets.push(gitlab.token);
  return {
    aws: { ...config, auth },
    ...(wantsGitHub
      ? { github: { ...(config as Config), auth, github: commandToken(config as Config, tokenEnv) } }
      : {}),
    ...(dotenv ? { dotenv } : {}),
    ...(gitlab ? { gitlab } : {}),
    dryRun: wantsGitHub && (config as Config).dryRun,
    output,
    verbose: flags.has('verbose'),
    secrets,
    sdkEnv: sdkSessionName(auth, env),
    notes:
      auth.kind === 'default-chain-and-role'
        ? [
            `--role-to-assume without a web identity token (--web-identity-token-env, AWS_WEB_IDENTITY_TOKEN_FILE): assuming ${auth.roleArn} with the identity of the AWS SDK's default credential chain (sts:AssumeRole).`,
          ]
        : [],
  };
}

/** GitHub's refusals name the variable the token came from, and say to put a new one there: there is no secret to update. */
function commandToken({ github }: Config, tokenEnv: string): Config['github'] {
  return { ...github, tokenSource: { name: tokenEnv, renewal: `put it in ${tokenEnv}` } };
}

/**
 * parseConfig's problem in the command's words: `--aws-region: no AWS region is set. Set --aws-region
 * ...`. Each `{input}` placeholder becomes its flag; the GitHub token, which has none, its variable.
 */
export function formatFlagProblem(
  { input, problem, fix }: InputProblem,
  tokenSource: string,
  flags: ReadonlySet<string>,
): string {
  const name = (mentioned: string) =>
    flags.has(mentioned) ? `--${flagOf(mentioned)}` : mentioned === 'github-token' ? tokenSource : mentioned;
  const who = input === 'github-token' ? `Environment variable ${tokenSource}` : `--${flagOf(input)}`;
  return `${who}: ${renderInputNames(problem, name)}. ${renderInputNames(fix, name)}`;
}

/**
 * The AWS identity of the command. The action's `oidc` (a role without keys) has no Actions OIDC
 * endpoint here: it becomes web identity with the token from --web-identity-token-env or
 * AWS_WEB_IDENTITY_TOKEN_FILE, else sts:AssumeRole signed by the default chain's identity (a cron host's
 * instance role or profile). Without a role, the SDK's default chain serves, and with it its own
 * AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN.
 */
function commandAuth(auth: AwsAuth, tokenEnv: string, env: NodeJS.ProcessEnv, secrets: string[]): AwsAuth {
  if (auth.kind === 'default-chain') return defaultChain(env, secrets);
  if (auth.kind !== 'oidc') return auth;
  const { roleArn, sessionName, durationSeconds } = auth;
  if (tokenEnv) {
    const token = env[tokenEnv]?.trim() ?? '';
    if (!token)
      throw new UsageError(
        `--web-identity-token-env: the environment variable ${tokenEnv} is not set or empty. In GitLab, declare it under the job's id_tokens (with aud set to your IAM OIDC provider's audience).`,
      );
    secrets.push(token);
    return { kind: 'web-identity', roleArn, sessionName, durationSeconds, token, tokenSource: tokenEnv };
  }
  const tokenFile = env['AWS_WEB_IDENTITY_TOKEN_FILE'];
  if (tokenFile) {
    const token = readTokenFile(tokenFile);
    secrets.push(token);
    return {
      kind: 'web-identity',
      roleArn,
      sessionName,
      durationSeconds,
      token,
      tokenSource: 'the file in AWS_WEB_IDENTITY_TOKEN_FILE',
    };
  }
  // The default chain finds these keys first (the AWS SDK's fromEnv): with a session token they are
  // temporary, so assuming the role chains, and STS refuses a chained session over an hour
  // (aws/errors.ts says so after the request; here it is known before any).
  if (env['AWS_ACCESS_KEY_ID'] && env['AWS_SECRET_ACCESS_KEY'] && env['AWS_SESSION_TOKEN'])
    if (durationSeconds > ROLE_CHAINING_MAX_SECONDS)
      throw new UsageError(
        `--role-duration-seconds: ${durationSeconds} is more than 3600, and AWS limits a role assumed with temporary keys (AWS_SESSION_TOKEN is set: role chaining) to one hour. Use at most 3600, or leave it unset for the default of 900.`,
      );
  return { kind: 'default-chain-and-role', roleArn, sessionName, durationSeconds };
}

/**
 * The AWS SDK's default chain, as the command uses it: its own web identity (AWS_WEB_IDENTITY_TOKEN_FILE
 * with AWS_ROLE_ARN) checked here, so that a half-set pair or an empty token file is a usage error
 * (exit 2) rather than an STS refusal or a silent fall-through to other credentials.
 */
function defaultChain(env: NodeJS.ProcessEnv, secrets: string[]): AwsAuth {
  const tokenFile = env['AWS_WEB_IDENTITY_TOKEN_FILE'];
  const roleArn = env['AWS_ROLE_ARN'];
  if (roleArn && !tokenFile)
    throw new UsageError(
      'AWS_ROLE_ARN is set without AWS_WEB_IDENTITY_TOKEN_FILE: the AWS SDK assumes it only with a web identity token file. Set AWS_WEB_IDENTITY_TOKEN_FILE to the file your CI writes the token to, use --role-to-assume with --web-identity-token-env, or unset AWS_ROLE_ARN.',
    );
  // Masked here too: the SDK reads the same file.
  if (tokenFile) secrets.push(readTokenFile(tokenFile));
  return { kind: 'default-chain', signer: "the AWS SDK's default credential chain" };
}

/** The token in AWS_WEB_IDENTITY_TOKEN_FILE, or a UsageError that names the file and what is wrong with it. */
function readTokenFile(tokenFile: string): string {
  let token: string;
  try {
    token = readFileSync(tokenFile, 'utf8').trim();
  } catch (error) {
    const { code } = error as { code?: string };
    throw new UsageError(
      `AWS_WEB_IDENTITY_TOKEN_FILE: could not read ${tokenFile} (${code ?? 'error'}). Point it at the file your CI writes the OIDC token to, or unset it.`,
      { cause: error },
    );
  }
  if (!token)
    throw new UsageError(
      `AWS_WEB_IDENTITY_TOKEN_FILE: ${tokenFile} is empty. Point it at a file that holds the token.`,
    );
  return token;
}

/**
 * `gitlab-<project id>-<pipeline id>` in a GitLab job, so that CloudTrail shows which pipeline asked;
 * within STS's rules (2 to 64 of letters, digits and =,.@_+-). Undefined elsewhere.
 */
export function ciSessionName(env: NodeJS.ProcessEnv): string | undefined {
  const project = env['CI_PROJECT_ID'];
  const pipeline = env['CI_PIPELINE_ID'];
  if (!project || !pipeline) return undefined;
  return `gitlab-${project}-${pipeline}`.replace(/[^\w+=,.@-]/g, '-').slice(0, 64);
}

/** The default chain's web identity (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN) names its session from AWS_ROLE_SESSION_NAME. */
function sdkSessionName(auth: AwsAuth, env: NodeJS.ProcessEnv): Record<string, string> {
  const name = ciSessionName(env);
  return auth.kind === 'default-chain' && name && !env['AWS_ROLE_SESSION_NAME'] ? { AWS_ROLE_SESSION_NAME: name } : {};
}
