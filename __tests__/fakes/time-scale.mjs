// Preloaded into the action (`NODE_OPTIONS=--import <this file>`, never shipped) by tests and benchmarks
// that shorten GitHub's minute: runs the process's clock TIME_SCALE times faster. Timers wait
// 1/TIME_SCALE of their delay, and `performance.now()` and `Date.now()` advance TIME_SCALE times as fast,
// so everything the action times (its write interval and points budget, the throttling plugin's
// Bottleneck, `retry-after` waits) runs in the same shortened time as the fake GitHub's window
// (`FakeGitHub.enforcePoints({ timeScale })`). The action's code is untouched: no test hook in it.
// `new Date()` and the request timeout (`AbortSignal.timeout`) keep real time.
//
// Why: a run of 300 or 1,000 writes a second apart takes minutes, so the fan-out test and benchmark
// shorten GitHub's minute: the fake's window by `timeScale`, and the action's clock by the same
// factor, from the test side (`TIME_SCALE` in the step's environment with `NODE_OPTIONS=--import <file
// URL>`, or `--import` in the benchmark's command line). The fake's `retry-after` is in GitHub's
// seconds, which the scaled clock then waits out in scaled time. So the product has no test hook and
// no hidden input: the same `write-interval` default (1s) runs as 50 ms of real time at a factor of
// 20, and the ratios (points per window, writes per interval, wait per `retry-after`) are those of the
// real rule. Chosen over a hidden shorter minimum in the product (a test hook, and a lie about what
// GitHub allows) and over fake timers inside jest (the action runs in its own process, as the runner
// runs it). The fakes' latency keeps real time too.
const scale = Number(process.env['TIME_SCALE']);
if (!(scale >= 1)) throw new Error('__tests__/fakes/time-scale.mjs: set TIME_SCALE to a number of at least 1.');

const realNow = performance.now.bind(performance);
const realDateNow = Date.now;
const startedAt = realNow();
const startedAtDate = realDateNow();
performance.now = () => startedAt + (realNow() - startedAt) * scale;
Date.now = () => startedAtDate + Math.floor((realDateNow() - startedAtDate) * scale);

/** @param {unknown} delay */
const shorten = (delay) => (typeof delay === 'number' && delay > 0 ? delay / scale : delay);
const realSetTimeout = globalThis.setTimeout;
const realSetInterval = globalThis.setInterval;
/** @type {(callback: (...args: unknown[]) => void, delay?: number, ...args: unknown[]) => NodeJS.Timeout} */
const scaledTimeout = (callback, delay, ...args) =>
  realSetTimeout(callback, /** @type {number} */ (shorten(delay)), ...args);
/** @type {(callback: (...args: unknown[]) => void, delay?: number, ...args: unknown[]) => NodeJS.Timeout} */
const scaledInterval = (callback, delay, ...args) =>
  realSetInterval(callback, /** @type {number} */ (shorten(delay)), ...args);
globalThis.setTimeout = /** @type {typeof setTimeout} */ (Object.assign(scaledTimeout, realSetTimeout));
globalThis.setInterval = /** @type {typeof setInterval} */ (Object.assign(scaledInterval, realSetInterval));
