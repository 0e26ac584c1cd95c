import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Octokit } from '@octokit/rest';
import { graphqlViolations } from '../contract/graphql.ts';
import { FakeGitHub } from '../fakes/github.ts';
import { OWNER_REPOSITORIES_QUERY } from '../../src/github/targets/patterns.ts';

/**
 * The fake GitHub's repositories as issues 16.9 and 19 need them, driven by Octokit: disabled and
 * locked repositories, a token that sees only some repositories, and an organisation secret's
 * selected repositories set alone.
 */
const fake = new FakeGitHub();
const client = (token: string) => new Octokit({ auth: token, baseUrl: fake.server.url, request: { retries: 0 } });
let ids: Record<string, number> = {};
beforeAll(async () => {
  await fake.server.start();
  fake.addToken('ghs_all');
  fake.addToken('ghs_some', 'write', { repositories: ['octo/api'] });
  ids = {
    api: fake.addRepository('octo/api').id,
    web: fake.addRepository('octo/web').id,
    banned: fake.addRepository('octo/banned', [], { disabled: true }).id,
    moving: fake.addRepository('octo/moving', [], { locked: true }).id,
  };
  fake.addOrganization('octo');
});
afterAll(async () => fake.server.stop());

const list = async (token: string) => {
  const variables = { login: 'octo', cursor: null };
  expect(
    graphqlViolations({
      method: 'POST',
      url: '/graphql',
      body: JSON.stringify({ query: OWNER_REPOSITORIES_QUERY, variables }),
    }),
  ).toEqual([]);
  const data = await client(token).graphql<{
    repositoryOwner: {
      repositories: { nodes: { name: string; databaseId: number; isDisabled: boolean; isLocked: boolean }[] };
    };
  }>(OWNER_REPOSITORIES_QUERY, variables);
  return data.repositoryOwner.repositories.nodes;
};

describe('fake GitHub: disabled and locked repositories', () => {
  it('the listing says isDisabled and isLocked, with each databaseId', async () => {
    const nodes = await list('ghs_all');
    expect(nodes.map(({ name, databaseId, isDisabled, isLocked }) => [name, databaseId, isDisabled, isLocked])).toEqual(
      [
        ['api', ids['api'], false, false],
        ['banned', ids['banned'], true, false],
        ['moving', ids['moving'], false, true],
        ['web', ids['web'], false, false],
      ],
    );
  });

  it('their REST routes answer 403 "Repository access blocked"', async () => {
    for (const repo of ['banned', 'moving']) {
      await expect(client('ghs_all').rest.actions.getRepoPublicKey({ owner: 'octo', repo })).rejects.toMatchObject({
        status: 403,
        message: expect.stringContaining('Repository access blocked'),
      });
    }
  });
});

describe('fake GitHub: a token given only some repositories', () => {
  it('lists only those, and answers 404 for the others', async () => {
    expect((await list('ghs_some')).map(({ name }) => name)).toEqual(['api']);
    await expect(client('ghs_some').rest.repos.get({ owner: 'octo', repo: 'web' })).rejects.toMatchObject({
      status: 404,
    });
    expect((await client('ghs_some').rest.repos.get({ owner: 'octo', repo: 'api' })).data.id).toBe(ids['api']);
  });
});

describe("fake GitHub: an organisation secret's selected repositories set alone", () => {
  it('204 and stored for a selected secret, value untouched; 409 for another visibility; 404 for none', async () => {
    const store = fake.organizationStore('octo')!;
    fake.seed(store, 'SELECTED', 'kept', new Date(0), { visibility: 'selected', selectedRepositoryIds: [ids['api']!] });
    fake.seed(store, 'PRIVATE', 'kept', new Date(0), { visibility: 'private' });
    const github = client('ghs_all');
    const set = (secret_name: string) =>
      github.rest.actions.setSelectedReposForOrgSecret({
        org: 'octo',
        secret_name,
        selected_repository_ids: [ids['api']!, ids['web']!],
      });

    expect((await set('SELECTED')).status).toBe(204);
    expect(fake.organizationSecret('octo', 'SELECTED')).toMatchObject({
      plaintext: 'kept',
      selectedRepositoryIds: [ids['api'], ids['web']],
    });
    const listed = await github.rest.actions.listSelectedReposForOrgSecret({ org: 'octo', secret_name: 'SELECTED' });
    expect(listed.data.repositories.map(({ name }) => name)).toEqual(['api', 'web']);
    await expect(set('PRIVATE')).rejects.toMatchObject({ status: 409 });
    await expect(set('MISSING')).rejects.toMatchObject({ status: 404 });
  });
});
