import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { GITHUB_TOKEN_INPUT } from '../../src/config/index.ts';
import type { SecretApp, TargetSpec } from '../../src/github/targets/spec.ts';
import { createGitHubClient, type GitHub } from '../../src/github/client.ts';
import { describeTarget, repositoryLookupProblem, writeRequestBody } from '../../src/github/targets/kinds.ts';
import { contractViolations } from '../contract/openapi.ts';
import { FakeGitHub } from '../fakes/github.ts';

const specs: TargetSpec[] = [
  { kind: 'repository', owner: 'octo', repo: 'app' },
  { kind: 'environment', owner: 'octo', repo: 'app', environment: 'ecr' },
  { kind: 'organization', org: 'octo', visibility: 'private', selectedRepositories: [] },
];

/** A route such as `GET /repos/{owner}/{repo}/...` with its parameters filled in. */
const fill = (route: string, params: Record<string, string>) => {
  const [method = '', template = ''] = route.split(' ');
  return {
    method,
    url: template.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(params[name] ?? 'X')),
    body: '',
  };
};

describe('target kinds', () => {
  it.each(specs)("$kind: every route is an operation of GitHub's REST description", (spec) => {
    const target = describeTarget(spec);
    expect(contractViolations(fill(target.routes.publicKey, target.params))).toEqual([]);
    expect(contractViolations(fill(target.routes.list, target.params))).toEqual([]);
  });

  it('labels name the target as the user wrote it', () => {
    expect(specs.map((spec) => describeTarget(spec).label)).toEqual([
      'octo/app',
      'octo/app environment ecr',
      'organization octo',
    ]);
  });

  it('each kind says which token permission writing needs', () => {
    expect(specs.map((spec) => describeTarget(spec).permission)).toEqual([
      expect.stringContaining("'Secrets: Read and write'"),
      expect.stringContaining("'Environments: Read and write'"),
      expect.stringContaining("'admin:org'"),
    ]);
  });
});

describe('the PUT body the writer sends, from settings read through the real client', () => {
  const fake = new FakeGitHub();
  let github: GitHub;
  let apiId = 0;
  beforeAll(async () => {
    await fake.server.start();
    fake.addToken('ghp_unit');
    fake.addRepository('octo/app', ['ecr']);
    apiId = fake.addRepository('octo/api').id;
    const org = fake.addOrganization('octo');
    fake.seed(org, 'SHARED', 'old', new Date(), { visibility: 'selected', selectedRepositoryIds: [apiId] });
    github = await createGitHubClient({
      token: 'ghp_unit',
      tokenName: GITHUB_TOKEN_INPUT.name,
      apiUrl: fake.server.url,
      log: { debug: () => undefined, info: () => undefined, warning: () => undefined },
    });
  });
  afterAll(async () => fake.server.stop());

  const sealed = { encryptedValue: Buffer.alloc(48).toString('base64'), keyId: '568250167242549743' };
  const bodyFor = async (spec: TargetSpec, name: string) => {
    const target = describeTarget(spec);
    const settings = (await target.settings(github, [name], GITHUB_TOKEN_INPUT)).get(name)!;
    const body = writeRequestBody(sealed, settings);
    return {
      body,
      violations: contractViolations({
        ...fill(target.routes.write, { ...target.params, secret_name: name }),
        body: JSON.stringify(body),
      }),
    };
  };

  it.each([
    ['repository', { kind: 'repository', owner: 'octo', repo: 'app' }, 'ECR_PASSWORD', {}],
    ['environment', { kind: 'environment', owner: 'octo', repo: 'app', environment: 'ecr' }, 'ECR_PASSWORD', {}],
    [
      'organisation, new, no visibility given',
      { kind: 'organization', org: 'octo', selectedRepositories: [] },
      'NEW',
      { visibility: 'private' },
    ],
    [
      'organisation, explicit all',
      { kind: 'organization', org: 'octo', visibility: 'all', selectedRepositories: [] },
      'NEW',
      { visibility: 'all' },
    ],
  ] as [string, TargetSpec, string, Record<string, unknown>][])(
    '%s: a valid body for its operation',
    async (_label, spec, name, extra) => {
      const { body, violations } = await bodyFor(spec, name);
      expect(violations).toEqual([]);
      expect(body).toEqual({ encrypted_value: sealed.encryptedValue, key_id: sealed.keyId, ...extra });
    },
  );

  it('organisation, existing selected secret, no visibility given: its own repositories are sent back', async () => {
    const { body, violations } = await bodyFor(
      { kind: 'organization', org: 'octo', selectedRepositories: [] },
      'SHARED',
    );
    expect(violations).toEqual([]);
    expect(body).toEqual({
      encrypted_value: sealed.encryptedValue,
      key_id: sealed.keyId,
      visibility: 'selected',
      selected_repository_ids: [apiId],
    });
  });

  it('organisation, explicit selected: the names resolved to ids', async () => {
    const { body, violations } = await bodyFor(
      { kind: 'organization', org: 'octo', visibility: 'selected', selectedRepositories: ['api'] },
      'NEW',
    );
    expect(violations).toEqual([]);
    expect(body['selected_repository_ids']).toEqual([apiId]);
  });
});

describe('repositoryLookupProblem', () => {
  const saml =
    'Resource protected by organization SAML enforcement. You must grant your Personal Access token access to this organization.';

  it('FORBIDDEN (SAML): GitHub\'s message and the fix, not "not found"', () => {
    const problem = repositoryLookupProblem(
      'octo',
      ['api', 'web'],
      { r0: null, r1: null },
      [
        { type: 'FORBIDDEN', path: ['r0'], message: saml },
        { type: 'FORBIDDEN', path: ['r1'], message: saml },
      ],
      'github-token',
    );
    expect(problem).toBe(
      `selected-repositories: could not look up the repositories of organization octo. GitHub answered FORBIDDEN for octo/api, octo/web: "${saml}". The organisation enforces SAML single sign-on: authorise github-token for it (classic token: Settings > Developer settings > Personal access tokens > Configure SSO > Authorize; a GitHub App token needs no authorisation).`,
    );
  });

  it('NOT_FOUND names only what is missing, and the token as its front door calls it', () => {
    const problem = repositoryLookupProblem(
      'octo',
      ['api', 'gone'],
      { r0: { databaseId: 1 }, r1: null },
      [{ type: 'NOT_FOUND', path: ['r1'], message: "Could not resolve to a Repository with the name 'octo/gone'." }],
      'GH_TOKEN',
    );
    expect(problem).toMatch(/^selected-repositories: octo\/gone not found, or not visible to GH_TOKEN\./);
    expect(problem).not.toContain('octo/api');
  });

  it('any other error type is reported as GitHub gave it', () => {
    const problem = repositoryLookupProblem(
      'octo',
      ['api'],
      { r0: null },
      [{ type: 'MAX_NODE_LIMIT_EXCEEDED', message: 'This query requests too many nodes.' }],
      'github-token',
    );
    expect(problem).toContain('GitHub answered MAX_NODE_LIMIT_EXCEEDED: "This query requests too many nodes."');
    expect(problem).not.toContain('not found');
  });

  it('every repository resolved: no problem', () => {
    expect(repositoryLookupProblem('octo', ['api'], { r0: { databaseId: 1 } }, [], 'github-token')).toBeUndefined();
  });
});

describe('secret apps: a dimension of every target kind but environments', () => {
  const apps = ['actions', 'dependabot', 'codespaces'] as const;
  const withApp = (app: SecretApp): TargetSpec[] => [
    { kind: 'repository', owner: 'octo', repo: 'app', app },
    { kind: 'organization', org: 'octo', visibility: 'selected', selectedRepositories: ['api'], app },
  ];

  it.each(apps)(
    "%s: every route, the write and its body included, is an operation of GitHub's REST description",
    (app) => {
      for (const spec of withApp(app)) {
        const { routes, params } = describeTarget(spec);
        const at = { ...params, secret_name: 'ECR_PASSWORD' };
        expect(contractViolations(fill(routes.publicKey, at))).toEqual([]);
        expect(contractViolations(fill(routes.list, at))).toEqual([]);
        const extra =
          spec.kind === 'organization' ? { visibility: 'selected', selected_repository_ids: [1296269] } : {};
        const body = writeRequestBody(
          { encryptedValue: Buffer.alloc(48).toString('base64'), keyId: '1' },
          { body: extra },
        );
        expect(contractViolations({ ...fill(routes.write, at), body: JSON.stringify(body) })).toEqual([]);
        expect([routes.publicKey, routes.list, routes.write].every((route) => route.includes(`/${app}/secrets`))).toBe(
          true,
        );
      }
    },
  );

  it('an app other than Actions shows in the label, its permission and when it is read', () => {
    const targets = apps.flatMap((app) => withApp(app).map(describeTarget));
    expect(targets.map(({ label }) => label)).toEqual([
      'octo/app',
      'organization octo',
      'octo/app (Dependabot)',
      'organization octo (Dependabot)',
      'octo/app (Codespaces)',
      'organization octo (Codespaces)',
    ]);
    expect(targets.map(({ permission }) => permission)).toEqual([
      expect.stringMatching(/^the repository permission 'Secrets: Read and write'.*'repo' scope/),
      expect.stringMatching(/^the organization permission 'Secrets: Read and write'.*'admin:org' scope/),
      expect.stringMatching(/^the repository permission 'Dependabot secrets: Read and write'.*'repo' scope/),
      expect.stringMatching(
        /^the organization permission 'Organization dependabot secrets: Read and write'.*'admin:org'/,
      ),
      expect.stringMatching(/^the repository permission 'Codespaces secrets: Read and write'.*'repo' scope/),
      expect.stringMatching(
        /^the organization permission 'Organization codespaces secrets: Read and write'.*'admin:org'/,
      ),
    ]);
    expect(targets.map(({ takesEffect }) => takesEffect)).toEqual([
      'workflow runs queued from now on',
      'workflow runs queued from now on in the selected repositories',
      'Dependabot update jobs that start from now on',
      'Dependabot update jobs that start from now on in the selected repositories',
      'codespaces created or restarted from now on (a running codespace must be stopped and started)',
      'codespaces created or restarted from now on in the selected repositories (a running codespace must be stopped and started)',
    ]);
  });

  it('an environment spec with another app is refused, never sent to a route GitHub does not have', () => {
    const spec = { kind: 'environment', owner: 'octo', repo: 'app', environment: 'ecr', app: 'dependabot' };
    expect(() => describeTarget(spec as unknown as TargetSpec)).toThrow(
      'environment targets hold no Dependabot secrets',
    );
  });
});
