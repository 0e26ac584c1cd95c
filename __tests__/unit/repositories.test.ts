/**
 * Repository patterns (src/github/targets/patterns.ts): globs, archived repositories and topics,
 * exact targets before matches, the notes per pattern; and the owner listing driven against the fake
 * GitHub with the action's own client (pages of 100, unknown owners, refusals, SAML, endless lists).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { GITHUB_TOKEN_INPUT } from '../../src/config/index.ts';
import { createGitHubClient } from '../../src/github/client.ts';
import {
  globMatcher,
  listOwnerRepositories,
  matchPattern,
  selectedTargets,
  selectionNotes,
  type OwnerListing,
} from '../../src/github/targets/patterns.ts';
import type { RepositoryPattern } from '../../src/github/targets/spec.ts';
import { FakeGitHub } from '../fakes/github.ts';
import { json } from '../fakes/server.ts';

const pattern = (text: string): RepositoryPattern => {
  const [owner = '', name = ''] = text.split('/');
  return { text, owner, name };
};
const listing = (repositories: [name: string, archived?: boolean, topics?: string[]][]): OwnerListing => ({
  login: 'Acme',
  repositories: repositories.map(([name, archived = false, topics = []]) => ({ name, archived, topics })),
});

describe('globMatcher', () => {
  it('* any run of characters, ? exactly one, the whole name, without regard to case', () => {
    const svc = globMatcher('svc-*');
    expect(['svc-', 'svc-api', 'SVC-API', 'Svc-a.b'].every(svc)).toBe(true);
    expect(['my-svc-api', 'svc', 'sv-api'].some(svc)).toBe(false);
    const one = globMatcher('app-?');
    expect(one('app-1')).toBe(true);
    expect(one('app-12')).toBe(false);
    expect(one('app-')).toBe(false);
    expect(['anything', '.github', 'a'].every(globMatcher('*'))).toBe(true);
  });

  it('a dot is a dot, not any character', () => {
    const dotted = globMatcher('docs.*');
    expect(dotted('docs.site')).toBe(true);
    expect(dotted('docsXsite')).toBe(false);
  });
});

describe('matchPattern', () => {
  const acme = listing([
    ['svc-a', false, ['ecr', 'team-a']],
    ['svc-b', false, ['ecr']],
    ['svc-c', true, ['ecr', 'team-a']],
    ['svc-d'],
    ['web', false, ['ecr', 'team-a']],
  ]);

  it('skips archived repositories and keeps those carrying every topic, counting what it left out', () => {
    expect(matchPattern(pattern('acme/svc-*'), acme, ['ecr', 'team-a'])).toEqual({
      pattern: pattern('acme/svc-*'),
      owner: 'Acme',
      names: ['svc-a'],
      archived: ['svc-c'],
      disabled: [],
      locked: [],
      withoutTopics: 2,
    });
    expect(matchPattern(pattern('acme/svc-*'), acme, []).names).toEqual(['svc-a', 'svc-b', 'svc-d']);
  });
});

describe('selectedTargets', () => {
  it('exact targets first, then matches; a repository matched twice or also named exactly is written once', () => {
    const acme = listing([['svc-a'], ['svc-b']]);
    const first = matchPattern(pattern('acme/svc-*'), acme, []);
    const second = matchPattern(pattern('acme/svc-?'), acme, []);
    expect(selectedTargets([{ kind: 'repository', owner: 'acme', repo: 'SVC-B' }], [first, second], {})).toEqual([
      { kind: 'repository', owner: 'acme', repo: 'SVC-B' },
      { kind: 'repository', owner: 'Acme', repo: 'svc-a' },
    ]);
    expect(selectedTargets([], [first], { environment: 'prod' })).toEqual([
      { kind: 'environment', owner: 'Acme', repo: 'svc-a', environment: 'prod' },
      { kind: 'environment', owner: 'Acme', repo: 'svc-b', environment: 'prod' },
    ]);
    // The other inputs that shape a target reach the matched repositories too.
    expect(selectedTargets([], [first], { environment: 'prod', createIfMissing: true })[0]).toEqual({
      kind: 'environment',
      owner: 'Acme',
      repo: 'svc-a',
      environment: 'prod',
      createIfMissing: true,
    });
    expect(selectedTargets([], [first], { app: 'dependabot' })[0]).toEqual({
      kind: 'repository',
      owner: 'Acme',
      repo: 'svc-a',
      app: 'dependabot',
    });
  });
});

describe('selectionNotes', () => {
  it('one line per pattern, and each archived repository counted once however many patterns matched it', () => {
    const acme = listing([['svc-a'], ['svc-old', true], ['web', false, ['ecr']]]);
    const notes = selectionNotes(
      [
        matchPattern(pattern('acme/*'), acme, ['ecr']),
        matchPattern(pattern('acme/svc-*'), acme, ['ecr']),
        matchPattern(pattern('acme/web'), { ...acme, repositories: acme.repositories.slice(2) }, ['ecr']),
      ],
      ['ecr'],
    );
    expect(notes).toEqual([
      'Pattern acme/* matched 1 repository of Acme (1 archived skipped, 1 without the topic ecr).',
      'Pattern acme/svc-* matched 0 repositories of Acme (1 archived skipped, 1 without the topic ecr).',
      'Pattern acme/web matched 1 repository of Acme.',
      '1 archived repository skipped (Acme/svc-old): an archived repository is read-only, and no workflow runs in it.',
    ]);
  });
});

describe('listOwnerRepositories against the fake GitHub, with the action’s client', () => {
  const github = new FakeGitHub();
  const TOKEN = 'ghs_lister';
  beforeAll(async () => {
    await github.server.start();
    github.addToken(TOKEN, 'read-only');
    for (let i = 0; i < 250; i++) github.addRepository(`Acme/repo-${String(i).padStart(3, '0')}`);
    github.addRepository('Acme/old', [], { archived: true, topics: ['ECR'] });
    github.addRepository('octo/app');
    github.addRepository('sso/app');
    github.samlEnforced.add('sso');
    github.owners.add('empty-org');
  });
  afterAll(async () => github.server.stop());
  const log = { debug: () => undefined, info: () => undefined, warning: () => undefined };
  const client = (token = TOKEN) =>
    createGitHubClient({ token, tokenName: GITHUB_TOKEN_INPUT.name, apiUrl: github.server.url, log });
  const list = async (owner: string, token = TOKEN) =>
    listOwnerRepositories(await client(token), owner, GITHUB_TOKEN_INPUT);
  const graphqlSince = (seen: number) =>
    github.server.requests.slice(seen).filter((request) => request.url.endsWith('/graphql'));

  it('reads 251 repositories in three queries of 100, with the login as GitHub spells it, archived and topics', async () => {
    const seen = github.server.requests.length;
    const listed = await list('ACME');
    expect(listed.login).toBe('Acme');
    expect(listed.repositories).toHaveLength(251);
    expect(listed.repositories.find(({ name }) => name === 'old')).toEqual({
      name: 'old',
      id: expect.any(Number),
      archived: true,
      disabled: false,
      locked: false,
      topics: ['ecr'],
    });
    expect(listed.repositories.filter(({ name }) => name.startsWith('repo-'))).toHaveLength(250);
    expect(graphqlSince(seen)).toHaveLength(3);
    expect(github.server.requests.slice(seen)).toHaveLength(3);
  });

  it('an unknown owner, a refused token and SAML single sign-on each say what to do', async () => {
    await expect(list('ghost')).rejects.toThrow('no user or organisation ghost is visible to github-token');
    await expect(list('octo', 'ghp_revoked')).rejects.toThrow(
      'github-token was refused while trying to list the repositories of octo',
    );
    await expect(list('sso')).rejects.toThrow(
      /could not list the repositories of sso\. GitHub answered FORBIDDEN: "Resource protected by organization SAML enforcement.*authorise github-token for it/,
    );
  });

  it('an owner without repositories lists none; a listing whose pages never end is stopped, not followed forever', async () => {
    expect(await list('empty-org')).toEqual({ login: 'empty-org', repositories: [] });
    // A fault mode, as `endlessLists` is for REST: every page says there is a next one, at the same cursor.
    github.server.inject({
      match: ({ url }) => url.endsWith('/graphql'),
      times: 2,
      reply: json(200, {
        data: {
          repositoryOwner: {
            login: 'octo',
            repositories: { nodes: [], pageInfo: { hasNextPage: true, endCursor: 'Y3Vyc29yOjA=' } },
          },
        },
      }),
    });
    const seen = github.server.requests.length;
    await expect(list('octo')).rejects.toThrow("GitHub's listing of the repositories of octo did not end (page 2)");
    expect(graphqlSince(seen)).toHaveLength(2);
  });
});
