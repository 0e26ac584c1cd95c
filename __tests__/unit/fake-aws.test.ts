import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { FakeAws } from '../fakes/aws.ts';

/**
 * The fake AWS, driven by the real AWS SDK clients: it must answer as STS and ECR do, or the
 * end-to-end tests prove nothing. Each rule here is cited in __tests__/fakes/aws.ts.
 */
let aws: FakeAws;
beforeAll(async () => {
  aws = new FakeAws('cn-north-1');
  await Promise.all([aws.sts.start(), aws.ecr.start()]);
});
afterAll(async () => {
  await Promise.all([aws.sts.stop(), aws.ecr.stop()]);
});

const sts = (credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }) =>
  new STSClient({ region: aws.region, endpoint: aws.sts.url, credentials, maxAttempts: 1 });

async function stsError(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (error) {
    const { name, message } = error as Error;
    return `${name}: ${message}`;
  }
  return 'no error';
}

describe('fake STS', () => {
  it('sessions last DurationSeconds', async () => {
    const keys = aws.addStaticKeys();
    const roleArn = aws.addRole('long', { trustedAccessKeyIds: [keys.accessKeyId], maxSessionDuration: 43200 });
    const before = Date.now();
    const { Credentials } = await sts(keys).send(
      new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 's', DurationSeconds: 7200 }),
    );
    const lifetimeSeconds = ((Credentials?.Expiration?.getTime() ?? 0) - before) / 1000;
    expect(Math.round(lifetimeSeconds / 60)).toBe(120);
  });

  it('refuses DurationSeconds below 900 and above the role maximum (3600 by default) with STS ValidationErrors', async () => {
    const keys = aws.addStaticKeys();
    const roleArn = aws.addRole('default-max', { trustedAccessKeyIds: [keys.accessKeyId] });
    expect(
      await stsError(
        sts(keys).send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 's', DurationSeconds: 600 })),
      ),
    ).toBe(
      "ValidationError: 1 validation error detected: Value '600' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900",
    );
    expect(
      await stsError(
        sts(keys).send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 's', DurationSeconds: 3601 })),
      ),
    ).toBe('ValidationError: The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
  });

  it('role chaining: accepts a session of a trusted role, and caps it at one hour whatever the role allows', async () => {
    const source = aws.addRole('source', {});
    const session = aws.sessionOf(source);
    const roleArn = aws.addRole('target', { trustedRoleArns: [source], maxSessionDuration: 43200 });
    expect(
      await stsError(
        sts(session).send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 's', DurationSeconds: 43200 })),
      ),
    ).toBe(
      'ValidationError: The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
    );
    const { Credentials } = await sts(session).send(
      new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 's', DurationSeconds: 3600 }),
    );
    expect(aws.temporary.get(Credentials?.AccessKeyId ?? '')?.roleArn).toBe(roleArn);
    // A session whose token does not match is not one this fake issued.
    expect(
      await stsError(
        sts({ ...session, sessionToken: 'forged' }).send(
          new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 's' }),
        ),
      ),
    ).toMatch(/^InvalidClientTokenId/);
  });

  it('role ARNs are in the partition of the region', () => {
    expect(aws.addRole('x', {})).toBe('arn:aws-cn:iam::123456789012:role/x');
  });
});

describe('fake ECR', () => {
  it("answers proxyEndpoint as a URL with https, on the partition's DNS suffix", async () => {
    const keys = aws.addStaticKeys();
    const ecr = new ECRClient({ region: aws.region, endpoint: aws.ecr.url, credentials: keys, maxAttempts: 1 });
    const { authorizationData } = await ecr.send(new GetAuthorizationTokenCommand({}));
    expect(authorizationData?.[0]?.proxyEndpoint).toBe('https://123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn');
  });
});
