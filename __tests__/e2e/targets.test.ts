/**
 * The action's targets end to end, each stored secret opened with the fake's private key and compared
 * with what the fake ECR issued: repository, environment and organisation secrets, a fan-out over
 * several repositories, an organisation secret's visibility kept unless the inputs change it, and
 * `max-age` (a secret younger than it left alone).
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { Fakes } from '../fakes/index.ts';
import { count, githubCalls, masked, REPO, run, setUp } from './helpers.ts';

let fakes: Fakes & { roleArn: string };
beforeEach(async () => (fakes = await setUp()));
afterEach(async () => fakes.stop());

const oidc = () => ({ 'role-to-assume': fakes.roleArn });
const written = (outputs: Record<string, string>) => JSON.parse(outputs['secrets-written'] ?? 'null') as unknown;

describe('targets, each decrypted and compared with what ECR issued', () => {
  it('repository secret: outputs, job summary, and no password in any output', async () => {
    const result = await run(fakes, oidc());
    const issued = fakes.aws.lastLogin!;

    expect(result.exitCode).toBe(0);
    expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD')?.plaintext).toBe(issued.password);
    expect(result.outputs).toEqual({
      registry: issued.registry,
      'registry-hosts': JSON.stringify([issued.registry]),
      'expires-at': issued.expiresAt.toISOString(),
      username: 'AWS',
      'secrets-written': JSON.stringify([{ target: REPO, secret: 'ECR_PASSWORD', status: 'created' }]),
      'secrets-skipped': '[]',
      'secrets-failed': '[]',
    });
    expect(result.summary).toContain(
      `| ${REPO} | \`ECR_PASSWORD\` | created | read by workflow runs queued from now on |`,
    );
    expect(result.summary).toContain(`expires at ${issued.expiresAt.toISOString()}`);
    expect(result.summary).not.toContain(issued.password);
  });

  it('writing again updates the secret (204) with the new password', async () => {
    await run(fakes, oidc());
    const result = await run(fakes, oidc());

    expect(fakes.aws.logins).toHaveLength(2);
    expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD')?.plaintext).toBe(fakes.aws.lastLogin?.password);
    expect(written(result.outputs)).toEqual([{ target: REPO, secret: 'ECR_PASSWORD', status: 'updated' }]);
  });

  it('environment secret, for container jobs later in the same run', async () => {
    const result = await run(fakes, { ...oidc(), environment: 'ecr', 'secret-name': 'REGISTRY_PASSWORD' });

    expect(result.exitCode).toBe(0);
    expect(fakes.github.environmentSecret(REPO, 'ecr', 'REGISTRY_PASSWORD')?.plaintext).toBe(
      fakes.aws.lastLogin?.password,
    );
    expect(fakes.github.repositorySecret(REPO, 'REGISTRY_PASSWORD')).toBeUndefined();
    expect(githubCalls(fakes)).toEqual([
      'GET /repos/octo/app/environments/ecr/secrets/public-key',
      'PUT /repos/octo/app/environments/ecr/secrets/REGISTRY_PASSWORD',
    ]);
    expect(result.summary).toContain(
      'jobs with environment: ecr that start from now on, later jobs of this run included',
    );
  });

  it('an environment name with a slash is encoded in the path', async () => {
    fakes.github.addRepository('octo/web', ['deploy/prod']);
    const result = await run(fakes, { ...oidc(), repositories: 'octo/web', environment: 'deploy/prod' });

    expect(result.exitCode).toBe(0);
    expect(fakes.github.server.requests.at(-1)?.url).toBe(
      '/repos/octo/web/environments/deploy%2Fprod/secrets/ECR_PASSWORD',
    );
    expect(fakes.github.environmentSecret('octo/web', 'deploy/prod', 'ECR_PASSWORD')?.plaintext).toBe(
      fakes.aws.lastLogin?.password,
    );
  });

  it('organisation secret visible to selected repositories, resolved to their ids', async () => {
    fakes.github.addOrganization('octo');
    const api = fakes.github.addRepository('octo/api');
    const web = fakes.github.addRepository('octo/web');
    const result = await run(fakes, {
      ...oidc(),
      organization: 'octo',
      visibility: 'selected',
      'selected-repositories': 'api\nocto/web',
    });

    expect(result.exitCode).toBe(0);
    const stored = fakes.github.organizationSecret('octo', 'ECR_PASSWORD');
    expect(stored?.plaintext).toBe(fakes.aws.lastLogin?.password);
    expect(stored?.visibility).toBe('selected');
    expect(stored?.selectedRepositoryIds).toEqual([api.id, web.id]);
    // One GraphQL query resolves every selected repository; REST would take one request each. The
    // stored secret is read for its visibility: a write must never widen it unannounced.
    expect(githubCalls(fakes).sort()).toEqual(
      [
        'GET /orgs/octo/actions/secrets/ECR_PASSWORD',
        'GET /orgs/octo/actions/secrets/public-key',
        'POST /graphql',
        'PUT /orgs/octo/actions/secrets/ECR_PASSWORD',
      ].sort(),
    );
  });

  it('a selected repository that does not exist: named, and the secret is not written', async () => {
    fakes.github.addOrganization('octo');
    fakes.github.addRepository('octo/api');
    const result = await run(fakes, {
      ...oidc(),
      organization: 'octo',
      visibility: 'selected',
      'selected-repositories': 'api, gone',
    });

    expect(result.exitCode).toBe(1);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toContain('selected-repositories: octo/gone not found');
    expect(result.errors[0]).not.toContain('octo/api not found');
    expect(fakes.github.writes()).toHaveLength(0);
  });

  it('GitHub Enterprise Server: REST under /api/v3 and GraphQL at /api/graphql of github-api-url', async () => {
    fakes.github.addOrganization('octo');
    const api = fakes.github.addRepository('octo/api');
    const result = await run(fakes, {
      ...oidc(),
      'github-api-url': `${fakes.github.server.url}/api/v3`,
      organization: 'octo',
      visibility: 'selected',
      'selected-repositories': 'api',
    });

    expect(result.exitCode).toBe(0);
    expect(fakes.github.organizationSecret('octo', 'ECR_PASSWORD')?.selectedRepositoryIds).toEqual([api.id]);
    expect(githubCalls(fakes).sort()).toEqual(
      [
        'GET /api/v3/orgs/octo/actions/secrets/ECR_PASSWORD',
        'GET /api/v3/orgs/octo/actions/secrets/public-key',
        'POST /api/graphql',
        'PUT /api/v3/orgs/octo/actions/secrets/ECR_PASSWORD',
      ].sort(),
    );
  });

  it('a new organisation secret without visibility is created private', async () => {
    fakes.github.addOrganization('octo');
    const result = await run(fakes, { ...oidc(), organization: 'octo' });

    expect(result.exitCode).toBe(0);
    const body = JSON.parse(fakes.github.writes()[0]?.body ?? '{}') as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['encrypted_value', 'key_id', 'visibility']);
    expect(body['visibility']).toBe('private');
    expect(fakes.github.organizationSecret('octo', 'ECR_PASSWORD')?.plaintext).toBe(fakes.aws.lastLogin?.password);
  });

  it('username and docker-config secrets beside the password, under one public key', async () => {
    const result = await run(fakes, {
      ...oidc(),
      'username-secret-name': 'ECR_USERNAME',
      'docker-config-secret-name': 'DOCKER_AUTH_CONFIG',
    });
    const issued = fakes.aws.lastLogin!;

    expect(result.exitCode).toBe(0);
    expect(fakes.github.repositorySecret(REPO, 'ECR_USERNAME')?.plaintext).toBe('AWS');
    const dockerConfig = fakes.github.repositorySecret(REPO, 'DOCKER_AUTH_CONFIG')!.plaintext;
    expect(JSON.parse(dockerConfig)).toEqual({ auths: { [issued.registry]: { auth: issued.authorizationToken } } });
    expect(Buffer.from(issued.authorizationToken, 'base64').toString()).toBe(`AWS:${issued.password}`);
    expect(masked(result)).toContain(dockerConfig);
    expect(masked(result)).not.toContain('AWS');
    expect(githubCalls(fakes).filter((call) => call.endsWith('public-key'))).toHaveLength(1);
    // One list (is the username secret there? it never changes, so it is written only when missing), the key, three PUTs.
    expect(count(fakes, 'github')).toBe(5);
  });

  it('several repositories: one public key each, every value sealed to its own key', async () => {
    fakes.github.addRepository('octo/api');
    fakes.github.addRepository('other-org/worker');
    const result = await run(fakes, {
      ...oidc(),
      repositories: 'octo/app, octo/api\nother-org/worker',
      'username-secret-name': 'ECR_USERNAME',
    });
    const issued = fakes.aws.lastLogin!;

    expect(result.exitCode).toBe(0);
    for (const repository of ['octo/app', 'octo/api', 'other-org/worker']) {
      expect(fakes.github.repositorySecret(repository, 'ECR_PASSWORD')?.plaintext).toBe(issued.password);
      expect(fakes.github.repositorySecret(repository, 'ECR_USERNAME')?.plaintext).toBe('AWS');
      expect(
        githubCalls(fakes).filter((call) => call === `GET /repos/${repository}/actions/secrets/public-key`),
      ).toHaveLength(1);
    }
    expect(fakes.github.writes()).toHaveLength(6);
    expect(count(fakes, 'ecr')).toBe(1);
  });
});

const putBody = (fakes: Fakes, name: string) =>
  JSON.parse(fakes.github.writes().find((r) => r.url.endsWith(`/${name}`))?.body ?? '{}') as Record<string, unknown>;

describe('organisation visibility is kept unless the inputs change it (issue 8, items 1 and 2)', () => {
  it('without visibility, an existing secret keeps its selected repositories: a plain run never widens it', async () => {
    const org = fakes.github.addOrganization('octo');
    const api = fakes.github.addRepository('octo/api');
    fakes.github.seed(org, 'ECR_PASSWORD', 'old', new Date(Date.now() - 8 * 3_600_000), {
      visibility: 'selected',
      selectedRepositoryIds: [api.id],
    });
    const result = await run(fakes, { ...oidc(), organization: 'octo' });

    expect(result.exitCode).toBe(0);
    const stored = fakes.github.organizationSecret('octo', 'ECR_PASSWORD');
    expect(stored?.plaintext).toBe(fakes.aws.lastLogin?.password);
    expect([stored?.visibility, stored?.selectedRepositoryIds]).toEqual(['selected', [api.id]]);
    expect(putBody(fakes, 'ECR_PASSWORD')).toMatchObject({ visibility: 'selected', selected_repository_ids: [api.id] });
    expect(githubCalls(fakes)).toContain('GET /orgs/octo/actions/secrets/ECR_PASSWORD/repositories');
    expect(result.summary).toContain(
      '| organization octo | `ECR_PASSWORD` | updated | read by workflow runs queued from now on in the selected repositories |',
    );
    expect(result.stdout).not.toContain('::warning::');
  });

  it('without visibility, each secret keeps its own: one all, one private', async () => {
    const org = fakes.github.addOrganization('octo');
    fakes.github.seed(org, 'ECR_PASSWORD', 'old', new Date(), { visibility: 'all' });
    fakes.github.seed(org, 'ECR_USERNAME', 'AWS', new Date(), { visibility: 'private' });
    const result = await run(fakes, {
      ...oidc(),
      organization: 'octo',
      'username-secret-name': 'ECR_USERNAME',
      'docker-config-secret-name': 'DOCKER_AUTH_CONFIG',
    });

    expect(result.exitCode).toBe(0);
    expect(
      ['ECR_PASSWORD', 'ECR_USERNAME', 'DOCKER_AUTH_CONFIG'].map(
        (name) => fakes.github.organizationSecret('octo', name)?.visibility,
      ),
    ).toEqual(['all', 'private', 'private']);
    // A secret that is not selected needs no repository list.
    expect(githubCalls(fakes).filter((call) => call.endsWith('/repositories'))).toEqual([]);
  });

  it('an explicit visibility that widens an existing secret is written, and said in the log and the summary', async () => {
    const org = fakes.github.addOrganization('octo');
    const api = fakes.github.addRepository('octo/api');
    fakes.github.seed(org, 'ECR_PASSWORD', 'old', new Date(), {
      visibility: 'selected',
      selectedRepositoryIds: [api.id],
    });
    fakes.github.seed(org, 'ECR_USERNAME', 'AWS', new Date(), { visibility: 'all' });
    const result = await run(fakes, {
      ...oidc(),
      organization: 'octo',
      visibility: 'private',
      'username-secret-name': 'ECR_USERNAME',
    });

    expect(result.exitCode).toBe(0);
    expect(fakes.github.organizationSecret('octo', 'ECR_PASSWORD')?.visibility).toBe('private');
    const warning =
      'visibility: private widens secret ECR_PASSWORD of organization octo: the selected repositories could read it, now private and internal repositories can';
    expect(result.stdout).toContain(`::warning::${warning}.`);
    expect(result.summary).toContain(warning);
    // all -> private narrows: nothing to warn about.
    expect(fakes.github.organizationSecret('octo', 'ECR_USERNAME')?.visibility).toBe('private');
    expect(result.stdout).not.toContain('widens secret ECR_USERNAME');
  });

  it('repositories added to a selected secret are said in the log and the summary; removing some is not', async () => {
    const org = fakes.github.addOrganization('octo');
    const [api, web, cli] = ['octo/api', 'octo/web', 'octo/cli'].map((name) => fakes.github.addRepository(name));
    fakes.github.seed(org, 'ECR_PASSWORD', 'old', new Date(), {
      visibility: 'selected',
      selectedRepositoryIds: [api!.id, cli!.id],
    });
    fakes.github.seed(org, 'ECR_USERNAME', 'AWS', new Date(), {
      visibility: 'selected',
      selectedRepositoryIds: [api!.id, web!.id, cli!.id],
    });
    const result = await run(fakes, {
      ...oidc(),
      organization: 'octo',
      visibility: 'selected',
      'selected-repositories': 'api, web',
      'username-secret-name': 'ECR_USERNAME',
    });

    expect(result.exitCode).toBe(0);
    expect(fakes.github.organizationSecret('octo', 'ECR_PASSWORD')?.selectedRepositoryIds).toEqual([api!.id, web!.id]);
    const warning = `selected-repositories widens secret ECR_PASSWORD of organization octo: 1 more repository can read it (web)`;
    expect(result.stdout).toContain(`::warning::${warning}`);
    expect(result.summary).toContain(warning);
    // ECR_USERNAME loses octo/cli and gains nothing: narrower, nothing to warn about.
    expect(result.stdout).not.toContain('widens secret ECR_USERNAME');
  });

  it('a list of names that drops most of the stored repositories is set as given: only a pattern can shrink unseen', async () => {
    const org = fakes.github.addOrganization('octo');
    const [api, web, cli] = ['octo/api', 'octo/web', 'octo/cli'].map((name) => fakes.github.addRepository(name));
    fakes.github.seed(org, 'ECR_PASSWORD', 'old', new Date(0), {
      visibility: 'selected',
      selectedRepositoryIds: [api!.id, web!.id, cli!.id],
    });
    // Every name is looked up, and one the token cannot see fails the run: the shorter list is the user's edit.
    const result = await run(fakes, {
      ...oidc(),
      organization: 'octo',
      visibility: 'selected',
      'selected-repositories': 'api',
    });

    expect(result.exitCode).toBe(0);
    const stored = fakes.github.organizationSecret('octo', 'ECR_PASSWORD');
    expect([stored?.plaintext, stored?.selectedRepositoryIds]).toEqual([fakes.aws.lastLogin?.password, [api!.id]]);
    expect(result.summary).toContain('selected repositories since the stored list: 0 added, 2 removed (web, cli)');
  });

  it('max-age: a fresh secret whose visibility differs from the inputs is written all the same', async () => {
    const org = fakes.github.addOrganization('octo');
    const api = fakes.github.addRepository('octo/api');
    fakes.github.seed(org, 'ECR_PASSWORD', 'fresh', new Date(Date.now() - 30 * 60_000), { visibility: 'private' });
    const result = await run(fakes, {
      ...oidc(),
      organization: 'octo',
      visibility: 'selected',
      'selected-repositories': 'api',
      'max-age': '6h',
    });

    expect(result.exitCode).toBe(0);
    const stored = fakes.github.organizationSecret('octo', 'ECR_PASSWORD');
    expect([stored?.plaintext, stored?.visibility, stored?.selectedRepositoryIds]).toEqual([
      fakes.aws.lastLogin?.password,
      'selected',
      [api.id],
    ]);
  });

  it('max-age: a fresh selected secret shared with other repositories than the inputs name gets its list alone set', async () => {
    const org = fakes.github.addOrganization('octo');
    const api = fakes.github.addRepository('octo/api');
    const web = fakes.github.addRepository('octo/web');
    fakes.github.seed(org, 'ECR_PASSWORD', 'fresh', new Date(Date.now() - 30 * 60_000), {
      visibility: 'selected',
      selectedRepositoryIds: [api.id],
    });
    const result = await run(fakes, {
      ...oidc(),
      organization: 'octo',
      visibility: 'selected',
      'selected-repositories': 'api, web',
      'max-age': '6h',
    });

    expect(result.exitCode).toBe(0);
    expect(fakes.github.organizationSecret('octo', 'ECR_PASSWORD')?.selectedRepositoryIds).toEqual([api.id, web.id]);
    expect(fakes.github.organizationSecret('octo', 'ECR_PASSWORD')?.plaintext).toBe('fresh');
    expect(written(result.outputs)).toEqual([
      { target: 'organization octo', secret: 'ECR_PASSWORD', status: 'updated' },
    ]);
  });

  it('max-age: a fresh secret that matches the inputs is skipped, and AWS is not asked', async () => {
    const org = fakes.github.addOrganization('octo');
    const api = fakes.github.addRepository('octo/api');
    const web = fakes.github.addRepository('octo/web');
    fakes.github.seed(org, 'ECR_PASSWORD', 'fresh', new Date(Date.now() - 30 * 60_000), {
      visibility: 'selected',
      selectedRepositoryIds: [web.id, api.id],
    });
    const result = await run(fakes, {
      ...oidc(),
      organization: 'octo',
      visibility: 'selected',
      'selected-repositories': 'api, web',
      'max-age': '6h',
    });

    expect(result.exitCode).toBe(0);
    expect(fakes.github.organizationSecret('octo', 'ECR_PASSWORD')?.plaintext).toBe('fresh');
    expect(JSON.parse(result.outputs['secrets-skipped'] ?? '[]')).toEqual([
      { target: 'organization octo', secret: 'ECR_PASSWORD', status: 'skipped' },
    ]);
    expect([count(fakes, 'oidc'), count(fakes, 'sts'), count(fakes, 'ecr')]).toEqual([0, 0, 0]);
    expect(githubCalls(fakes)).not.toContain('GET /orgs/octo/actions/secrets/public-key');
  });
});

describe('max-age', () => {
  it('skips a fresh secret without fetching a key or writing, and rewrites a stale one', async () => {
    fakes.github.addRepository('octo/stale');
    const fresh = fakes.github.repositories.get('octo/app')!.store;
    const stale = fakes.github.repositories.get('octo/stale')!.store;
    fakes.github.seed(fresh, 'ECR_PASSWORD', 'fresh-password', new Date(Date.now() - 2 * 3_600_000));
    fakes.github.seed(stale, 'ECR_PASSWORD', 'stale-password', new Date(Date.now() - 7 * 3_600_000));

    const result = await run(fakes, { ...oidc(), repositories: 'octo/app,octo/stale', 'max-age': '6h' });

    expect(result.exitCode).toBe(0);
    expect(fakes.github.repositorySecret('octo/app', 'ECR_PASSWORD')?.plaintext).toBe('fresh-password');
    expect(fakes.github.repositorySecret('octo/stale', 'ECR_PASSWORD')?.plaintext).toBe(fakes.aws.lastLogin?.password);
    expect(githubCalls(fakes).sort()).toEqual(
      [
        'GET /repos/octo/app/actions/secrets',
        'GET /repos/octo/stale/actions/secrets',
        'GET /repos/octo/stale/actions/secrets/public-key',
        'PUT /repos/octo/stale/actions/secrets/ECR_PASSWORD',
      ].sort(),
    );
    expect(written(result.outputs)).toEqual([{ target: 'octo/stale', secret: 'ECR_PASSWORD', status: 'updated' }]);
    expect(JSON.parse(result.outputs['secrets-skipped'] ?? '[]')).toEqual([
      { target: 'octo/app', secret: 'ECR_PASSWORD', status: 'skipped' },
    ]);
    expect(result.summary).toContain('younger than max-age');
  });

  it('every secret still fresh: no AWS call at all, only one list request per target', async () => {
    fakes.github.addRepository('octo/api');
    for (const repository of ['octo/app', 'octo/api']) {
      fakes.github.seed(
        fakes.github.repositories.get(repository)!.store,
        'ECR_PASSWORD',
        'recent',
        new Date(Date.now() - 30 * 60_000),
      );
    }
    const result = await run(fakes, { ...oidc(), repositories: 'octo/app\nocto/api', 'max-age': '6h' });

    expect(result.exitCode).toBe(0);
    expect([count(fakes, 'oidc'), count(fakes, 'sts'), count(fakes, 'ecr')]).toEqual([0, 0, 0]);
    expect(githubCalls(fakes).sort()).toEqual([
      'GET /repos/octo/api/actions/secrets',
      'GET /repos/octo/app/actions/secrets',
    ]);
    expect(result.outputs['registry']).toBeUndefined();
    expect(result.outputs['secrets-written']).toBe('[]');
    expect(JSON.parse(result.outputs['secrets-skipped'] ?? '[]')).toHaveLength(2);
    expect(result.summary).toContain('No secret was older than max-age, so no password was fetched from ECR.');
    expect(fakes.github.repositorySecret('octo/app', 'ECR_PASSWORD')?.plaintext).toBe('recent');
  });

  it('max-age with a token that may not list: explained, and no password fetched', async () => {
    fakes.github.addToken('ghs_read_only', 'read-only');
    const result = await run(fakes, { ...oidc(), 'max-age': '6h', 'github-token': 'ghs_read_only' });

    expect(result.exitCode).toBe(1);
    expect(result.errors[0]).toContain('github-token may not list the secrets of octo/app');
    expect(count(fakes, 'ecr')).toBe(0);
  });

  it('lists once per owner, whatever the number of secrets, and writes only the ones due', async () => {
    const store = fakes.github.repositories.get('octo/app')!.store;
    fakes.github.seed(store, 'ECR_PASSWORD', 'old', new Date(Date.now() - 8 * 3_600_000));
    fakes.github.seed(store, 'ECR_USERNAME', 'AWS', new Date(Date.now() - 60_000));
    const result = await run(fakes, {
      ...oidc(),
      'max-age': '6h',
      'username-secret-name': 'ECR_USERNAME',
      'docker-config-secret-name': 'DOCKER_AUTH_CONFIG',
    });

    expect(result.exitCode).toBe(0);
    expect(githubCalls(fakes).filter((call) => call === 'GET /repos/octo/app/actions/secrets')).toHaveLength(1);
    expect(fakes.github.writes().map((r) => r.url)).toEqual([
      '/repos/octo/app/actions/secrets/ECR_PASSWORD',
      '/repos/octo/app/actions/secrets/DOCKER_AUTH_CONFIG',
    ]);
    expect(
      fakes.github.server.requests.find((r) => r.url.startsWith('/repos/octo/app/actions/secrets?'))?.url,
    ).toContain('per_page=100');
  });
});
