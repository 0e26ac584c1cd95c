import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { commandHelpers, setUpCommand, type CommandFakes } from './cli-helpers.ts';
import { REPO, TOKEN } from './helpers.ts';

/**
 * Bad usage of the command refused: exit 2, a message naming the flag (or the environment variable),
 * no request to any fake, nothing on stdout and no file left; and every problem shown at once, as the
 * action does. Among them: the docker config with the password (over GitLab's 5,120 bytes), a GitLab
 * API URL with a query or plain http to a non-loopback host, a GitLab token with a space,
 * `--github-token-env` without a GitHub target, `--no-` of a switch that has none. The action's own
 * refusals are in `bad-inputs.test.ts`.
 */

let fakes: CommandFakes;
beforeEach(async () => {
  fakes = await setUpCommand();
});
afterEach(async () => {
  await fakes.stop();
});
const { command, commandEnv } = commandHelpers(() => fakes);

describe('bad usage: exit 2, a message naming the flag, nothing asked or written', () => {
  const cases: [string, string[], Record<string, string>, RegExp][] = [
    [
      'an unknown flag',
      ['--repository', REPO],
      {},
      /^error: Unknown option '--repository'\. Run ecr-secret-refresh --help/,
    ],
    ['a stray argument', ['octo/app', '--dotenv-file', 'a.env'], {}, /Unexpected argument 'octo\/app'/],
    ['a flag without its value', ['--dotenv-file'], {}, /Option '--dotenv-file <value>' argument missing/],
    ['no sink', ['--aws-region', 'eu-west-1'], {}, /^error: Nothing to write: name at least one sink/],
    [
      'a flag given twice',
      ['--aws-region', 'eu-west-1', '--aws-region', 'us-east-1', '--dotenv-file', 'a.env'],
      {},
      /--aws-region is given 2 times: give it once/,
    ],
    [
      'no region',
      ['--dotenv-file', 'a.env'],
      {},
      /^error: --aws-region: no AWS region is set\. Set --aws-region \(for example eu-west-1\), or AWS_REGION/,
    ],
    [
      'a bad region',
      ['--aws-region', 'moon-1', '--dotenv-file', 'a.env'],
      {},
      /--aws-region: "moon-1" is not an AWS region code/,
    ],
    [
      'a bad role',
      ['--aws-region', 'eu-west-1', '--role-to-assume', 'ecr-pull', '--dotenv-file', 'a.env'],
      {},
      /--role-to-assume: "ecr-pull" is not an IAM role ARN\. Give the full ARN, such as arn:aws:iam::123456789012:role\/ecr-pull;/,
    ],
    [
      'a bad duration',
      [
        '--aws-region',
        'eu-west-1',
        '--role-to-assume',
        'arn:aws:iam::123456789012:role/r',
        '--role-duration-seconds',
        '60',
        '--web-identity-token-env',
        'T',
        '--dotenv-file',
        'a.env',
      ],
      { T: 'x.y.z' },
      /--role-duration-seconds: "60" is not a whole number of seconds from 900 to 43200/,
    ],
    [
      'a session name without a role',
      ['--aws-region', 'eu-west-1', '--role-session-name', 'nightly', '--dotenv-file', 'a.env'],
      {},
      /--role-session-name: it only applies when --role-to-assume is set\. Set --role-to-assume, or remove --role-session-name\./,
    ],
    [
      'no GitHub token',
      ['--aws-region', 'eu-west-1', '--repositories', REPO],
      {},
      /^error: Environment variable GH_TOKEN or GITHUB_TOKEN: it is empty/,
    ],
    [
      'a bad repository',
      ['--aws-region', 'eu-west-1', '--repositories', 'octo'],
      { GH_TOKEN: TOKEN },
      /--repositories: "octo" is not of the form owner\/name/,
    ],
    [
      'a bad max-age',
      ['--aws-region', 'eu-west-1', '--repositories', REPO, '--max-age', '12h'],
      { GH_TOKEN: TOKEN },
      /--max-age: 12h is more than 11h/,
    ],
    [
      'a GitHub flag without a GitHub target',
      ['--aws-region', 'eu-west-1', '--dotenv-file', 'a.env', '--secret-name', 'X', '--max-age', '5h'],
      {},
      /--secret-name, --max-age only apply to GitHub secrets\. Add --repositories or --organization/,
    ],
    [
      'a dotenv name without the file',
      ['--aws-region', 'eu-west-1', '--repositories', REPO, '--dotenv-password-name', 'P'],
      { GH_TOKEN: TOKEN },
      /--dotenv-password-name only applies with --dotenv-file/,
    ],
    [
      'a bad dotenv name',
      ['--aws-region', 'eu-west-1', '--dotenv-file', 'a.env', '--dotenv-password-name', 'ECR-PASSWORD'],
      {},
      /--dotenv-password-name: "ECR-PASSWORD" is not a name GitLab takes/,
    ],
    [
      'a token variable without a role',
      ['--aws-region', 'eu-west-1', '--web-identity-token-env', 'T', '--dotenv-file', 'a.env'],
      { T: 'x.y.z' },
      /--web-identity-token-env needs --role-to-assume/,
    ],
    [
      'an empty token variable',
      [
        '--aws-region',
        'eu-west-1',
        '--role-to-assume',
        'arn:aws:iam::123456789012:role/r',
        '--web-identity-token-env',
        'GITLAB_OIDC_TOKEN',
        '--dotenv-file',
        'a.env',
      ],
      {},
      /--web-identity-token-env: the environment variable GITLAB_OIDC_TOKEN is not set or empty/,
    ],
    [
      'an unreadable token file',
      ['--aws-region', 'eu-west-1', '--role-to-assume', 'arn:aws:iam::123456789012:role/r', '--dotenv-file', 'a.env'],
      { AWS_WEB_IDENTITY_TOKEN_FILE: '/nonexistent/token' },
      /AWS_WEB_IDENTITY_TOKEN_FILE: could not read \/nonexistent\/token \(ENOENT\)/,
    ],
    [
      'a bad output',
      ['--aws-region', 'eu-west-1', '--dotenv-file', 'a.env', '--output', 'yaml'],
      {},
      /--output: "yaml" is not text or json/,
    ],
    [
      'an action-only input',
      ['--aws-region', 'eu-west-1', '--dotenv-file', 'a.env', '--audience', 'x'],
      {},
      /Unknown option '--audience'/,
    ],
    [
      'a project and a group',
      ['--aws-region', 'eu-west-1', '--gitlab-project', 'g/app', '--gitlab-group', 'g'],
      { GITLAB_TOKEN: 'glpat-x' },
      /--gitlab-project and --gitlab-group are both given/,
    ],
    [
      'a GitLab flag without a project or group',
      ['--aws-region', 'eu-west-1', '--dotenv-file', 'a.env', '--gitlab-protected'],
      {},
      /--gitlab-protected only applies with --gitlab-project or --gitlab-group/,
    ],
    [
      'no GitLab token',
      ['--aws-region', 'eu-west-1', '--gitlab-project', 'g/app'],
      {},
      /^error: GITLAB_TOKEN: the environment variable GITLAB_TOKEN is not set or empty/,
    ],
    [
      'a bad GitLab variable name',
      ['--aws-region', 'eu-west-1', '--gitlab-project', 'g/app', '--gitlab-variable', 'DOCKER-AUTH'],
      { GITLAB_TOKEN: 'glpat-x' },
      /--gitlab-variable: "DOCKER-AUTH" is not a name GitLab takes/,
    ],
    [
      'a GitLab API URL with credentials',
      [
        '--aws-region',
        'eu-west-1',
        '--gitlab-project',
        'g/app',
        '--gitlab-api-url',
        'https://me:pw@gitlab.example.com/api/v4',
      ],
      { GITLAB_TOKEN: 'glpat-x' },
      /--gitlab-api-url: "https:\/\/gitlab\.example\.com\/api\/v4" is not a GitLab API URL without credentials/,
    ],
    [
      "the docker config and the password in one dotenv file (over GitLab's 5,120 bytes)",
      ['--aws-region', 'eu-west-1', '--dotenv-file', 'a.env', '--dotenv-password-name', 'ECR_PASSWORD'],
      {},
      /^error: --dotenv-password-name: the ECR password .* do not fit together in a GitLab dotenv report, which must be under 5120 bytes\. Add --no-dotenv-docker-config/,
    ],
    [
      'a dotenv file left without any variable',
      ['--aws-region', 'eu-west-1', '--dotenv-file', 'a.env', '--no-dotenv-docker-config'],
      {},
      /--no-dotenv-docker-config leaves the dotenv file without any variable/,
    ],
    [
      'a --no- form of a switch that has none',
      ['--aws-region', 'eu-west-1', '--dotenv-file', 'a.env', '--no-verbose'],
      {},
      /^error: Unknown option '--no-verbose'/,
    ],
    [
      '--gitlab-protected and --no-gitlab-protected',
      ['--aws-region', 'eu-west-1', '--gitlab-project', 'g/app', '--gitlab-protected', '--no-gitlab-protected'],
      { GITLAB_TOKEN: 'glpat-x' },
      /--gitlab-protected and --no-gitlab-protected are both given/,
    ],
    [
      'a GitLab API URL with a query, beside a dotenv file',
      [
        '--aws-region',
        'eu-west-1',
        '--dotenv-file',
        'a.env',
        '--gitlab-project',
        'g/app',
        '--gitlab-api-url',
        'https://gitlab.example.com/api/v4?x=1',
      ],
      { GITLAB_TOKEN: 'glpat-x' },
      /--gitlab-api-url: "https:\/\/gitlab\.example\.com\/api\/v4" has a query or fragment/,
    ],
    [
      'a GitLab token with a space, beside a dotenv file',
      ['--aws-region', 'eu-west-1', '--dotenv-file', 'a.env', '--gitlab-project', 'g/app'],
      { GITLAB_TOKEN: 'glpat-abc def-123' },
      /^error: GITLAB_TOKEN: the environment variable GITLAB_TOKEN holds spaces or line breaks/,
    ],
    [
      'a plain http GitLab API URL to another host (the token would travel in clear)',
      [
        '--aws-region',
        'eu-west-1',
        '--gitlab-project',
        'g/app',
        '--gitlab-api-url',
        'http://gitlab.example.com/api/v4',
      ],
      { GITLAB_TOKEN: 'glpat-x' },
      /--gitlab-api-url: "http:\/\/gitlab\.example\.com\/api\/v4" is not an https URL \(plain http is accepted for loopback hosts only\)/,
    ],
    [
      'a plain http CI_API_V4_URL to another host',
      ['--aws-region', 'eu-west-1', '--gitlab-project', 'g/app'],
      { GITLAB_TOKEN: 'glpat-x', CI_API_V4_URL: 'http://gitlab.example.com/api/v4' },
      /^error: CI_API_V4_URL: "http:\/\/gitlab\.example\.com\/api\/v4" is not an https URL/,
    ],
    [
      '--github-token-env without a GitHub target',
      ['--aws-region', 'eu-west-1', '--dotenv-file', 'a.env', '--github-token-env', 'MY_TOKEN'],
      { MY_TOKEN: TOKEN },
      /^error: --github-token-env only applies to GitHub secrets\. Add --repositories or --organization/,
    ],
    [
      'AWS_ROLE_ARN without AWS_WEB_IDENTITY_TOKEN_FILE',
      ['--aws-region', 'eu-west-1', '--dotenv-file', 'a.env'],
      { AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/ecr-pull' },
      /^error: AWS_ROLE_ARN is set without AWS_WEB_IDENTITY_TOKEN_FILE/,
    ],
    [
      "an unreadable AWS_WEB_IDENTITY_TOKEN_FILE for the SDK's own chain (no --role-to-assume)",
      ['--aws-region', 'eu-west-1', '--dotenv-file', 'a.env'],
      { AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/ecr-pull', AWS_WEB_IDENTITY_TOKEN_FILE: '/nonexistent/token' },
      /^error: AWS_WEB_IDENTITY_TOKEN_FILE: could not read \/nonexistent\/token \(ENOENT\)/,
    ],
    [
      'a dry run beside a dotenv file',
      ['--aws-region', 'eu-west-1', '--repositories', REPO, '--dry-run', '--dotenv-file', 'a.env'],
      { GH_TOKEN: TOKEN },
      /--dry-run plans GitHub secrets only/,
    ],
  ];
  it.each(cases)('%s', async (_name, args, env, message) => {
    const keys = fakes.aws.addStaticKeys();
    const run = await command(
      args,
      commandEnv({ ...env, AWS_ACCESS_KEY_ID: keys.accessKeyId, AWS_SECRET_ACCESS_KEY: keys.secretAccessKey }),
    );
    expect(run.stderr).toMatch(message);
    expect(run.exitCode).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.files).toEqual([]);
    expect(fakes.allRequests()).toEqual([]);
  });

  it('shows every problem at once, as the action does', async () => {
    const run = await command(['--aws-region', 'moon-1', '--repositories', 'octo', '--max-age', 'soon'], commandEnv());
    expect(run.exitCode).toBe(2);
    expect(run.stderr.split('\n').filter((line) => /^(error: )?(--|Environment)/.test(line))).toHaveLength(4);
  });
});
