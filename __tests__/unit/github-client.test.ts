/**
 * What Octokit sees of an answer through the client's Node `http` requests, against a bare local
 * server: status, data, repeated headers, url, a 204 write, a 404 as Octokit's `RequestError`, a status
 * a `Response` cannot hold failing only its request, at most ten requests in flight, a request still
 * waiting for a tunnel settling when aborted, and a proxy that never answers the tunnel request not
 * keeping the process alive.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RequestError } from '@octokit/request-error';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { NODE_24 } from '../fakes/run-action.ts';
import { startSilentProxy } from '../fakes/silent-proxy.ts';
import { createGitHubClient } from '../../src/github/client.ts';

// The client answers Octokit through Node's `http` (src/github/transport.ts, `answerOf`): Octokit must
// see what fetch gave it, status, headers (repeated ones included), body, url, and GitHub's error shape.
let server: Server;
let apiUrl: string;
const seen: { method: string; url: string; body: string; authorization: string | undefined }[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      seen.push({
        method: request.method ?? '',
        url: request.url ?? '',
        body,
        authorization: request.headers.authorization,
      });
      if (request.url === '/repos/octo/app/actions/secrets/public-key') {
        response.setHeader('content-type', 'application/json; charset=utf-8');
        response.setHeader('x-seen', ['one', 'two']);
        response.end(JSON.stringify({ key_id: '568250167242549743', key: 'a'.repeat(44) }));
      } else if (request.url === '/repos/octo/app/actions/secrets/ECR_PASSWORD') {
        response.statusCode = 204;
        response.end();
      } else {
        response.statusCode = 404;
        response.setHeader('content-type', 'application/json; charset=utf-8');
        response.end(
          JSON.stringify({ message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' }),
        );
      }
    });
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((closed) => server.close(() => closed())));

const client = (url = apiUrl) =>
  createGitHubClient({
    token: 'SECRET_TOKEN',
    tokenName: 'github-token',
    apiUrl: url,
    log: { debug: () => undefined, info: () => undefined, warning: () => undefined },
  });

/** The promise's outcome, or 'never settled' if it has none within `ms`. */
async function settledWithin(promise: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise((settled) => (timer = setTimeout(() => settled('never settled'), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

it('a JSON answer reaches Octokit with its status, data, headers and URL', async () => {
  const answer = await (
    await client()
  ).request('GET /repos/{owner}/{repo}/actions/secrets/public-key', {
    owner: 'octo',
    repo: 'app',
  });
  expect(answer.status).toBe(200);
  expect(answer.data).toEqual({ key_id: '568250167242549743', key: 'a'.repeat(44) });
  expect(answer.headers['x-seen']).toBe('one, two');
  expect(answer.url).toBe(`${apiUrl}/repos/octo/app/actions/secrets/public-key`);
  expect(seen.at(-1)?.authorization).toBe('token SECRET_TOKEN');
});

it('a write sends its body and takes a 204 without one', async () => {
  const answer = await (
    await client()
  ).request('PUT /repos/{owner}/{repo}/actions/secrets/{secret_name}', {
    owner: 'octo',
    repo: 'app',
    secret_name: 'ECR_PASSWORD',
    encrypted_value: 'c2VhbGVk',
    key_id: '568250167242549743',
  });
  expect(answer.status).toBe(204);
  expect(seen.at(-1)).toMatchObject({ method: 'PUT', url: '/repos/octo/app/actions/secrets/ECR_PASSWORD' });
  expect(JSON.parse(seen.at(-1)?.body ?? '')).toEqual({ encrypted_value: 'c2VhbGVk', key_id: '568250167242549743' });
});

it("a refusal becomes Octokit's RequestError with GitHub's status, message and answer", async () => {
  const error: unknown = await (
    await client()
  )
    .request('GET /repos/{owner}/{repo}/actions/secrets/public-key', { owner: 'octo', repo: 'gone' })
    .catch((thrown: unknown) => thrown);
  expect(error).toBeInstanceOf(RequestError);
  const refusal = error as RequestError;
  expect(refusal.status).toBe(404);
  expect(refusal.message).toMatch(/^Not Found/);
  expect(refusal.response?.url).toBe(`${apiUrl}/repos/octo/gone/actions/secrets/public-key`);
  expect(refusal.response?.data).toMatchObject({ message: 'Not Found' });
});

/** A server of its own for one test: `handle` answers each request (or holds it). */
async function serve(handle: (request: IncomingMessage, response: ServerResponse) => void) {
  const own = createServer(handle);
  await new Promise<void>((listening) => own.listen(0, '127.0.0.1', listening));
  return {
    url: `http://127.0.0.1:${(own.address() as AddressInfo).port}`,
    close: () => {
      own.closeAllConnections();
      return new Promise<void>((closed) => own.close(() => closed()));
    },
  };
}

it('an answer whose status a Response cannot hold (999 from a middlebox) fails that request, not the process', async () => {
  const odd = await serve((_request, response) => {
    response.writeHead(999);
    response.end('?');
  });
  try {
    const asked = (await client(odd.url))
      .request('GET /repos/{owner}/{repo}/actions/secrets/public-key', {
        owner: 'octo',
        repo: 'app',
        request: { retries: 0 },
      })
      .catch((thrown: unknown) => thrown);
    // A throw in the answer's listener would leave the request unsettled (and the process failing).
    const error = await settledWithin(asked, 5_000);
    // Rejected like any failed fetch (Octokit's status 500 for a request that got no usable answer).
    expect(error).toBeInstanceOf(RequestError);
    expect((error as RequestError).status).toBe(500);
    expect((error as RequestError).message).toMatch(/status/);
  } finally {
    await odd.close();
  }
});

it('at most ten requests are in flight at once; the others wait their turn and are all answered', async () => {
  let inFlight = 0;
  let most = 0;
  const held: ServerResponse[] = [];
  // Each answer is held until no more requests come for 100 ms, so that concurrency shows.
  const release = () => {
    for (const response of held.splice(0)) {
      inFlight--;
      response.setHeader('content-type', 'application/json; charset=utf-8');
      response.end(JSON.stringify({ key_id: '1', key: 'a'.repeat(44) }));
    }
  };
  let timer: NodeJS.Timeout | undefined;
  const slow = await serve((_request, response) => {
    inFlight++;
    most = Math.max(most, inFlight);
    held.push(response);
    clearTimeout(timer);
    // Answered only once no more arrive: a client without the cap would have all 25 waiting here.
    timer = setTimeout(release, 100);
  });
  try {
    const github = await client(slow.url);
    // 25 reads at once: within the pacing's burst of 30 points, so only the cap holds them back.
    const answers = await Promise.all(
      Array.from({ length: 25 }, (_, index) =>
        github.request('GET /repos/{owner}/{repo}/actions/secrets/public-key', { owner: 'octo', repo: `app${index}` }),
      ),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array(25).fill(200));
    expect(most).toBe(10);
  } finally {
    clearTimeout(timer);
    await slow.close();
  }
});

it('a request still waiting for its connection (a proxy that never answers the tunnel request) settles when aborted', async () => {
  const silentProxy = await startSilentProxy();
  const saved = process.env['https_proxy'];
  process.env['https_proxy'] = silentProxy.url;
  try {
    const asked = (await client('https://github.example.test'))
      .request('GET /repos/{owner}/{repo}/actions/secrets/public-key', {
        owner: 'octo',
        repo: 'app',
        request: { retries: 0, signal: AbortSignal.timeout(200) },
      })
      .catch((thrown: unknown) => thrown);
    const outcome = await settledWithin(asked, 5_000);
    expect(outcome).not.toBe('never settled');
    // Octokit's shape for a request that got no answer: status 500, the abort's reason as the cause.
    expect(outcome).toBeInstanceOf(RequestError);
    expect((outcome as RequestError).status).toBe(500);
    expect((outcome as { cause?: { name?: string } }).cause?.name).toBe('TimeoutError');
    expect(silentProxy.sockets).toHaveLength(1);
  } finally {
    if (saved === undefined) delete process.env['https_proxy'];
    else process.env['https_proxy'] = saved;
    await silentProxy.stop();
  }
});

it('a proxy that never answers the tunnel request does not keep the process alive: its socket ends at the connection timeout', async () => {
  const silentProxy = await startSilentProxy();
  const clientModule = fileURLToPath(new URL('../../src/github/client.ts', import.meta.url));
  // One request in a process of its own, given up after 200 ms; then the process should end by itself.
  const script = `
    const { createGitHubClient } = await import(${JSON.stringify(clientModule)});
    const github = await createGitHubClient({ token: 't', tokenName: 'github-token', apiUrl: 'https://github.example.test',
      log: { debug() {}, info() {}, warning() {} } });
    await github.request('GET /x', { request: { retries: 0, signal: AbortSignal.timeout(200) } }).catch(() => undefined);
    console.log('request settled');`;
  const child = spawn(NODE_24, ['--input-type=module', '-e', script], {
    env: {
      PATH: process.env['PATH'] ?? '',
      https_proxy: silentProxy.url,
    },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let killed = false;
  // Well past the connection timeout (5 s): a socket left open would hold the process until the proxy closed it.
  const guard = setTimeout(() => {
    killed = true;
    child.kill();
  }, 20_000);
  try {
    await new Promise((exited) => child.once('exit', exited));
    expect(output).toContain('request settled');
    expect(killed).toBe(false);
    expect(silentProxy.sockets).toHaveLength(1);
  } finally {
    clearTimeout(guard);
    await silentProxy.stop();
  }
}, 30_000);
