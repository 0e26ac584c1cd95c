/**
 * Other AWS partitions end to end with GitHub OIDC (China, GovCloud: role ARNs, DNS suffix and
 * registry host of the partition), and owners of Enterprise Managed Users.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { startFakes, type Fakes } from '../fakes/index.ts';
import { count, REPO, run, TOKEN } from './helpers.ts';

let fakes: Fakes | undefined;
afterEach(async () => fakes?.stop());

/** The fakes answering as AWS in `region`, with an OIDC role of that partition allowed for this run. */
async function fakesIn(region: string): Promise<Fakes & { roleArn: string }> {
  fakes = await startFakes({ region });
  fakes.github.addToken(TOKEN);
  fakes.github.addRepository(REPO);
  const roleArn = fakes.aws.addRole('ecr-pull', { audience: 'sts.amazonaws.com', subject: fakes.oidc.subject });
  return { ...fakes, roleArn };
}

describe('other AWS partitions, end to end with GitHub OIDC', () => {
  it.each([
    [
      'China',
      'cn-north-1',
      'arn:aws-cn:iam::123456789012:role/ecr-pull',
      '123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn',
    ],
    [
      'GovCloud',
      'us-gov-west-1',
      'arn:aws-us-gov:iam::123456789012:role/ecr-pull',
      '123456789012.dkr.ecr.us-gov-west-1.amazonaws.com',
    ],
  ])(
    '%s (%s): the role of that partition, and the registry host ECR answers',
    async (_name, region, expectedRoleArn, registry) => {
      const aws = await fakesIn(region);
      expect(aws.roleArn).toBe(expectedRoleArn);

      const result = await run(aws, {
        'aws-region': region,
        'role-to-assume': aws.roleArn,
        'docker-config-secret-name': 'DOCKER_AUTH_CONFIG',
      });

      expect(result.errors).toEqual([]);
      expect(result.exitCode).toBe(0);
      const issued = aws.aws.lastLogin!;
      expect(aws.aws.temporary.get(issued.signedWith)?.roleArn).toBe(expectedRoleArn);
      expect(aws.github.repositorySecret(REPO, 'ECR_PASSWORD')?.plaintext).toBe(issued.password);
      expect(result.outputs['registry']).toBe(registry);
      const dockerConfig = JSON.parse(aws.github.repositorySecret(REPO, 'DOCKER_AUTH_CONFIG')?.plaintext ?? '{}') as {
        auths?: Record<string, unknown>;
      };
      expect(Object.keys(dockerConfig.auths ?? {})).toEqual([registry]);
      expect([count(aws, 'oidc'), count(aws, 'sts'), count(aws, 'ecr')]).toEqual([1, 1, 1]);
    },
  );

  it('a role of the commercial partition with a China region: refused before any request', async () => {
    const aws = await fakesIn('cn-north-1');
    const result = await run(aws, {
      'aws-region': 'cn-north-1',
      'role-to-assume': 'arn:aws:iam::123456789012:role/ecr-pull',
    });

    expect(result.exitCode).toBe(1);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(/^Input 'role-to-assume': .*aws-region cn-north-1/);
    expect(aws.allRequests()).toEqual([]);
  });
});

describe('owners of Enterprise Managed Users', () => {
  it('alice_acme/app is written like any repository', async () => {
    const aws = await fakesIn('eu-west-1');
    aws.github.addRepository('alice_acme/app');
    const result = await run(aws, { 'role-to-assume': aws.roleArn, repositories: 'alice_acme/app' });

    expect(result.errors).toEqual([]);
    expect(aws.github.repositorySecret('alice_acme/app', 'ECR_PASSWORD')?.plaintext).toBe(aws.aws.lastLogin?.password);
  });
});
