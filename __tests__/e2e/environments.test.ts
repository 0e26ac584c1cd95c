/**
 * A repository without the environment: failed by name with the fix, or created by
 * `create-environment` when the token has Administration, refused and named when it has not, and
 * "would be created" in a dry run.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { Fakes } from '../fakes/index.ts';
import { count, githubCalls, REPO, run, setUp } from './helpers.ts';

let fakes: Fakes & { roleArn: string };
beforeEach(async () => (fakes = await setUp()));
afterEach(async () => fakes.stop());

const HOUR = 3_600_000;
const oidc = () => ({ 'role-to-assume': fakes.roleArn });
const list = (outputs: Record<string, string>, name: string) => JSON.parse(outputs[name] ?? 'null') as unknown;
const environmentPuts = () =>
  fakes.github.server.requests.filter((r) => r.method === 'PUT' && /\/environments\/[^/]+$/.test(r.url));

describe('environment secrets in repositories that lack the environment', () => {
  it('without create-environment: fails by name with the fix; the repository that has it is still written', async () => {
    fakes.github.addRepository('octo/api');
    const result = await run(fakes, { ...oidc(), repositories: `${REPO}, octo/api`, environment: 'ecr' });

    expect(result.exitCode).toBe(1);
    expect(fakes.github.environmentSecret(REPO, 'ecr', 'ECR_PASSWORD')?.plaintext).toBe(fakes.aws.lastLogin?.password);
    expect(fakes.github.environments('octo/api')).toEqual([]);
    expect(environmentPuts()).toEqual([]);
    expect(list(result.outputs, 'secrets-failed')).toEqual([
      expect.objectContaining({ target: 'octo/api environment ecr', secret: 'ECR_PASSWORD', status: 'failed' }),
    ]);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toContain(
      '- octo/api environment ecr ECR_PASSWORD: environment ecr in octo/api does not exist (GitHub answered 404 for it, and the repository is visible to github-token). Create it (Settings > Environments > New environment in octo/api), or set create-environment: true',
    );
    expect(result.errors[0]).toContain("'Administration: Read and write'");
  });

  it('create-environment: the missing one is created (empty PUT), the existing one left alone, both written', async () => {
    fakes.github.addRepository('octo/api');
    const result = await run(fakes, {
      ...oidc(),
      repositories: `${REPO}, octo/api`,
      environment: 'ecr',
      'create-environment': 'true',
    });

    expect(result.exitCode).toBe(0);
    const password = fakes.aws.lastLogin?.password;
    expect(fakes.github.environmentSecret('octo/api', 'ecr', 'ECR_PASSWORD')?.plaintext).toBe(password);
    expect(fakes.github.environmentSecret(REPO, 'ecr', 'ECR_PASSWORD')?.plaintext).toBe(password);
    // Only the missing environment is created, and with no body fields: nothing but its name is set.
    expect(environmentPuts().map((r) => [r.url, r.body])).toEqual([['/repos/octo/api/environments/ecr', '']]);
    const api = githubCalls(fakes).filter((call) => call.includes('octo/api'));
    expect(api).toEqual([
      'GET /repos/octo/api/environments/ecr/secrets/public-key',
      'GET /repos/octo/api',
      'PUT /repos/octo/api/environments/ecr',
      'GET /repos/octo/api/environments/ecr/secrets/public-key',
      'PUT /repos/octo/api/environments/ecr/secrets/ECR_PASSWORD',
    ]);
    expect(list(result.outputs, 'secrets-written')).toEqual([
      { target: `${REPO} environment ecr`, secret: 'ECR_PASSWORD', status: 'created' },
      { target: 'octo/api environment ecr', secret: 'ECR_PASSWORD', status: 'created' },
    ]);
    expect(result.summary).toContain('environment ecr in octo/api created by this run');
    expect(result.stdout).toContain(
      'octo/api environment ecr: ECR_PASSWORD created (environment ecr in octo/api created by this run)',
    );
  });

  it('create-environment with max-age: the list answers 404 first, the environment is created, then written', async () => {
    fakes.github.addRepository('octo/api');
    const result = await run(fakes, {
      ...oidc(),
      repositories: 'octo/api',
      environment: 'ecr',
      'create-environment': 'true',
      'max-age': '5h',
    });

    expect(result.exitCode).toBe(0);
    expect(fakes.github.environmentSecret('octo/api', 'ecr', 'ECR_PASSWORD')?.plaintext).toBe(
      fakes.aws.lastLogin?.password,
    );
    expect(githubCalls(fakes)).toEqual([
      'GET /repos/octo/api/environments/ecr/secrets',
      'GET /repos/octo/api',
      'PUT /repos/octo/api/environments/ecr',
      'GET /repos/octo/api/environments/ecr/secrets',
      'GET /repos/octo/api/environments/ecr/secrets/public-key',
      'PUT /repos/octo/api/environments/ecr/secrets/ECR_PASSWORD',
    ]);
  });

  it('create-environment without the Administration permission: refused, named, nothing written there', async () => {
    fakes.github.addRepository('octo/api');
    const token = fakes.github.addToken('github_pat_11NOADMIN', 'write', { administration: false });
    const result = await run(fakes, {
      ...oidc(),
      'github-token': token,
      repositories: `${REPO}, octo/api`,
      environment: 'ecr',
      'create-environment': 'true',
    });

    expect(result.exitCode).toBe(1);
    expect(fakes.github.environments('octo/api')).toEqual([]);
    expect(fakes.github.environmentSecret('octo/api', 'ecr', 'ECR_PASSWORD')).toBeUndefined();
    expect(fakes.github.writes().map((r) => `${r.method} ${r.url}`)).toEqual(
      expect.arrayContaining(['PUT /repos/octo/api/environments/ecr']),
    );
    expect(fakes.github.writes().filter((r) => r.url.startsWith('/repos/octo/api/environments/ecr/secrets'))).toEqual(
      [],
    );
    // The other repository's environment exists: written as usual.
    expect(fakes.github.environmentSecret(REPO, 'ecr', 'ECR_PASSWORD')?.plaintext).toBe(fakes.aws.lastLogin?.password);
    expect(result.errors[0]).toContain(
      'octo/api environment ecr ECR_PASSWORD: github-token may not create environment ecr in octo/api (GitHub answered 403 "Resource not accessible by integration"). It needs the repository permission \'Administration: Read and write\'',
    );
  });

  it('a repository that does not exist: the 404 stands as before, and no environment is created', async () => {
    const result = await run(fakes, {
      ...oidc(),
      repositories: 'octo/gone',
      environment: 'ecr',
      'create-environment': 'true',
    });

    expect(result.exitCode).toBe(1);
    expect(environmentPuts()).toEqual([]);
    expect(result.errors[0]).toContain(
      'Could not read the secrets public key of octo/gone environment ecr: not found, or not visible to github-token',
    );
    // Nothing was due anywhere, so no password was minted.
    expect(count(fakes, 'ecr')).toBe(0);
  });

  it('dry run with create-environment: the environment would be created, nothing is, AWS is not called', async () => {
    fakes.github.addRepository('octo/api');
    const result = await run(fakes, {
      ...oidc(),
      repositories: `${REPO}, octo/api`,
      environment: 'ecr',
      'create-environment': 'true',
      'max-age': '5h',
      'dry-run': 'true',
    });

    expect(result.exitCode).toBe(0);
    expect(fakes.github.writes()).toEqual([]);
    expect(fakes.github.environments('octo/api')).toEqual([]);
    expect(count(fakes, 'oidc') + count(fakes, 'sts') + count(fakes, 'ecr')).toBe(0);
    expect(list(result.outputs, 'secrets-planned')).toEqual([
      { target: `${REPO} environment ecr`, secret: 'ECR_PASSWORD', status: 'planned', settings: {} },
      { target: 'octo/api environment ecr', secret: 'ECR_PASSWORD', status: 'planned', settings: {} },
    ]);
    expect(result.summary).toContain(
      '| octo/api environment ecr | `ECR_PASSWORD` | would be written | environment ecr in octo/api would be created (create-environment);',
    );
    expect(result.summary).toContain(
      "Creating a missing environment (create-environment): the repository permission 'Administration: Read and write'",
    );
  });

  it('dry run without create-environment: the missing environment fails the plan by name', async () => {
    fakes.github.addRepository('octo/api');
    fakes.github.seed(
      fakes.github.repositories.get(REPO)!.environments.get('ecr')!,
      'ECR_PASSWORD',
      'fresh',
      new Date(Date.now() - HOUR),
    );
    const result = await run(fakes, {
      ...oidc(),
      repositories: `${REPO}, octo/api`,
      environment: 'ecr',
      'max-age': '5h',
      'dry-run': 'true',
    });

    expect(result.exitCode).toBe(1);
    expect(list(result.outputs, 'secrets-skipped')).toEqual([
      { target: `${REPO} environment ecr`, secret: 'ECR_PASSWORD', status: 'skipped' },
    ]);
    expect(result.errors[0]).toContain('environment ecr in octo/api does not exist');
    expect(fakes.github.writes()).toEqual([]);
  });

  it('create-environment without environment is refused, before any request', async () => {
    const result = await run(fakes, { ...oidc(), 'create-environment': 'true' });

    expect(result.exitCode).toBe(1);
    expect(result.errors).toEqual([
      "Input 'create-environment': it only applies to environment secrets, and environment is not set. Set environment to the environment to create when a repository lacks it, or remove create-environment.",
    ]);
    expect(fakes.allRequests()).toEqual([]);
  });
});
