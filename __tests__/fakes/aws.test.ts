import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AssumeRoleCommand, AssumeRoleWithWebIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import {
  ECRPUBLICClient,
  GetAuthorizationTokenCommand as GetPublicAuthorizationTokenCommand,
} from '@aws-sdk/client-ecr-public';
import { FakeAws, PASSWORD_LIFETIME_MS } from '../fakes/aws.ts';

/**
 * The fake AWS, driven by the real AWS SDK clients: it must answer as STS and ECR do, or the
 * end-to-end tests prove nothing. Each rule here is cited in __tests__/fakes/aws.ts.
 */
let aws: FakeAws;
beforeAll(async () => {
  aws = new FakeAws('cn-north-1');
  await Promise.all([aws.sts.start(), aws.ecr.start(), aws.ecrPublic.start()]);
});
afterAll(async () => {
  await Promise.all([aws.sts.stop(), aws.ecr.stop(), aws.ecrPublic.stop()]);
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

  it('refuses an empty web identity token with an STS ValidationError (WebIdentityToken: at least 4 characters)', async () => {
    const roleArn = aws.addRole('web', { audience: 'sts.amazonaws.com' });
    const unsigned = new STSClient({
      region: aws.region,
      endpoint: aws.sts.url,
      maxAttempts: 1,
      credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' },
    });
    expect(
      await stsError(
        unsigned.send(
          new AssumeRoleWithWebIdentityCommand({ RoleArn: roleArn, RoleSessionName: 's', WebIdentityToken: '' }),
        ),
      ),
    ).toBe(
      "ValidationError: 1 validation error detected: Value '' at 'webIdentityToken' failed to satisfy constraint: Member must have length greater than or equal to 4",
    );
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

  it('a password lives 12 hours, or 12h / timeScale of real time when the action runs a scaled clock', async () => {
    const keys = aws.addStaticKeys();
    const ecr = new ECRClient({ region: aws.region, endpoint: aws.ecr.url, credentials: keys, maxAttempts: 1 });
    const lifeOf = async () => {
      const { authorizationData } = await ecr.send(new GetAuthorizationTokenCommand({}));
      const issued = aws.lastLogin!;
      // The SDK read expiresAt (epoch seconds on the wire) as the Date the fake recorded.
      expect(authorizationData?.[0]?.expiresAt?.getTime()).toBeCloseTo(issued.expiresAt.getTime(), -1);
      return issued.expiresAt.getTime() - issued.issuedAt.getTime();
    };
    expect(await lifeOf()).toBe(PASSWORD_LIFETIME_MS);
    aws.timeScale = 20;
    try {
      expect(await lifeOf()).toBe(PASSWORD_LIFETIME_MS / 20);
    } finally {
      aws.timeScale = 1;
    }
  });
});

describe('fake ECR Public', () => {
  const ecrPublic = (region: string, credentials: { accessKeyId: string; secretAccessKey: string }) =>
    new ECRPUBLICClient({ region, endpoint: aws.ecrPublic.url, credentials, maxAttempts: 1 });

  it('answers GetAuthorizationToken signed for us-east-1 with one authorizationData object: token AWS:<password>, expiry in 12h', async () => {
    const keys = aws.addStaticKeys();
    const before = Date.now();
    const { authorizationData } = await ecrPublic('us-east-1', keys).send(new GetPublicAuthorizationTokenCommand({}));
    const issued = aws.lastLogin!;
    expect(issued).toMatchObject({ registry: 'public.ecr.aws', signedWith: keys.accessKeyId });
    expect(authorizationData?.authorizationToken).toBe(issued.authorizationToken);
    expect(Buffer.from(authorizationData?.authorizationToken ?? '', 'base64').toString()).toBe(
      `AWS:${issued.password}`,
    );
    // The SDK read expiresAt (epoch seconds on the wire) as a Date.
    expect(authorizationData?.expiresAt).toEqual(issued.expiresAt);
    expect(Math.round(((authorizationData?.expiresAt?.getTime() ?? 0) - before) / 3_600_000)).toBe(12);
    expect(aws.ecrPublic.requests.at(-1)?.headers['x-amz-target']).toBe('SpencerFrontendService.GetAuthorizationToken');
  });

  it('refuses a request signed for any other region, as SigV4 refuses a wrong credential scope', async () => {
    const keys = aws.addStaticKeys();
    const logins = aws.logins.length;
    const error = await ecrPublic('eu-west-1', keys)
      .send(new GetPublicAuthorizationTokenCommand({}))
      .then(
        () => undefined,
        (thrown: unknown) => thrown as Error & { $metadata?: { httpStatusCode?: number } },
      );
    expect(error).toBeInstanceOf(Error);
    expect(`${error?.name}: ${error?.message}`).toBe(
      "InvalidSignatureException: Credential should be scoped to a valid region, not 'eu-west-1'. ",
    );
    expect(error?.$metadata?.httpStatusCode).toBe(403);
    expect(aws.logins).toHaveLength(logins);
  });

  it('names sts:GetServiceBearerToken in its AccessDenied when only that is missing, and refuses unknown keys', async () => {
    const keys = aws.addStaticKeys();
    aws.bearerTokenDenied.add(keys.accessKeyId);
    await expect(ecrPublic('us-east-1', keys).send(new GetPublicAuthorizationTokenCommand({}))).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: expect.stringMatching(/is not authorized to perform: sts:GetServiceBearerToken on resource: \*/),
    });
    await expect(
      ecrPublic('us-east-1', { accessKeyId: 'AKIANOTISSUED', secretAccessKey: 'x' }).send(
        new GetPublicAuthorizationTokenCommand({}),
      ),
    ).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
  });
});
