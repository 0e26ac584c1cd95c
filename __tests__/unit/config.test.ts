import { describe, expect, it } from '@jest/globals';
import { ConfigError, parseConfig, secretNameProblem, splitList, type Config, type RunContext } from '../../src/config.ts';

const ENV = { GITHUB_REPOSITORY: 'octo/app', GITHUB_RUN_ID: '77', GITHUB_RUN_ATTEMPT: '2', GITHUB_API_URL: 'https://api.github.com' };
/** The run context as `@actions/github` builds it from the same variables. */
const contextOf = (env: Record<string, string>): RunContext => ({
  apiUrl: env['GITHUB_API_URL'] ?? 'https://api.github.com',
  ...(env['GITHUB_REPOSITORY'] ? { repository: env['GITHUB_REPOSITORY'] } : {}),
  ...(env['GITHUB_RUN_ID'] ? { runId: Number(env['GITHUB_RUN_ID']) } : {}),
  ...(env['GITHUB_RUN_ATTEMPT'] ? { runAttempt: Number(env['GITHUB_RUN_ATTEMPT']) } : {}),
});
const parse = (inputs: Record<string, string>, env: Record<string, string> = ENV): Config =>
  parseConfig((name) => inputs[name] ?? '', env, contextOf(env));
const problems = (inputs: Record<string, string>, env: Record<string, string> = ENV) => {
  try {
    parse(inputs, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => p.input);
    throw error;
  }
  return [];
};
const BASE = { 'aws-region': 'eu-west-1', 'github-token': 'ghp_x' };
const ROLE = 'arn:aws:iam::123456789012:role/ecr-pull';

describe('parseConfig', () => {
  it('OIDC by default when only role-to-assume is set, with defaults from the run', () => {
    const config = parse({ ...BASE, 'role-to-assume': ROLE });
    expect(config.auth).toEqual({ kind: 'oidc', roleArn: ROLE, audience: 'sts.amazonaws.com', sessionName: 'ecr-secret-refresh-77-2', durationSeconds: 900 });
    expect(config.targets).toEqual([{ kind: 'repository', owner: 'octo', repo: 'app' }]);
    expect(config.secretNames).toEqual({ password: 'ECR_PASSWORD' });
    expect(config.github).toEqual({ token: 'ghp_x', apiUrl: 'https://api.github.com' });
    expect(config.maxAgeMs).toBeUndefined();
  });

  it('picks keys, keys with a role, or the default chain', () => {
    const keys = { 'aws-access-key-id': 'AKIAABCDEFGHIJKLMNOP', 'aws-secret-access-key': 's', 'aws-session-token': 't' };
    expect(parse({ ...BASE, ...keys }).auth).toEqual({ kind: 'access-keys', keys: { accessKeyId: 'AKIAABCDEFGHIJKLMNOP', secretAccessKey: 's', sessionToken: 't' } });
    expect(parse({ ...BASE, ...keys, 'role-to-assume': ROLE }).auth.kind).toBe('access-keys-and-role');
    expect(parse(BASE).auth).toEqual({ kind: 'default-chain' });
  });

  it('takes the region from AWS_REGION, then AWS_DEFAULT_REGION', () => {
    expect(parse({ 'github-token': 'x' }, { ...ENV, AWS_REGION: 'us-east-2', AWS_DEFAULT_REGION: 'us-west-1' }).region).toBe('us-east-2');
    expect(parse({ 'github-token': 'x' }, { ...ENV, AWS_DEFAULT_REGION: 'us-west-1' }).region).toBe('us-west-1');
    expect(parse({ 'github-token': 'x', 'aws-region': 'ap-southeast-2' }, { ...ENV, AWS_REGION: 'us-east-2' }).region).toBe('ap-southeast-2');
    expect(parse({ ...BASE, 'aws-region': 'us-gov-west-1' }).region).toBe('us-gov-west-1');
  });

  it('lists repositories split on newlines and commas, each as an environment target when one is named', () => {
    const config = parse({ ...BASE, repositories: ' octo/app ,\nocto/api\n\n', environment: 'ecr' });
    expect(config.targets).toEqual([
      { kind: 'environment', owner: 'octo', repo: 'app', environment: 'ecr' },
      { kind: 'environment', owner: 'octo', repo: 'api', environment: 'ecr' },
    ]);
  });

  it('organisation targets with visibility, selected repositories by bare or full name', () => {
    // No visibility given: undefined, so that an existing secret keeps its own (item 1 of issue 8).
    expect(parse({ ...BASE, organization: 'octo' }).targets).toEqual([{ kind: 'organization', org: 'octo', selectedRepositories: [] }]);
    expect(parse({ ...BASE, organization: 'octo', visibility: 'selected', 'selected-repositories': 'app, octo/api' }).targets).toEqual([
      { kind: 'organization', org: 'octo', visibility: 'selected', selectedRepositories: ['app', 'api'] },
    ]);
  });

  it('optional secret names and max-age', () => {
    const config = parse({ ...BASE, 'secret-name': 'REG_PASS', 'username-secret-name': 'REG_USER', 'docker-config-secret-name': 'DOCKER_AUTH_CONFIG', 'max-age': '1h30m' });
    expect(config.secretNames).toEqual({ password: 'REG_PASS', username: 'REG_USER', dockerConfig: 'DOCKER_AUTH_CONFIG' });
    expect(config.maxAgeMs).toBe(5_400_000);
  });

  it('drops a trailing slash from github-api-url and falls back to GITHUB_API_URL', () => {
    expect(parse({ ...BASE, 'github-api-url': 'https://ghe.example.com/api/v3/' }).github.apiUrl).toBe('https://ghe.example.com/api/v3');
    expect(parse(BASE, { ...ENV, GITHUB_API_URL: 'https://ghe.example.com/api/v3' }).github.apiUrl).toBe('https://ghe.example.com/api/v3');
  });

  it('needs a repository when GITHUB_REPOSITORY is not set', () => {
    expect(problems(BASE, {})).toEqual(['repositories']);
  });

  it('collects every problem in one error', () => {
    expect(problems({ 'github-token': '', 'aws-region': 'nowhere', 'secret-name': 'GITHUB_X', visibility: 'all' })).toEqual(['aws-region', 'github-token', 'visibility', 'secret-name']);
  });
});

describe('secretNameProblem follows GitHub naming rules', () => {
  it.each(['ECR_PASSWORD', '_X', 'a1', 'x'.repeat(255)])('accepts %s', (name) => expect(secretNameProblem(name)).toBeUndefined());
  it.each(['1A', 'A-B', 'A B', 'GITHUB_X', 'Github_x', '', 'x'.repeat(256)])('refuses %s', (name) => expect(secretNameProblem(name)).toBeDefined());
});

describe('splitList', () => {
  it('splits on commas and newlines, trims, drops empties', () => expect(splitList('a, b\n\nc,')).toEqual(['a', 'b', 'c']));
});
