import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Octokit } from '@octokit/rest';
import sodium from 'libsodium-wrappers';
import { contractViolations } from '../contract/openapi.ts';
import { FakeGitHub, IMPROPERLY_ENCRYPTED, SECRET_LIMIT } from '../fakes/github.ts';

/**
 * The fake GitHub's Dependabot and Codespaces secrets, driven by Octokit's own endpoint methods:
 * each app under its own routes and key, stored apart, and refused to a token without its permission.
 */
const fake = new FakeGitHub();
let apiId = 0;
const client = (token: string) => new Octokit({ auth: token, baseUrl: fake.server.url, request: { retries: 0 } });
beforeAll(async () => {
  await sodium.ready;
  await fake.server.start();
  fake.addToken('ghs_all');
  fake.addToken('ghs_actions_only', 'write', ['actions']);
  fake.addRepository('octo/app');
  apiId = fake.addRepository('octo/api').id;
  fake.addOrganization('octo');
});
afterAll(async () => fake.server.stop());

const seal = (value: string, key: string) =>
  sodium.to_base64(
    sodium.crypto_box_seal(sodium.from_string(value), sodium.from_base64(key, sodium.base64_variants.ORIGINAL)),
    sodium.base64_variants.ORIGINAL,
  );

describe('fake GitHub: one store and key pair per app', () => {
  it('repository: each app has its own public key, and a value sealed to it is stored under that app only', async () => {
    const github = client('ghs_all');
    const repo = { owner: 'octo', repo: 'app' };
    const [actions, dependabot, codespaces] = await Promise.all([
      github.rest.actions.getRepoPublicKey(repo),
      github.rest.dependabot.getRepoPublicKey(repo),
      github.rest.codespaces.getRepoPublicKey(repo),
    ]);
    expect(new Set([actions.data.key, dependabot.data.key, codespaces.data.key]).size).toBe(3);

    const written = await github.rest.dependabot.createOrUpdateRepoSecret({
      ...repo,
      secret_name: 'ECR_PASSWORD',
      encrypted_value: seal('for dependabot', dependabot.data.key),
      key_id: dependabot.data.key_id,
    });
    expect(written.status).toBe(201);
    expect(fake.repositorySecret('octo/app', 'ECR_PASSWORD', 'dependabot')?.plaintext).toBe('for dependabot');
    expect(fake.repositorySecret('octo/app', 'ECR_PASSWORD')).toBeUndefined();
    expect(fake.repositorySecret('octo/app', 'ECR_PASSWORD', 'codespaces')).toBeUndefined();
    const { data } = await github.rest.dependabot.listRepoSecrets(repo);
    expect(data.secrets.map(({ name }) => name)).toEqual(['ECR_PASSWORD']);
    expect((await github.rest.codespaces.listRepoSecrets(repo)).data.total_count).toBe(0);

    // Sealed to another app's key, the value cannot be opened: 422, as for any key mismatch.
    await expect(
      github.rest.codespaces.createOrUpdateRepoSecret({
        ...repo,
        secret_name: 'ECR_PASSWORD',
        encrypted_value: seal('wrong key', dependabot.data.key),
        key_id: dependabot.data.key_id,
      }),
    ).rejects.toMatchObject({ status: 422 });
  });

  it("organisation: Dependabot's ids may be strings (its REST description allows them) and are stored as ids", async () => {
    const github = client('ghs_all');
    const { data: key } = await github.rest.dependabot.getOrgPublicKey({ org: 'octo' });
    const body = {
      org: 'octo',
      secret_name: 'ECR_PASSWORD',
      encrypted_value: seal('shared', key.key),
      key_id: key.key_id,
      visibility: 'selected' as const,
      selected_repository_ids: [String(apiId)],
    };
    await github.rest.dependabot.createOrUpdateOrgSecret(body);
    // The request as sent, checked against the description the end-to-end tests check every request against.
    expect(contractViolations(fake.server.requests.at(-1)!)).toEqual([]);
    const stored = fake.organizationSecret('octo', 'ECR_PASSWORD', 'dependabot');
    expect([stored?.plaintext, stored?.visibility, stored?.selectedRepositoryIds]).toEqual([
      'shared',
      'selected',
      [apiId],
    ]);
    const { data } = await github.rest.dependabot.getOrgSecret({ org: 'octo', secret_name: 'ECR_PASSWORD' });
    expect(data.visibility).toBe('selected');
    const repositories = await github.rest.dependabot.listSelectedReposForOrgSecret({
      org: 'octo',
      secret_name: 'ECR_PASSWORD',
    });
    expect(repositories.data.repositories.map(({ id }) => id)).toEqual([apiId]);
    await expect(
      github.rest.codespaces.getOrgSecret({ org: 'octo', secret_name: 'ECR_PASSWORD' }),
    ).rejects.toMatchObject({
      status: 404,
    });
  });

  it('a token without an app among its permissions gets 403 on that app, and its other routes still answer', async () => {
    const github = client('ghs_actions_only');
    await expect(github.rest.dependabot.getRepoPublicKey({ owner: 'octo', repo: 'app' })).rejects.toMatchObject({
      status: 403,
      response: { data: { message: 'Resource not accessible by integration' } },
    });
    await expect(github.rest.codespaces.getOrgPublicKey({ org: 'octo' })).rejects.toMatchObject({ status: 403 });
    expect((await github.rest.actions.getRepoPublicKey({ owner: 'octo', repo: 'app' })).status).toBe(200);
  });
});

describe("fake GitHub: a secret over GitHub's 48 KB", () => {
  it('is refused with 422 and stores nothing; one just within the limit is stored', async () => {
    const github = client('ghs_all');
    const repo = { owner: 'octo', repo: 'api' };
    const { data: key } = await github.rest.actions.getRepoPublicKey(repo);
    // Sealed: 48 bytes more than the value, then base64 (4 characters per 3 bytes).
    const within = 'x'.repeat((SECRET_LIMIT / 4) * 3 - 48);
    const over = `${within}x`;
    expect(seal(within, key.key)).toHaveLength(SECRET_LIMIT);

    const refused = github.rest.actions.createOrUpdateRepoSecret({
      ...repo,
      secret_name: 'TOO_LARGE',
      encrypted_value: seal(over, key.key),
      key_id: key.key_id,
    });
    await expect(refused).rejects.toMatchObject({
      status: 422,
      message: expect.stringContaining('Value is too large'),
    });
    expect(fake.repositorySecret('octo/api', 'TOO_LARGE')).toBeUndefined();

    const stored = await github.rest.actions.createOrUpdateRepoSecret({
      ...repo,
      secret_name: 'LARGE',
      encrypted_value: seal(within, key.key),
      key_id: key.key_id,
    });
    expect(stored.status).toBe(201);
    expect(fake.repositorySecret('octo/api', 'LARGE')?.plaintext).toBe(within);
  });
});

describe('fake GitHub: a value its private key cannot open', () => {
  it("is refused with GitHub's 422 'improperly encrypted secret', after a key rotation and for another key alike", async () => {
    const github = client('ghs_all');
    const repo = { owner: 'octo', repo: 'api' };
    const { data: before } = await github.rest.actions.getRepoPublicKey(repo);
    fake.repositoryStore('octo/api')!.rotateKey();

    // Sealed for the key read before the rotation, with its key_id: stale.
    const stale = github.rest.actions.createOrUpdateRepoSecret({
      ...repo,
      secret_name: 'ROTATED',
      encrypted_value: seal('value', before.key),
      key_id: before.key_id,
    });
    await expect(stale).rejects.toMatchObject({
      status: 422,
      response: { data: { message: IMPROPERLY_ENCRYPTED, status: '422' } },
    });
    // Sealed for another key, sent with the current key_id: GitHub cannot open it either.
    const { data: after } = await github.rest.actions.getRepoPublicKey(repo);
    expect(after.key_id).not.toBe(before.key_id);
    const other = github.rest.actions.createOrUpdateRepoSecret({
      ...repo,
      secret_name: 'ROTATED',
      encrypted_value: seal('value', before.key),
      key_id: after.key_id,
    });
    await expect(other).rejects.toMatchObject({ status: 422, response: { data: { message: IMPROPERLY_ENCRYPTED } } });
    expect(fake.repositorySecret('octo/api', 'ROTATED')).toBeUndefined();

    const stored = await github.rest.actions.createOrUpdateRepoSecret({
      ...repo,
      secret_name: 'ROTATED',
      encrypted_value: seal('value', after.key),
      key_id: after.key_id,
    });
    expect(stored.status).toBe(201);
    expect(fake.repositorySecret('octo/api', 'ROTATED')?.plaintext).toBe('value');
  });
});
