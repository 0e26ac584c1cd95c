import { readFileSync } from 'node:fs';
import type { AwsAuth } from '../aws/auth.ts';
import type { RegistrySpec } from '../aws/registry.ts';
import { registryAccountsWithin } from '../secrets.ts';
import {
  ConfigError,
  parseAwsConfig,
  isLoopback,
  parseConfig,
  type AwsConfig,
  type Config,
  type InputProblem,
  type InputReader,
  type RunContext,
} from '../config.ts';
import { DOCKER_AUTH_CONFIG, GITLAB_DOTENV_MAX_BYTES } from '../gitlab/dotenv.ts';
import type { DotenvSettings } from '../sinks/dotenv.ts';
import { gitlabRegistriesProblem, type GitLabSettings } from '../sinks/gitlab.ts';
import { flagOf, NOT_FLAGS, UsageError, type FlagSpec, type ParsedFlags } from './flags.ts';

/** What one command line asks for: the AWS side, and each sink it names. */
export interface CommandPlan {
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
/** GitLab.com's API, when neither --gitlab-api-url nor a GitLab job's CI_API_V4_URL names one. */
const DEFAULT_GITLAB_API_URL = 'https://gitlab.com/api/v4';
/** The flags that only the GitLab variable uses. */
const GITLAB_FLAGS = [
  'gitlab-variable',
  'gitlab-protected',
  'gitlab-environment-scope',
  'gitlab-api-url',
  'gitlab-token-env',
] as const;
/** Names a dotenv report takes (GitLab, Ci::HasVariable: letters, digits and _, at most 255). */
const DOTENV_NAME = /^[A-Za-z0-9_]{1,255}$/;

/**
 * Checks a command line before anything is requested or written: which sinks, the action's inputs
 * (parseConfig's own checks and messages, naming flags), the token sources. Throws UsageError.
 */
export function commandPlan(flags: ParsedFlags, env: NodeJS.ProcessEnv, specs: readonly FlagSpec[]): CommandPlan {
  const flag = (name: string) => flags.get(name)?.trim() ?? '';
  const output = flag('output') || 'text';
  if (output !== 'text' && output !== 'json')
    throw new UsageError(
      `--output: "${output}" is not text or json. Use --output text (the default) or --output json.`,
    );

  const wantsGitHub = flags.has('repositories') || flags.has('organization');
  const wantsDotenv = flags.has('dotenv-file');
  const wantsGitLab = flags.has('gitlab-project') || flags.has('gitlab-group');
  if (!wantsGitHub && !wantsDotenv && !wantsGitLab)
    throw new UsageError(
      'Nothing to write: name at least one sink, --repositories or --organization (GitHub secrets), --dotenv-file (a dotenv file), or --gitlab-project or --gitlab-group (a GitLab CI/CD variable). Run ecr-secret-refresh --help for examples.',
    );
  const github = githubInputs(specs);
  const strays = [...flags.keys()].filter((name) => github.has(name));
  if (!wantsGitHub && strays.length > 0)
    throw new UsageError(
      `${strays.map((name) => `--${name}`).join(', ')} only appl${strays.length > 1 ? 'y' : 'ies'} to GitHub secrets. Add --repositories or --organization to write GitHub secrets, or remove ${strays.length > 1 ? 'them' : 'it'}.`,
    );
  if (flags.has('github-token-env') && !wantsGitHub)
    throw new UsageError(
      '--github-token-env only applies to GitHub secrets. Add --repositories or --organization to write GitHub secrets, or remove --github-token-env.',
    );
  for (const name of [
    'dotenv-password-name',
    'dotenv-username-name',
    'dotenv-docker-config-name',
    'dotenv-docker-config',
  ])
    if (flags.has(name) && !wantsDotenv)
      throw new UsageError(`--${name} only applies with --dotenv-file. Add --dotenv-file, or remove --${name}.`);
  for (const name of GITLAB_FLAGS)
    if (flags.has(name) && !wantsGitLab)
      throw new UsageError(
        `--${name} only applies with --gitlab-project or --gitlab-group. Add one of them, or remove --${name}.`,
      );
  if (flags.has('web-identity-token-env') && !flags.has('role-to-assume'))
    throw new UsageError(
      '--web-identity-token-env needs --role-to-assume: the token is exchanged for that role (sts:AssumeRoleWithWebIdentity). Add --role-to-assume.',
    );

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
  let config: AwsConfig | Config;
  try {
    config = wantsGitHub ? parseConfig(read, env, context) : parseAwsConfig(read, env, context);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const tokenSource = flags.has('github-token-env') ? tokenEnv : 'GH_TOKEN or GITHUB_TOKEN';
    const inputFlags = new Set(specs.flatMap(({ input }) => (input ? [input] : [])));
    throw new UsageError(
      error.problems.map((problem) => formatFlagProblem(problem, tokenSource, inputFlags)).join('\n'),
    );
  }
  if (wantsGitHub && (config as Config).dryRun && (wantsDotenv || wantsGitLab))
    throw new UsageError(
      '--dry-run plans GitHub secrets only: a dotenv file or GitLab variable cannot be planned without a password. Run the dry run with --repositories or --organization alone.',
    );
  if (wantsGitHub) secrets.push((config as Config).github.token);
  const gitlab = wantsGitLab ? gitlabSettings(flags, flag, env) : undefined;
  if (gitlab) secrets.push(gitlab.token);
  // GitLab's 10,000 characters for a value, checked before ECR is asked, as GitHub's 48 KB is (config.ts).
  const oversized = gitlab && wantsGitHub ? gitlabRegistriesProblem((config as Config).registry) : undefined;
  if (oversized) throw new UsageError(oversized);
  const dotenv = wantsDotenv ? dotenvSettings(flags, flag) : undefined;
  const crowded = dotenv && wantsGitHub ? dotenvRegistriesProblem(dotenv, (config as Config).registry) : undefined;
  if (crowded) throw new UsageError(crowded);
  const auth = commandAuth(config.auth, flag('web-identity-token-env'), env, secrets);
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
 * The action's inputs that only GitHub secrets use: every input flag that the AWS part of the config
 * (parseAwsConfig) does not read. Derived, so that a new GitHub input needs no edit here.
 */
function githubInputs(specs: readonly FlagSpec[]): Set<string> {
  const aws = new Set<string>();
  try {
    parseAwsConfig((name) => (aws.add(name), ''), {}, { apiUrl: DEFAULT_GITHUB_API_URL });
  } catch {
    // No region: what matters is which inputs were read.
  }
  return new Set(specs.flatMap(({ input }) => (input && !aws.has(input) ? [input] : [])));
}

/**
 * parseConfig's message with the flag named instead of the input: `--aws-region: no AWS region is set.
 * Set --aws-region ...`. Input names with a hyphen are renamed in the text too; one-word names
 * (environment, audience) only where quoted, since they are also plain words.
 */
export function formatFlagProblem(
  { input, problem, fix }: InputProblem,
  tokenSource: string,
  flags: ReadonlySet<string>,
): string {
  const rename = (text: string) =>
    text
      .replace(/(?<![\w-])([a-z]+(?:-[a-z]+)+)(?![\w-])/g, (name: string) =>
        flags.has(name) ? `--${flagOf(name)}` : name,
      )
      .replace(/'([a-z]+)'/g, (quoted, name: string) => (flags.has(name) ? `--${flagOf(name)}` : quoted));
  const who = input === 'github-token' ? `Environment variable ${tokenSource}` : `--${flagOf(input)}`;
  return `${who}: ${rename(problem)}. ${rename(fix)}`;
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

function dotenvSettings(flags: ParsedFlags, flag: (name: string) => string): DotenvSettings {
  const withDockerConfig = flags.get('dotenv-docker-config') !== 'false';
  if (!withDockerConfig && flags.has('dotenv-docker-config-name'))
    throw new UsageError(
      '--dotenv-docker-config-name names the docker config that --no-dotenv-docker-config leaves out. Remove one of them.',
    );
  const names = {
    ...(withDockerConfig ? { dockerConfig: flag('dotenv-docker-config-name') || DOCKER_AUTH_CONFIG } : {}),
    ...(flag('dotenv-password-name') ? { password: flag('dotenv-password-name') } : {}),
    ...(flag('dotenv-username-name') ? { username: flag('dotenv-username-name') } : {}),
  };
  if (Object.keys(names).length === 0)
    throw new UsageError(
      '--no-dotenv-docker-config leaves the dotenv file without any variable. Add --dotenv-password-name (and --dotenv-username-name), or remove --no-dotenv-docker-config.',
    );
  const seen = new Set<string>();
  for (const [kind, name] of Object.entries(names)) {
    const source = kind === 'dockerConfig' ? '--dotenv-docker-config-name' : `--dotenv-${kind}-name`;
    if (!DOTENV_NAME.test(name))
      throw new UsageError(
        `${source}: "${name}" is not a name GitLab takes in a dotenv report. Use letters, digits and _ only (at most 255).`,
      );
    if (seen.has(name))
      throw new UsageError(`${source}: "${name}" is named twice in the dotenv file. Give each value its own name.`);
    seen.add(name);
  }
  // An ECR password is about 2,500 characters, its docker config about 3,400 (the password in Base64):
  // together they are over GitLab's 5,120 bytes for a dotenv report (gitlab/dotenv.ts), on every run.
  if (names.dockerConfig && names.password)
    throw new UsageError(
      `--dotenv-password-name: the ECR password (about 2,500 characters) and the docker config that holds it (about 3,400) do not fit together in a GitLab dotenv report, which must be under ${GITLAB_DOTENV_MAX_BYTES} bytes. Add --no-dotenv-docker-config to write the password alone, or remove --dotenv-password-name.`,
    );
  const path = flag('dotenv-file');
  if (!path) throw new UsageError('--dotenv-file: it is empty. Give the file to write, such as auth.env.');
  return { path, names };
}

/**
 * The dotenv file's docker config names the registries of `--registries` too, each entry about 3.4 KB,
 * and GitLab takes dotenv reports under 5 KB: checked before ECR is asked, as GitLab's 10,000
 * characters are for a variable. Undefined when it fits.
 */
function dotenvRegistriesProblem(dotenv: DotenvSettings, registry: RegistrySpec): string | undefined {
  const accounts = registry.type === 'private' ? registry.accounts.length : 0;
  if (!dotenv.names.dockerConfig || accounts <= registryAccountsWithin(GITLAB_DOTENV_MAX_BYTES)) return undefined;
  return `--registries: the dotenv file's ${dotenv.names.dockerConfig} would name ${accounts + 1} registries, each entry up to 3.8 KB, and GitLab takes dotenv reports smaller than ${GITLAB_DOTENV_MAX_BYTES} bytes, which hold the docker config of one registry. Write the dotenv file in a run of its own, without --registries, or hand the docker config to the jobs as a GitLab CI/CD variable (--gitlab-project or --gitlab-group).`;
}

/** The GitLab variable's settings, checked before anything is asked: one owner, a name GitLab takes, a token, an API URL. */
function gitlabSettings(flags: ParsedFlags, flag: (name: string) => string, env: NodeJS.ProcessEnv): GitLabSettings {
  const project = flag('gitlab-project');
  const group = flag('gitlab-group');
  if (project && group)
    throw new UsageError(
      '--gitlab-project and --gitlab-group are both given: a run writes one GitLab variable. Give one of them.',
    );
  const owner = project ? { kind: 'project' as const, id: project } : { kind: 'group' as const, id: group };
  if (!owner.id)
    throw new UsageError(`--gitlab-${owner.kind}: it is empty. Give the ${owner.kind}'s numeric id or full path.`);
  const variable = flag('gitlab-variable') || 'DOCKER_AUTH_CONFIG';
  if (!DOTENV_NAME.test(variable))
    throw new UsageError(
      `--gitlab-variable: "${variable}" is not a name GitLab takes for a variable. Use letters, digits and _ only (at most 255).`,
    );
  const tokenSource = flag('gitlab-token-env') || 'GITLAB_TOKEN';
  const tokenFlag = flag('gitlab-token-env') ? '--gitlab-token-env' : 'GITLAB_TOKEN';
  const token = env[tokenSource]?.trim() ?? '';
  if (!token)
    throw new UsageError(
      `${tokenFlag}: the environment variable ${tokenSource} is not set or empty. Put a GitLab access token with the api scope in it (CI_JOB_TOKEN cannot write variables).`,
    );
  if (/\s/.test(token))
    throw new UsageError(
      `${tokenFlag}: the environment variable ${tokenSource} holds spaces or line breaks, which no GitLab token has. Put the token alone in it.`,
    );
  const apiUrl = flag('gitlab-api-url') || env['CI_API_V4_URL'] || DEFAULT_GITLAB_API_URL;
  const urlSource = flag('gitlab-api-url') ? '--gitlab-api-url' : 'CI_API_V4_URL';
  let url: URL | undefined;
  try {
    url = new URL(apiUrl);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password)
    throw new UsageError(
      `${urlSource}: "${url ? `${url.protocol}//${url.host}${url.pathname}` : 'the value given'}" is not a GitLab API URL without credentials. Give the API's root, such as https://gitlab.com/api/v4.`,
    );
  const shown = `"${url.protocol}//${url.host}${url.pathname}"`;
  // The token travels in a header (PRIVATE-TOKEN): over plain http anyone on the way reads it.
  if (url.protocol !== 'https:' && !isLoopback(url.hostname))
    throw new UsageError(
      `${urlSource}: ${shown} is not an https URL (plain http is accepted for loopback hosts only). Use https://, such as https://gitlab.example.com/api/v4.`,
    );
  if (/[?#]/.test(apiUrl))
    throw new UsageError(
      `${urlSource}: ${shown} has a query or fragment. Give the API's root alone, such as https://gitlab.com/api/v4.`,
    );
  return {
    apiUrl,
    token,
    tokenSource,
    owner,
    variable,
    ...(flags.has('gitlab-protected') ? { protected: flags.get('gitlab-protected') === 'true' } : {}),
    environmentScope: flag('gitlab-environment-scope') || '*',
  };
}
