import { describe, expect, it } from '@jest/globals';
import type { Fakes } from '../fakes/index.ts';
import type { RecordedRequest } from '../fakes/server.ts';
import type { ActionRun, WithInputs } from '../fakes/run-action.ts';
import { count, REPO, run, setUp } from './helpers.ts';

/**
 * The dry run is a mode of the one pipeline (src/run/engine.ts and the sinks), not a copy of it: for the
 * same world it makes the same GitHub reads, at the same fan-out width, and comes to the same decisions
 * (which secret is due, fresh, skipped or failed at which target) as the real run; then it plans
 * where the real run writes. Each world is built twice on fresh fakes, once for each run. One
 * difference is on purpose (src/run/engine.ts): the dry run reads every public key as its proof of
 * read access, so a key GitHub refuses fails the dry run even where the real run, all fresh, skips.
 *
 * The worlds: a fan-out with `max-age`, an organisation secret, a missing environment with
 * `create-environment`, and a refused public key with every secret fresh; both runs go through the
 * same fan-out width of five.
 */

const HOUR = 3_600_000;
type SetUpFakes = Fakes & { roleArn: string };

interface World {
  name: string;
  /** Stores what the world holds before the run. */
  build: (fakes: SetUpFakes) => void;
  inputs: WithInputs;
  /**
   * The only reads a dry run adds: the public key of a target where nothing is due, which a real run
   * has no use for and a dry run reads as its proof of read access (docs/recipes.md, "Dry run").
   */
  dryRunAlsoReads: string[];
  /** What both runs must decide, `target secret decision`, sorted: so that two wrong runs cannot agree. */
  decisions: string[];
}

const ago = (hours: number) => new Date(Date.now() - hours * HOUR);
const FAN_OUT = [REPO, 'octo/svc-1', 'octo/svc-2', 'octo/svc-3', 'octo/svc-4', 'octo/svc-5', 'octo/svc-6'];

const WORLDS: World[] = [
  {
    name: 'a fan-out of seven repositories (more than the five lanes) with max-age, some secrets fresh',
    build: (fakes) => {
      for (const name of FAN_OUT.slice(1)) fakes.github.addRepository(name);
      const store = (name: string) => fakes.github.repositoryStore(name)!;
      // octo/app and svc-4: everything fresh or already stored. svc-1: the password fresh, the username
      // missing (due, with no password). svc-2, svc-5: the password stale. svc-3, svc-6: nothing stored.
      for (const name of [REPO, 'octo/svc-4']) {
        fakes.github.seed(store(name), 'ECR_PASSWORD', 'fresh', ago(1));
        fakes.github.seed(store(name), 'ECR_USERNAME', 'AWS', ago(30));
      }
      fakes.github.seed(store('octo/svc-1'), 'ECR_PASSWORD', 'fresh', ago(2));
      fakes.github.seed(store('octo/svc-2'), 'ECR_PASSWORD', 'stale', ago(8));
      fakes.github.seed(store('octo/svc-2'), 'ECR_USERNAME', 'AWS', ago(8));
      fakes.github.seed(store('octo/svc-5'), 'ECR_PASSWORD', 'stale', ago(9));
    },
    inputs: { repositories: FAN_OUT.join('\n'), 'max-age': '5h', 'username-secret-name': 'ECR_USERNAME' },
    dryRunAlsoReads: [
      `GET /repos/${REPO}/actions/secrets/public-key`,
      'GET /repos/octo/svc-4/actions/secrets/public-key',
    ],
    decisions: [
      `${REPO} ECR_PASSWORD skipped`,
      `${REPO} ECR_USERNAME skipped`,
      'octo/svc-1 ECR_PASSWORD skipped',
      'octo/svc-1 ECR_USERNAME due',
      'octo/svc-2 ECR_PASSWORD due',
      'octo/svc-2 ECR_USERNAME skipped',
      'octo/svc-3 ECR_PASSWORD due',
      'octo/svc-3 ECR_USERNAME due',
      'octo/svc-4 ECR_PASSWORD skipped',
      'octo/svc-4 ECR_USERNAME skipped',
      'octo/svc-5 ECR_PASSWORD due',
      'octo/svc-5 ECR_USERNAME due',
      'octo/svc-6 ECR_PASSWORD due',
      'octo/svc-6 ECR_USERNAME due',
    ].sort(),
  },
  {
    name: 'an organisation secret: one fresh but of another visibility, one stale, one fresh',
    build: (fakes) => {
      const org = fakes.github.addOrganization('octo-org');
      fakes.github.seed(org, 'ECR_PASSWORD', 'fresh', ago(1), { visibility: 'private' });
      fakes.github.seed(org, 'DOCKER_AUTH_CONFIG', 'stale', ago(7), { visibility: 'all' });
      fakes.github.seed(org, 'ECR_USERNAME', 'AWS', ago(1), { visibility: 'all' });
    },
    inputs: {
      organization: 'octo-org',
      visibility: 'all',
      'max-age': '5h',
      'docker-config-secret-name': 'DOCKER_AUTH_CONFIG',
      'username-secret-name': 'ECR_USERNAME',
    },
    dryRunAlsoReads: [],
    decisions: [
      'organization octo-org DOCKER_AUTH_CONFIG due',
      'organization octo-org ECR_PASSWORD due',
      'organization octo-org ECR_USERNAME skipped',
    ].sort(),
  },
  {
    name: 'a missing environment with create-environment, beside one whose secret is fresh',
    build: (fakes) => {
      fakes.github.addRepository('octo/api');
      const environment = fakes.github.repositories.get(REPO)!.environments.get('ecr')!;
      fakes.github.seed(environment, 'ECR_PASSWORD', 'fresh', ago(1));
    },
    inputs: { repositories: `${REPO}\nocto/api`, environment: 'ecr', 'create-environment': 'true', 'max-age': '5h' },
    dryRunAlsoReads: [`GET /repos/${REPO}/environments/ecr/secrets/public-key`],
    decisions: [`${REPO} environment ecr ECR_PASSWORD skipped`, 'octo/api environment ecr ECR_PASSWORD due'].sort(),
  },
];

interface Observed {
  result: ActionRun;
  /** The distinct GitHub reads, `GET /path` without the query, sorted. */
  reads: string[];
  decisions: string[];
  writes: number;
  aws: number;
}

/** The world on fresh fakes, one run of the action in it, and what the run read, decided and wrote. */
async function observe(world: World, dryRun: boolean): Promise<Observed> {
  const fakes = await setUp();
  try {
    world.build(fakes);
    const result = await run(fakes, {
      'role-to-assume': fakes.roleArn,
      ...world.inputs,
      ...(dryRun ? { 'dry-run': 'true' } : {}),
    });
    const listed = (output: string, decision: string) =>
      (JSON.parse(result.outputs[output] ?? '[]') as { target: string; secret: string }[]).map(
        ({ target, secret }) => `${target} ${secret} ${decision}`,
      );
    return {
      result,
      reads: [
        ...new Set(
          fakes.github.server.requests
            .filter(({ method }) => method === 'GET')
            .map(({ method, url }) => `${method} ${url.split('?')[0]}`),
        ),
      ].sort(),
      decisions: [
        ...listed(dryRun ? 'secrets-planned' : 'secrets-written', 'due'),
        ...listed('secrets-skipped', 'skipped'),
        ...listed('secrets-failed', 'failed'),
      ].sort(),
      writes: fakes.github.writes().length,
      aws: count(fakes, 'oidc') + count(fakes, 'sts') + count(fakes, 'ecr') + count(fakes, 'ecr-public'),
    };
  } finally {
    await fakes.stop();
  }
}

describe('one pipeline: the dry run makes the real run’s reads and decisions, then plans instead of writing', () => {
  it.each(WORLDS.map((world) => [world.name, world] as const))('%s', async (_name, world) => {
    const dry = await observe(world, true);
    const real = await observe(world, false);

    expect([dry.result.exitCode, real.result.exitCode]).toEqual([0, 0]);
    expect(real.decisions).toEqual(world.decisions);
    expect(dry.decisions).toEqual(real.decisions);
    // The same reads, as a set: a real run that creates an environment reads its list again once it
    // exists, and the dry run, which creates nothing, reads the key once more where nothing is due.
    expect(dry.reads).toEqual([...new Set([...real.reads, ...world.dryRunAlsoReads])].sort());
    for (const extra of world.dryRunAlsoReads) expect(real.reads).not.toContain(extra);
    // The real run wrote and asked AWS; the dry run did neither.
    expect(real.writes).toBeGreaterThan(0);
    expect(real.aws).toBeGreaterThan(0);
    expect([dry.writes, dry.aws]).toEqual([0, 0]);
  });
});

describe('the one exception: a public key GitHub refuses, with every secret fresh under max-age', () => {
  it('the dry run fails naming the key read; the real run skips every secret and reads no key', async () => {
    const observeRun = async (dryRun: boolean) => {
      const fakes = await setUp();
      try {
        fakes.github.seed(fakes.github.repositoryStore(REPO)!, 'ECR_PASSWORD', 'fresh', ago(1));
        // A token that may list the secrets but not read the key: GitHub answers 403 with its message.
        fakes.github.server.inject({
          match: isKeyRead,
          times: 10,
          reply: {
            status: 403,
            body: '{"message":"Resource not accessible by integration","status":"403"}',
            headers: { 'content-type': 'application/json' },
          },
        });
        const result = await run(fakes, {
          'role-to-assume': fakes.roleArn,
          'max-age': '5h',
          ...(dryRun ? { 'dry-run': 'true' } : {}),
        });
        return {
          result,
          keyReads: fakes.github.server.requests.filter(isKeyRead).length,
          writes: fakes.github.writes().length,
        };
      } finally {
        await fakes.stop();
      }
    };
    const dry = await observeRun(true);
    const real = await observeRun(false);

    expect(real.result.exitCode).toBe(0);
    expect(real.keyReads).toBe(0);
    expect(JSON.parse(real.result.outputs['secrets-skipped'] ?? '[]')).toHaveLength(1);
    expect(dry.result.exitCode).toBe(1);
    expect(dry.keyReads).toBeGreaterThan(0);
    expect(JSON.parse(dry.result.outputs['secrets-failed'] ?? '[]')).toEqual([
      expect.objectContaining({ target: REPO, secret: 'ECR_PASSWORD' }),
    ]);
    expect(dry.result.errors.join('\n')).toMatch(/public key/);
    expect([dry.writes, real.writes]).toEqual([0, 0]);
  });
});

/** How long a held answer waits, at most, for what it waits on: a program that never sends it must still end. */
const HOLD_LIMIT_MS = 3_000;
const isKeyRead = ({ method, url }: { method: string; url: string }) =>
  method === 'GET' && url.endsWith('/secrets/public-key');

describe('the dry run goes through the fan-out of the real run: five targets at a time', () => {
  // Six repositories: the key reads of the first five are held until GitHub sees the sixth's (or the
  // hold limit passes). Through the lanes, the sixth target is read only once one of the five is done,
  // so its key is asked after the holds end; a pipeline that prepares every target at once (the dry
  // run before issue 17) asks it at once, and the holds end early.
  it.each([
    ['dry run', true],
    ['real run', false],
  ])('%s: the sixth target is read only once one of the first five is done', async (_name, dryRun) => {
    const fakes = await setUp();
    try {
      const repositories = FAN_OUT.slice(0, 6);
      for (const name of repositories.slice(1)) fakes.github.addRepository(name);
      const sixth = `/repos/${repositories[5]}/actions/secrets/public-key`;
      let sixthAsked = (): void => undefined;
      const asked = new Promise<void>((resolve) => (sixthAsked = resolve));
      fakes.github.server.inject({ match: (request) => (request.url === sixth && sixthAsked(), false) });
      // The hold limit counts from the first held request, not from the action's start.
      let holdsEndedAt = Number.NaN;
      let holds: Promise<void> | undefined;
      fakes.github.server.inject({
        match: (request) => isKeyRead(request) && request.url !== sixth,
        times: 5,
        until: () =>
          (holds ??= Promise.race([asked, new Promise((resolve) => setTimeout(resolve, HOLD_LIMIT_MS))]).then(() => {
            holdsEndedAt = performance.now();
          })),
      });
      const result = await run(fakes, {
        'role-to-assume': fakes.roleArn,
        repositories: repositories.join('\n'),
        ...(dryRun ? { 'dry-run': 'true' } : {}),
      });

      expect(result.exitCode).toBe(0);
      const keyReads = fakes.github.server.requests.filter(isKeyRead);
      expect(keyReads).toHaveLength(6);
      const sixthRead = keyReads.find(({ url }) => url === sixth) as RecordedRequest;
      expect(sixthRead.receivedAt).toBeGreaterThan(holdsEndedAt);
      expect(keyReads.indexOf(sixthRead)).toBe(5);
      if (dryRun) expect(JSON.parse(result.outputs['secrets-planned'] ?? '[]')).toHaveLength(6);
      else expect(JSON.parse(result.outputs['secrets-written'] ?? '[]')).toHaveLength(6);
    } finally {
      await fakes.stop();
    }
  });
});
