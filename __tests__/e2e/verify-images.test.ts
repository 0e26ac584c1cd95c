import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { Fakes } from '../fakes/index.ts';
import { PUBLIC_REGISTRY } from '../fakes/aws.ts';
import { startRegistry, type StartedRegistry } from '../fakes/registry.ts';
import { runCommand } from '../fakes/run-command.ts';
import type { ActionRun } from '../fakes/run-action.ts';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ACTION_ENTRY } from '../fakes/run-action.ts';
import { issuedSecrets, loadedChunks, REPO, run, setUp, TOKEN } from './helpers.ts';

/**
 * `verify-images`: with the password just fetched, each image is asked for as a pull asks (manifest,
 * index entry, config blob) at the fake registry, reached by its real host name through the forward
 * proxy that alone resolves it (fakes/registry.ts). The secrets are written whatever the check finds;
 * a refused image fails the step after the writes, with what to fix.
 */

let fakes: Fakes & { roleArn: string };
let started: StartedRegistry;
beforeEach(async () => {
  fakes = await setUp();
  started = await startRegistry(fakes.aws);
});
afterEach(async () => {
  await started.stop();
  await fakes.stop();
});

const OTHER_TRUSTING = '210987654321';
const OTHER_REFUSING = '111122223333';

async function verify(images: string, inputs: Record<string, string> = {}): Promise<ActionRun> {
  const result = await run(fakes, { 'role-to-assume': fakes.roleArn, 'verify-images': images, ...inputs }, started.env);
  // ECR Public's bearer tokens are secrets too: masked, never shown.
  const visible = `${result.stdout.replace(/^::add-mask::.*$/gm, '')}\n${result.stderr}\n${result.summary}\n${JSON.stringify(result.outputs)}`;
  for (const token of started.registry.publicTokens) expect(visible.includes(token)).toBe(false);
  return result;
}

function verified(result: ActionRun): { image: string; result: string }[] {
  return JSON.parse(result.outputs['images-verified'] ?? 'null') as { image: string; result: string }[];
}

/** What the registry received, as `METHOD host path`, and whether every request came through the proxy. */
function registryCalls(): string[] {
  return started.registry.server.requests.map(({ method, url, headers }) => `${method} ${String(headers.host)} ${url}`);
}

function expectSecretWritten(): void {
  expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD')?.plaintext).toBe(fakes.aws.lastLogin?.password);
}

describe('verify-images in the action', () => {
  it('a single manifest and an index (its linux/amd64 entry): pull allowed, asked with the new password through the proxy, redirects never followed', async () => {
    const { registry, proxy } = started;
    registry.addRepository('build-env', { tags: { latest: 'single' } });
    registry.addRepository('tools/multi', { tags: { '1.2': 'index' } });
    const result = await verify('build-env:latest\ntools/multi:1.2');

    expect(result.exitCode).toBe(0);
    expectSecretWritten();
    expect(verified(result)).toEqual([
      { image: 'build-env:latest', result: 'pull allowed' },
      { image: 'tools/multi:1.2', result: 'pull allowed' },
    ]);
    expect(result.summary).toContain('| `tools/multi:1.2` | pull allowed |');
    const host = fakes.aws.registry;
    const calls = registryCalls();
    expect(calls.map((call) => call.replace(/sha256:[a-f0-9]{64}/g, '<digest>'))).toEqual([
      `GET ${host} /v2/build-env/manifests/latest`,
      `HEAD ${host} /v2/build-env/blobs/<digest>`,
      `GET ${host} /v2/tools/multi/manifests/1.2`,
      `GET ${host} /v2/tools/multi/manifests/<digest>`,
      `HEAD ${host} /v2/tools/multi/blobs/<digest>`,
    ]);
    // The index's second entry is linux/amd64; its first (arm64) was not taken.
    const index = JSON.parse(registry.storedManifest(host, 'tools/multi', '1.2') ?? '{}') as {
      manifests: { digest: string; platform: { architecture: string } }[];
    };
    expect(index.manifests.map((entry) => entry.platform.architecture)).toEqual(['arm64', 'amd64']);
    const amd64 = index.manifests.find((entry) => entry.platform.architecture === 'amd64')?.digest;
    expect(calls[3]).toContain(`/manifests/${amd64}`);
    // Every request carried the password ECR issued in this run, as Basic AWS:<password>.
    const basic = `Basic ${Buffer.from(`AWS:${fakes.aws.lastLogin?.password}`).toString('base64')}`;
    expect(registry.server.requests.every((request) => request.headers.authorization === basic)).toBe(true);
    // Through the proxy (its connections only), in TLS tunnels to the real name on 443; the layer store never asked.
    expect(registry.server.requests.every((request) => proxy.upstreamPorts.has(request.remotePort))).toBe(true);
    expect(new Set(proxy.tunnels)).toEqual(new Set([`${host}:443`]));
    expect(registry.layerStore.requests).toEqual([]);
  });

  it('a role without ecr:BatchGetImage: the secret is written, then the step fails naming the action and the pull policy', async () => {
    started.registry.addRepository('build-env');
    started.registry.deny(fakes.roleArn, 'ecr:BatchGetImage');
    const result = await verify('build-env:latest');

    expectSecretWritten();
    expect(JSON.parse(result.outputs['secrets-written'] ?? '[]')).toHaveLength(1);
    expect(result.exitCode).toBe(1);
    const [check] = verified(result);
    expect(check?.result).toMatch(/lacks ecr:BatchGetImage .*examples\/iam\/ecr-pull-policy\.json/);
    expect(result.errors.join('\n')).toContain(
      'build-env:latest: the identity may not pull build-env: it lacks ecr:BatchGetImage',
    );
    expect(registryCalls()).toHaveLength(1);
  });

  it('a role without ecr:GetDownloadUrlForLayer: the manifest is read, the config blob refused, the step fails after the write', async () => {
    started.registry.addRepository('build-env');
    started.registry.deny(fakes.roleArn, 'ecr:GetDownloadUrlForLayer');
    const result = await verify('build-env');

    expectSecretWritten();
    expect(result.exitCode).toBe(1);
    expect(verified(result)[0]?.result).toMatch(
      /^the identity may not pull build-env: it lacks ecr:GetDownloadUrlForLayer/,
    );
    expect(started.registry.server.requests.map(({ method, status }) => `${method} ${status}`)).toEqual([
      'GET 200',
      'HEAD 403',
      // The HEAD's refusal has no body; the same GET says why, and downloads nothing.
      'GET 403',
    ]);
  });

  it('a missing repository, a missing tag, and a registry of another region (not asked): each explained, the secret written', async () => {
    started.registry.addRepository('build-env');
    const elsewhere = `${fakes.aws.registry.split('.')[0]}.dkr.ecr.us-east-1.amazonaws.com/build-env:latest`;
    const result = await verify(`buid-env:latest, build-env:v9, ${elsewhere}`);

    expectSecretWritten();
    expect(result.exitCode).toBe(1);
    const [repository, tag, region] = verified(result).map((check) => check.result);
    expect(repository).toMatch(/^the repository buid-env does not exist in .* \(NAME_UNKNOWN\)/);
    expect(tag).toMatch(/^the tag v9 does not exist in build-env .* \(MANIFEST_UNKNOWN\)/);
    expect(region).toMatch(/is in region us-east-1, and the password is for eu-west-1 \(aws-region\)/);
    expect(registryCalls().every((call) => call.includes('eu-west-1'))).toBe(true);
  });

  it('other accounts of registries: one whose repository policy trusts the role (allowed), one whose policy does not (the repository policy named)', async () => {
    const { registry } = started;
    registry.addRepository('shared/base', { registry: registry.registryOf(OTHER_TRUSTING), trusts: [fakes.roleArn] });
    registry.addRepository('shared/base', { registry: registry.registryOf(OTHER_REFUSING), trusts: [] });
    const result = await verify(
      `${registry.registryOf(OTHER_TRUSTING)}/shared/base:latest\n${registry.registryOf(OTHER_REFUSING)}/shared/base:latest`,
      { registries: `${OTHER_TRUSTING},${OTHER_REFUSING}`, 'docker-config-secret-name': 'DOCKER_AUTH_CONFIG' },
    );

    expectSecretWritten();
    expect(fakes.github.repositorySecret(REPO, 'DOCKER_AUTH_CONFIG')?.plaintext).toContain(
      registry.registryOf(OTHER_REFUSING),
    );
    expect(result.exitCode).toBe(1);
    const [trusted, refused] = verified(result).map((check) => check.result);
    expect(trusted).toBe('pull allowed');
    expect(refused).toMatch(
      /^the repository policy of shared\/base in 111122223333\.dkr\.ecr\.eu-west-1\.amazonaws\.com does not allow this identity ecr:BatchGetImage/,
    );
  });

  it('ECR Public: a bearer token from public.ecr.aws with the password, the blob asked with GET (its HEAD answers 401), the CDN never asked', async () => {
    const { registry } = started;
    registry.addRepository('octo/build-env', { registry: PUBLIC_REGISTRY, tags: { latest: 'index' } });
    const result = await verify('public.ecr.aws/octo/build-env:latest\nocto/build-env', { 'registry-type': 'public' });

    expect(result.exitCode).toBe(0);
    expect(fakes.aws.lastLogin?.registry).toBe(PUBLIC_REGISTRY);
    expectSecretWritten();
    expect(verified(result).map((check) => check.result)).toEqual(['pull allowed', 'pull allowed']);
    const calls = registryCalls().map((call) => call.replace(/sha256:[a-f0-9]{64}/g, '<digest>'));
    expect(calls[0]).toBe('GET public.ecr.aws /token/?service=public.ecr.aws&scope=aws');
    expect(calls.filter((call) => call.includes('/token/'))).toHaveLength(1);
    expect(calls).toContain('GET public.ecr.aws /v2/octo/build-env/blobs/<digest>');
    expect(registry.server.requests[0]?.headers.authorization).toBe(
      `Basic ${Buffer.from(`AWS:${fakes.aws.lastLogin?.password}`).toString('base64')}`,
    );
    expect(registry.layerStore.requests).toEqual([]);
  });

  it('a registry answering 503 once: the request is retried (the same network rules as every request), then allowed', async () => {
    started.registry.addRepository('build-env');
    started.registry.server.inject({
      match: ({ url }) => url.includes('/manifests/'),
      reply: { status: 503, body: '' },
    });
    const result = await verify('build-env:latest');

    expect(result.exitCode).toBe(0);
    expect(verified(result)).toEqual([{ image: 'build-env:latest', result: 'pull allowed' }]);
    expect(started.registry.server.requests.map(({ status }) => status)).toEqual([503, 200, 307]);
  });

  it("a proxy that refuses the tunnel to the registry (squid's 403): named as the proxy's refusal, the secret written", async () => {
    started.registry.addRepository('build-env');
    started.proxy.denied.add(fakes.aws.registry);
    const result = await verify('build-env:latest');

    expectSecretWritten();
    expect(result.exitCode).toBe(1);
    expect(verified(result)[0]?.result).toMatch(
      new RegExp(
        `^could not reach ${fakes.aws.registry.replace(/\./g, '\\.')} through the proxy 127\\.0\\.0\\.1:\\d+: .*403`,
      ),
    );
    expect(started.registry.server.requests).toEqual([]);
  });

  it('a dry run lists the images it would check and asks no registry', async () => {
    const result = await verify('build-env:latest', { 'dry-run': 'true' });

    expect(result.exitCode).toBe(0);
    expect(verified(result)).toEqual([{ image: 'build-env:latest', result: 'would be checked' }]);
    expect(result.stdout).toContain('Image build-env:latest: would be checked');
    expect(started.registry.server.requests).toEqual([]);
    expect(started.proxy.tunnels).toEqual([]);
  });

  it("without verify-images nothing is asked of a registry, no images-verified output is set and the registry client's code is not loaded (with the control that a run with it loads it)", async () => {
    started.registry.addRepository('build-env');
    const traced = { ...started.env, NODE_DEBUG: 'esm' };
    const result = await run(fakes, { 'role-to-assume': fakes.roleArn }, traced);
    const control = await run(fakes, { 'role-to-assume': fakes.roleArn, 'verify-images': 'build-env' }, traced);

    expect(result.exitCode).toBe(0);
    expect(result.outputs['images-verified']).toBeUndefined();
    expect(started.registry.server.requests).toHaveLength(2);
    expect(control.exitCode).toBe(0);
    const dist = join(ACTION_ENTRY, '..');
    const registryChunks = readdirSync(dist).filter(
      (name) =>
        /^\d+\.index\.js$/.test(name) &&
        readFileSync(join(dist, name), 'utf8').includes('application/vnd.oci.image.index.v1+json'),
    );
    expect(registryChunks).toHaveLength(1);
    expect(loadedChunks(control.stderr)).toEqual(expect.arrayContaining(registryChunks));
    expect(loadedChunks(result.stderr)).not.toEqual(expect.arrayContaining(registryChunks));
  });

  it('a bad reference is a bad input: named, nothing asked or written', async () => {
    const result = await verify('Build Env:latest');

    expect(result.exitCode).toBe(1);
    expect(result.errors.join('\n')).toContain('Input \'verify-images\': "Build Env:latest" is not an image reference');
    expect(fakes.allRequests()).toEqual([]);
  });
});

describe('--verify-image in the command', () => {
  it('repeated: one image allowed, one refused; the secret written, exit 1, each in the JSON report, nothing leaked', async () => {
    started.registry.addRepository('build-env');
    const keys = fakes.aws.addStaticKeys();
    const args = ['--aws-region', 'eu-west-1', '--repositories', REPO, '--github-api-url', fakes.github.server.url];
    const run = await runCommand(
      [...args, '--verify-image', 'build-env:latest', '--verify-image', 'build-env:v9', '--output', 'json'],
      {
        AWS_ENDPOINT_URL_STS: fakes.env['AWS_ENDPOINT_URL_STS'] ?? '',
        AWS_ENDPOINT_URL_ECR: fakes.env['AWS_ENDPOINT_URL_ECR'] ?? '',
        GH_TOKEN: TOKEN,
        AWS_ACCESS_KEY_ID: keys.accessKeyId,
        AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
        ...started.env,
      },
    );

    expect(run.exitCode).toBe(1);
    expectSecretWritten();
    const report = JSON.parse(run.stdout) as { images: { image: string; result: string }[] };
    expect(report.images[0]).toEqual({ image: 'build-env:latest', result: 'pull allowed' });
    expect(report.images[1]?.result).toMatch(/MANIFEST_UNKNOWN/);
    expect(run.stderr).toContain('1 of 2 images of verify-images cannot be pulled');
    const visible = `${run.stdout}\n${run.stderr}`;
    for (const secret of issuedSecrets(fakes, [TOKEN])) expect(visible.includes(secret)).toBe(false);
  });

  it('--verify-image with a bad reference is a usage error naming the flag (exit 2, nothing asked)', async () => {
    const run = await runCommand(
      ['--aws-region', 'eu-west-1', '--dotenv-file', 'auth.env', '--verify-image', 'ghcr.io/octo/app:1'],
      { AWS_ENDPOINT_URL_ECR: fakes.env['AWS_ENDPOINT_URL_ECR'] ?? '' },
    );

    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain('--verify-image: "ghcr.io/octo/app:1" is not in an ECR registry');
    expect(fakes.allRequests()).toEqual([]);
  });
});
