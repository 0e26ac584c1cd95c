/**
 * GitHub's refusals and faults (401, 403, 404, a 502 retried, a key rotated between GET and PUT, the
 * 422s), each reported by name with what to do; partial failure written, named and exit 1.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { improperlyEncrypted } from '../fakes/github.ts';
import type { Fakes } from '../fakes/index.ts';
import { githubCalls, REPO, run, setUp, TOKEN } from './helpers.ts';

let fakes: Fakes & { roleArn: string };
beforeEach(async () => (fakes = await setUp()));
afterEach(async () => fakes.stop());

const oidc = () => ({ 'role-to-assume': fakes.roleArn });

describe('GitHub refusals and faults', () => {
  it('403 for a token that may not write secrets: names the permission and GITHUB_TOKEN, nothing stored', async () => {
    fakes.github.addToken('ghs_workflow_token', 'read-only');
    const result = await run(fakes, { ...oidc(), 'github-token': 'ghs_workflow_token' });

    expect(result.exitCode).toBe(1);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toContain('octo/app');
    expect(result.errors[0]).toContain("'Secrets: Read and write'");
    expect(result.errors[0]).toContain("'repo' scope");
    expect(result.errors[0]).toContain('GITHUB_TOKEN can never write secrets');
    expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD')).toBeUndefined();
    // A 403 cannot succeed on retry.
    expect(fakes.github.server.requests).toHaveLength(1);
    expect(result.outputs['secrets-written']).toBe('[]');
  });

  it('403 on an environment names the Environments permission', async () => {
    fakes.github.server.inject({
      match: ({ method }) => method === 'PUT',
      reply: {
        status: 403,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ message: 'Resource not accessible by personal access token' }),
      },
    });
    const result = await run(fakes, { ...oidc(), environment: 'ecr' });

    expect(result.exitCode).toBe(1);
    expect(result.errors[0]).toContain("'Environments: Read and write'");
    expect(result.errors[0]).toContain('octo/app environment ecr');
  });

  it('401 for a bad token says to replace it, and the token is masked', async () => {
    const result = await run(fakes, { ...oidc(), 'github-token': 'ghp_revoked' });

    expect(result.exitCode).toBe(1);
    expect(result.errors[0]).toMatch(/github-token was refused .* mistyped, expired or revoked/);
    expect(result.stdout).toContain('::add-mask::ghp_revoked');
    expect(fakes.github.server.requests).toHaveLength(1);
  });

  it('a missing environment: 404 explained, nothing stored', async () => {
    const result = await run(fakes, { ...oidc(), environment: 'production' });

    expect(result.exitCode).toBe(1);
    expect(result.errors[0]).toContain('octo/app environment production');
    expect(result.errors[0]).toContain('Settings > Environments');
    expect(fakes.github.writes()).toHaveLength(0);
  });

  it('partial failure: writes what it can, names each failure, exits 1', async () => {
    fakes.github.addRepository('octo/api');
    const result = await run(fakes, {
      ...oidc(),
      repositories: 'octo/app\nocto/gone\nocto/api',
      'username-secret-name': 'ECR_USERNAME',
    });

    expect(result.exitCode).toBe(1);
    expect(fakes.github.repositorySecret('octo/app', 'ECR_PASSWORD')?.plaintext).toBe(fakes.aws.lastLogin?.password);
    expect(fakes.github.repositorySecret('octo/api', 'ECR_PASSWORD')?.plaintext).toBe(fakes.aws.lastLogin?.password);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toContain('2 of 6 secrets could not be written (4 written)');
    expect(result.errors[0]).toContain('octo/gone ECR_PASSWORD');
    expect(result.errors[0]).toContain('octo/gone ECR_USERNAME');
    expect(JSON.parse(result.outputs['secrets-written'] ?? '[]')).toHaveLength(4);
    expect(result.summary).toMatch(/\| octo\/gone \| `ECR_PASSWORD` \| failed \|/);
  });

  it('a 502 then success: retried by the retry plugin, stored correctly', async () => {
    fakes.github.server.inject({
      match: ({ method }) => method === 'PUT',
      reply: { status: 502, body: 'Bad Gateway' },
    });
    const result = await run(fakes, oidc());

    expect(result.exitCode).toBe(0);
    expect(githubCalls(fakes).filter((call) => call.startsWith('PUT'))).toHaveLength(2);
    expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD')?.plaintext).toBe(fakes.aws.lastLogin?.password);
  });

  it('a public key rotated between the GET and the PUT: the 422 is recovered by fetching the key once more', async () => {
    const store = fakes.github.repositories.get('octo/app')!.store;
    let rotated = false;
    fakes.github.server.inject({
      // Rotates the key right after the first public-key answer has been computed.
      match: ({ method, url }) => {
        if (!rotated && method === 'GET' && url.endsWith('public-key')) {
          rotated = true;
          setImmediate(() => store.rotateKey());
        }
        return false;
      },
    });
    const result = await run(fakes, oidc());

    expect(result.exitCode).toBe(0);
    expect(githubCalls(fakes)).toEqual([
      'GET /repos/octo/app/actions/secrets/public-key',
      'PUT /repos/octo/app/actions/secrets/ECR_PASSWORD',
      'GET /repos/octo/app/actions/secrets/public-key',
      'PUT /repos/octo/app/actions/secrets/ECR_PASSWORD',
    ]);
    expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD')?.plaintext).toBe(fakes.aws.lastLogin?.password);
  });

  it('a 422 for size: neither the key read again nor the write repeated, and the refusal named', async () => {
    // GitHub's settings page says "Value is too large." of a secret over 48 KB (see SECRET_LIMIT in
    // fakes/github.ts); the API's wording is not documented, so this borrows the fake's own.
    fakes.github.server.inject({
      match: ({ method }) => method === 'PUT',
      reply: { status: 422, body: JSON.stringify({ message: 'Invalid request.\n\nValue is too large.' }) },
    });
    const result = await run(fakes, oidc());

    expect(result.exitCode).toBe(1);
    expect(githubCalls(fakes)).toEqual([
      'GET /repos/octo/app/actions/secrets/public-key',
      'PUT /repos/octo/app/actions/secrets/ECR_PASSWORD',
    ]);
    expect(result.errors[0]).toContain('octo/app ECR_PASSWORD');
    expect(result.errors[0]).toContain('Value is too large');
    expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD')).toBeUndefined();
  });

  it("a 422 'improperly encrypted secret' with the key unchanged: written once more, not more", async () => {
    // GitHub could not open the value though its key is the one read: the message alone asks for one more write.
    fakes.github.server.inject({
      match: ({ method }) => method === 'PUT',
      times: 2,
      reply: improperlyEncrypted(),
    });
    const result = await run(fakes, oidc());

    expect(result.exitCode).toBe(1);
    expect(githubCalls(fakes)).toEqual([
      'GET /repos/octo/app/actions/secrets/public-key',
      'PUT /repos/octo/app/actions/secrets/ECR_PASSWORD',
      'GET /repos/octo/app/actions/secrets/public-key',
      'PUT /repos/octo/app/actions/secrets/ECR_PASSWORD',
    ]);
    expect(result.errors[0]).toContain('improperly encrypted secret');
  });

  it('sends the token and a user agent to the github-api-url given', async () => {
    await run(fakes, oidc());
    const request = fakes.github.server.requests[0]!;
    expect(request.headers.authorization).toBe(`token ${TOKEN}`);
    expect(request.headers['user-agent']).toMatch(/^ecr-secret-refresh\/\d/);
  });
});
