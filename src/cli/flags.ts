import { parseArgs, type ParseArgsConfig } from 'node:util';
import { INPUTS, type InputSpec } from '../config/inputs.ts';
import { errorMessage } from '../util/errors.ts';

/**
 * The command's flags. Those named after the action's inputs come from the inputs table generated
 * from action.yml at build time (src/config/inputs.ts), so that an input added to the action is a
 * flag of the command without a second edit; the command's own flags (sinks, token sources, output)
 * are listed here.
 */

export interface FlagSpec {
  name: string;
  /** The action input this flag stands for; undefined for the command's own flags. */
  input?: string;
  /** For an input's flag: the half of the run that reads it (GitHub's flags need a GitHub target). */
  half?: InputSpec['half'];
  type: 'string' | 'boolean';
  /** Given more than once (a list input): the values are joined one per line, as the action reads a list. */
  list: boolean;
  description: string;
  /** What an unset flag means, for --help. */
  byDefault?: string;
  /** A switch that also takes `--no-<name>` (parseArgs' allowNegative), for a setting that is on unless turned off or has three states. */
  negatable?: boolean;
}

/**
 * Action inputs that are not flags, and where the command takes them from instead. Secrets never
 * come from the command line (other users see it in `ps`, the shell keeps it in its history).
 */
export const NOT_FLAGS: Readonly<Record<string, string>> = {
  'github-token': 'GH_TOKEN or GITHUB_TOKEN, or the variable named by --github-token-env',
  'aws-access-key-id': "AWS_ACCESS_KEY_ID, read by the AWS SDK's default credential chain",
  'aws-secret-access-key': "AWS_SECRET_ACCESS_KEY, read by the AWS SDK's default credential chain",
  'aws-session-token': "AWS_SESSION_TOKEN, read by the AWS SDK's default credential chain",
  audience: "GitHub OIDC only; another CI's token carries the audience it was issued for (GitLab's id_tokens: aud)",
};

/** Inputs whose flag is named otherwise: a list given one item per flag reads best in the singular. */
const FLAG_NAMES: Readonly<Record<string, string>> = { 'verify-images': 'verify-image' };

/** The flag of an action input. */
export function flagOf(input: string): string {
  return FLAG_NAMES[input] ?? input;
}

/** Where the command takes an unset input flag from, when not from action.yml's default (the runner's context there). */
const COMMAND_DEFAULTS: Readonly<Record<string, string>> = {
  'aws-region': 'AWS_REGION, then AWS_DEFAULT_REGION',
  'github-api-url': 'GITHUB_API_URL, then https://api.github.com',
  'role-session-name': 'gitlab-<CI_PROJECT_ID>-<CI_PIPELINE_ID> in a GitLab job, else ecr-secret-refresh',
  'role-duration-seconds': '900',
};

/**
 * Inputs whose action.yml description is wrong for the command (GitHub OIDC, the current repository):
 * the command's own words for --help and the flag table of docs/command-line.md.
 */
const COMMAND_DESCRIPTIONS: Readonly<Record<string, string>> = {
  'role-to-assume':
    "IAM role ARN, in the partition of --aws-region. Assumed with the web identity token of --web-identity-token-env or AWS_WEB_IDENTITY_TOKEN_FILE (sts:AssumeRoleWithWebIdentity), else with the identity of the AWS SDK's default credential chain (sts:AssumeRole).",
  repositories:
    'Repositories to write a repository (or environment) secret in, as owner/name, repeated or separated by commas; no default (the command has no current repository). A pattern on the name (octo-org/svc-*) selects every repository of that owner it matches that the token can see; one that matches nothing fails the GitHub secrets.',
  'role-session-name':
    'Session name of the assumed role, as CloudTrail shows it: 2 to 64 characters of letters, digits and =,.@_+-.',
  'role-duration-seconds':
    "Lifetime of the role session in seconds, in decimal digits, from 900 up to the role's maximum session duration (at most 43200). With temporary keys in the environment (AWS_SESSION_TOKEN beside AWS_ACCESS_KEY_ID), assuming --role-to-assume chains roles, and AWS limits a chained session to one hour: more than 3600 is refused before any request (an instance or task role chains too, and STS refuses more than 3600 then).",
  'registry-type':
    'private (the default) or public (ECR Public). The docker config of the dotenv file and the GitLab variable follows it too, but the flag needs a GitHub target (--repositories or --organization).',
  registries:
    'Other AWS accounts whose private registries the docker config also opens (12-digit ids, repeated or separated by commas). Needs --docker-config-secret-name, so a GitHub target.',
};

/** The command's own flags, beside those of the action's inputs. */
const COMMAND_FLAGS: readonly Omit<FlagSpec, 'list'>[] = [
  {
    name: 'github-token-env',
    type: 'string',
    description: 'Environment variable holding the token that writes GitHub secrets.',
    byDefault: 'GH_TOKEN, then GITHUB_TOKEN',
  },
  {
    name: 'web-identity-token-env',
    type: 'string',
    description:
      "Environment variable holding a web identity (OIDC) token from any CI, such as GitLab's id_tokens; assumes --role-to-assume with it (sts:AssumeRoleWithWebIdentity).",
  },
  {
    name: 'dotenv-file',
    type: 'string',
    description:
      "Write DOCKER_AUTH_CONFIG=<docker config JSON> to this file (mode 0600), for GitLab's artifacts: reports: dotenv.",
  },
  {
    name: 'dotenv-docker-config-name',
    type: 'string',
    description: 'Name of the docker config JSON in the dotenv file.',
    byDefault: 'DOCKER_AUTH_CONFIG',
  },
  {
    name: 'dotenv-docker-config',
    type: 'boolean',
    negatable: true,
    description:
      'Write the docker config to the dotenv file; --no-dotenv-docker-config leaves it out, so that --dotenv-password-name fits (GitLab takes dotenv reports under 5,120 bytes; the docker config and the password do not fit together).',
    byDefault: 'on',
  },
  {
    name: 'dotenv-password-name',
    type: 'string',
    description:
      'Also write the ECR password to the dotenv file under this name; needs --no-dotenv-docker-config (the two do not fit in one dotenv report).',
  },
  {
    name: 'dotenv-username-name',
    type: 'string',
    description: 'Also write the registry username (AWS) to the dotenv file under this name.',
  },
  {
    name: 'gitlab-project',
    type: 'string',
    description: 'Write a CI/CD variable of this GitLab project (id or full path, such as group/app).',
  },
  {
    name: 'gitlab-group',
    type: 'string',
    description: 'Write a CI/CD variable of this GitLab group (id or full path).',
  },
  {
    name: 'gitlab-variable',
    type: 'string',
    description: 'Name of the GitLab CI/CD variable that receives the docker config.',
    byDefault: 'DOCKER_AUTH_CONFIG',
  },
  {
    name: 'gitlab-protected',
    type: 'boolean',
    negatable: true,
    description:
      'Make the GitLab variable protected; --no-gitlab-protected makes it unprotected. Unset: a new variable is unprotected (as GitLab creates it), an existing one keeps its setting.',
  },
  {
    name: 'gitlab-environment-scope',
    type: 'string',
    description: 'Environment scope of the GitLab variable.',
    byDefault: '*',
  },
  {
    name: 'gitlab-api-url',
    type: 'string',
    description: 'GitLab REST API base URL.',
    byDefault: 'CI_API_V4_URL, then https://gitlab.com/api/v4',
  },
  {
    name: 'gitlab-token-env',
    type: 'string',
    description: 'Environment variable holding the GitLab token (api scope, Maintainer role).',
    byDefault: 'GITLAB_TOKEN',
  },
  { name: 'output', type: 'string', description: 'The report on stdout: text or json.', byDefault: 'text' },
  { name: 'verbose', type: 'boolean', description: 'Debug lines on stderr too.' },
  { name: 'help', type: 'boolean', description: 'Show this help.' },
  { name: 'version', type: 'boolean', description: 'Show the version.' },
];

/** Every flag: one per action input (but NOT_FLAGS), from the generated table, then the command's own. */
export function flagSpecs(inputs: Readonly<Record<string, InputSpec>> = INPUTS): FlagSpec[] {
  const fromInputs = Object.entries(inputs)
    .filter(([name]) => !(name in NOT_FLAGS))
    .map(([name, input]): FlagSpec => {
      // An ${{ }} default is the action's own (the runner's context), not the command's.
      const byDefault =
        COMMAND_DEFAULTS[name] ??
        (input.default && !input.default.includes('${{') && !input.boolean ? input.default : undefined);
      return {
        name: flagOf(name),
        input: name,
        half: input.half,
        type: input.boolean ? 'boolean' : 'string',
        list: input.list,
        description: COMMAND_DESCRIPTIONS[name] ?? input.description,
        ...(byDefault === undefined ? {} : { byDefault }),
      };
    });
  return [...fromInputs, ...COMMAND_FLAGS.map((flag) => ({ ...flag, list: false }))];
}

/** What the command line said: each flag's value as text (a list joined one per line, a switch `true`), by input name for an input's flag. */
export type ParsedFlags = Map<string, string>;

export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * The command line, parsed by `util.parseArgs` (strict: an unknown flag, a missing value or a stray
 * argument is a usage error). A flag given twice is refused unless it is a list.
 */
export function parseFlags(argv: readonly string[], specs: readonly FlagSpec[] = flagSpecs()): ParsedFlags {
  const options: ParseArgsConfig['options'] = {};
  for (const { name, type } of specs) options[name] = { type, multiple: true };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    // allowNegative: node 20.16, 22.4 and later (package.json's engines ask for 22.18); `--no-x` of a switch that is not negatable is refused below.
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false, allowNegative: true });
  } catch (error) {
    throw new UsageError(usageMessage(error));
  }
  const flags: ParsedFlags = new Map();
  const problems: string[] = [];
  for (const spec of specs) {
    const given = parsed.values[spec.name] as (string | boolean)[] | undefined;
    if (!given || given.length === 0) continue;
    if (given.length > 1 && !spec.list && spec.type === 'string') {
      problems.push(`--${spec.name} is given ${given.length} times: give it once.`);
      continue;
    }
    if (spec.type === 'boolean') {
      if (given.includes(false) && !spec.negatable)
        problems.push(`Unknown option '--no-${spec.name}'. Run ecr-secret-refresh --help for the flags.`);
      else if (given.includes(true) && given.includes(false))
        problems.push(`--${spec.name} and --no-${spec.name} are both given: give one of them.`);
      else flags.set(spec.input ?? spec.name, String(given[0]));
      continue;
    }
    // An empty value (an unset "$VARIABLE" in a script) is never read as "use the default": the
    // default is often the widest setting (every environment, the default credential chain).
    if (given.some((value) => String(value).trim() === '')) {
      problems.push(emptyValueProblem(spec));
      continue;
    }
    flags.set(spec.input ?? spec.name, given.map(String).join('\n'));
  }
  if (problems.length > 0) throw new UsageError(problems.join('\n'));
  return flags;
}

/** `--x ''`: what to give instead, and what leaving the flag out means. */
function emptyValueProblem({ name, byDefault }: FlagSpec): string {
  const leaveOut = byDefault ? `leave --${name} out for its default (${byDefault})` : `leave --${name} out`;
  return `--${name}: the value given is empty. Give a value, or ${leaveOut}.`;
}

/** parseArgs' own words, which already name the flag ("Unknown option '--x'"), and the way to the list. */
function usageMessage(error: unknown): string {
  const message = errorMessage(error);
  const said = message.replace(/\s*To specify an option argument starting with a dash use.*$/s, '').trim();
  return `${said}${said.endsWith('.') ? '' : '.'} Run ecr-secret-refresh --help for the flags.`;
}

/** `--help`: what the command does, every flag with its default, where the secrets come from, examples. */
export function helpText(specs: readonly FlagSpec[] = flagSpecs()): string {
  const flagLines = specs.flatMap(({ name, type, description, byDefault, list, negatable }) => [
    `  --${name}${negatable ? ` | --no-${name}` : ''}${type === 'string' ? ' <value>' : ''}${list ? ' (repeatable)' : ''}`,
    ...wrap(`${description}${byDefault ? ` Default: ${byDefault}.` : ''}`, 74).map((line) => `      ${line}`),
  ]);
  return [
    'Usage: ecr-secret-refresh [flags]',
    '',
    'Gets an Amazon ECR password and writes it where the next jobs read it: GitHub secrets (--repositories',
    'or --organization), a dotenv file (--dotenv-file), a GitLab CI/CD variable (--gitlab-project or',
    '--gitlab-group); one or several per run. The report goes to stdout, the log to stderr.',
    'Exit codes: 0 done, 1 failed (the report says what to do), 2 bad usage (nothing was written).',
    '',
    "Flags (those named after the action's inputs mean what they mean in action.yml):",
    ...flagLines,
    '',
    'Action inputs that are not flags (secrets never go on a command line):',
    ...Object.entries(NOT_FLAGS).map(([input, source]) => `  ${input}: ${source}`),
    '',
    "AWS credentials: --role-to-assume with --web-identity-token-env (any CI's OIDC token), or with",
    "AWS_WEB_IDENTITY_TOKEN_FILE; without --role-to-assume the AWS SDK's default chain (AWS_ACCESS_KEY_ID,",
    'AWS_PROFILE, AWS_WEB_IDENTITY_TOKEN_FILE with AWS_ROLE_ARN, an instance or task role); --role-to-assume',
    "with neither token source is assumed with the default chain's identity (sts:AssumeRole).",
    '',
    'Examples:',
    '  # GitLab job: the docker config for later jobs, through a dotenv report',
    '  ecr-secret-refresh --aws-region eu-west-1 --role-to-assume arn:aws:iam::123456789012:role/ecr-pull \\',
    '    --web-identity-token-env GITLAB_OIDC_TOKEN --dotenv-file auth.env',
    '  # Cron host: rotate a GitHub repository secret (token in GH_TOKEN)',
    '  ecr-secret-refresh --aws-region eu-west-1 --repositories octo/app --secret-name ECR_PASSWORD --max-age 5h',
    '  # A GitLab project variable (token in GITLAB_TOKEN)',
    '  ecr-secret-refresh --aws-region eu-west-1 --gitlab-project group/app --gitlab-api-url https://gitlab.com/api/v4',
    '',
  ].join('\n');
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return line ? [...lines, line] : lines;
}
