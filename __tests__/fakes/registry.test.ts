import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { ECRPUBLICClient, GetAuthorizationTokenCommand as PublicToken } from '@aws-sdk/client-ecr-public';
import { FakeAws, PUBLIC_REGISTRY } from '../fakes/aws.ts';
import { startRegistry, type StartedRegistry } from '../fakes/registry.ts';

/**
 * The fake registry driven by a real registry client: skopeo (containers/image, Debian's package,
 * installed by .ci/run), through the forward proxy that alone resolves the registries' real names,
 * trusting the fake's throwaway CA (--cert-dir), with passwords the fake ECR issued to the AWS SDK.
 * `skopeo inspect` (not --raw) also resolves an index to linux/amd64 and follows the blob redirect to
 * the layer store, as a pull does.
 */
const run = promisify(execFile);
let aws: FakeAws;
let started: StartedRegistry;
let certDir: string;
let password: string;
let deniedPassword: string;
let publicPassword: string;

async function ecrPassword(credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }) {
  const ecr = new ECRClient({ region: aws.region, endpoint: aws.ecr.url, credentials, maxAttempts: 1 });
  const { authorizationData } = await ecr.send(new GetAuthorizationTokenCommand({}));
  return Buffer.from(authorizationData?.[0]?.authorizationToken ?? '', 'base64')
    .toString()
    .slice(4);
}

beforeAll(async () => {
  aws = new FakeAws('eu-west-1');
  await Promise.all([aws.sts.start(), aws.ecr.start(), aws.ecrPublic.start()]);
  started = await startRegistry(aws);
  certDir = mkdtempSync(join(tmpdir(), 'fake-registry-certs-'));
  copyFileSync(started.env['NODE_EXTRA_CA_CERTS'] ?? '', join(certDir, 'ca.crt'));
  const keys = aws.addStaticKeys();
  const roleArn = aws.addRole('puller', { trustedAccessKeyIds: [keys.accessKeyId] });
  const deniedArn = aws.addRole('no-pull', { trustedAccessKeyIds: [keys.accessKeyId] });
  const sts = new STSClient({ region: aws.region, endpoint: aws.sts.url, credentials: keys, maxAttempts: 1 });
  const session = async (arn: string) => {
    const { Credentials } = await sts.send(new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: 's' }));
    return {
      accessKeyId: Credentials?.AccessKeyId ?? '',
      secretAccessKey: Credentials?.SecretAccessKey ?? '',
      sessionToken: Credentials?.SessionToken ?? '',
    };
  };
  password = await ecrPassword(await session(roleArn));
  deniedPassword = await ecrPassword(await session(deniedArn));
  started.registry.deny(deniedArn, 'ecr:BatchGetImage');
  const ecrPublic = new ECRPUBLICClient({
    region: 'us-east-1',
    endpoint: aws.ecrPublic.url,
    credentials: keys,
    maxAttempts: 1,
  });
  const { authorizationData } = await ecrPublic.send(new PublicToken({}));
  publicPassword = Buffer.from(authorizationData?.authorizationToken ?? '', 'base64')
    .toString()
    .slice(4);
  started.registry.addRepository('build-env');
  started.registry.addRepository('tools/multi', { tags: { '1.2': 'index' } });
  started.registry.addRepository('octo/base', { registry: PUBLIC_REGISTRY });
});
afterAll(async () => {
  await started.stop();
  await Promise.all([aws.sts.stop(), aws.ecr.stop(), aws.ecrPublic.stop()]);
  rmSync(certDir, { recursive: true, force: true });
});

/** skopeo's answer: stdout, or its error message. */
async function skopeo(args: string[]): Promise<{ ok: boolean; out: string }> {
  try {
    const { stdout } = await run('skopeo', [...args, '--cert-dir', certDir], {
      env: { PATH: process.env['PATH'] ?? '', HOME: certDir, HTTPS_PROXY: started.proxy.url },
      timeout: 60_000,
    });
    return { ok: true, out: stdout };
  } catch (error) {
    return { ok: false, out: String((error as { stderr?: string }).stderr ?? error) };
  }
}

const image = (path: string) => `docker://${aws.registry}/${path}`;

describe('the fake registry, as skopeo sees it', () => {
  it('with the password ECR issued: a manifest (raw), and an index resolved to linux/amd64 with its config blob fetched through the redirect', async () => {
    const raw = await skopeo(['inspect', '--raw', '--creds', `AWS:${password}`, image('build-env:latest')]);
    expect(raw.ok).toBe(true);
    expect(JSON.parse(raw.out)).toMatchObject({
      schemaVersion: 2,
      config: { digest: expect.stringMatching(/^sha256:/) },
    });
    const inspected = await skopeo([
      'inspect',
      '--override-os',
      'linux',
      '--override-arch',
      'amd64',
      '--creds',
      `AWS:${password}`,
      image('tools/multi:1.2'),
    ]);
    expect(inspected.ok).toBe(true);
    expect(JSON.parse(inspected.out)).toMatchObject({ Architecture: 'amd64', Os: 'linux' });
    // The config blob came from the layer store, by the registry's 307.
    expect(started.registry.layerStore.requests.length).toBeGreaterThan(0);
  });

  it('refusals as skopeo reports them: no credentials, a password of no login, a role without ecr:BatchGetImage, a missing repository and tag', async () => {
    const anonymous = await skopeo(['inspect', '--raw', '--no-creds', image('build-env:latest')]);
    expect(anonymous.ok).toBe(false);
    // skopeo answers the Basic challenge with empty credentials, which the registry refuses.
    expect(anonymous.out).toMatch(/denied|401|unauthorized/i);
    const made = await skopeo(['inspect', '--raw', '--creds', 'AWS:not-a-password', image('build-env:latest')]);
    expect(made.out).toMatch(/Your Authorization Token is invalid/);
    const denied = await skopeo(['inspect', '--raw', '--creds', `AWS:${deniedPassword}`, image('build-env:latest')]);
    expect(denied.out).toMatch(
      /not authorized to perform: ecr:BatchGetImage on resource: arn:aws:ecr:eu-west-1:123456789012:repository\/build-env/,
    );
    const name = await skopeo(['inspect', '--raw', '--creds', `AWS:${password}`, image('nope:latest')]);
    expect(name.out).toMatch(/name unknown|NAME_UNKNOWN/i);
    const tag = await skopeo(['inspect', '--raw', '--creds', `AWS:${password}`, image('build-env:v9')]);
    expect(tag.out).toMatch(/manifest unknown|Requested image not found/i);
  });

  it('ECR Public: a bearer token from its token service with the ECR Public password; a private password refused there', async () => {
    const pulled = await skopeo([
      'inspect',
      '--raw',
      '--creds',
      `AWS:${publicPassword}`,
      `docker://${PUBLIC_REGISTRY}/octo/base:latest`,
    ]);
    expect(pulled.ok).toBe(true);
    const wrong = await skopeo([
      'inspect',
      '--raw',
      '--creds',
      `AWS:${password}`,
      `docker://${PUBLIC_REGISTRY}/octo/base:latest`,
    ]);
    expect(wrong.ok).toBe(false);
  });
});
