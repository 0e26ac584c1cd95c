/**
 * The action's pacing (src/github/pace.ts) under jest's fake timers: writes an interval apart, reads
 * between them, never 900 points in 62 s, holds and their budget.
 */
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { GitHubPace, MIN_WRITE_INTERVAL_MS, POINTS_PER_MINUTE, requestCost } from '../../src/github/pace.ts';

// The pace's own clock and timers, driven by jest's fake timers: minutes of pacing in no time.
beforeEach(() => {
  jest.useFakeTimers({ now: 0 });
});
afterEach(() => {
  jest.useRealTimers();
});

const pace = (writeIntervalMs = 1_000, holdBudgetMs = 300_000) =>
  new GitHubPace({ writeIntervalMs, holdBudgetMs, now: () => Date.now() });

interface Sent {
  at: number;
  points: number;
  write: boolean;
}

/** Admits every request at once and records when each may leave, running the fake clock until all have. */
async function admitAll(subject: GitHubPace, requests: { method: string; url: string }[]): Promise<Sent[]> {
  const sent: Sent[] = [];
  const turns = requests.map(async ({ method, url }) => {
    await subject.admit(method, url);
    sent.push({ at: Date.now(), ...requestCost(method, url) });
  });
  let settled = false;
  void Promise.all(turns).then(() => (settled = true));
  while (!settled) await jest.advanceTimersByTimeAsync(50);
  return sent;
}

/** The most points sent in any window of `windowMs` (sliding: each send starts one). */
function mostPointsInWindow(sent: Sent[], windowMs: number): number {
  return Math.max(
    ...sent.map(({ at }) =>
      sent.filter((other) => other.at >= at && other.at < at + windowMs).reduce((sum, s) => sum + s.points, 0),
    ),
  );
}

const put = (i: number) => ({ method: 'PUT', url: `/repos/o/r${i}/actions/secrets/X` });
const key = (i: number) => ({ method: 'GET', url: `/repos/o/r${i}/actions/secrets/public-key` });

describe('GitHubPace', () => {
  it('costs: GET 1 point, PUT 5 and mutating, a GraphQL query 1', () => {
    expect(requestCost('GET', '/repos/o/r')).toEqual({ points: 1, write: false });
    expect(requestCost('PUT', '/repos/o/r/actions/secrets/X')).toEqual({ points: 5, write: true });
    expect(requestCost('POST', 'https://ghes.example/api/graphql')).toEqual({ points: 1, write: false });
  });

  it('a single-target run waits for nothing: its reads and first write are let through at once', () => {
    const subject = pace();
    expect(subject.admit('GET', '/repos/o/r/actions/secrets/public-key')).toBeUndefined();
    expect(subject.admit('GET', '/repos/o/r/actions/secrets')).toBeUndefined();
    expect(subject.admit('PUT', '/repos/o/r/actions/secrets/X')).toBeUndefined();
    expect(subject.admit('PUT', '/repos/o/r/actions/secrets/Y')).toBeInstanceOf(Promise);
  });

  it('300 writes and 600 reads at once: writes exactly an interval apart, reads between them, never 900 points in 62 s', async () => {
    const requests = Array.from({ length: 300 }, (_, i) => [put(i), key(i), key(i + 1000)]).flat();
    const sent = await admitAll(pace(), requests);

    const writes = sent.filter((s) => s.write).map((s) => s.at);
    const gaps = writes.slice(1).map((at, i) => at - (writes[i] ?? 0));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(1_000);
    // Reads never hold a write back: the writes end at the floor, a second of pacing each.
    expect((writes.at(-1) ?? 0) - (writes[0] ?? 0)).toBeLessThanOrEqual(299 * 1_000 + 100);
    // ... and go between the writes rather than all first.
    const reads = sent.filter((s) => !s.write).map((s) => s.at);
    expect(Math.max(...reads)).toBeGreaterThan(30_000);
    expect(mostPointsInWindow(sent, 62_000)).toBeLessThanOrEqual(POINTS_PER_MINUTE);
  });

  it('at the shortest write-interval the points set the pace: still never 900 points in a minute', async () => {
    const requests = Array.from({ length: 400 }, (_, i) => [put(i), key(i)]).flat();
    const sent = await admitAll(pace(MIN_WRITE_INTERVAL_MS), requests);

    const writes = sent.filter((s) => s.write).map((s) => s.at);
    expect(Math.min(...writes.slice(1).map((at, i) => at - (writes[i] ?? 0)))).toBeGreaterThanOrEqual(
      MIN_WRITE_INTERVAL_MS,
    );
    expect(mostPointsInWindow(sent, 62_000)).toBeLessThanOrEqual(POINTS_PER_MINUTE);
  });

  it('a hold keeps every request back until it ends; past the run budget, nothing more is sent', async () => {
    const subject = pace(1_000, 90_000);
    expect(subject.hold(60_000, () => 'held too long')).toBe(true);
    const sent = await admitAll(subject, [key(1), put(1)]);
    expect(sent.map((s) => s.at)).toEqual([60_000, 60_000]);

    expect(subject.hold(40_000, () => 'held too long')).toBe(false);
    await expect(subject.admit('GET', '/repos/o/r')).rejects.toMatchObject({
      name: 'AbortError',
      message: 'held too long',
    });
  });
});
