/**
 * The AWS credential paths, each end to end: GitHub OIDC, access keys, chained roles and the AWS SDK's
 * default chain. Other partitions are in `partitions.test.ts`.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { Fakes } from '../fakes/index.ts';
import { readIdTokenClaims } from '../fakes/oidc.ts';
import { count, masked, REPO, run, setUp } from './helpers.ts';

let fakes: Fakes & { roleArn: string };
beforeEach(async () => (fakes = await setUp()));
afterEach(async () => fakes.stop());

const stsParams = (index = 0) => new URLSearchParams(fakes.aws.sts.requests[index]?.body ?? '');

describe('AWS credential paths, each end to end', () => {
  it('GitHub OIDC: ID token, AssumeRoleWithWebIdentity, then ECR with the temporary credentials', async () => {
    const result = await run(fakes, { 'role-to-assume': fakes.roleArn });

    expect(result.errors).toEqual([]);
    expect(result.exitCode).toBe(0);
    const issued = fakes.aws.lastLogin!;
    expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD')?.plaintext).toBe(issued.password);

    // ECR was signed with the credentials STS issued for this role.
    expect(fakes.aws.temporary.get(issued.signedWith)?.roleArn).toBe(fakes.roleArn);
    expect(stsParams().get('Action')).toBe('AssumeRoleWithWebIdentity');
    expect(stsParams().get('RoleSessionName')).toBe('ecr-secret-refresh-4242-1');
    expect(stsParams().get('DurationSeconds')).toBe('900');
    expect(readIdTokenClaims(stsParams().get('WebIdentityToken') ?? '')['aud']).toBe('sts.amazonaws.com');
    expect(fakes.oidc.server.requests[0]?.url).toContain('audience=sts.amazonaws.com');

    // The fewest requests: one each for the ID token, STS, ECR and the public key, one PUT.
    expect([count(fakes, 'oidc'), count(fakes, 'sts'), count(fakes, 'ecr'), count(fakes, 'github')]).toEqual([
      1, 1, 1, 2,
    ]);

    // Temporary credentials, the token and the password were all masked.
    const temporary = fakes.aws.temporary.get(issued.signedWith)!;
    expect(masked(result)).toEqual(
      expect.arrayContaining([
        issued.password,
        issued.authorizationToken,
        temporary.secretAccessKey,
        temporary.sessionToken,
        fakes.oidc.issued[0],
      ]),
    );
  });

  it('OIDC honours audience, role-session-name and role-duration-seconds', async () => {
    const roleArn = fakes.aws.addRole('custom-aud', { audience: 'my-audience' });
    const result = await run(fakes, {
      'role-to-assume': roleArn,
      audience: 'my-audience',
      'role-session-name': 'nightly-rotation',
      'role-duration-seconds': '1800',
    });

    expect(result.exitCode).toBe(0);
    expect(stsParams().get('RoleSessionName')).toBe('nightly-rotation');
    expect(stsParams().get('DurationSeconds')).toBe('1800');
    expect(readIdTokenClaims(stsParams().get('WebIdentityToken') ?? '')['aud']).toBe('my-audience');
    expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD')?.plaintext).toBe(fakes.aws.lastLogin?.password);
  });

  it('static access keys: ECR signed with them, no STS call at all', async () => {
    const keys = fakes.aws.addStaticKeys();
    const result = await run(fakes, {
      'aws-access-key-id': keys.accessKeyId,
      'aws-secret-access-key': keys.secretAccessKey,
    });

    expect(result.exitCode).toBe(0);
    expect(fakes.aws.lastLogin?.signedWith).toBe(keys.accessKeyId);
    expect(masked(result)).toContain(keys.secretAccessKey);
    expect(count(fakes, 'sts')).toBe(0);
    expect(count(fakes, 'oidc')).toBe(0);
    expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD')?.plaintext).toBe(fakes.aws.lastLogin?.password);
  });

  it('access keys plus role-to-assume: sts:AssumeRole signed with the keys, ECR with the role', async () => {
    const keys = fakes.aws.addStaticKeys();
    const roleArn = fakes.aws.addRole('cross-account', { trustedAccessKeyIds: [keys.accessKeyId] });
    const result = await run(fakes, {
      'role-to-assume': roleArn,
      'aws-access-key-id': keys.accessKeyId,
      'aws-secret-access-key': keys.secretAccessKey,
    });

    expect(result.exitCode).toBe(0);
    expect(stsParams().get('Action')).toBe('AssumeRole');
    expect(count(fakes, 'oidc')).toBe(0);
    const issued = fakes.aws.lastLogin!;
    expect(fakes.aws.temporary.get(issued.signedWith)?.roleArn).toBe(roleArn);
    expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD')?.plaintext).toBe(issued.password);
    expect(masked(result)).toEqual(expect.arrayContaining([fakes.aws.temporary.get(issued.signedWith)!.sessionToken]));
  });

  it('temporary keys plus role-to-assume (role chaining): AssumeRole signed with the session, up to an hour', async () => {
    const source = fakes.aws.addRole('ci-runner', {});
    const session = fakes.aws.sessionOf(source);
    const roleArn = fakes.aws.addRole('ecr-pull-chained', { trustedRoleArns: [source], maxSessionDuration: 43200 });
    const inputs = {
      'role-to-assume': roleArn,
      'aws-access-key-id': session.accessKeyId,
      'aws-secret-access-key': session.secretAccessKey,
      'aws-session-token': session.sessionToken,
    };
    const result = await run(fakes, { ...inputs, 'role-duration-seconds': '3600' });

    expect(result.errors).toEqual([]);
    expect(result.exitCode).toBe(0);
    expect(stsParams().get('Action')).toBe('AssumeRole');
    expect(fakes.aws.sts.requests[0]?.headers['x-amz-security-token']).toBe(session.sessionToken);
    const issued = fakes.aws.lastLogin!;
    expect(fakes.aws.temporary.get(issued.signedWith)?.roleArn).toBe(roleArn);
    expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD')?.plaintext).toBe(issued.password);
    expect(masked(result)).toEqual(expect.arrayContaining([session.sessionToken, session.secretAccessKey]));
  });

  it('role chaining above an hour: refused as an input error before any request, though the role allows 12 h', async () => {
    const source = fakes.aws.addRole('ci-runner', {});
    const session = fakes.aws.sessionOf(source);
    const roleArn = fakes.aws.addRole('ecr-pull-chained', { trustedRoleArns: [source], maxSessionDuration: 43200 });
    const result = await run(fakes, {
      'role-to-assume': roleArn,
      'aws-access-key-id': session.accessKeyId,
      'aws-secret-access-key': session.secretAccessKey,
      'aws-session-token': session.sessionToken,
      'role-duration-seconds': '43200',
    });

    expect(result.exitCode).toBe(1);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(/^Input 'role-duration-seconds': .*role chaining.* at most 3600/);
    expect(fakes.allRequests()).toEqual([]);
    expect(fakes.github.writes()).toHaveLength(0);
  });

  it("role-duration-seconds above the role's maximum session duration: STS refuses, the step says so, nothing written", async () => {
    const result = await run(fakes, { 'role-to-assume': fakes.roleArn, 'role-duration-seconds': '7200' });

    expect(result.exitCode).toBe(1);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toContain('MaxSessionDuration');
    expect(result.errors[0]).toContain('role-duration-seconds');
    expect(count(fakes, 'sts')).toBe(1);
    expect(count(fakes, 'ecr')).toBe(0);
    expect(fakes.github.writes()).toHaveLength(0);
  });

  it('default chain: credentials an earlier step put in the environment, no STS call', async () => {
    const keys = fakes.aws.addStaticKeys();
    const result = await run(
      fakes,
      {},
      { AWS_ACCESS_KEY_ID: keys.accessKeyId, AWS_SECRET_ACCESS_KEY: keys.secretAccessKey, AWS_REGION: 'eu-west-1' },
    );

    expect(result.exitCode).toBe(0);
    expect(fakes.aws.lastLogin?.signedWith).toBe(keys.accessKeyId);
    expect(count(fakes, 'sts') + count(fakes, 'oidc')).toBe(0);
    expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD')?.plaintext).toBe(fakes.aws.lastLogin?.password);
  });

  it('default chain with no credentials anywhere: a clear error, nothing written', async () => {
    const result = await run(fakes, {});

    expect(result.exitCode).toBe(1);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(/No AWS credentials were found.*role-to-assume/);
    expect(fakes.github.writes()).toHaveLength(0);
  });

  it('OIDC without the id-token: write permission: says to add it, asks AWS nothing, writes nothing', async () => {
    const result = await run(
      fakes,
      { 'role-to-assume': fakes.roleArn },
      { ACTIONS_ID_TOKEN_REQUEST_URL: '', ACTIONS_ID_TOKEN_REQUEST_TOKEN: '' },
    );

    expect(result.exitCode).toBe(1);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toContain('id-token: write');
    // GitHub is read first (issue 8, item 7); nothing is written.
    expect(fakes.allRequests().filter(({ service }) => service !== 'github')).toEqual([]);
    expect(fakes.github.writes()).toHaveLength(0);
  });

  it('a trust policy that does not match this run: AccessDenied explained with the sub, and not retried', async () => {
    const roleArn = fakes.aws.addRole('other-repo-only', {
      audience: 'sts.amazonaws.com',
      subject: 'repo:octo/other:ref:refs/heads/main',
    });
    const result = await run(fakes, { 'role-to-assume': roleArn });

    expect(result.exitCode).toBe(1);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toContain(roleArn);
    expect(result.errors[0]).toContain('sts:AssumeRoleWithWebIdentity');
    expect(result.errors[0]).toContain(`sub "${fakes.oidc.subject}"`);
    expect(result.errors[0]).toContain('id-token: write');
    expect(count(fakes, 'sts')).toBe(1);
    expect(count(fakes, 'ecr') + fakes.github.writes().length).toBe(0);
  });

  it('an identity without ecr:GetAuthorizationToken: names the action, nothing written', async () => {
    const keys = fakes.aws.addStaticKeys();
    fakes.aws.ecrDenied.add(keys.accessKeyId);
    const result = await run(fakes, {
      'aws-access-key-id': keys.accessKeyId,
      'aws-secret-access-key': keys.secretAccessKey,
    });

    expect(result.exitCode).toBe(1);
    expect(result.errors[0]).toContain('ecr:GetAuthorizationToken');
    expect(count(fakes, 'ecr')).toBe(1);
    expect(fakes.github.writes()).toHaveLength(0);
  });
});
