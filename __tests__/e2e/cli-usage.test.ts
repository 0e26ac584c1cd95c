import { readFileSync } from 'node:fs';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { refusedPort } from '../fakes/refused-port.ts';
import { runCommand, type CommandRun } from '../fakes/run-command.ts';
import { commandHelpers, dotenvValues, gitlabToken, setUpCommand, type CommandFakes } from './cli-helpers.ts';
import { REPO, TOKEN } from './helpers.ts';

/**
 * The command's usage as `--help` states it, checked against what the bundled command does: every
 * flag that takes a value refuses an empty one (exit 2, nothing asked), every default `--help` names
 * is the one a run uses, and every rule it states is applied before any request.
 *
 * `--help` is read from the bundled command: every flag that takes a value given `""` exits 2 with no
 * request; every default it states probed by a run without the flag; every bound or refusal it states
 * refused before any request, a statement without a probe failing. Also: a GitLab variable created
 * unprotected says so in the report; a run-time message names `--aws-region`; `--help` lists a flag
 * for every action input but the secret ones, and `--version` prints package.json's version.
 */

const GITLAB_TOKEN = 'glpat-MAINTAINER-0123456789';

let fakes: CommandFakes;
let help: string;

beforeAll(async () => {
  help = (await runCommand(['--help'], {})).stdout;
});
beforeEach(async () => {
  fakes = await setUpCommand();
});
afterEach(async () => {
  await fakes.stop();
});
const { command, commandEnv, stsRequests } = commandHelpers(() => fakes);

/** Each flag of `--help` with its text: `--name`, whether it takes a value, and its description on one line. */
function helpFlags(text: string): { name: string; takesValue: boolean; text: string }[] {
  const flags: { name: string; takesValue: boolean; text: string }[] = [];
  for (const line of text.split('\n')) {
    const flag = /^ {2}--([a-z-]+)(.*)$/.exec(line);
    if (flag) flags.push({ name: flag[1] ?? '', takesValue: (flag[2] ?? '').includes('<value>'), text: '' });
    else if (/^ {6}\S/.test(line) && flags.length > 0) {
      const last = flags[flags.length - 1]!;
      last.text = `${last.text} ${line.trim()}`.trim();
    }
  }
  return flags;
}

/** The defaults `--help` states: flag name to the text after `Default:`. */
function helpDefaults(text: string): Map<string, string> {
  return new Map(
    helpFlags(text).flatMap(({ name, text: described }) => {
      const stated = /Default: (.*)\.$/.exec(described)?.[1];
      return stated === undefined ? [] : [[name, stated] as [string, string]];
    }),
  );
}

function keysEnv(extra: Record<string, string> = {}): Record<string, string> {
  const keys = fakes.aws.addStaticKeys();
  return commandEnv({
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: keys.accessKeyId,
    AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
    ...extra,
  });
}

function expectUsageError(run: CommandRun, message: RegExp): void {
  expect(run.stderr).toMatch(message);
  expect(run.exitCode).toBe(2);
  expect(run.stdout).toBe('');
  expect(run.files).toEqual([]);
  expect(fakes.allRequests()).toEqual([]);
}

/** A GitLab project the command may write, and the web identity for the role. */
function gitlabWorld() {
  const gitlab = fakes.gitlab!;
  gitlab.addToken(GITLAB_TOKEN);
  const project = gitlab.addProject('group/app');
  gitlab.grant(GITLAB_TOKEN, project, 'maintainer');
  const token = gitlabToken();
  const args = [
    '--aws-region',
    'eu-west-1',
    '--role-to-assume',
    fakes.gitlabRoleArn,
    '--web-identity-token-env',
    'GITLAB_OIDC_TOKEN',
    '--gitlab-project',
    'group/app',
  ];
  const env = commandEnv({ GITLAB_OIDC_TOKEN: token, GITLAB_TOKEN, CI_API_V4_URL: gitlab.apiUrl });
  return { gitlab, project, args, env, given: [token, GITLAB_TOKEN] };
}

describe('an explicitly empty value is a usage error, for every flag that takes one', () => {
  it('--help lists the flags that take a value (the list below is read from it)', () => {
    const valued = helpFlags(help).filter(({ takesValue }) => takesValue);
    expect(valued.map(({ name }) => name)).toEqual(
      expect.arrayContaining(['gitlab-environment-scope', 'gitlab-variable', 'web-identity-token-env', 'repositories']),
    );
    expect(valued.length).toBeGreaterThan(25);
  });

  it('each flag given "" exits 2 naming it, with no request to any fake and no file', async () => {
    for (const { name } of helpFlags(help).filter(({ takesValue }) => takesValue)) {
      // Beside a sink and a region that would otherwise run, so that only the empty value can be refused.
      const base = ['--aws-region', 'eu-west-1', '--dotenv-file', 'auth.env'].filter(
        (_arg, i, all) => all[i - (i % 2)] !== `--${name}`,
      );
      const run = await command([...base, `--${name}`, ''], keysEnv({ GH_TOKEN: TOKEN, GITLAB_TOKEN }));
      expect([name, run.stderr]).toEqual([
        name,
        expect.stringContaining(`--${name}: the value given is empty. Give a value, or leave --${name} out`),
      ]);
      expectUsageError(run, /^error: /);
    }
  });

  it("--repositories '' names the flag, not GITHUB_REPOSITORY, which the command never reads", async () => {
    const run = await command(['--repositories', ''], keysEnv({ GH_TOKEN: TOKEN }));
    expectUsageError(run, /--repositories: the value given is empty/);
    expect(run.stderr).not.toContain('GITHUB_REPOSITORY');
  });

  it('--gitlab-environment-scope "" never creates a variable for every environment', async () => {
    const world = gitlabWorld();
    const run = await command([...world.args, '--gitlab-environment-scope', ''], world.env, world.given);
    expectUsageError(run, /--gitlab-environment-scope: the value given is empty.*default \(\*\)/);
    expect(world.project.variables).toEqual([]);
  });
});

describe('a GitLab variable created unprotected says so in the report', () => {
  it('without --gitlab-protected: "created unprotected"; with it: not', async () => {
    const world = gitlabWorld();
    const open = await command(world.args, world.env, world.given);
    expect(open.exitCode).toBe(0);
    expect(world.gitlab.variable(world.project, 'DOCKER_AUTH_CONFIG')?.protected).toBe(false);
    expect(open.stdout).toMatch(/DOCKER_AUTH_CONFIG {2}created .*created unprotected: pipelines of every branch/);

    const group = world.gitlab.addProject('group/other');
    world.gitlab.grant(GITLAB_TOKEN, group, 'maintainer');
    const args = [...world.args.slice(0, -1), 'group/other', '--gitlab-protected'];
    const guarded = await command(args, world.env, world.given);
    expect(guarded.exitCode).toBe(0);
    expect(world.gitlab.variable(group, 'DOCKER_AUTH_CONFIG')?.protected).toBe(true);
    expect(guarded.stdout).not.toContain('unprotected');
  });
});

describe('--help says what the command does', () => {
  /**
   * One probe per default `--help` states: a run without the flag, and what shows that default was
   * used. A default added to --help without a probe here fails the first test.
   */
  const defaultProbes: Record<string, (stated: string) => Promise<void>> = {
    'aws-region': async (stated) => {
      expect(stated).toBe('AWS_REGION, then AWS_DEFAULT_REGION');
      const keys = keysEnv();
      delete keys['AWS_REGION'];
      // AWS_DEFAULT_REGION alone serves; AWS_REGION, when set, comes first (moon-1 would be refused).
      const fallback = await command(['--dotenv-file', 'auth.env'], { ...keys, AWS_DEFAULT_REGION: 'eu-west-1' });
      expect(fallback.exitCode).toBe(0);
      const first = await command(['--dotenv-file', 'auth.env'], {
        ...keys,
        AWS_REGION: 'eu-west-1',
        AWS_DEFAULT_REGION: 'moon-1',
      });
      expect(first.exitCode).toBe(0);
    },
    'role-session-name': async (stated) => {
      expect(stated).toBe('gitlab-<CI_PROJECT_ID>-<CI_PIPELINE_ID> in a GitLab job, else ecr-secret-refresh');
      const world = gitlabWorld();
      const args = [...world.args.slice(0, -2), '--dotenv-file', 'auth.env'];
      expect((await command(args, world.env, world.given)).exitCode).toBe(0);
      const inJob = await command(args, { ...world.env, CI_PROJECT_ID: '42', CI_PIPELINE_ID: '7' }, world.given);
      expect(inJob.exitCode).toBe(0);
      expect(stsRequests('AssumeRoleWithWebIdentity').map((p) => p.get('RoleSessionName'))).toEqual([
        'ecr-secret-refresh',
        'gitlab-42-7',
      ]);
    },
    'role-duration-seconds': async (stated) => {
      const world = gitlabWorld();
      const args = [...world.args.slice(0, -2), '--dotenv-file', 'auth.env'];
      expect((await command(args, world.env, world.given)).exitCode).toBe(0);
      expect(stsRequests('AssumeRoleWithWebIdentity')[0]?.get('DurationSeconds')).toBe(stated);
    },
    'github-api-url': async (stated) => {
      expect(stated).toBe('GITHUB_API_URL, then https://api.github.com');
      const run = await command(
        ['--repositories', REPO],
        keysEnv({ GH_TOKEN: TOKEN, GITHUB_API_URL: fakes.github.server.url }),
      );
      expect(run.exitCode).toBe(0);
      expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD')?.plaintext).toBe(fakes.aws.lastLogin?.password);
    },
    'secret-type': async (stated) => {
      expect(stated).toBe('actions');
      const run = await command(
        ['--repositories', REPO, '--github-api-url', fakes.github.server.url],
        keysEnv({ GH_TOKEN: TOKEN }),
      );
      expect(run.exitCode).toBe(0);
      expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD', 'actions')).toBeDefined();
    },
    'secret-name': async (stated) => {
      const run = await command(
        ['--repositories', REPO, '--github-api-url', fakes.github.server.url],
        keysEnv({ GH_TOKEN: TOKEN }),
      );
      expect(run.exitCode).toBe(0);
      expect(fakes.github.repositorySecret(REPO, stated)?.plaintext).toBe(fakes.aws.lastLogin?.password);
    },
    'registry-type': async (stated) => {
      expect(stated).toBe('private');
      const run = await command(['--dotenv-file', 'auth.env', '--output', 'json'], keysEnv());
      expect(run.exitCode).toBe(0);
      expect((JSON.parse(run.stdout) as { registry: string }).registry).toBe(fakes.aws.registry);
    },
    'github-token-env': async (stated) => {
      expect(stated).toBe('GH_TOKEN, then GITHUB_TOKEN');
      const args = ['--repositories', REPO, '--github-api-url', fakes.github.server.url];
      expect((await command(args, keysEnv({ GITHUB_TOKEN: TOKEN }))).exitCode).toBe(0);
      // GH_TOKEN first: a token GitHub does not know there fails the run, though GITHUB_TOKEN would do.
      const first = await command(args, keysEnv({ GH_TOKEN: 'ghp_UNKNOWN_0123456789', GITHUB_TOKEN: TOKEN }), [
        'ghp_UNKNOWN_0123456789',
      ]);
      expect(first.exitCode).toBe(1);
      expect(first.stderr).toContain('GH_TOKEN');
    },
    'dotenv-docker-config-name': async (stated) => {
      const run = await command(['--dotenv-file', 'auth.env'], keysEnv());
      expect(run.exitCode).toBe(0);
      expect([...dotenvValues(run).keys()]).toEqual([stated]);
    },
    'dotenv-docker-config': async (stated) => {
      expect(stated).toBe('on');
      const run = await command(['--dotenv-file', 'auth.env'], keysEnv());
      expect(run.exitCode).toBe(0);
      expect(JSON.parse(dotenvValues(run).get('DOCKER_AUTH_CONFIG') ?? '{}')).toHaveProperty('auths');
    },
    'gitlab-variable': async (stated) => {
      const world = gitlabWorld();
      expect((await command(world.args, world.env, world.given)).exitCode).toBe(0);
      expect(world.gitlab.variable(world.project, stated)).toBeDefined();
    },
    'gitlab-environment-scope': async (stated) => {
      const world = gitlabWorld();
      expect((await command(world.args, world.env, world.given)).exitCode).toBe(0);
      expect(world.gitlab.variable(world.project, 'DOCKER_AUTH_CONFIG', stated)).toBeDefined();
      expect(world.project.variables).toHaveLength(1);
    },
    'gitlab-api-url': async (stated) => {
      expect(stated).toBe('CI_API_V4_URL, then https://gitlab.com/api/v4');
      const world = gitlabWorld();
      expect((await command(world.args, world.env, world.given)).exitCode).toBe(0);
      expect(world.gitlab.server.requests.length).toBeGreaterThan(0);
    },
    'gitlab-token-env': async (stated) => {
      const world = gitlabWorld();
      expect(world.env[stated]).toBe(GITLAB_TOKEN);
      expect((await command(world.args, world.env, world.given)).exitCode).toBe(0);
    },
    output: async (stated) => {
      const run = await command(['--dotenv-file', 'auth.env'], keysEnv());
      expect(run.exitCode).toBe(0);
      expect(stated).toBe('text');
      expect(run.stdout).toMatch(/^ECR password refreshed\n/);
    },
  };

  it('every default --help states has a probe below, and no probe is for a default --help does not state', () => {
    expect([...helpDefaults(help).keys()].sort()).toEqual(Object.keys(defaultProbes).sort());
  });

  it.each(Object.keys(defaultProbes))('the default of --%s is the one a run uses', async (name) => {
    const stated = helpDefaults(help).get(name);
    expect(stated).toBeDefined();
    await defaultProbes[name]!(stated ?? '');
  });

  /**
   * Every bound and refusal --help states, each with a command line it refuses (exit 2, before any
   * request). A statement added to --help ("refused", "at most", "at least") without a probe here
   * fails the last test.
   */
  const ruleProbes: { flag: string; states: RegExp; args: string[]; env?: Record<string, string>; says: RegExp }[] = [
    {
      flag: 'role-duration-seconds',
      states: /more than 3600 is refused before any request/,
      args: [
        '--role-to-assume',
        'arn:aws:iam::123456789012:role/ecr-pull',
        '--role-duration-seconds',
        '7200',
        '--dotenv-file',
        'auth.env',
      ],
      env: { AWS_SESSION_TOKEN: 'IQoJb3JpZ2luX2VjEXAMPLE-session-token' },
      says: /--role-duration-seconds: 7200 is more than 3600, and AWS limits a role assumed with temporary keys/,
    },
    {
      flag: 'role-duration-seconds',
      states: /\(at most 43200\)/,
      args: [
        '--role-to-assume',
        'arn:aws:iam::123456789012:role/ecr-pull',
        '--role-duration-seconds',
        '43201',
        '--dotenv-file',
        'auth.env',
      ],
      says: /--role-duration-seconds: "43201" is not a whole number of seconds from 900 to 43200/,
    },
    {
      flag: 'role-duration-seconds',
      states: /from 900 up to/,
      args: [
        '--role-to-assume',
        'arn:aws:iam::123456789012:role/ecr-pull',
        '--role-duration-seconds',
        '899',
        '--dotenv-file',
        'auth.env',
      ],
      says: /--role-duration-seconds: "899" is not a whole number of seconds from 900 to 43200/,
    },
    {
      flag: 'environment',
      states: /At most 255 characters/,
      args: ['--repositories', REPO, '--environment', 'e'.repeat(256)],
      env: { GH_TOKEN: TOKEN },
      says: /--environment: "e{256}" is not a valid environment name/,
    },
    {
      flag: 'max-age',
      states: /At most `11h`/,
      args: ['--repositories', REPO, '--max-age', '11h1m'],
      env: { GH_TOKEN: TOKEN },
      says: /--max-age: 11h1m is more than 11h/,
    },
    {
      flag: 'write-interval',
      states: /at least `750ms`: GitHub allows 80 content-creating requests a minute/,
      args: ['--repositories', REPO, '--write-interval', '749ms'],
      env: { GH_TOKEN: TOKEN },
      says: /--write-interval: 749ms is shorter than 750ms/,
    },
    {
      flag: 'write-interval',
      states: /Enterprise Server, .* at least `334ms`/,
      args: ['--repositories', REPO, '--github-api-url', 'https://ghe.example.com/api/v3', '--write-interval', '333ms'],
      env: { GH_TOKEN: TOKEN },
      says: /--write-interval: 333ms is shorter than 334ms/,
    },
    {
      flag: 'write-interval',
      states: /at most `1m`/,
      args: ['--repositories', REPO, '--write-interval', '61s'],
      env: { GH_TOKEN: TOKEN },
      says: /--write-interval: 1m1s is longer than 1m/,
    },
  ];

  it.each(ruleProbes.map((probe) => [`--${probe.flag} ${String(probe.states)}`, probe] as const))(
    '%s: refused as --help says, before any request',
    async (_name, { flag, states, args, env, says }) => {
      const text = helpFlags(help).find(({ name }) => name === flag)?.text ?? '';
      expect(text).toMatch(states);
      expectUsageError(await command(['--aws-region', 'eu-west-1', ...args], keysEnv(env)), says);
    },
  );

  it('no other bound or refusal is stated without a probe; no switch asks for true or false', () => {
    const statements = helpFlags(help).flatMap(({ name, text }) =>
      [...text.matchAll(/[^.;:]*\b(?:refused|[Aa]t most|at least)\b[^.;]*/g)]
        .filter(([sentence]) => !/Schedule the workflow|still has more than/.test(sentence))
        .map(([sentence]) => ({ name, sentence })),
    );
    const unprobed = statements.filter(
      ({ name, sentence }) =>
        !ruleProbes.some((probe) => probe.flag === name && probe.states.test(sentence)) &&
        // The other half of a sentence a probe covers (the chained session's STS refusal after the request).
        !/an instance or task role chains too|STS refuses more than 3600 then/.test(sentence),
    );
    expect(unprobed).toEqual([]);
    for (const { name, takesValue, text } of helpFlags(help))
      if (!takesValue) expect([name, text]).toEqual([name, expect.not.stringContaining('`true` or `false`')]);
  });
});

describe("the command's messages name its flags, not the action's inputs", () => {
  it('an unreachable STS says to check --aws-region (exit 1, nothing written)', async () => {
    const port = await refusedPort();
    const world = gitlabWorld();
    const args = [...world.args.slice(0, -2), '--dotenv-file', 'auth.env'];
    const run = await command(args, { ...world.env, AWS_ENDPOINT_URL_STS: `http://127.0.0.1:${port}` }, world.given);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain('connection refused. Check --aws-region, AWS_ENDPOINT_URL_STS or AWS_ENDPOINT_URL');
    expect(run.stderr).not.toMatch(/(?<!-)aws-region|\{/);
    expect(run.files).toEqual([]);
  });
});

describe('--help and --version', () => {
  it('--help lists a flag for every action input but the secret ones, with examples, on stdout', async () => {
    const run = await command(['--help'], {});
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toBe('');
    for (const flag of [
      '--aws-region',
      '--role-to-assume',
      '--repositories',
      '--organization',
      '--secret-name',
      '--max-age',
      '--dotenv-file',
      '--web-identity-token-env',
    ])
      expect(run.stdout).toContain(`  ${flag} <value>`);
    expect(run.stdout).not.toContain('--github-token <value>');
    expect(run.stdout).not.toContain('--aws-secret-access-key <value>');
    expect(run.stdout).toContain('Examples:');
    expect(run.stdout).toContain('--web-identity-token-env GITLAB_OIDC_TOKEN --dotenv-file auth.env');
    // The action's words that are wrong here (GitHub OIDC, the current repository) are replaced by the command's.
    expect(run.stdout).not.toMatch(/id-token: write|Defaults to the current repository/);
    expect(run.stdout).toMatch(/--role-to-assume <value>\n\s+IAM role ARN.*\n.*--web-identity-token-env/);
    expect(run.stdout).toContain('  --gitlab-protected | --no-gitlab-protected\n');
    expect(run.stdout).toContain('  --dotenv-docker-config | --no-dotenv-docker-config\n');
  });

  it("--version prints package.json's version", async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    const run = await command(['--version'], {});
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toBe(`ecr-secret-refresh ${version}\n`);
  });
});
