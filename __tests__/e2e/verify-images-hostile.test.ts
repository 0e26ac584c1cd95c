import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { Fakes } from '../fakes/index.ts';
import { PUBLIC_REGISTRY } from '../fakes/aws.ts';
import { startRegistry, type StartedRegistry } from '../fakes/registry.ts';
import type { ActionRun } from '../fakes/run-action.ts';
import type { Reply } from '../fakes/server.ts';
import { REPO, run, setUp } from './helpers.ts';

/**
 * `verify-images` against a registry (or something on the way to it) that answers badly: errors that
 * echo the credentials back, answers too large to read, redirects, answers held back, indexes without
 * the runner's platform. The registry is ECR's fake (fakes/registry.ts) with answers injected; an
 * injected answer is a hostile what-if, not a behaviour ECR is known to show.
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

const HOUR = 3_600_000;

async function verify(images: string, inputs: Record<string, string> = {}): Promise<ActionRun> {
  // run() scans every output for the issued secrets (RUNNER_DEBUG=1); ECR Public's tokens are scanned here.
  const result = await run(fakes, { 'role-to-assume': fakes.roleArn, 'verify-images': images, ...inputs }, started.env);
  const visible = visibleText(result);
  for (const token of started.registry.publicTokens) expect(visible.includes(token)).toBe(false);
  return result;
}

function visibleText(result: ActionRun): string {
  return `${result.stdout.replace(/^::add-mask::.*$/gm, '')}\n${result.stderr}\n${result.summary}\n${JSON.stringify(result.outputs)}`;
}

function verified(result: ActionRun): { image: string; result: string }[] {
  return JSON.parse(result.outputs['images-verified'] ?? 'null') as { image: string; result: string }[];
}

/**
 * An answer for the first matching request, built when that request arrives (from what the fakes
 * issued by then: the password is minted during the run).
 */
function answerOnce(match: (request: { method: string; url: string }) => boolean, build: () => Reply): void {
  const reply: Reply = { status: 500 };
  started.registry.server.inject({
    match: (request) => {
      if (!match(request)) return false;
      Object.assign(reply, build());
      return true;
    },
    reply,
  });
}

const registryError = (status: number, code: string, message: string): Reply => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ errors: [{ code, message }] }),
});

const basicOf = (password: string) => Buffer.from(`AWS:${password}`).toString('base64');

describe('verify-images: the credentials never shown, whatever the registry answers', () => {
  it('a refusal that echoes the password (2,500 characters, longer than a quoted message may be): no part of it shown', async () => {
    started.registry.addRepository('build-env');
    answerOnce(
      ({ url }) => url.includes('/manifests/'),
      () => {
        // As a JSON encoder that escapes `/` (PHP's, Java's org.json) writes it: `\/`, which the base64 password holds.
        const reply = registryError(
          403,
          'DENIED',
          `Your Authorization Token is invalid: ${fakes.aws.lastLogin?.password}`,
        );
        return { ...reply, body: (reply.body ?? '').replace(/\//g, '\\/') };
      },
    );
    const result = await verify('build-env:latest');

    expect(result.exitCode).toBe(1);
    const [check] = verified(result);
    expect(check?.result).toMatch(/did not accept the password \(403 DENIED\)/);
    // run() scans for the password's first 40 characters; a middle slice is no more to be shown.
    const password = fakes.aws.lastLogin?.password ?? '';
    expect(visibleText(result).includes(password.slice(200, 240))).toBe(false);
  });

  it('a refusal that echoes the Authorization header (Basic base64 of AWS:password): no part of it shown', async () => {
    started.registry.addRepository('build-env');
    answerOnce(
      ({ url }) => url.includes('/manifests/'),
      () =>
        registryError(
          400,
          'UNSUPPORTED',
          `malformed header Authorization: Basic ${basicOf(fakes.aws.lastLogin?.password ?? '')}`,
        ),
    );
    const result = await verify('build-env:latest');

    expect(result.exitCode).toBe(1);
    const basic = basicOf(fakes.aws.lastLogin?.password ?? '');
    const visible = visibleText(result);
    for (const at of [8, 100, 300]) expect(visible.includes(basic.slice(at, at + 40))).toBe(false);
  });

  it('ECR Public: a refusal that echoes the bearer token is shown without it (verify() scans for every token handed out)', async () => {
    started.registry.addRepository('octo/build-env', { registry: PUBLIC_REGISTRY });
    answerOnce(
      ({ url }) => url.includes('/manifests/'),
      () => registryError(401, 'DENIED', `token ${started.registry.publicTokens.at(-1)} is not valid for this scope`),
    );
    const result = await verify('public.ecr.aws/octo/build-env:latest', { 'registry-type': 'public' });

    expect(result.exitCode).toBe(1);
    expect(verified(result)[0]?.result).toMatch(/^public\.ecr\.aws did not accept the password \(401 DENIED\)/);
  });
});

describe('verify-images: what an answer says stays on its own line of the log', () => {
  it.each([
    [
      'a private registry, in the error code',
      'build-env:latest',
      {},
      '/manifests/',
      'DENIED\n::warning::injected',
      'no',
    ],
    [
      "ECR Public's token service, in its message",
      'public.ecr.aws/octo/build-env:latest',
      { 'registry-type': 'public' },
      '/token/',
      'DENIED',
      'no\n::warning::injected',
    ],
  ])(
    'an answer with a line break (%s) cannot start a workflow command line',
    async (_, image, inputs, path, code, message) => {
      started.registry.addRepository('build-env');
      started.registry.addRepository('octo/build-env', { registry: PUBLIC_REGISTRY });
      started.registry.server.inject({
        match: ({ url }) => url.includes(path),
        reply: registryError(403, code, message),
      });
      const result = await verify(image, inputs);

      expect(result.exitCode).toBe(1);
      expect(result.stdout).toMatch(/^Image .*: .*injected/m);
      expect(result.stdout).not.toMatch(/^::warning::injected/m);
      expect(verified(result)[0]?.result).not.toContain('\n');
    },
  );
});

describe('verify-images: answers a pull would not take', () => {
  it.each([
    ['with its length declared', {}],
    ['streamed without a length (chunked)', { 'transfer-encoding': 'chunked' }],
  ])(
    'a manifest larger than a registry may serve (4 MiB), %s: not read past the limit, said so, no blob asked',
    async (_, framing) => {
      started.registry.addRepository('build-env');
      const host = fakes.aws.registry;
      const manifest = started.registry.storedManifest(host, 'build-env', 'latest') ?? '';
      // Valid JSON, the real manifest padded with whitespace: only its size is wrong.
      answerOnce(
        ({ url }) => url.includes('/manifests/'),
        () => ({
          status: 200,
          headers: { 'content-type': 'application/vnd.docker.distribution.manifest.v2+json', ...framing },
          body: `${' '.repeat(5 * 1024 * 1024)}${manifest}`,
        }),
      );
      const result = await verify('build-env:latest');

      expectSecretWritten();
      expect(result.exitCode).toBe(1);
      expect(verified(result)[0]?.result).toMatch(/more than 4 MiB/);
      expect(started.registry.server.requests.map(({ method }) => method)).toEqual(['GET']);
    },
  );

  it('a redirect on the manifest (308 to another host) is never followed: nothing sent there, the answer said', async () => {
    started.registry.addRepository('build-env');
    const elsewhere = `https://${started.registry.layerStoreHost}/manifests/build-env`;
    answerOnce(
      ({ url }) => url.includes('/manifests/'),
      () => ({ status: 308, headers: { location: elsewhere, 'content-length': '0' }, body: '' }),
    );
    const result = await verify('build-env:latest');

    expectSecretWritten();
    expect(result.exitCode).toBe(1);
    expect(verified(result)[0]?.result).toMatch(/answered 308/);
    expect(started.registry.layerStore.requests).toEqual([]);
    expect(started.proxy.tunnels.every((tunnel) => tunnel === `${fakes.aws.registry}:443`)).toBe(true);
  });

  it('an index with several entries and none linux/amd64: no manifest guessed, the digest form suggested', async () => {
    started.registry.addRepository('build-env');
    const digest = (n: number) => `sha256:${String(n).repeat(64)}`;
    answerOnce(
      ({ url }) => url.includes('/manifests/'),
      () => ({
        status: 200,
        headers: { 'content-type': 'application/vnd.oci.image.index.v1+json' },
        body: JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.index.v1+json',
          manifests: [
            {
              mediaType: 'application/vnd.oci.image.manifest.v1+json',
              digest: digest(1),
              size: 1,
              platform: { os: 'linux', architecture: 'arm64' },
            },
            {
              mediaType: 'application/vnd.oci.image.manifest.v1+json',
              digest: digest(2),
              size: 1,
              platform: { os: 'linux', architecture: 's390x' },
            },
          ],
        }),
      }),
    );
    const result = await verify('build-env:latest');

    expect(result.exitCode).toBe(1);
    expect(verified(result)[0]?.result).toMatch(/no linux\/amd64 entry .*build-env@sha256:/);
    expect(started.registry.server.requests).toHaveLength(1);
  });

  it('a manifest of a type no pull reads (no config blob): said so, not counted as allowed', async () => {
    started.registry.addRepository('build-env');
    answerOnce(
      ({ url }) => url.includes('/manifests/'),
      () => ({
        status: 200,
        headers: { 'content-type': 'application/vnd.docker.distribution.manifest.v1+prettyjws' },
        body: JSON.stringify({ schemaVersion: 1, name: 'build-env', tag: 'latest', fsLayers: [] }),
      }),
    );
    const result = await verify('build-env:latest');

    expect(result.exitCode).toBe(1);
    expect(verified(result)[0]?.result).toMatch(/without a config blob/);
  });

  it('429 with Retry-After, then the answer: retried, allowed', async () => {
    started.registry.addRepository('build-env');
    started.registry.server.inject({
      match: ({ url }) => url.includes('/manifests/'),
      reply: { status: 429, headers: { 'retry-after': '1' }, body: '' },
    });
    const result = await verify('build-env:latest');

    expect(result.exitCode).toBe(0);
    expect(verified(result)).toEqual([{ image: 'build-env:latest', result: 'pull allowed' }]);
    expect(started.registry.server.requests.map(({ status }) => status)).toEqual([429, 200, 307]);
  });
});

describe('verify-images beside the writes', () => {
  it('a registry holding its answer until the secret is written: the write is never waiting on the check', async () => {
    started.registry.addRepository('build-env');
    let heldUntilWritten = false;
    started.registry.server.inject({
      match: ({ url }) => url.includes('/manifests/'),
      // Bounded, so that a program whose writes wait for the check fails the assertion below rather than the test's time.
      until: async () => {
        heldUntilWritten = await waitFor(
          () => fakes.github.writes().some(({ url }) => url.includes('ECR_PASSWORD')),
          20_000,
        );
      },
    });
    const result = await verify('build-env:latest');

    expect(heldUntilWritten).toBe(true);
    expectSecretWritten();
    expect(result.exitCode).toBe(0);
    expect(verified(result)).toEqual([{ image: 'build-env:latest', result: 'pull allowed' }]);
  });

  it('a registry that gives no answer (every attempt dropped): the first image says so after its retries, the others of that registry are not asked again', async () => {
    started.registry.addRepository('build-env');
    // A dropped connection is retried as a timeout is, sooner: the same path as a registry that hangs, without its 45 s.
    started.registry.server.inject({ match: () => true, times: 1_000, reset: true });
    const result = await verify('build-env:latest, build-env:v2, build-env:v3');

    expectSecretWritten();
    expect(result.exitCode).toBe(1);
    const [first, ...others] = verified(result).map((check) => check.result);
    expect(first).toMatch(/^could not reach .*\(4 attempts\)/);
    for (const other of others)
      expect(other).toMatch(/^not asked: .* gave no answer for build-env:latest above, so it was not asked again/);
    // One request, tried four times; none for the other images.
    expect(started.registry.server.requests).toHaveLength(4);
  });

  it('max-age with every secret fresh: no password, no registry asked; each image "not checked", and exit 0 (nothing was found wrong)', async () => {
    started.registry.addRepository('build-env');
    const store = fakes.github.repositories.get(REPO)!.store;
    fakes.github.seed(store, 'ECR_PASSWORD', 'fresh-password', new Date(Date.now() - HOUR));
    const result = await verify('build-env:latest', { 'max-age': '6h' });

    expect(result.exitCode).toBe(0);
    expect(fakes.aws.logins).toHaveLength(0);
    expect(started.registry.server.requests).toEqual([]);
    expect(verified(result)).toEqual([
      { image: 'build-env:latest', result: 'not checked: no password was fetched in this run' },
    ]);
    expect(result.summary).toContain('| `build-env:latest` | not checked');
  });
});

function expectSecretWritten(): void {
  expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD')?.plaintext).toBe(fakes.aws.lastLogin?.password);
}

async function waitFor(done: () => boolean, timeoutMs: number): Promise<boolean> {
  for (const end = Date.now() + timeoutMs; Date.now() < end; await new Promise((resolve) => setTimeout(resolve, 50)))
    if (done()) return true;
  return done();
}
