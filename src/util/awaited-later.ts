/*
 * Helpers for requests that run beside each other (the run overlaps GitHub's reads with AWS's
 * credentials): let a request leave before loading code, and keep a promise for later without an
 * unhandled rejection.
 */

/**
 * Resolves two turns of the event loop later. A request issued now is written to its socket only on
 * a later turn, and a dynamic `import()` compiles and evaluates its code synchronously: code loaded
 * straight after issuing a request would hold that request back instead of overlapping its round
 * trip. Awaiting this between the two lets the request leave first (node 24, measured).
 */
export async function afterRequestsLeave(): Promise<void> {
  await new Promise(setImmediate);
  await new Promise(setImmediate);
}

/** Marks a promise as handled now (it is awaited later, or never when its result is not needed), and returns it. */
export function awaitedLater<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}
