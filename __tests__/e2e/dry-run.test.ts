/**
 * `dry-run: true`: zero writes and zero OIDC, STS, ECR and ECR Public requests; the AWS SDK and
 * libsodium chunks not loaded (with the control that a real run, traced alike, loads them); the
 * unchecked permissions of ECR Public and of `registries`; the plan in the log, the summary and
 * `secrets-planned`; `max-age` deciding; a refused read failing the step. The command's `--dry-run` is
 * in `cli-dry-run.test.ts`; that the dry run is the real run's pipeline, in `one-pipeline.test.ts`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { Fakes } from '../fakes/index.ts';
import { ACTION_ENTRY } from '../fakes/run-action.ts';
import { count, githubCalls, heavyChunks, loadedChunks, REPO, run, setUp } from './helpers.ts';

let fakes: Fakes & { roleArn: string };
beforeEach(async () => (fakes = await setUp()));
afterEach(async () => fakes.stop());

const HOUR = 3_600_000;
const oidc = () => ({ 'role-to-assume': fakes.roleArn });
const list = (outputs: Record<string, string>, name: string) => JSON.parse(outputs[name] ?? 'null') as unknown;
/** Requests to the runner's OIDC endpoint, STS, ECR and ECR Public together: a dry run makes none. */
const awsRequests = () => count(fakes, 'oidc') + count(fakes, 'sts') + count(fakes, 'ecr') + count(fakes, 'ecr-public');

describe('dry-run: true, the plan without a password, an AWS call or a write', () => {
  it('max-age decides: the fresh secret skipped, the old one would be written; every key read, nothing else', async () => {
    const api = fakes.github.addRepository('octo/api');
    fakes.github.seed(fakes.github.repositories.get(REPO)!.store, 'ECR_PASSWORD', 'fresh', new Date(Date.now() - HOUR));
    fakes.github.seed(api.store, 'ECR_PASSWORD', 'old', new Date(Date.now() - 8 * HOUR));
    const result = await run(fakes, {
      ...oidc(),
      repositories: `${REPO}, octo/api`,
      'max-age': '5h',
      'dry-run': 'true',
    });

    expect(result.exitCode).toBe(0);
    expect(awsRequests()).toBe(0);
    expect(fakes.github.writes()).toEqual([]);
    expect(fakes.github.repositorySecret('octo/api', 'ECR_PASSWORD')?.plaintext).toBe('old');
    // The list decides what is due; the key is read even where nothing is: it proves read access.
    expect(githubCalls(fakes).sort()).toEqual(
      [
        'GET /repos/octo/api/actions/secrets',
        'GET /repos/octo/api/actions/secrets/public-key',
        'GET /repos/octo/app/actions/secrets',
        'GET /repos/octo/app/actions/secrets/public-key',
      ].sort(),
    );
    expect(result.outputs['registry']).toBeUndefined();
    expect(result.outputs['secrets-written']).toBe('[]');
    expect(list(result.outputs, 'secrets-planned')).toEqual([
      { target: 'octo/api', secret: 'ECR_PASSWORD', status: 'planned', settings: {} },
    ]);
    expect(list(result.outputs, 'secrets-skipped')).toEqual([
      { target: REPO, secret: 'ECR_PASSWORD', status: 'skipped' },
    ]);
    expect(result.outputs['secrets-failed']).toBe('[]');

    expect(result.summary).toContain('### Dry run: 1 secret would be written (1 skipped)');
    expect(result.summary).toContain('Nothing was written, and AWS was not asked for anything');
    expect(result.summary).toContain(
      '| octo/api | `ECR_PASSWORD` | would be written | read by workflow runs queued from now on |',
    );
    expect(result.summary).toMatch(/\| octo\/app \| `ECR_PASSWORD` \| skipped \| updated .*, younger than max-age \|/);
    // What reading cannot prove: the write itself, the OIDC role's trust, and ECR.
    expect(result.summary).toContain('**Not checked without writing**');
    expect(result.summary).toContain("Writing the secrets: the repository permission 'Secrets: Read and write'");
    expect(result.summary).toContain(`sts:AssumeRoleWithWebIdentity on ${fakes.roleArn}`);
    expect(result.summary).toContain('ecr:GetAuthorizationToken in eu-west-1');
    expect(result.summary).not.toContain('Creating a missing environment');

    expect(result.stdout).toContain('Dry run: 1 secret would be written (1 skipped).');
    expect(result.stdout).toContain('octo/api: ECR_PASSWORD would be written');
    expect(result.stdout).toMatch(/octo\/app: ECR_PASSWORD skipped \(updated .*, younger than max-age\)/);
    expect(result.stdout).toContain('Not checked without writing:');
  });

  it('a token the secrets routes refuse fails the dry run, as it would fail the real one', async () => {
    // The fake's read-only token is refused on every secrets route, its public key included, as
    // GitHub refuses a token without the Secrets permission: reading the key is the dry run's check.
    fakes.github.addToken('github_pat_11READONLY', 'read-only');
    const result = await run(fakes, { ...oidc(), 'github-token': 'github_pat_11READONLY', 'dry-run': 'true' });

    expect(result.exitCode).toBe(1);
    expect(result.errors[0]).toContain('Dry run: 1 of 1 secrets could not be planned (0 would be written)');
    expect(result.errors[0]).toContain('github-token may not read the secrets public key of octo/app');
    expect(list(result.outputs, 'secrets-planned')).toEqual([]);
    expect(awsRequests()).toBe(0);
  });

  it('a refused read fails the step, the other target is still planned, and AWS is still not called', async () => {
    const result = await run(fakes, { ...oidc(), repositories: `${REPO}\nocto/gone`, 'dry-run': 'true' });

    expect(result.exitCode).toBe(1);
    expect(awsRequests()).toBe(0);
    expect(fakes.github.writes()).toEqual([]);
    expect(list(result.outputs, 'secrets-planned')).toEqual([
      { target: REPO, secret: 'ECR_PASSWORD', status: 'planned', settings: {} },
    ]);
    expect(list(result.outputs, 'secrets-failed')).toEqual([
      expect.objectContaining({ target: 'octo/gone', secret: 'ECR_PASSWORD', status: 'failed' }),
    ]);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toContain('Dry run: 1 of 2 secrets could not be planned (1 would be written):');
    expect(result.errors[0]).toContain(
      '- octo/gone ECR_PASSWORD: Could not read the secrets public key of octo/gone: not found',
    );
    expect(result.summary).toContain('### Dry run: 1 secret would be written (1 failed)');
    expect(result.summary).toContain('| octo/gone | `ECR_PASSWORD` | failed | Could not read the secrets public key');
  });

  it('max-age with every secret fresh: a failed key read still fails the dry run', async () => {
    fakes.github.addRepository('octo/api');
    fakes.github.seed(fakes.github.repositories.get('octo/api')!.store, 'ECR_PASSWORD', 'x', new Date());
    // The key GitHub gives is malformed, twice (the action asks twice), after the list said the
    // secret is fresh: a real run would not read the key at all, but a dry run vouches for it.
    fakes.github.server.inject({
      match: (request) => request.url.endsWith('/public-key'),
      times: 2,
      reply: { status: 200, body: '{"key_id":"1","key":"not a key"}', headers: { 'content-type': 'application/json' } },
    });
    const result = await run(fakes, {
      ...oidc(),
      repositories: 'octo/api',
      'max-age': '5h',
      'dry-run': 'true',
    });

    expect(result.exitCode).toBe(1);
    expect(list(result.outputs, 'secrets-failed')).toEqual([
      expect.objectContaining({ target: 'octo/api', secret: 'ECR_PASSWORD', status: 'failed' }),
    ]);
    expect(result.errors[0]).toContain("GitHub's public key for octo/api is not a valid key");
    expect(list(result.outputs, 'secrets-skipped')).toEqual([]);
    expect(awsRequests()).toBe(0);
  });

  it('organisation secret: the settings a write would send, and a widened visibility said out loud', async () => {
    const store = fakes.github.addOrganization('octo-org');
    fakes.github.seed(store, 'ECR_PASSWORD', 'old', new Date(Date.now() - 8 * HOUR), { visibility: 'private' });
    const result = await run(fakes, { ...oidc(), organization: 'octo-org', visibility: 'all', 'dry-run': 'true' });

    expect(result.exitCode).toBe(0);
    expect(awsRequests()).toBe(0);
    expect(fakes.github.writes()).toEqual([]);
    expect(fakes.github.organizationSecret('octo-org', 'ECR_PASSWORD')?.visibility).toBe('private');
    expect(list(result.outputs, 'secrets-planned')).toEqual([
      { target: 'organization octo-org', secret: 'ECR_PASSWORD', status: 'planned', settings: { visibility: 'all' } },
    ]);
    expect(result.summary).toContain(
      '| organization octo-org | `ECR_PASSWORD` | would be written | visibility: all; visibility: all widens secret ECR_PASSWORD of organization octo-org',
    );
    expect(result.summary).toContain("Writing the secrets: the organization permission 'Secrets: Read and write'");
  });

  it('access keys: the summary names the keys, not OIDC, as unchecked; the keys are never used', async () => {
    const keys = fakes.aws.addStaticKeys();
    const result = await run(fakes, {
      'aws-access-key-id': keys.accessKeyId,
      'aws-secret-access-key': keys.secretAccessKey,
      'dry-run': 'TRUE',
    });

    expect(result.exitCode).toBe(0);
    expect(awsRequests()).toBe(0);
    expect(result.summary).toContain('The access keys themselves: valid, active and not expired.');
    expect(result.summary).not.toContain('AssumeRoleWithWebIdentity');
  });

  it('neither the AWS SDK nor libsodium is loaded: nothing is fetched or sealed', async () => {
    const result = await run(fakes, { ...oidc(), 'dry-run': 'true' }, { NODE_DEBUG: 'esm' });

    expect(result.exitCode).toBe(0);
    expect(list(result.outputs, 'secrets-planned')).toHaveLength(1);
    expect(heavyChunks().length).toBeGreaterThanOrEqual(2);
    expect(loadedChunks(result.stderr).filter((chunk) => heavyChunks().includes(chunk))).toEqual([]);
  });

  it('the control: a real run, traced the same way, loads the AWS SDK and libsodium chunks', async () => {
    // Without it the test above would pass if the trace named no chunk at all (another node, another wording).
    const result = await run(fakes, { ...oidc() }, { NODE_DEBUG: 'esm' });

    expect(result.exitCode).toBe(0);
    const loaded = loadedChunks(result.stderr).filter((chunk) => heavyChunks().includes(chunk));
    const holding = (text: string) =>
      loaded.filter((chunk) => readFileSync(join(ACTION_ENTRY, '..', chunk), 'utf8').includes(text));
    expect(holding('@smithy')).not.toEqual([]);
    expect(holding('crypto_box_seal')).not.toEqual([]);
  });

  it("registry-type public: the plan names ECR Public's login in us-east-1, not ECR's in aws-region", async () => {
    const result = await run(fakes, { ...oidc(), 'registry-type': 'public', 'dry-run': 'true' });

    expect(result.exitCode).toBe(0);
    expect(awsRequests()).toBe(0);
    expect(result.summary).toContain('ecr-public:GetAuthorizationToken and sts:GetServiceBearerToken in us-east-1');
    expect(result.summary).not.toContain('ecr:GetAuthorizationToken in eu-west-1');
  });

  it('registries: the plan names the pulls in the other accounts and the hosts the docker config would name', async () => {
    const result = await run(fakes, {
      ...oidc(),
      'docker-config-secret-name': 'DOCKER_AUTH_CONFIG',
      registries: '210987654321\n012345678901',
      'dry-run': 'true',
    });

    expect(result.exitCode).toBe(0);
    expect(awsRequests()).toBe(0);
    expect(result.summary).toContain('ecr:GetAuthorizationToken in eu-west-1 for that identity.');
    expect(result.summary).toContain(
      '210987654321.dkr.ecr.eu-west-1.amazonaws.com, 012345678901.dkr.ecr.eu-west-1.amazonaws.com',
    );
    expect(result.summary).toMatch(/ecr:BatchGetImage.*a repository policy in each of those accounts/);
  });

  it('dry-run: yes is refused as not a boolean, before any request', async () => {
    const result = await run(fakes, { ...oidc(), 'dry-run': 'yes' });

    expect(result.exitCode).toBe(1);
    expect(result.errors).toEqual([
      `Input 'dry-run': "yes" is not a boolean. Use true or false (True, TRUE, False and FALSE are accepted too).`,
    ]);
    expect(fakes.allRequests()).toEqual([]);
  });

  it('dry-run: false is a real run', async () => {
    const result = await run(fakes, { ...oidc(), 'dry-run': 'false' });

    expect(result.exitCode).toBe(0);
    expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD')?.plaintext).toBe(fakes.aws.lastLogin?.password);
    expect(result.outputs['secrets-planned']).toBeUndefined();
  });
});
