import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { ACCOUNT_ID } from '../fakes/aws.ts';
import { SECRET_LIMIT } from '../fakes/github.ts';
import type { Fakes } from '../fakes/index.ts';
import { count, masked, REPO, run, setUp } from './helpers.ts';

/**
 * ECR Public (`registry-type: public`) and several registries in one docker config (`registries`),
 * end to end: the bundled action against the fakes, the stored secrets opened and compared with
 * what the fake ECR (or ECR Public) issued, and the docker config read by a real reader, skopeo.
 * ECR Public from any `aws-region`; several registries in one docker config; the registry inputs' errors.
 *
 * skopeo (Debian's package; `.ci/run` installs it when missing) is the real Docker config reader: the
 * stored docker-config secret is written to a temporary auth file and `skopeo login --get-login
 * --authfile <file> <host>` asked for each registry, which reads `auths` without any network, and for
 * a host the file lacks, which it must refuse.
 */
let fakes: Fakes & { roleArn: string };
beforeAll(async () => (fakes = await setUp()));
afterAll(async () => fakes.stop());
beforeEach(() => {
  fakes.aws.bearerTokenDenied.clear();
  for (const server of [fakes.aws.sts, fakes.aws.ecr, fakes.aws.ecrPublic, fakes.github.server, fakes.oidc.server])
    server.requests.length = 0;
});

/** `n` distinct account ids, none the login's own. */
const ACCOUNTS = (n: number) => Array.from({ length: n }, (_, i) => String(210987654300 + i));
const PRIVATE_HOST = `${ACCOUNT_ID}.dkr.ecr.eu-west-1.amazonaws.com`;

interface DockerConfig {
  auths: Record<string, { auth: string }>;
}

function storedDockerConfig(name = 'DOCKER_AUTH_CONFIG'): DockerConfig {
  const plaintext = fakes.github.repositorySecret(REPO, name)?.plaintext;
  expect(plaintext).toBeDefined();
  return JSON.parse(plaintext ?? '{}') as DockerConfig;
}

/** `user:password` of an `auths` entry, decoded. */
function decodedAuth(config: DockerConfig, host: string): string | undefined {
  const auth = config.auths[host]?.auth;
  return auth === undefined ? undefined : Buffer.from(auth, 'base64').toString('utf8');
}

describe('registry-type: public (ECR Public)', () => {
  it('aws-region eu-west-1: STS in eu-west-1, the token from ECR Public in us-east-1, written for public.ecr.aws', async () => {
    const result = await run(fakes, {
      'role-to-assume': fakes.roleArn,
      'aws-region': 'eu-west-1',
      'registry-type': 'public',
      'docker-config-secret-name': 'DOCKER_AUTH_CONFIG',
    });

    expect(result.errors).toEqual([]);
    expect(result.exitCode).toBe(0);
    // One OIDC token, one STS call, one ECR Public call; private ECR never asked.
    expect([count(fakes, 'oidc'), count(fakes, 'sts'), count(fakes, 'ecr-public'), count(fakes, 'ecr')]).toEqual([
      1, 1, 1, 0,
    ]);
    // The fake answers only requests signed for us-east-1: the SDK's client was set to it, not to aws-region.
    expect(String(fakes.aws.ecrPublic.requests[0]?.headers.authorization)).toMatch(
      /Credential=ASIA\w+\/\d{8}\/us-east-1\/ecr-public\/aws4_request/,
    );
    const issued = fakes.aws.lastLogin!;
    expect(issued.registry).toBe('public.ecr.aws');
    expect(fakes.aws.temporary.get(issued.signedWith)?.roleArn).toBe(fakes.roleArn);
    expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD')?.plaintext).toBe(issued.password);
    const config = storedDockerConfig();
    expect(Object.keys(config.auths)).toEqual(['public.ecr.aws']);
    expect(decodedAuth(config, 'public.ecr.aws')).toBe(`AWS:${issued.password}`);
    expect(result.outputs).toMatchObject({
      registry: 'public.ecr.aws',
      username: 'AWS',
      'expires-at': issued.expiresAt.toISOString(),
      'registry-hosts': '["public.ecr.aws"]',
    });
  });

  it('AccessDenied for sts:GetServiceBearerToken: the step fails naming both actions the identity needs, nothing written', async () => {
    const keys = fakes.aws.addStaticKeys();
    fakes.aws.bearerTokenDenied.add(keys.accessKeyId);
    const result = await run(fakes, {
      'aws-access-key-id': keys.accessKeyId,
      'aws-secret-access-key': keys.secretAccessKey,
      'registry-type': 'public',
      'secret-name': 'PUBLIC_PASSWORD',
    });

    expect(result.exitCode).toBe(1);
    expect(result.errors.join('\n')).toMatch(
      /This AWS identity may not get an ECR Public token\. AWS said AccessDenied: .*sts:GetServiceBearerToken.*allows both ecr-public:GetAuthorizationToken and sts:GetServiceBearerToken/,
    );
    expect(count(fakes, 'ecr-public')).toBe(1);
    expect(fakes.github.repositorySecret(REPO, 'PUBLIC_PASSWORD')).toBeUndefined();
  });
});

describe('registries: one password, one auths entry per registry', () => {
  const authDir = mkdtempSync(join(tmpdir(), 'registries-authfile-'));
  afterAll(() => rmSync(authDir, { recursive: true, force: true }));

  it('two more accounts (one with a leading zero): one GetAuthorizationToken, three hosts, read by skopeo', async () => {
    const result = await run(fakes, {
      'role-to-assume': fakes.roleArn,
      registries: '210987654321\n012345678901',
      'docker-config-secret-name': 'DOCKER_AUTH_CONFIG',
    });

    expect(result.errors).toEqual([]);
    expect(result.exitCode).toBe(0);
    expect(count(fakes, 'ecr')).toBe(1);
    const issued = fakes.aws.lastLogin!;
    const hosts = [
      PRIVATE_HOST,
      '210987654321.dkr.ecr.eu-west-1.amazonaws.com',
      '012345678901.dkr.ecr.eu-west-1.amazonaws.com',
    ];
    expect(JSON.parse(result.outputs['registry-hosts'] ?? 'null')).toEqual(hosts);
    expect(result.outputs['registry']).toBe(PRIVATE_HOST);
    const config = storedDockerConfig();
    // The login's own registry first, then the listed ones in their order; the same password for each.
    expect(Object.keys(config.auths)).toEqual(hosts);
    for (const host of hosts) expect(decodedAuth(config, host)).toBe(`AWS:${issued.password}`);
    expect(result.summary).toContain(`\`${hosts[1]}\``);
    // The three-host value is masked as one, and shows nowhere else.
    const stored = fakes.github.repositorySecret(REPO, 'DOCKER_AUTH_CONFIG')?.plaintext ?? '';
    expect(masked(result)).toContain(stored);
    expect(result.stdout.replace(/^::add-mask::.*$/gm, '')).not.toContain(issued.password);
    expect(`${result.stdout}${result.stderr}${result.summary}`.split(stored).length - 1).toBe(1);

    // A real Docker config reader: skopeo reads `auths` from the file (no network for --get-login).
    const authfile = join(authDir, 'config.json');
    writeFileSync(authfile, fakes.github.repositorySecret(REPO, 'DOCKER_AUTH_CONFIG')?.plaintext ?? '', {
      mode: 0o600,
    });
    const skopeo = (host: string) =>
      spawnSync('skopeo', ['login', '--get-login', '--authfile', authfile, host], {
        encoding: 'utf8',
        env: { PATH: process.env['PATH'] ?? '', HOME: authDir },
      });
    for (const host of hosts.slice(1)) {
      const { status, stdout, stderr } = skopeo(host);
      expect({ status, stdout: stdout.trim(), stderr }).toEqual({ status: 0, stdout: 'AWS', stderr: '' });
    }
    // A host the file does not name: skopeo says so, so the two answers above came from the file.
    const other = skopeo('999999999999.dkr.ecr.eu-west-1.amazonaws.com');
    expect(other.status).not.toBe(0);
    expect(other.stderr).toMatch(/not logged into/i);
  });

  it('registry-hosts is set without a docker-config secret too: the login’s own host', async () => {
    const result = await run(fakes, { 'role-to-assume': fakes.roleArn });

    expect(result.exitCode).toBe(0);
    expect(result.outputs['registry-hosts']).toBe(JSON.stringify([PRIVATE_HOST]));
    expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD')?.plaintext).toBe(fakes.aws.lastLogin?.password);
  });

  it('eight accounts, the most allowed, with passwords as long as real ones: nine entries, stored whole within 48 KB', async () => {
    const result = await run(fakes, {
      'role-to-assume': fakes.roleArn,
      registries: ACCOUNTS(8).join(', '),
      'docker-config-secret-name': 'DOCKER_AUTH_CONFIG',
    });

    expect(result.exitCode).toBe(0);
    const issued = fakes.aws.lastLogin!;
    // The fake's password is as long as ECR's (about 2,400 to 2,700 characters), so the size here is a real one.
    expect(issued.password.length).toBeGreaterThanOrEqual(2400);
    const config = storedDockerConfig();
    expect(Object.keys(config.auths)).toHaveLength(9);
    for (const host of Object.keys(config.auths)) expect(decodedAuth(config, host)).toBe(`AWS:${issued.password}`);
    // What GitHub received, sealed and in base64, is within its limit (the fake refuses more with 422).
    const stored = fakes.github.repositorySecret(REPO, 'DOCKER_AUTH_CONFIG')!;
    expect(stored.encryptedValue.length).toBeLessThanOrEqual(SECRET_LIMIT);
  });

  it('the login’s own account listed again: its host once, first', async () => {
    const result = await run(fakes, {
      'role-to-assume': fakes.roleArn,
      registries: `${ACCOUNT_ID}, 210987654321`,
      'docker-config-secret-name': 'DOCKER_AUTH_CONFIG',
    });

    expect(result.exitCode).toBe(0);
    expect(Object.keys(storedDockerConfig().auths)).toEqual([
      PRIVATE_HOST,
      '210987654321.dkr.ecr.eu-west-1.amazonaws.com',
    ]);
  });
});

describe('registry inputs: refused before any request, naming the input', () => {
  const OIDC = { 'role-to-assume': 'arn:aws:iam::123456789012:role/ecr-pull' };
  const DOCKER = { ...OIDC, 'docker-config-secret-name': 'DOCKER_AUTH_CONFIG' };
  it.each<[string, Record<string, string>, RegExp]>([
    [
      'an id of 11 digits',
      { ...DOCKER, registries: '21098765432' },
      /^Input 'registries': "21098765432" is not an AWS account id/,
    ],
    [
      'an id with a letter',
      { ...DOCKER, registries: '210987654321, 12345678901a' },
      /^Input 'registries': "12345678901a" is not an AWS account id/,
    ],
    [
      'an account ARN instead of an id',
      { ...DOCKER, registries: 'arn:aws:iam::210987654321:root' },
      /^Input 'registries': "arn:aws:iam::210987654321:root" is not an AWS account id/,
    ],
    [
      'an id listed twice',
      { ...DOCKER, registries: '012345678901\n012345678901' },
      /^Input 'registries': "012345678901" is listed twice/,
    ],
    [
      'registries with registry-type public',
      { ...DOCKER, 'registry-type': 'public', registries: '210987654321' },
      /^Input 'registries': it only applies to private registries, and registry-type is public/,
    ],
    [
      'registries without docker-config-secret-name',
      { ...OIDC, registries: '210987654321' },
      /^Input 'registries': it only shapes the docker-config secret, and docker-config-secret-name is not set\. Set docker-config-secret-name/,
    ],
    [
      'nine accounts: the docker config could pass GitHub’s 48 KB for one secret',
      { ...DOCKER, registries: ACCOUNTS(9).join('\n') },
      /^Input 'registries': it lists 9 accounts, and at most 8 fit: .* GitHub refuses a secret over 48 KB\. List at most 8 accounts; for more, add a step per group of accounts, each with its own docker-config-secret-name\.$/,
    ],
    [
      'registry-type neither private nor public',
      { ...OIDC, 'registry-type': 'ecr-public' },
      /^Input 'registry-type': "ecr-public" is not one of private, public/,
    ],
    [
      'registry-type public in China',
      {
        'role-to-assume': 'arn:aws-cn:iam::123456789012:role/ecr-pull',
        'aws-region': 'cn-north-1',
        'registry-type': 'public',
      },
      /^Input 'registry-type': ECR Public exists only in partition aws, and aws-region cn-north-1 is in partition aws-cn/,
    ],
    [
      'registry-type public in GovCloud',
      {
        'role-to-assume': 'arn:aws-us-gov:iam::123456789012:role/ecr-pull',
        'aws-region': 'us-gov-west-1',
        'registry-type': 'public',
      },
      /^Input 'registry-type': ECR Public exists only in partition aws, and aws-region us-gov-west-1 is in partition aws-us-gov/,
    ],
  ])('%s', async (_name, inputs, message) => {
    const result = await run(fakes, inputs);

    expect(result.exitCode).toBe(1);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(message);
    expect(fakes.allRequests()).toEqual([]);
    expect(result.outputs).toEqual({});
  });
});
