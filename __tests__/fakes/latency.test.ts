import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Agent, request } from 'node:http';
import { FakeServer, json } from '../fakes/server.ts';

/**
 * The fakes' latency knob, which the start-up benchmark's floors rest on: an answer never comes
 * sooner than the delay it models. Lower bounds only: a loaded machine may answer later, never earlier.
 */
const DELAY_MS = 60;
let server: FakeServer;
beforeAll(async () => {
  server = await new FakeServer(() => json(200, { ok: true })).start();
  server.latencyMs = DELAY_MS;
  server.connectionSetupMs = 2 * DELAY_MS;
});
afterAll(async () => {
  await server.stop();
});

/** One GET through `agent`: how long the answer took, by the client's clock, and whether the socket was reused. */
function timedGet(agent: Agent): Promise<{ elapsedMs: number; reusedSocket: boolean; status: number }> {
  const start = performance.now();
  return new Promise((done, fail) => {
    const req = request(`${server.url}/ping`, { agent }, (res) => {
      res.resume();
      res.on('end', () =>
        done({ elapsedMs: performance.now() - start, reusedSocket: req.reusedSocket, status: res.statusCode ?? 0 }),
      );
    });
    req.on('error', fail);
    req.end();
  });
}

describe('fake server latency', () => {
  it('answers the first request on a new connection after the delay plus set-up, and the next one on that connection after the delay', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const seen = server.requests.length;
      const first = await timedGet(agent);
      const second = await timedGet(agent);
      expect(first.status).toBe(200);
      expect(second.status).toBe(200);
      // The client kept the connection alive, and the fake saw it so.
      expect([first.reusedSocket, second.reusedSocket]).toEqual([false, true]);
      expect(server.requests.slice(seen).map((r) => r.newConnection)).toEqual([true, false]);
      expect(first.elapsedMs).toBeGreaterThanOrEqual(3 * DELAY_MS);
      expect(second.elapsedMs).toBeGreaterThanOrEqual(DELAY_MS);
    } finally {
      agent.destroy();
    }
  });

  it('charges set-up again to a request on another new connection', async () => {
    const agent = new Agent({ keepAlive: false });
    const seen = server.requests.length;
    const fresh = await timedGet(agent);
    expect(server.requests.slice(seen).map((r) => r.newConnection)).toEqual([true]);
    expect(fresh.elapsedMs).toBeGreaterThanOrEqual(3 * DELAY_MS);
  });

  it('has no latency by default, which the rest of the suite runs with', () => {
    const fresh = new FakeServer(() => json(200, {}));
    expect([fresh.latencyMs, fresh.connectionSetupMs]).toEqual([0, 0]);
  });
});
