import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Fakes } from '../fakes/index.ts';
import { ecrError, PASSWORD_LIFETIME_MS } from '../fakes/aws.ts';
import { secondaryRateLimit } from '../fakes/github.ts';
import type { RecordedRequest } from '../fakes/server.ts';
import { githubCalls, run, setUp } from './helpers.ts';

/**
 * A fan-out at GitHub's pace, against a fake GitHub that enforces the REST secondary limit in points
 * (900 a minute, GET 1, PUT 5), with GitHub's minute shortened TIME_SCALE times and the action's
 * clock sped up as many times (`fakes/time-scale.mjs`, preloaded into the action's process): the
 * run keeps the rule's shape at a twentieth of the time. The action's default write interval (1s)
 * is then 50 ms of real time.
 *
 * 300 repositories: every secret opened, zero refusals, writes a write interval apart as the fake
 * received them, reads between the writes; a refusal all the same holding every request for its
 * `retry-after`; a fan-out longer than the 5 minutes a password may wait minted again, and writes a
 * rate limit held past them sealed again with a new login, every stored password with at least
 * 11h55m of life when GitHub took it (the fake ECR's `expiresAt` time-scaled); more than 500 writes
 * planned warned about before the writes; `write-interval` below 750ms on github.com, below 334ms
 * elsewhere, and over 1m refused.
 */
const TIME_SCALE = 20;
const SCALED_INTERVAL_MS = 1_000 / TIME_SCALE;
const timeScaled = {
  NODE_OPTIONS: `--import ${pathToFileURL(resolve(fileURLToPath(import.meta.url), '../../fakes/time-scale.mjs')).href}`,
  TIME_SCALE: String(TIME_SCALE),
};

let fakes: Fakes & { roleArn: string };
beforeEach(async () => (fakes = await setUp()));
afterEach(async () => fakes.stop());

/** `fanout/svc-001` ... : a repository each, added to the fake GitHub. */
function addRepositories(n: number): string[] {
  const names = Array.from({ length: n }, (_, i) => `fanout/svc-${String(i + 1).padStart(3, '0')}`);
  for (const name of names) fakes.github.addRepository(name);
  return names;
}

const isPut = (request: RecordedRequest) => request.method === 'PUT';
const isPublicKey = (request: RecordedRequest) => request.url.endsWith('/public-key');

describe('fan-out at GitHub pace (points-limited fake, time-scaled)', () => {
  it('300 repositories: every secret written and opened, zero refusals, writes a write interval apart, reads between them', async () => {
    const repositories = addRepositories(300);
    fakes.github.enforcePoints({ timeScale: TIME_SCALE });

    const result = await run(
      fakes,
      { 'role-to-assume': fakes.roleArn, repositories: repositories.join('\n') },
      timeScaled,
    );

    expect(result.exitCode).toBe(0);
    // 300 writes a second apart outlast the 4 minutes a login is used for: a second one serves the last writes.
    const passwords = fakes.aws.logins.map((login) => login.password);
    expect(passwords).toHaveLength(2);
    const opened = repositories.filter((name) =>
      passwords.includes(fakes.github.repositorySecret(name, 'ECR_PASSWORD')?.plaintext ?? ''),
    );
    expect(opened).toHaveLength(300);
    expect(fakes.github.refusals).toBe(0);
    expect(JSON.parse(result.outputs['secrets-failed'] ?? 'null')).toEqual([]);
    // One public-key GET and one PUT per repository, nothing else.
    expect(githubCalls(fakes)).toHaveLength(600);

    // Spacing, from when the fake GitHub received each PUT. The fake shares a busy machine and may read
    // a request late, so single gaps are noisy (a late one shows as a long gap then a short one); what
    // a pacing fault would change is robust: the writes as a whole at least an interval apart (299
    // gaps, less four intervals of noise at the ends), the typical gap the interval, and no run of
    // bursts (nine in ten gaps at least half the interval).
    const puts = fakes.github.server.requests.filter(isPut).map((request) => request.receivedAt);
    const gaps = puts
      .slice(1)
      .map((at, i) => at - (puts[i] ?? 0))
      .sort((a, b) => a - b);
    expect((puts.at(-1) ?? 0) - (puts[0] ?? 0)).toBeGreaterThanOrEqual(295 * SCALED_INTERVAL_MS);
    expect(gaps[Math.floor(gaps.length / 2)]).toBeGreaterThanOrEqual(0.95 * SCALED_INTERVAL_MS);
    expect(gaps[Math.floor(gaps.length / 10)]).toBeGreaterThanOrEqual(0.5 * SCALED_INTERVAL_MS);

    // The reads overlap the writes instead of all coming first: the last public key is read well
    // after the first write, and only a few reads ever run ahead of the writes.
    const requests = fakes.github.server.requests;
    const firstPut = requests.findIndex(isPut);
    const lastKey = requests.findLastIndex(isPublicKey);
    expect(lastKey).toBeGreaterThan(firstPut);
    let ahead = 0;
    let mostAhead = 0;
    for (const request of requests) {
      ahead += isPublicKey(request) ? 1 : isPut(request) ? -1 : 0;
      mostAhead = Math.max(mostAhead, ahead);
    }
    expect(mostAhead).toBeLessThanOrEqual(10);
    // 300 writes are within GitHub's 500 content-creating requests an hour: no warning.
    expect(result.stdout).not.toContain('content-creating requests an hour');
  }, 90_000);

  it('a refusal all the same: retry-after is honoured by every request, then the run ends with all written', async () => {
    const repositories = addRepositories(20);
    fakes.github.enforcePoints({ timeScale: TIME_SCALE });
    // GitHub's answer to the fifth write: 429, wait 10 s (half a second of real time here).
    let puts = 0;
    fakes.github.server.inject({
      match: (request) => request.method === 'PUT' && ++puts === 5,
      reply: secondaryRateLimit(429, 10),
    });

    const result = await run(
      fakes,
      { 'role-to-assume': fakes.roleArn, repositories: repositories.join('\n') },
      timeScaled,
    );

    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/::warning::GitHub's secondary rate limit slowed PUT .*retrying in 10s/);
    const issued = fakes.aws.lastLogin!;
    expect(
      repositories.every((name) => fakes.github.repositorySecret(name, 'ECR_PASSWORD')?.plaintext === issued.password),
    ).toBe(true);
    const requests = fakes.github.server.requests;
    const refused = requests.find((request) => request.status === 429);
    expect(refused).toBeDefined();
    // Requests already on their way when the refusal came back may arrive just after it; after that,
    // nothing (the refused write, or any other) until the 10 s are over.
    const waitMs = (10 * 1000) / TIME_SCALE;
    const after = requests.filter((request) => request.receivedAt > refused!.receivedAt + waitMs / 5);
    expect(after.length).toBeGreaterThan(0);
    expect(Math.min(...after.map((request) => request.receivedAt - refused!.receivedAt))).toBeGreaterThanOrEqual(
      waitMs * 0.9,
    );
    expect(requests.filter(isPut).map((request) => request.status)).toEqual([
      ...Array<number>(4).fill(201),
      429,
      ...Array<number>(16).fill(201),
    ]);
    expect(fakes.github.refusals).toBe(0);
  }, 60_000);

  it('write-interval 500ms on GitHub Enterprise Server: writes half a second apart, not the throttling plugin’s second', async () => {
    const repositories = addRepositories(30);
    fakes.github.enforcePoints({ timeScale: TIME_SCALE });

    const result = await run(
      fakes,
      { 'role-to-assume': fakes.roleArn, repositories: repositories.join('\n'), 'write-interval': '500ms' },
      timeScaled,
    );

    expect(result.exitCode).toBe(0);
    expect(fakes.github.refusals).toBe(0);
    const puts = fakes.github.server.requests.filter(isPut).map((request) => request.receivedAt);
    expect(puts).toHaveLength(30);
    const gaps = puts
      .slice(1)
      .map((at, i) => at - (puts[i] ?? 0))
      .sort((a, b) => a - b);
    const median = gaps[Math.floor(gaps.length / 2)] ?? 0;
    // Half the default interval: at least that, and well short of a whole one.
    expect(median).toBeGreaterThanOrEqual(0.95 * (SCALED_INTERVAL_MS / 2));
    expect(median).toBeLessThan(0.8 * SCALED_INTERVAL_MS);
  }, 60_000);

  it('a fan-out longer than a password may wait: minted again, and every secret holds a password with 12h less 5m left when GitHub took it', async () => {
    // 200 writes 2 s apart: about 400 s of GitHub's time, longer than the 5 minutes a password may wait for its write.
    const repositories = addRepositories(200);
    fakes.github.enforcePoints({ timeScale: TIME_SCALE });
    fakes.aws.timeScale = TIME_SCALE;

    const result = await run(
      fakes,
      { 'role-to-assume': fakes.roleArn, repositories: repositories.join('\n'), 'write-interval': '2s' },
      timeScaled,
    );

    expect(result.exitCode).toBe(0);
    expect(fakes.github.refusals).toBe(0);
    // Minted again as the run went on, a few times, not once per write.
    expect(fakes.aws.logins.length).toBeGreaterThanOrEqual(2);
    expect(fakes.aws.logins.length).toBeLessThanOrEqual(4);
    expect(result.stdout).toContain('ECR login renewed for the writes still to come');
    // For every repository, the write GitHub stored: the password it holds, and that password's life
    // left when the write arrived, in ECR's time (the fake's expiresAt follows the scaled clock).
    const promisedMs = PASSWORD_LIFETIME_MS - 5 * 60_000;
    const puts = fakes.github.server.requests.filter((request) => isPut(request) && request.status < 300);
    expect(puts).toHaveLength(200);
    for (const name of repositories) {
      const stored = fakes.github.repositorySecret(name, 'ECR_PASSWORD');
      const login = fakes.aws.logins.find((issued) => issued.password === stored?.plaintext);
      expect(login).toBeDefined();
      const put = puts.find((request) => request.url === `/repos/${name}/actions/secrets/ECR_PASSWORD`)!;
      const arrivedAt = performance.timeOrigin + put.receivedAt;
      const lifeLeftMs = (login!.expiresAt.getTime() - arrivedAt) * TIME_SCALE;
      expect({ name, lifeLeftMs: lifeLeftMs >= promisedMs ? 'at least 11h55m' : lifeLeftMs }).toEqual({
        name,
        lifeLeftMs: 'at least 11h55m',
      });
    }
  }, 120_000);

  it("a renewal ECR refuses mid-run: the secrets still to write fail by name with ECR's reason, those written stay, exit 1", async () => {
    // 200 writes 2 s apart outlast the 4 minutes a login is used for; ECR refuses every login after the first.
    const repositories = addRepositories(200);
    fakes.github.enforcePoints({ timeScale: TIME_SCALE });
    fakes.aws.timeScale = TIME_SCALE;
    let logins = 0;
    fakes.aws.ecr.inject({
      match: () => ++logins > 1,
      times: Infinity,
      reply: ecrError(
        400,
        'AccessDeniedException',
        `User: ${fakes.roleArn} is not authorized to perform: ecr:GetAuthorizationToken on resource: * with an explicit deny`,
      ),
    });

    const result = await run(
      fakes,
      { 'role-to-assume': fakes.roleArn, repositories: repositories.join('\n'), 'write-interval': '2s' },
      timeScaled,
    );

    expect(result.exitCode).toBe(1);
    expect(fakes.aws.logins).toHaveLength(1);
    const first = fakes.aws.logins[0]!.password;
    const written = repositories.filter(
      (name) => fakes.github.repositorySecret(name, 'ECR_PASSWORD')?.plaintext === first,
    );
    const failed = JSON.parse(result.outputs['secrets-failed'] ?? 'null') as { target: string; reason?: string }[];
    // Some were written with the first login, the rest failed, each by name; none is both or neither.
    expect(written.length).toBeGreaterThan(50);
    expect(written.length).toBeLessThan(200);
    expect(failed).toHaveLength(200 - written.length);
    expect(new Set([...written, ...failed.map((entry) => entry.target)]).size).toBe(200);
    for (const entry of failed) expect(entry.reason).toContain('may not call ecr:GetAuthorizationToken');
    expect(result.errors.join('\n')).toContain('ecr:GetAuthorizationToken');
    expect(fakes.github.writes()).toHaveLength(written.length);
  }, 120_000);

  it('writes held by a rate limit past the 5 minutes a password may wait: never sent with it, sealed again with a new one', async () => {
    // 110 writes 2 s apart; GitHub refuses the 100th (about 200 s after the login) and asks for 120 s:
    // that write and those waiting with it would leave about 320 s after their password was asked for.
    const repositories = addRepositories(110);
    fakes.github.enforcePoints({ timeScale: TIME_SCALE });
    fakes.aws.timeScale = TIME_SCALE;
    let puts = 0;
    fakes.github.server.inject({
      match: (request) => request.method === 'PUT' && ++puts === 100,
      reply: secondaryRateLimit(429, 120),
    });

    const result = await run(
      fakes,
      { 'role-to-assume': fakes.roleArn, repositories: repositories.join('\n'), 'write-interval': '2s' },
      timeScaled,
    );

    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/secondary rate limit slowed PUT .*retrying in 120s/);
    expect(fakes.aws.logins.length).toBeGreaterThanOrEqual(2);
    const promisedMs = PASSWORD_LIFETIME_MS - 5 * 60_000;
    const stored = fakes.github.server.requests.filter((request) => isPut(request) && request.status < 300);
    expect(stored).toHaveLength(110);
    for (const name of repositories) {
      const login = fakes.aws.logins.find(
        (issued) => issued.password === fakes.github.repositorySecret(name, 'ECR_PASSWORD')?.plaintext,
      );
      const put = stored.find((request) => request.url === `/repos/${name}/actions/secrets/ECR_PASSWORD`)!;
      const lifeLeftMs = ((login?.expiresAt.getTime() ?? 0) - (performance.timeOrigin + put.receivedAt)) * TIME_SCALE;
      expect({ name, lifeLeftMs: lifeLeftMs >= promisedMs ? 'at least 11h55m' : lifeLeftMs }).toEqual({
        name,
        lifeLeftMs: 'at least 11h55m',
      });
    }
  }, 120_000);

  it('more than 500 writes planned: a warning before writing, in the log and the summary, naming the organisation secret; all written', async () => {
    // 501 repositories, one secret each, at the least pace GitHub Enterprise Server allows (the fake's URL is no github.com).
    const repositories = addRepositories(501);
    fakes.github.enforcePoints({ timeScale: TIME_SCALE });

    const result = await run(
      fakes,
      { 'role-to-assume': fakes.roleArn, repositories: repositories.join('\n'), 'write-interval': '334ms' },
      timeScaled,
    );

    expect(result.exitCode).toBe(0);
    const warning =
      /::warning::This run plans up to 501 secret writes, more than the 500 content-creating requests an hour GitHub.com allows.*Prefer one organisation secret shared with the repositories \(organization with visibility: selected and selected-repositories\)/;
    expect(result.stdout).toMatch(warning);
    // Said before the first write: the warning comes before the ECR login line, which precedes every write.
    expect(result.stdout.indexOf('This run plans up to 501')).toBeLessThan(result.stdout.indexOf('ECR login for'));
    expect(result.summary).toContain('This run plans up to 501 secret writes');
    // Every secret holds a password ECR issued (a slow machine may stretch the run past the 4 minutes after
    // which a fan-out mints again, so any of the run's logins).
    const issued = new Set(fakes.aws.logins.map((login) => login.password));
    expect(
      repositories.filter((name) => !issued.has(fakes.github.repositorySecret(name, 'ECR_PASSWORD')?.plaintext ?? '')),
    ).toEqual([]);
    expect(fakes.github.refusals).toBe(0);
  }, 90_000);

  it('write-interval below 750ms on github.com: an input error naming its 80 writes a minute, nothing asked', async () => {
    const result = await run(fakes, {
      'role-to-assume': fakes.roleArn,
      'github-api-url': 'https://api.github.com',
      'write-interval': '500ms',
    });

    expect(result.exitCode).toBe(1);
    expect(result.errors).toEqual([
      "Input 'write-interval': 500ms is shorter than 750ms, the least GitHub.com allows (80 content-creating requests a minute). Use at least 750ms; 1s (the default) on github.com, as GitHub advises.",
    ]);
    expect(fakes.allRequests()).toEqual([]);
  });

  it.each([
    ['upper case and a trailing slash', 'https://API.GitHub.com/'],
    ['a fully qualified name (trailing dot)', 'https://api.github.com./'],
    ['a GHE.com subdomain', 'https://api.octocorp.ghe.com'],
    ['a GHE.com subdomain, fully qualified', 'https://api.octocorp.ghe.com.'],
  ])('github.com or GHE.com spelt as %s is GitHub cloud: write-interval 500ms refused', async (_how, apiUrl) => {
    const result = await run(fakes, {
      'role-to-assume': fakes.roleArn,
      'github-api-url': apiUrl,
      'write-interval': '500ms',
    });

    expect(result.exitCode).toBe(1);
    expect(result.errors).toEqual([
      expect.stringContaining('the least GitHub.com allows (80 content-creating requests a minute)'),
    ]);
    expect(fakes.allRequests()).toEqual([]);
  });

  it('write-interval over a minute (30d would be a 1 ms timer to Node): an input error naming the bound, nothing asked', async () => {
    const result = await run(fakes, { 'role-to-assume': fakes.roleArn, 'write-interval': '30d' });

    expect(result.exitCode).toBe(1);
    expect(result.errors).toEqual([
      "Input 'write-interval': 720h is longer than 1m, the longest wait between writes the action keeps. Use at most 1m; 1s (the default) is GitHub's advice, and a slower pace only lengthens the run.",
    ]);
    expect(fakes.allRequests()).toEqual([]);
  });

  it('write-interval below a third of a second on GitHub Enterprise Server: an input error naming the minimum, nothing asked', async () => {
    const result = await run(fakes, { 'role-to-assume': fakes.roleArn, 'write-interval': '300ms' });

    expect(result.exitCode).toBe(1);
    expect(result.errors).toEqual([
      "Input 'write-interval': 300ms is shorter than 334ms, the least GitHub's secondary rate limit allows (900 points a minute, 5 points a write). Use at least 334ms; 1s (the default) on github.com, as GitHub advises.",
    ]);
    expect(fakes.allRequests()).toEqual([]);
  });
});
