import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RequestError } from '@octokit/request-error';
import { createGitHubClient } from '../../src/github/client.ts';

// The client answers Octokit through undici's `request` (src/github/client.ts, `answerOf`): Octokit must
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

const client = () =>
  createGitHubClient({
    token: 'SECRET_TOKEN',
    tokenName: 'github-token',
    apiUrl,
    log: { debug: () => undefined, info: () => undefined, warning: () => undefined },
  });

it('a JSON answer reaches Octokit with its status, data, headers and URL', async () => {
  const answer = await client().request('GET /repos/{owner}/{repo}/actions/secrets/public-key', {
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
  const answer = await client().request('PUT /repos/{owner}/{repo}/actions/secrets/{secret_name}', {
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
  const error: unknown = await client()
    .request('GET /repos/{owner}/{repo}/actions/secrets/public-key', { owner: 'octo', repo: 'gone' })
    .catch((thrown: unknown) => thrown);
  expect(error).toBeInstanceOf(RequestError);
  const refusal = error as RequestError;
  expect(refusal.status).toBe(404);
  expect(refusal.message).toMatch(/^Not Found/);
  expect(refusal.response?.url).toBe(`${apiUrl}/repos/octo/gone/actions/secrets/public-key`);
  expect(refusal.response?.data).toMatchObject({ message: 'Not Found' });
});
