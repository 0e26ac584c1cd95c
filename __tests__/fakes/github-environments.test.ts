import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Octokit } from '@octokit/rest';
import { RequestError } from '@octokit/request-error';
import { FakeGitHub } from '../fakes/github.ts';

/**
 * The fake GitHub's environments, driven by the real Octokit client: a missing environment answers
 * 404 on its secrets routes, and "Create or update an environment" answers as GitHub does (cited in
 * __tests__/fakes/github.ts).
 */
let github: FakeGitHub;
beforeAll(async () => {
  github = new FakeGitHub();
  github.addToken('admin');
  github.addToken('no-admin', 'write', { administration: false });
  await github.server.start();
});
afterAll(async () => github.server.stop());

// Octokit logs every refused request as an error; the refusals here are expected.
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const client = (token: string) => new Octokit({ auth: token, baseUrl: github.server.url, log: quiet });
const status = async (call: Promise<unknown>) => {
  try {
    await call;
    return 'ok';
  } catch (error) {
    return error instanceof RequestError ? error.status : 'other';
  }
};

describe('fake GitHub environments', () => {
  it('a missing environment: 404 for its public key and list; created by an empty PUT (200, the environment); then served', async () => {
    github.addRepository('octo/one');
    const octokit = client('admin');
    const key = { owner: 'octo', repo: 'one', environment_name: 'Prod' };
    expect(await status(octokit.rest.actions.getEnvironmentPublicKey(key))).toBe(404);
    expect(await status(octokit.rest.actions.listEnvironmentSecrets(key))).toBe(404);

    const created = await octokit.rest.repos.createOrUpdateEnvironment(key);
    expect(created.status).toBe(200);
    expect(created.data).toEqual(
      expect.objectContaining({ name: 'Prod', protection_rules: [], deployment_branch_policy: null }),
    );
    expect(github.environments('octo/one')).toEqual(['prod']);
    // Environment names are case-insensitive: the key is served under any case.
    expect((await octokit.rest.actions.getEnvironmentPublicKey({ ...key, environment_name: 'prod' })).status).toBe(200);
  });

  it('without Administration: 403 "Resource not accessible by integration", and nothing created', async () => {
    github.addRepository('octo/two');
    const octokit = client('no-admin');
    const refused = await octokit.rest.repos
      .createOrUpdateEnvironment({ owner: 'octo', repo: 'two', environment_name: 'prod' })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RequestError);
    expect((refused as RequestError).status).toBe(403);
    expect((refused as RequestError).message).toContain('Resource not accessible by integration');
    expect(github.environments('octo/two')).toEqual([]);
  });

  it('a repository that does not exist: 404 for the PUT too', async () => {
    expect(
      await status(
        client('admin').rest.repos.createOrUpdateEnvironment({ owner: 'octo', repo: 'gone', environment_name: 'x' }),
      ),
    ).toBe(404);
  });
});
