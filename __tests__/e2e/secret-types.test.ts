/**
 * `secret-type`: Dependabot and Codespaces secrets of repositories and organisations, each opened with
 * its app's own key and compared with what ECR issued; the refusals; and the Dependabot and Codespaces
 * steps of `docs/dependabot-codespaces.md` run as written.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { readPage, yamlBlocks } from '../docs/readme.ts';
import type { SecretApp } from '../fakes/github.ts';
import type { Fakes } from '../fakes/index.ts';
import { githubCalls, REPO, run, setUp, TOKEN } from './helpers.ts';

let fakes: Fakes & { roleArn: string };
beforeEach(async () => (fakes = await setUp()));
afterEach(async () => fakes.stop());

const oidc = () => ({ 'role-to-assume': fakes.roleArn });
const HOUR = 3_600_000;
const OTHER_APPS: Record<'dependabot' | 'codespaces', SecretApp[]> = {
  dependabot: ['actions', 'codespaces'],
  codespaces: ['actions', 'dependabot'],
};
const written = (outputs: Record<string, string>) => JSON.parse(outputs['secrets-written'] ?? 'null') as unknown;
const putBody = () => JSON.parse(fakes.github.writes()[0]?.body ?? '{}') as Record<string, unknown>;

describe('secret-type: Dependabot and Codespaces secrets, each opened with its own key and compared with what ECR issued', () => {
  it.each([
    ['dependabot', 'Dependabot', 'Dependabot update jobs that start from now on'],
    [
      'codespaces',
      'Codespaces',
      'codespaces created or restarted from now on (a running codespace must be stopped and started)',
    ],
  ] as ['dependabot' | 'codespaces', string, string][])(
    'repository secret, %s: its own routes and key, and no Actions secret',
    async (app, title, readBy) => {
      const result = await run(fakes, { ...oidc(), 'secret-type': app });
      const issued = fakes.aws.lastLogin!;

      expect(result.exitCode).toBe(0);
      // The fake opens the sealed value with this app's private key: sealed to another key, nothing would be stored.
      expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD', app)?.plaintext).toBe(issued.password);
      for (const other of OTHER_APPS[app])
        expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD', other)).toBeUndefined();
      expect(githubCalls(fakes)).toEqual([
        `GET /repos/octo/app/${app}/secrets/public-key`,
        `PUT /repos/octo/app/${app}/secrets/ECR_PASSWORD`,
      ]);
      expect(written(result.outputs)).toEqual([
        { target: `${REPO} (${title})`, secret: 'ECR_PASSWORD', status: 'created' },
      ]);
      expect(result.summary).toContain(`| ${REPO} (${title}) | \`ECR_PASSWORD\` | created | read by ${readBy} |`);
    },
  );

  it('Codespaces registry secrets: the username where missing, the password always, read from the Codespaces list', async () => {
    // "Allowing your codespace to access a private registry": *_CONTAINER_REGISTRY_USER is AWS, *_PASSWORD the token.
    fakes.github.seed(fakes.github.repositoryStore(REPO, 'actions')!, 'ECR_CONTAINER_REGISTRY_USER', 'AWS', new Date());
    const inputs = {
      ...oidc(),
      'secret-type': 'Codespaces',
      'secret-name': 'ECR_CONTAINER_REGISTRY_PASSWORD',
      'username-secret-name': 'ECR_CONTAINER_REGISTRY_USER',
    };
    const first = await run(fakes, inputs);

    expect(first.exitCode).toBe(0);
    // The Actions secret of that name does not count: the Codespaces list is the one read.
    expect(fakes.github.repositorySecret(REPO, 'ECR_CONTAINER_REGISTRY_USER', 'codespaces')?.plaintext).toBe('AWS');
    expect(fakes.github.repositorySecret(REPO, 'ECR_CONTAINER_REGISTRY_PASSWORD', 'codespaces')?.plaintext).toBe(
      fakes.aws.lastLogin?.password,
    );
    expect(githubCalls(fakes)).toContain('GET /repos/octo/app/codespaces/secrets');

    const second = await run(fakes, inputs);
    expect(second.exitCode).toBe(0);
    expect(JSON.parse(second.outputs['secrets-skipped'] ?? '[]')).toEqual([
      expect.objectContaining({ target: `${REPO} (Codespaces)`, secret: 'ECR_CONTAINER_REGISTRY_USER' }),
    ]);
    expect(fakes.github.repositorySecret(REPO, 'ECR_CONTAINER_REGISTRY_PASSWORD', 'codespaces')?.plaintext).toBe(
      fakes.aws.lastLogin?.password,
    );
  });

  it.each(['dependabot', 'codespaces'] as const)(
    'organisation secret, %s, visible to selected repositories: its own routes, key and visibility',
    async (app) => {
      fakes.github.addOrganization('octo');
      const api = fakes.github.addRepository('octo/api');
      const web = fakes.github.addRepository('octo/web');
      const result = await run(fakes, {
        ...oidc(),
        'secret-type': app,
        organization: 'octo',
        visibility: 'selected',
        'selected-repositories': 'api\nweb',
      });

      expect(result.exitCode).toBe(0);
      const stored = fakes.github.organizationSecret('octo', 'ECR_PASSWORD', app);
      expect(stored?.plaintext).toBe(fakes.aws.lastLogin?.password);
      expect([stored?.visibility, stored?.selectedRepositoryIds]).toEqual(['selected', [api.id, web.id]]);
      for (const other of OTHER_APPS[app])
        expect(fakes.github.organizationSecret('octo', 'ECR_PASSWORD', other)).toBeUndefined();
      expect(putBody()).toMatchObject({ visibility: 'selected', selected_repository_ids: [api.id, web.id] });
      expect(githubCalls(fakes).sort()).toEqual(
        [
          `GET /orgs/octo/${app}/secrets/ECR_PASSWORD`,
          `GET /orgs/octo/${app}/secrets/public-key`,
          'POST /graphql',
          `PUT /orgs/octo/${app}/secrets/ECR_PASSWORD`,
        ].sort(),
      );
      expect(result.summary).toContain('in the selected repositories');
    },
  );

  it("without visibility, an organisation's Dependabot secret keeps its own selected repositories, not the Actions secret's", async () => {
    fakes.github.addOrganization('octo');
    const api = fakes.github.addRepository('octo/api');
    const old = new Date(Date.now() - 8 * HOUR);
    fakes.github.seed(fakes.github.organizationStore('octo', 'actions')!, 'ECR_PASSWORD', 'actions', old, {
      visibility: 'all',
    });
    fakes.github.seed(fakes.github.organizationStore('octo', 'dependabot')!, 'ECR_PASSWORD', 'dependabot', old, {
      visibility: 'selected',
      selectedRepositoryIds: [api.id],
    });
    const result = await run(fakes, { ...oidc(), 'secret-type': 'dependabot', organization: 'octo' });

    expect(result.exitCode).toBe(0);
    const stored = fakes.github.organizationSecret('octo', 'ECR_PASSWORD', 'dependabot');
    expect([stored?.plaintext, stored?.visibility, stored?.selectedRepositoryIds]).toEqual([
      fakes.aws.lastLogin?.password,
      'selected',
      [api.id],
    ]);
    expect(githubCalls(fakes)).toContain('GET /orgs/octo/dependabot/secrets/ECR_PASSWORD/repositories');
    expect(fakes.github.organizationSecret('octo', 'ECR_PASSWORD', 'actions')?.plaintext).toBe('actions');
    expect(result.stdout).not.toContain('::warning::');
  });

  it('max-age reads the Dependabot list: a fresh Dependabot secret is skipped, whatever Actions holds, and AWS is not asked', async () => {
    fakes.github.seed(
      fakes.github.repositoryStore(REPO, 'dependabot')!,
      'ECR_PASSWORD',
      'fresh',
      new Date(Date.now() - HOUR),
    );
    const result = await run(fakes, { ...oidc(), 'secret-type': 'dependabot', 'max-age': '5h' });

    expect(result.exitCode).toBe(0);
    expect(githubCalls(fakes)).toEqual(['GET /repos/octo/app/dependabot/secrets']);
    expect(fakes.aws.logins).toHaveLength(0);
    expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD', 'actions')).toBeUndefined();
  });

  it('Codespaces on GitHub Enterprise Server, which has no Codespaces secrets: the 404 says so, and nothing is written', async () => {
    fakes.github.enterpriseServer = true;
    const result = await run(fakes, {
      ...oidc(),
      'secret-type': 'codespaces',
      'github-api-url': `${fakes.github.server.url}/api/v3`,
    });

    expect(result.exitCode).toBe(1);
    expect(result.errors.join('\n')).toContain(
      'Codespaces secrets exist on github.com and GHE.com only, not on GitHub Enterprise Server',
    );
    expect(fakes.github.writes()).toEqual([]);
  });
});

describe('secret-type refusals', () => {
  it('environment with secret-type dependabot: names both inputs and the fix, exit 1, no request anywhere', async () => {
    const result = await run(fakes, { ...oidc(), 'secret-type': 'dependabot', environment: 'ecr' });

    expect(result.exitCode).toBe(1);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(
      /^Input 'environment': environments hold GitHub Actions secrets only, and secret-type is dependabot\. Remove environment/,
    );
    expect(result.errors[0]).toContain('remove secret-type');
    expect(fakes.allRequests()).toEqual([]);
  });

  it('an unknown secret-type: named with the choices, exit 1, no request anywhere', async () => {
    const result = await run(fakes, { ...oidc(), 'secret-type': 'npm' });

    expect(result.exitCode).toBe(1);
    expect(result.errors).toEqual([
      `Input 'secret-type': "npm" is not one of actions, dependabot, codespaces. Use actions (the default), dependabot or codespaces.`,
    ]);
    expect(fakes.allRequests()).toEqual([]);
  });

  it.each([
    [
      'repository',
      {},
      "the repository permission 'Dependabot secrets: Read and write'",
      "'repo' scope",
      `${REPO} (Dependabot)`,
    ],
    [
      'organisation',
      { organization: 'octo' },
      "the organization permission 'Organization dependabot secrets: Read and write'",
      "'admin:org' scope",
      'organization octo (Dependabot)',
    ],
  ])(
    'a token without the Dependabot permission (403, %s): names it, nothing stored, no password minted',
    async (_, inputs, permission, scope, target) => {
      fakes.github.addOrganization('octo');
      const token = fakes.github.addToken('ghs_actions_secrets_only', 'write', ['actions']);
      const result = await run(fakes, { ...oidc(), 'github-token': token, 'secret-type': 'dependabot', ...inputs });

      expect(result.exitCode).toBe(1);
      expect(result.errors).toHaveLength(1);
      expect(result.errors[0]).toContain(`may not read the secrets public key of ${target}`);
      expect(result.errors[0]).toContain(permission);
      expect(result.errors[0]).toContain(scope);
      expect(fakes.github.writes()).toHaveLength(0);
      expect(fakes.aws.logins).toHaveLength(0);
      // The same token writes Actions secrets: the refusal is the Dependabot permission's, not the token's.
      const actions = await run(fakes, { ...oidc(), 'github-token': token, ...inputs });
      expect(actions.exitCode).toBe(0);
    },
  );
});

describe("docs/dependabot-codespaces.md: each step run as written, and Dependabot's registry entry reads what it wrote", () => {
  interface Step {
    uses?: string;
    with?: Record<string, string>;
  }
  const blocks = yamlBlocks(readPage('docs/dependabot-codespaces.md')).map((text) => parse(text) as unknown);
  const isStep = (step: unknown): step is Step =>
    typeof step === 'object' && step !== null && (step as Step).uses === '<owner>/ecr-secret-refresh@v1';
  /** The action's steps of a block: a workflow's, or a bare list of steps. */
  const stepsOf = (block: unknown): Step[] => {
    if (Array.isArray(block)) return block.filter(isStep);
    const jobs = (block as { jobs?: Record<string, { steps: unknown[] }> }).jobs ?? {};
    return Object.values(jobs).flatMap((job) => job.steps.filter(isStep));
  };
  /** The step's inputs as the runner passes them, the fakes' writer token for the page's secret. */
  const inputsOf = (step: Step) =>
    Object.fromEntries(
      Object.entries(step.with ?? {}).map(([name, value]) => [
        name,
        String(value).replace('${{ secrets.SECRETS_WRITER_TOKEN }}', TOKEN),
      ]),
    );
  const dependabotYml = blocks.find(
    (block) => typeof block === 'object' && block !== null && 'registries' in block,
  ) as {
    registries: Record<string, { type: string; url: string; username: string; password: string }>;
    updates: { 'package-ecosystem': string; registries: string[] }[];
  };

  it('finds a Dependabot workflow, its dependabot.yml and a Codespaces step', () => {
    expect(blocks.flatMap(stepsOf).map((step) => step.with?.['secret-type'])).toEqual(['dependabot', 'codespaces']);
    expect(dependabotYml).toBeDefined();
  });

  it('Dependabot: the secret its registry entry names holds what ECR issued, for the host the action reports', async () => {
    const [step] = blocks.flatMap(stepsOf).filter((candidate) => candidate.with?.['secret-type'] === 'dependabot');
    const inputs = inputsOf(step!);
    // The page's role and region are the fakes' own.
    expect([inputs['role-to-assume'], inputs['aws-region']]).toEqual([fakes.roleArn, 'eu-west-1']);
    const result = await run(fakes, inputs);
    const issued = fakes.aws.lastLogin!;

    expect(result.exitCode).toBe(0);
    const [name, registry] = Object.entries(dependabotYml.registries)[0]!;
    expect(registry.type).toBe('docker-registry');
    expect(registry.url).toBe(`https://${result.outputs['registry']}`);
    expect(registry.username).toBe(result.outputs['username']);
    const secret = /^\$\{\{secrets\.(\w+)\}\}$/.exec(registry.password)?.[1];
    expect(fakes.github.repositorySecret(REPO, secret ?? '', 'dependabot')?.plaintext).toBe(issued.password);
    expect(dependabotYml.updates.find((update) => update['package-ecosystem'] === 'docker')?.registries).toContain(
      name,
    );
  });

  it('Codespaces: the _USER and _PASSWORD secrets of the registry login', async () => {
    const [step] = blocks.flatMap(stepsOf).filter((candidate) => candidate.with?.['secret-type'] === 'codespaces');
    const inputs = inputsOf(step!);
    const result = await run(fakes, inputs);

    expect(result.exitCode).toBe(0);
    const prefix = /^(\w+)_CONTAINER_REGISTRY_PASSWORD$/.exec(inputs['secret-name'] ?? '')?.[1];
    expect(inputs['username-secret-name']).toBe(`${prefix}_CONTAINER_REGISTRY_USER`);
    expect(fakes.github.repositorySecret(REPO, `${prefix}_CONTAINER_REGISTRY_USER`, 'codespaces')?.plaintext).toBe(
      'AWS',
    );
    expect(fakes.github.repositorySecret(REPO, `${prefix}_CONTAINER_REGISTRY_PASSWORD`, 'codespaces')?.plaintext).toBe(
      fakes.aws.lastLogin?.password,
    );
  });
});
