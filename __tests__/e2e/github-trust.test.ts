/**
 * GitHub trusted only as far as it answers: GitHub asked first (a refusal costs no password), what counts
 * as written, GraphQL refusals not taken for missing repositories, a malformed public key, bounded
 * pagination, and 429 retried by one plugin only.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { Fakes } from '../fakes/index.ts';
import { SAML_MESSAGE, secondaryRateLimit } from '../fakes/github.ts';
import { FakeServer, json } from '../fakes/server.ts';
import { count, githubCalls, REPO, run, setUp } from './helpers.ts';

// Issue 8 ("Trust, round two"), the GitHub side: each test here fails on the code before it.

let fakes: Fakes & { roleArn: string };
beforeEach(async () => (fakes = await setUp()));
afterEach(async () => fakes.stop());

const oidc = () => ({ 'role-to-assume': fakes.roleArn });
const isPut = ({ method }: { method: string }) => method === 'PUT';
const isPublicKey = ({ method, url }: { method: string; url: string }) =>
  method === 'GET' && url.endsWith('/public-key');
const awsRequests = () => [count(fakes, 'oidc'), count(fakes, 'sts'), count(fakes, 'ecr')];
// Issue 9: without max-age the AWS credentials (OIDC token, STS) are asked for beside GitHub's reads;
// ECR, which mints the password, is asked only once a public key is in hand, so never here.
const expectNoPasswordMinted = () => expect(awsRequests()).toEqual([1, 1, 0]);

describe('GitHub is asked first: a refusal costs no password (item 7)', () => {
  it('a revoked token: every target named, and no ECR request', async () => {
    fakes.github.addRepository('octo/api');
    const result = await run(fakes, { ...oidc(), repositories: 'octo/app, octo/api', 'github-token': 'ghp_revoked' });

    expect(result.exitCode).toBe(1);
    expectNoPasswordMinted();
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toContain('2 of 2 secrets could not be written (0 written)');
    for (const target of ['octo/app', 'octo/api'])
      expect(result.errors[0]).toMatch(new RegExp(`- ${target} ECR_PASSWORD: github-token was refused`));
    expect(githubCalls(fakes).sort()).toEqual([
      'GET /repos/octo/api/actions/secrets/public-key',
      'GET /repos/octo/app/actions/secrets/public-key',
    ]);
  });

  it('a token that may not touch secrets (403): no password minted', async () => {
    fakes.github.addToken('ghs_workflow_token', 'read-only');
    const result = await run(fakes, { ...oidc(), 'github-token': 'ghs_workflow_token' });

    expect(result.exitCode).toBe(1);
    expect(result.errors[0]).toContain('GITHUB_TOKEN can never write secrets');
    expectNoPasswordMinted();
  });

  it('one missing repository among others: named, the others written with one ECR login', async () => {
    fakes.github.addRepository('octo/api');
    const result = await run(fakes, { ...oidc(), repositories: 'octo/app, octo/gone, octo/api' });

    expect(result.exitCode).toBe(1);
    expect(result.errors[0]).toContain(
      '- octo/gone ECR_PASSWORD: Could not read the secrets public key of octo/gone: not found',
    );
    expect(count(fakes, 'ecr')).toBe(1);
    for (const repository of ['octo/app', 'octo/api'])
      expect(fakes.github.repositorySecret(repository, 'ECR_PASSWORD')?.plaintext).toBe(fakes.aws.lastLogin?.password);
  });

  it('a missing environment: explained, and AWS never asked', async () => {
    const result = await run(fakes, { ...oidc(), environment: 'production' });

    expect(result.exitCode).toBe(1);
    expect(result.errors[0]).toContain('Settings > Environments');
    expectNoPasswordMinted();
  });
});

describe('what counts as written, and where the sealed value may go (item 5)', () => {
  let elsewhere: FakeServer;
  beforeEach(async () => (elsewhere = await new FakeServer(() => json(200, {})).start()));
  afterEach(async () => elsewhere.stop());

  it('a PUT answered 200 (GitHub answers 201 or 204) is a failure, not "updated"', async () => {
    fakes.github.server.inject({ match: isPut, reply: json(200, {}) });
    const result = await run(fakes, oidc());

    expect(result.exitCode).toBe(1);
    expect(result.errors[0]).toContain(
      'GitHub answered 200 to the write of secret ECR_PASSWORD to octo/app, not 201 (created) or 204 (updated)',
    );
    expect(result.outputs['secrets-written']).toBe('[]');
    expect(result.summary).toMatch(/\| octo\/app \| `ECR_PASSWORD` \| failed \|/);
  });

  it.each([307, 308])('a PUT redirected (%i) to another host: nothing sent there, failed, exit 1', async (status) => {
    fakes.github.server.inject({
      match: isPut,
      reply: { status, headers: { location: `${elsewhere.url}/repos/octo/app/actions/secrets/ECR_PASSWORD` } },
    });
    const result = await run(fakes, oidc());

    expect(result.exitCode).toBe(1);
    expect(elsewhere.requests).toEqual([]);
    expect(result.errors[0]).toContain(`GitHub answered ${status}`);
    expect(result.errors[0]).toContain(
      `redirected to ${elsewhere.url}, another origin than github-api-url: not followed, as it would carry github-token and the sealed value`,
    );
    expect(result.outputs['secrets-written']).toBe('[]');
    expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD')).toBeUndefined();
    // A redirect is not retried.
    expect(githubCalls(fakes).filter((call) => call.startsWith('PUT'))).toHaveLength(1);
  });

  it('a public-key read redirected to another host: the token is not sent there, and no password is minted', async () => {
    fakes.github.server.inject({
      match: isPublicKey,
      reply: { status: 302, headers: { location: `${elsewhere.url}/keys` } },
    });
    const result = await run(fakes, oidc());

    expect(result.exitCode).toBe(1);
    expect(elsewhere.requests).toEqual([]);
    expect(result.errors[0]).toContain('not followed, as it would carry github-token');
    expectNoPasswordMinted();
  });

  it('a list whose next page (Link header) is on another host: the token is not sent there, and the target fails', async () => {
    const isList = ({ method, url }: { method: string; url: string }) =>
      method === 'GET' && /\/actions\/secrets(\?|$)/.test(url);
    fakes.github.server.inject({
      match: isList,
      reply: json(200, { total_count: 200, secrets: [] }, { link: `<${elsewhere.url}/steal?page=2>; rel="next"` }),
    });
    const result = await run(fakes, { ...oidc(), 'max-age': '5h' });

    expect(result.exitCode).toBe(1);
    expect(elsewhere.requests).toEqual([]);
    expect(result.errors[0]).toContain(
      `- octo/app ECR_PASSWORD: GitHub's answer pointed to ${elsewhere.url}, another origin than github-api-url: not followed`,
    );
    expect(awsRequests()).toEqual([0, 0, 0]);
  });

  it("a renamed repository: GitHub's same-origin redirects (301 read, 307 write) are followed, with the token", async () => {
    fakes.github.renamed.set('octo/old-app', 'octo/app');
    const result = await run(fakes, { ...oidc(), repositories: 'octo/old-app' });

    expect(result.exitCode).toBe(0);
    expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD')?.plaintext).toBe(fakes.aws.lastLogin?.password);
    expect(fakes.github.server.requests.map(({ method, url, status }) => `${status} ${method} ${url}`)).toEqual([
      '301 GET /repos/octo/old-app/actions/secrets/public-key',
      '200 GET /repos/octo/app/actions/secrets/public-key',
      '307 PUT /repos/octo/old-app/actions/secrets/ECR_PASSWORD',
      '201 PUT /repos/octo/app/actions/secrets/ECR_PASSWORD',
    ]);
    expect(new Set(fakes.github.server.requests.map(({ headers }) => headers.authorization)).size).toBe(1);
  });
});

describe('GraphQL refusals are not "missing repositories" (item 10)', () => {
  it("an organisation enforcing SAML SSO: GitHub's message and how to authorise the token; no password minted", async () => {
    fakes.github.addOrganization('octo');
    fakes.github.addRepository('octo/api');
    fakes.github.samlEnforced.add('octo');
    const result = await run(fakes, {
      ...oidc(),
      organization: 'octo',
      visibility: 'selected',
      'selected-repositories': 'api',
    });

    expect(result.exitCode).toBe(1);
    expect(result.errors[0]).toContain(SAML_MESSAGE);
    expect(result.errors[0]).toContain('Configure SSO');
    expect(result.errors[0]).not.toContain('not found');
    expect(result.errors[0]).not.toContain('GITHUB_TOKEN');
    expectNoPasswordMinted();
    expect(fakes.github.writes()).toHaveLength(0);
  });
});

describe('a malformed public key (item 11)', () => {
  const malformed = (key: string, times: number) =>
    fakes.github.server.inject({ match: isPublicKey, times, reply: json(200, { key_id: '568250167242549743', key }) });

  it('once: asked for again, then the secret is written', async () => {
    malformed('not base64!', 1);
    const result = await run(fakes, oidc());

    expect(result.exitCode).toBe(0);
    expect(githubCalls(fakes).filter((call) => call.endsWith('public-key'))).toHaveLength(2);
    expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD')?.plaintext).toBe(fakes.aws.lastLogin?.password);
  });

  it.each([
    ['not base64!', 'it is not base64'],
    [Buffer.alloc(16).toString('base64'), 'it is 16 bytes, not 32'],
  ])('always (%s): the target named, asked twice, no password minted', async (key, problem) => {
    malformed(key, 5);
    const result = await run(fakes, oidc());

    expect(result.exitCode).toBe(1);
    expect(result.errors[0]).toContain(
      `GitHub's public key for octo/app is not a valid key (${problem}), twice in a row`,
    );
    expect(result.errors[0]).not.toContain('invalid input');
    expect(githubCalls(fakes).filter((call) => call.endsWith('public-key'))).toHaveLength(2);
    expectNoPasswordMinted();
  });
});

describe('pagination is bounded (item 15)', () => {
  it('a secret list that never ends and has no total_count: ten pages at most, and a sensible answer', async () => {
    fakes.github.endlessLists = true;
    fakes.github.seed(
      fakes.github.repositories.get('octo/app')!.store,
      'ECR_PASSWORD',
      'recent',
      new Date(Date.now() - 30 * 60_000),
    );
    const result = await run(fakes, { ...oidc(), 'max-age': '6h' });

    expect(result.exitCode).toBe(0);
    expect(githubCalls(fakes).filter((call) => call === 'GET /repos/octo/app/actions/secrets')).toHaveLength(10);
    expect(JSON.parse(result.outputs['secrets-skipped'] ?? '[]')).toEqual([
      { target: 'octo/app', secret: 'ECR_PASSWORD', status: 'skipped' },
    ]);
    // max-age with every secret fresh: AWS is not asked at all.
    expect(awsRequests()).toEqual([0, 0, 0]);
  });
});

describe('429 is retried by one plugin only', () => {
  it("a 429 that does not pass: the throttling plugin's three retries, exactly four PUTs", async () => {
    fakes.github.server.inject({
      match: isPut,
      times: 20,
      reply: secondaryRateLimit(429),
    });
    const result = await run(fakes, oidc());

    expect(result.exitCode).toBe(1);
    expect(fakes.github.server.requests.filter(isPut).map((r) => r.status)).toEqual([429, 429, 429, 429]);
    expect(result.errors[0]).toContain('secondary rate limit');
  }, 40_000);
});
