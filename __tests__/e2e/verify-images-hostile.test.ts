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
});

describe('verify-images beside the writes', () => {
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
});

function expectSecretWritten(): void {
  expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD')?.plaintext).toBe(fakes.aws.lastLogin?.password);
}
