import { checkApiUrl, isVariableName, tokenHasSpaces } from '../config/checks.ts';
import { DOCKER_AUTH_CONFIG, GITLAB_DOTENV_MAX_BYTES } from '../gitlab/dotenv.ts';
import type { DotenvSettings } from '../gitlab/dotenv-sink.ts';
import type { GitLabSettings } from '../gitlab/variables-sink.ts';
import { UsageError, type ParsedFlags } from './flags.ts';

/*
 * The command's own flags for its sinks (a dotenv file, a GitLab variable), checked before anything
 * is asked, and the collected problems every check of the command adds to.
 */

/** GitLab.com's API, when neither --gitlab-api-url nor a GitLab job's CI_API_V4_URL names one. */
const DEFAULT_GITLAB_API_URL = 'https://gitlab.com/api/v4';

/**
 * The command's problems, collected as parseConfig collects the inputs' so that one run shows them
 * all, each with its fix: `--flag: what is wrong. What to do.`, or a sentence about flags together.
 */
export class Problems {
  readonly lines: string[] = [];
  flag(name: string, problem: string, fix: string): void {
    this.lines.push(`--${name}: ${problem}. ${fix}`);
  }
  add(sentence: string): void {
    this.lines.push(sentence);
  }
  /** Throws them all as one UsageError (exit 2), if there is any. */
  throwIfAny(): void {
    if (this.lines.length > 0) throw new UsageError(this.lines.join('\n'));
  }
}

export function dotenvSettings(
  flags: ParsedFlags,
  flag: (name: string) => string,
  problems: Problems,
): DotenvSettings | undefined {
  const withDockerConfig = flags.get('dotenv-docker-config') !== 'false';
  if (!withDockerConfig && flags.has('dotenv-docker-config-name'))
    problems.add(
      '--dotenv-docker-config-name names the docker config that --no-dotenv-docker-config leaves out. Remove one of them.',
    );
  const names = {
    ...(withDockerConfig ? { dockerConfig: flag('dotenv-docker-config-name') || DOCKER_AUTH_CONFIG } : {}),
    ...(flag('dotenv-password-name') ? { password: flag('dotenv-password-name') } : {}),
    ...(flag('dotenv-username-name') ? { username: flag('dotenv-username-name') } : {}),
  };
  if (Object.keys(names).length === 0)
    problems.add(
      '--no-dotenv-docker-config leaves the dotenv file without any variable. Add --dotenv-password-name (and --dotenv-username-name), or remove --no-dotenv-docker-config.',
    );
  const seen = new Set<string>();
  for (const [kind, name] of Object.entries(names)) {
    const source = kind === 'dockerConfig' ? 'dotenv-docker-config-name' : `dotenv-${kind}-name`;
    if (!isVariableName(name))
      problems.flag(
        source,
        `"${name}" is not a name GitLab takes in a dotenv report`,
        'Use letters, digits and _ only (at most 255).',
      );
    else if (seen.has(name))
      problems.flag(source, `"${name}" is named twice in the dotenv file`, 'Give each value its own name.');
    seen.add(name);
  }
  // An ECR password is about 2,500 characters, its docker config about 3,400 (the password in Base64):
  // together they are over GitLab's 5,120 bytes for a dotenv report (gitlab/dotenv.ts), on every run.
  if (names.dockerConfig && names.password)
    problems.flag(
      'dotenv-password-name',
      `the ECR password (about 2,500 characters) and the docker config that holds it (about 3,400) do not fit together in a GitLab dotenv report, which must be under ${GITLAB_DOTENV_MAX_BYTES} bytes`,
      'Add --no-dotenv-docker-config to write the password alone, or remove --dotenv-password-name.',
    );
  // parseFlags refuses an empty value, so the file is named.
  return { path: flag('dotenv-file'), names };
}

/** The GitLab variable's settings, checked before anything is asked: one owner, a name GitLab takes, a token, an API URL. */
export function gitlabSettings(
  flags: ParsedFlags,
  flag: (name: string) => string,
  env: NodeJS.ProcessEnv,
  problems: Problems,
): GitLabSettings | undefined {
  const project = flag('gitlab-project');
  const group = flag('gitlab-group');
  if (project && group)
    problems.add(
      '--gitlab-project and --gitlab-group are both given: a run writes one GitLab variable. Give one of them.',
    );
  // parseFlags refuses an empty value, so the one given names the owner.
  const owner = project ? { kind: 'project' as const, id: project } : { kind: 'group' as const, id: group };
  const variable = flag('gitlab-variable') || DOCKER_AUTH_CONFIG;
  if (!isVariableName(variable))
    problems.flag(
      'gitlab-variable',
      `"${variable}" is not a name GitLab takes for a variable`,
      'Use letters, digits and _ only (at most 255).',
    );
  const tokenSource = flag('gitlab-token-env') || 'GITLAB_TOKEN';
  const tokenFlag = flag('gitlab-token-env') ? '--gitlab-token-env' : 'GITLAB_TOKEN';
  const token = env[tokenSource]?.trim() ?? '';
  if (!token)
    problems.add(
      `${tokenFlag}: the environment variable ${tokenSource} is not set or empty. Put a GitLab access token with the api scope in it (CI_JOB_TOKEN cannot write variables).`,
    );
  else if (tokenHasSpaces(token))
    problems.add(
      `${tokenFlag}: the environment variable ${tokenSource} holds spaces or line breaks, which no GitLab token has. Put the token alone in it.`,
    );
  const apiUrl = flag('gitlab-api-url') || env['CI_API_V4_URL'] || DEFAULT_GITLAB_API_URL;
  const urlSource = flag('gitlab-api-url') ? '--gitlab-api-url' : 'CI_API_V4_URL';
  const { url, problem } = checkApiUrl(apiUrl);
  const where = url ? `${url.protocol}//${url.host}${url.pathname}` : 'the value given';
  const shown = `"${where}"`;
  if (problem === 'not a URL' || problem === 'not http(s)' || problem === 'credentials')
    problems.add(
      `${urlSource}: "${where}" is not a GitLab API URL without credentials. Give the API's root, such as https://gitlab.com/api/v4.`,
    );
  // The token travels in a header (PRIVATE-TOKEN): over plain http anyone on the way reads it.
  else if (problem === 'not https')
    problems.add(
      `${urlSource}: ${shown} is not an https URL (plain http is accepted for loopback hosts only). Use https://, such as https://gitlab.example.com/api/v4.`,
    );
  else if (problem === 'query or fragment')
    problems.add(
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
