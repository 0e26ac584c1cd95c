/**
 * Bad input to the action: a clear error naming the input, exit 1, and no request at all. The
 * command's own refusals are in `cli-bad-usage.test.ts`.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Fakes } from '../fakes/index.ts';
import { run, setUp } from './helpers.ts';

let fakes: Fakes & { roleArn: string };
beforeAll(async () => (fakes = await setUp()));
afterAll(async () => fakes.stop());

const OIDC = { 'role-to-assume': 'arn:aws:iam::123456789012:role/ecr-pull' };
const ORG = { ...OIDC, organization: 'octo' };
const KEYS = { 'aws-access-key-id': 'AKIAABCDEFGHIJKLMNOP', 'aws-secret-access-key': 'secret/value' };

/** [what is wrong, inputs, the input the error must name, extra environment]. */
const cases: [string, Record<string, string>, string, Record<string, string>?][] = [
  ['empty github-token', { ...OIDC, 'github-token': '' }, 'github-token'],
  ['repository without owner', { ...OIDC, repositories: 'app' }, 'repositories'],
  ['repository with two slashes', { ...OIDC, repositories: 'octo/app/extra' }, 'repositories'],
  ['owner with a space', { ...OIDC, repositories: 'oc to/app' }, 'repositories'],
  ['repository named ..', { ...OIDC, repositories: 'octo/..' }, 'repositories'],
  ['repository listed twice', { ...OIDC, repositories: 'octo/app,OCTO/app' }, 'repositories'],
  ['secret name starting with a digit', { ...OIDC, 'secret-name': '1PASSWORD' }, 'secret-name'],
  ['secret name with a dash', { ...OIDC, 'secret-name': 'ECR-PASSWORD' }, 'secret-name'],
  ['secret name with a space', { ...OIDC, 'secret-name': 'ECR PASSWORD' }, 'secret-name'],
  ['secret name with a non-ASCII letter', { ...OIDC, 'secret-name': 'ECR_PASSWÖRD' }, 'secret-name'],
  ['secret name starting with GITHUB_', { ...OIDC, 'secret-name': 'GITHUB_ECR' }, 'secret-name'],
  ['secret name starting with github_ in lower case', { ...OIDC, 'secret-name': 'github_ecr' }, 'secret-name'],
  ['secret name over 255 characters', { ...OIDC, 'secret-name': 'A'.repeat(256) }, 'secret-name'],
  [
    'username secret with the password secret name',
    { ...OIDC, 'username-secret-name': 'ECR_PASSWORD' },
    'username-secret-name',
  ],
  [
    'docker-config secret with the same name in another case',
    { ...OIDC, 'docker-config-secret-name': 'ecr_password' },
    'docker-config-secret-name',
  ],
  ['bad username secret name', { ...OIDC, 'username-secret-name': 'USER-NAME' }, 'username-secret-name'],
  ['visibility public', { ...ORG, visibility: 'public' }, 'visibility'],
  ['visibility without organization', { ...OIDC, visibility: 'all' }, 'visibility'],
  [
    'selected-repositories with visibility private',
    { ...ORG, 'selected-repositories': 'app' },
    'selected-repositories',
  ],
  ['selected-repositories without organization', { ...OIDC, 'selected-repositories': 'app' }, 'selected-repositories'],
  ['visibility selected with no repositories', { ...ORG, visibility: 'selected' }, 'selected-repositories'],
  [
    'selected repository of another organisation',
    { ...ORG, visibility: 'selected', 'selected-repositories': 'other/app' },
    'selected-repositories',
  ],
  ['organization and environment together', { ...ORG, environment: 'ecr' }, 'environment'],
  ['organization and repositories together', { ...ORG, repositories: 'octo/app' }, 'repositories'],
  ['organisation name with a space', { ...OIDC, organization: 'octo org' }, 'organization'],
  ['environment name with a control character', { ...OIDC, environment: 'e\u0007cr' }, 'environment'],
  ['role name instead of an ARN', { 'role-to-assume': 'ecr-pull' }, 'role-to-assume'],
  ['ARN with a short account id', { 'role-to-assume': 'arn:aws:iam::12345:role/ecr-pull' }, 'role-to-assume'],
  ['ARN of a user, not a role', { 'role-to-assume': 'arn:aws:iam::123456789012:user/ci' }, 'role-to-assume'],
  ['region without its number', { ...OIDC, 'aws-region': 'eu-west' }, 'aws-region'],
  ['region in upper case', { ...OIDC, 'aws-region': 'EU-WEST-1' }, 'aws-region'],
  ['no region at all', { ...OIDC, 'aws-region': '' }, 'aws-region'],
  ['duration below 900', { ...OIDC, 'role-duration-seconds': '600' }, 'role-duration-seconds'],
  ['duration above 43200', { ...OIDC, 'role-duration-seconds': '50000' }, 'role-duration-seconds'],
  ['duration not a number', { ...OIDC, 'role-duration-seconds': '15m' }, 'role-duration-seconds'],
  ['session name too short', { ...OIDC, 'role-session-name': 'a' }, 'role-session-name'],
  ['session name with a space', { ...OIDC, 'role-session-name': 'my session' }, 'role-session-name'],
  ['audience without role-to-assume', { ...KEYS, audience: 'sts.amazonaws.com' }, 'audience'],
  ['max-age that is not a duration', { ...OIDC, 'max-age': 'soon' }, 'max-age'],
  ['max-age of zero', { ...OIDC, 'max-age': '0h' }, 'max-age'],
  ['max-age as long as the password lives', { ...OIDC, 'max-age': '12h' }, 'max-age'],
  ['access key id without the secret key', { 'aws-access-key-id': 'AKIAABCDEFGHIJKLMNOP' }, 'aws-secret-access-key'],
  ['secret key without the access key id', { 'aws-secret-access-key': 'secret/value' }, 'aws-access-key-id'],
  ['access key id that is not one', { ...KEYS, 'aws-access-key-id': 'not a key' }, 'aws-access-key-id'],
  ['session token without keys', { ...OIDC, 'aws-session-token': 'token' }, 'aws-session-token'],
  ['github-api-url that is not http', { ...OIDC, 'github-api-url': 'ftp://example.com' }, 'github-api-url'],
  [
    'github-api-url over plain http to a host that is not loopback',
    { ...OIDC, 'github-api-url': 'http://ghe.example.com/api/v3' },
    'github-api-url',
  ],
  [
    'github-api-url with credentials',
    { ...OIDC, 'github-api-url': 'https://mona:s3cr3t-pw@ghe.example.com/api/v3' },
    'github-api-url',
  ],
  [
    'github-api-url with a query',
    { ...OIDC, 'github-api-url': 'https://ghe.example.com/api/v3?per_page=100' },
    'github-api-url',
  ],
  [
    'github-api-url with a fragment',
    { ...OIDC, 'github-api-url': 'https://ghe.example.com/api/v3#top' },
    'github-api-url',
  ],
  ['a repositories list of separators only', { ...OIDC, repositories: ',' }, 'repositories'],
  ['a repositories list of blanks and separators', { ...OIDC, repositories: ' , \n' }, 'repositories'],
  [
    'selected repository with two slashes',
    { ...ORG, visibility: 'selected', 'selected-repositories': 'octo/app/extra' },
    'selected-repositories',
  ],
  [
    'selected repository listed twice in two cases',
    { ...ORG, visibility: 'selected', 'selected-repositories': 'api, API' },
    'selected-repositories',
  ],
  ['environment named ..', { ...OIDC, environment: '..' }, 'environment'],
  ['environment named .', { ...OIDC, environment: '.' }, 'environment'],
  ['region with underscores', { ...OIDC, 'aws-region': 'eu_west_1' }, 'aws-region'],
  ['region of no partition', { ...OIDC, 'aws-region': 'moon-1' }, 'aws-region'],
  [
    'ARN of an unknown partition',
    { 'role-to-assume': 'arn:aws-moon:iam::123456789012:role/ecr-pull' },
    'role-to-assume',
  ],
  [
    'role of another partition than the region',
    { 'role-to-assume': 'arn:aws-cn:iam::123456789012:role/ecr-pull', 'aws-region': 'eu-west-1' },
    'role-to-assume',
  ],
  ['duration in hexadecimal', { ...OIDC, 'role-duration-seconds': '0x384' }, 'role-duration-seconds'],
  ['duration in exponent notation', { ...OIDC, 'role-duration-seconds': '1e3' }, 'role-duration-seconds'],
  [
    'duration above an hour for a role assumed with temporary keys',
    {
      ...OIDC,
      ...KEYS,
      'aws-access-key-id': 'ASIAABCDEFGHIJKLMNOP',
      'aws-session-token': 'token',
      'role-duration-seconds': '43200',
    },
    'role-duration-seconds',
  ],
  ['max-age leaving less than an hour of life', { ...OIDC, 'max-age': '11h30m' }, 'max-age'],
  ['github-token holding a line break', { ...OIDC, 'github-token': 'ghp_FIRSTPART\nSECONDPART' }, 'github-token'],
  ['github-token holding a space', { ...OIDC, 'github-token': 'token ghp_x' }, 'github-token'],
  [
    'audience with keys and a role (sts:AssumeRole has no audience)',
    { ...OIDC, ...KEYS, audience: 'sts.amazonaws.com' },
    'audience',
  ],
];

describe('bad input: a clear error naming the input, exit 1, and no request at all', () => {
  it.each(cases)('%s', async (_what, inputs, input, env = {}) => {
    const before = fakes.allRequests().length;
    const result = await run(fakes, inputs, env);

    expect(result.exitCode).toBe(1);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(new RegExp(`^Input '${input}': .+\\. .+`));
    expect(result.errors[0]?.split('\n')).toHaveLength(1);
    expect(fakes.allRequests().length).toBe(before);
  });

  it('reports every mistake of one run together', async () => {
    const result = await run(fakes, { 'role-to-assume': 'ecr-pull', 'secret-name': '1X', 'max-age': 'soon' });
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]?.split('\n').map((line) => /^Input '([^']+)'/.exec(line)?.[1])).toEqual([
      'role-to-assume',
      'secret-name',
      'max-age',
    ]);
  });

  it('never prints the credentials of a github-api-url', async () => {
    const result = await run(fakes, { ...OIDC, 'github-api-url': 'https://mona:s3cr3t-pw@ghe.example.com/api/v3' });
    expect(result.errors[0]).toContain('ghe.example.com/api/v3');
    expect(result.stdout + result.stderr).not.toContain('s3cr3t-pw');
  });

  it('never prints the query of a github-api-url, where a careless user pastes a token', async () => {
    const result = await run(fakes, {
      ...OIDC,
      'github-api-url': 'https://ghe.example.com/api/v3?access_token=ghp_PASTEDTOKEN',
    });
    expect(result.errors[0]).toContain('https://ghe.example.com/api/v3?…');
    expect(result.stdout + result.stderr).not.toContain('PASTEDTOKEN');
  });

  it('never quotes a github-token that holds a line break (it could not be masked as one value)', async () => {
    const result = await run(fakes, { ...OIDC, 'github-token': 'ghp_FIRSTPART\nSECONDPART' });
    expect(result.errors[0]).toContain("Input 'github-token'");
    expect(result.stdout.replace(/^::add-mask::.*$/gm, '') + result.stderr + result.summary).not.toMatch(
      /FIRSTPART|SECONDPART/,
    );
  });

  it('never echoes a secret key given in the wrong input', async () => {
    const result = await run(fakes, {
      'aws-access-key-id': 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      'aws-secret-access-key': 'x',
    });
    expect(result.errors[0]).toContain("Input 'aws-access-key-id'");
    expect(result.stdout).not.toContain('wJalrXUtnFEMI');
  });

  it('a repository that does not exist: explained, nothing written', async () => {
    const roleArn = fakes.roleArn;
    const result = await run(fakes, { 'role-to-assume': roleArn, repositories: 'octo/does-not-exist' });
    expect(result.exitCode).toBe(1);
    expect(result.errors[0]).toContain('octo/does-not-exist');
    expect(result.errors[0]).toContain('not found, or not visible to github-token');
    expect(fakes.github.writes()).toHaveLength(0);
  });
});
