import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Octokit } from '@octokit/core';
import { RequestError } from '@octokit/request-error';
import { FakeGitHub } from '../fakes/github.ts';

// The fake's points limit, driven by Octokit itself: what the fan-out test's "zero refusals" rests on.
let github: FakeGitHub;
let octokit: Octokit;
beforeEach(async () => {
  github = new FakeGitHub();
  github.addToken('t');
  github.addRepository('o/r');
  await github.server.start();
  octokit = new Octokit({ auth: 't', baseUrl: github.server.url });
});
afterEach(async () => github.server.stop());

const readKey = () =>
  octokit.request('GET /repos/{owner}/{repo}/actions/secrets/public-key', { owner: 'o', repo: 'r' });
const write = () =>
  octokit.request('PUT /repos/{owner}/{repo}/actions/secrets/{secret_name}', {
    owner: 'o',
    repo: 'r',
    secret_name: 'X',
    encrypted_value: 'bad',
    key_id: '1',
  });

describe('FakeGitHub.enforcePoints', () => {
  it('a PUT costs 5 points and a GET 1; past the limit, GitHub’s secondary-limit answer with retry-after, counted', async () => {
    // 11 points per (shortened) minute: two writes and a read fit, the next read does not.
    github.enforcePoints({ points: 11, timeScale: 60 });
    await expect(write()).rejects.toMatchObject({ status: 422 }); // refused for its body, but its points are spent
    await expect(write()).rejects.toMatchObject({ status: 422 });
    await readKey();
    const refused = await readKey().catch((error: unknown) => error);

    expect(refused).toBeInstanceOf(RequestError);
    expect((refused as RequestError).status).toBe(403);
    expect((refused as RequestError).message).toMatch(/secondary rate limit/);
    // The window (a second here, a minute in GitHub's time) frees the first write's points within it.
    const retryAfter = Number((refused as RequestError).response?.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(github.refusals).toBe(1);

    // Once the window has slid past the writes, reads fit again.
    await new Promise((resolve) => setTimeout(resolve, (retryAfter * 1000) / 60 + 50));
    await expect(readKey()).resolves.toMatchObject({ status: 200 });
    expect(github.refusals).toBe(1);
  });

  it('429 when asked, as GitHub answers some secondary limits', async () => {
    github.enforcePoints({ points: 1, timeScale: 60, status: 429 });
    await readKey();
    await expect(readKey()).rejects.toMatchObject({ status: 429 });
  });
});
