/**
 * GitHub's pace for every request one client sends: the REST secondary rate limit in points, and a
 * write interval between mutating requests (docs, "Rate limits for the REST API" and "Best
 * practices for using the REST API": at most 900 points per minute, GET, HEAD and OPTIONS 1 point,
 * POST, PATCH, PUT and DELETE 5; "wait at least one second between each request" that mutates).
 *
 * Points are drawn from a bucket of BURST_POINTS refilled at a steady rate, so that any stretch of
 * WINDOW_MS + JITTER_MS holds at most POINTS_PER_MINUTE: GitHub does not say whether its minute is
 * a fixed or a sliding window, and a network delay that varies moves arrivals closer together than
 * the sends; neither can then see more than 900 points in a minute. A write also waits for the write
 * interval since the last one. Writes go first: a read never takes points that the next write will
 * need at its turn, so reads fill the gaps between the paced writes. Pure logic and a timer: no
 * request is sent from here, and a request within the budget is let through at once, with no timer
 * and no extra turn of the event loop (a one-write run pays nothing for it).
 */

export const POINTS_PER_MINUTE = 900;
export const WRITE_POINTS = 5;
export const READ_POINTS = 1;
const WINDOW_MS = 60_000;
/** Arrival times at GitHub may lie closer together than the sends by this much (a delay that varies). */
const JITTER_MS = 2_000;
/** What the bucket holds when full: a whole single-target run (two reads and a write, or an organisation's reads) goes at once. */
const BURST_POINTS = 30;
const REFILL_PER_MS = (POINTS_PER_MINUTE - BURST_POINTS) / (WINDOW_MS + JITTER_MS);
/** The shortest write interval the points allow: 900 points a minute at 5 points a write, 180 writes a minute. */
export const MIN_WRITE_INTERVAL_MS = Math.ceil((WINDOW_MS * WRITE_POINTS) / POINTS_PER_MINUTE);
/**
 * GitHub's content-creation limits on github.com (docs, "Rate limits for the REST API", "About
 * secondary rate limits": "no more than 80 content-generating requests per minute and no more than
 * 500 content-generating requests per hour"; octokit/plugin-throttling.js#667 on users meeting the
 * hourly one). Whether a secret write counts as content creation is not documented: every write is
 * taken to count, the safe reading.
 */
export const CONTENT_WRITES_PER_MINUTE = 80;
export const CONTENT_WRITES_PER_HOUR = 500;
/** The shortest write interval on github.com: 80 writes a minute, 750 ms apart. */
export const MIN_WRITE_INTERVAL_GITHUB_COM_MS = Math.ceil(WINDOW_MS / CONTENT_WRITES_PER_MINUTE);
/**
 * The longest write interval. A write waits on one timer of this length, and Node runs a timer over
 * 2^31 - 1 ms (24.8 days) after 1 ms instead, so the pace would spin; a minute between writes is
 * already sixty times GitHub's advice, and a run of a hundred writes would take over an hour and a half.
 */
export const MAX_WRITE_INTERVAL_MS = 60_000;
/** GitHub's advice on github.com: a second between writes. */
export const DEFAULT_WRITE_INTERVAL_MS = 1_000;

/**
 * Whether github-api-url is GitHub's cloud (github.com's `api.github.com`, or GHE.com's
 * `api.<subdomain>.ghe.com`), whose secondary limits always apply; anything else is taken for
 * GitHub Enterprise Server, where they are off unless its administrator sets them (docs, "Rate
 * limits for the REST API" on GHES: "Rate limits are disabled by default").
 */
export function isGitHubCloud(apiUrl: string | undefined): boolean {
  if (apiUrl === undefined) return true;
  try {
    // A fully qualified name (`api.github.com.`) reaches the same hosts.
    const host = new URL(apiUrl).hostname.toLowerCase().replace(/\.$/, '');
    return host === 'api.github.com' || host.endsWith('.ghe.com');
  } catch {
    return true;
  }
}

/**
 * The warning for a run that plans more writes than GitHub's hourly content-creation limit, said
 * before the first write; undefined within it. Past the limit GitHub refuses writes with a
 * `retry-after` that the action waits out only within its budget of holds (src/github/client.ts).
 */
export function hourlyLimitAdvice(plannedWrites: number): string | undefined {
  if (plannedWrites <= CONTENT_WRITES_PER_HOUR) return undefined;
  return `This run plans up to ${plannedWrites} secret writes, more than the ${CONTENT_WRITES_PER_HOUR} content-creating requests an hour GitHub.com allows (GitHub Enterprise Server: only if its administrator set such a limit): GitHub may refuse the writes past it until the hour is over, and the action waits out its retry-after only within its budget, then fails the rest by name. Prefer one organisation secret shared with the repositories (organization with visibility: selected and selected-repositories), or spread the repositories over several runs an hour or more apart.`;
}

/** The shortest `write-interval` allowed for this API: 80 writes a minute on GitHub's cloud, the points rule's 180 elsewhere. */
export function minWriteIntervalMs(apiUrl: string | undefined): number {
  return isGitHubCloud(apiUrl) ? MIN_WRITE_INTERVAL_GITHUB_COM_MS : MIN_WRITE_INTERVAL_MS;
}

/** What one request costs, and whether it mutates (GitHub counts a GraphQL query without a mutation as a read; the action sends no mutation). */
export function requestCost(method: string, url: string): { points: number; write: boolean } {
  const read = ['GET', 'HEAD', 'OPTIONS'].includes(method.toUpperCase()) || /\/graphql(?:\?|$)/.test(url);
  return read ? { points: READ_POINTS, write: false } : { points: WRITE_POINTS, write: true };
}

interface Waiting {
  points: number;
  write: boolean;
  go: () => void;
  fail: (error: Error) => void;
}

export interface PaceOptions {
  writeIntervalMs: number;
  /** Longest time, over the whole run, that GitHub's rate limits may hold every request; then the run stops asking. */
  holdBudgetMs: number;
  now?: () => number;
}

export class GitHubPace {
  private readonly writeIntervalMs: number;
  private readonly holdBudgetMs: number;
  private readonly now: () => number;
  private tokens = BURST_POINTS;
  private refilledAt: number;
  private lastWriteAt = Number.NEGATIVE_INFINITY;
  private heldUntil = Number.NEGATIVE_INFINITY;
  private heldMs = 0;
  private stopped: Error | undefined;
  private readonly writes: Waiting[] = [];
  private readonly reads: Waiting[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor({ writeIntervalMs, holdBudgetMs, now = () => performance.now() }: PaceOptions) {
    this.writeIntervalMs = writeIntervalMs;
    this.holdBudgetMs = holdBudgetMs;
    this.now = now;
    this.refilledAt = now();
  }

  /**
   * Undefined when the request may leave now (it is counted); otherwise a promise that resolves
   * when it may, or rejects once the run has stopped asking (see `hold`).
   */
  admit(method: string, url: string): Promise<void> | undefined {
    if (this.stopped) return Promise.reject(this.stopped);
    const { points, write } = requestCost(method, url);
    const queue = write ? this.writes : this.reads;
    const now = this.now();
    if (this.writes.length === 0 && queue.length === 0 && this.mayGo(points, write, now)) {
      this.take(points, write, now);
      return undefined;
    }
    return new Promise<void>((go, fail) => {
      queue.push({ points, write, go, fail });
      this.drain();
    });
  }

  /**
   * GitHub asked to wait (a rate limit answer): every request waits `ms`, not only the refused one,
   * as GitHub asks. False, and the run stops asking (every waiting and later request fails with
   * `reason`), once the time held over the whole run would pass the budget.
   */
  hold(ms: number, reason: () => string): boolean {
    const now = this.now();
    const from = Math.max(now, this.heldUntil);
    const added = Math.max(0, now + ms - from);
    if (this.heldMs + added > this.holdBudgetMs) {
      // An abort, as Octokit knows one: it passes it on as it is, and neither plugin retries a request never sent.
      this.stop(Object.assign(new Error(reason()), { name: 'AbortError' }));
      return false;
    }
    this.heldMs += added;
    this.heldUntil = Math.max(this.heldUntil, now + ms);
    this.drain();
    return true;
  }

  private stop(error: Error): void {
    this.stopped = error;
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const waiting of [...this.writes.splice(0), ...this.reads.splice(0)]) waiting.fail(error);
  }

  private refill(now: number): void {
    this.tokens = Math.min(BURST_POINTS, this.tokens + (now - this.refilledAt) * REFILL_PER_MS);
    this.refilledAt = now;
  }

  /** When the next write may leave, as far as the interval and the hold tell. */
  private writeTurn(now: number): number {
    return Math.max(now, this.lastWriteAt + this.writeIntervalMs, this.heldUntil);
  }

  private mayGo(points: number, write: boolean, now: number): boolean {
    if (now < this.heldUntil) return false;
    this.refill(now);
    if (write) return now >= this.lastWriteAt + this.writeIntervalMs && this.tokens >= points;
    const next = this.writes[0];
    if (!next) return this.tokens >= points;
    // What the bucket will hold at the waiting write's turn if this read goes now.
    const atTurn = Math.min(BURST_POINTS, this.tokens - points + (this.writeTurn(now) - now) * REFILL_PER_MS);
    return this.tokens >= points && atTurn >= next.points;
  }

  private take(points: number, write: boolean, now: number): void {
    this.tokens -= points;
    if (write) this.lastWriteAt = now;
  }

  private drain(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const now = this.now();
    for (;;) {
      const write = this.writes[0];
      if (write && this.mayGo(write.points, true, now)) {
        this.writes.shift();
        this.take(write.points, true, now);
        write.go();
        continue;
      }
      const read = this.reads[0];
      if (read && this.mayGo(read.points, false, now)) {
        this.reads.shift();
        this.take(read.points, false, now);
        read.go();
        continue;
      }
      break;
    }
    const next = this.nextChance(now);
    // Kept referenced: a request waiting here is what the run is waiting for.
    if (next !== undefined) this.timer = setTimeout(() => this.drain(), Math.max(1, Math.ceil(next - now)));
  }

  /** The earliest time the head of a queue may leave: the waiting write's turn, or else the next read's points. */
  private nextChance(now: number): number | undefined {
    const pointsBy = (points: number) => now + Math.max(0, points - this.tokens) / REFILL_PER_MS;
    const write = this.writes[0];
    if (write) return Math.max(this.writeTurn(now), pointsBy(write.points));
    const read = this.reads[0];
    if (read) return Math.max(this.heldUntil, pointsBy(read.points));
    return undefined;
  }
}
