/**
 * What waits for what: GitHub's reads do not wait for AWS, ECR waits for a public key, credentials no
 * longer needed are dropped, code is loaded only by runs that need it, and the username secret is
 * written only where the target lacks it.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { Fakes } from '../fakes/index.ts';
import type { RecordedRequest } from '../fakes/server.ts';
import { count, githubCalls, heavyChunks, loadedChunks, REPO, run, setUp } from './helpers.ts';

let fakes: Fakes & { roleArn: string };
beforeEach(async () => (fakes = await setUp()));
afterEach(async () => fakes.stop());

const oidc = () => ({ 'role-to-assume': fakes.roleArn });
const HOUR = 3_600_000;
/** How long a held answer waits for what it waits on, at most: a program that never sends it must still end, and fail. */
const HOLD_LIMIT_MS = 5_000;
const isPublicKey = ({ method, url }: { method: string; url: string }) =>
  method === 'GET' && url.endsWith('/secrets/public-key');
const list = (outputs: Record<string, string>, name: string) => JSON.parse(outputs[name] ?? 'null') as unknown;

/** A promise that resolves when `seen` is called, or after the hold limit: whichever comes first, and when. */
function signal() {
  let seen = (): void => undefined;
  const happened = new Promise<void>((resolve) => (seen = resolve));
  const waited = () =>
    Promise.race([happened, new Promise((resolve) => setTimeout(resolve, HOLD_LIMIT_MS))]).then(() =>
      performance.now(),
    );
  return { seen: () => seen(), waited };
}

describe('request order: GitHub reads do not wait for AWS, and ECR waits for a public key (issue 9)', () => {
  it('ECR holds its answer until GitHub has seen the public-key request: the key was asked first, and ECR only after it was answered', async () => {
    const keyRequested = signal();
    // Watches GitHub's requests without answering any of them (a match that never matches).
    fakes.github.server.inject({ match: (request) => (isPublicKey(request) && keyRequested.seen(), false) });
    let ecrAnsweredAt = Number.NaN;
    fakes.aws.ecr.inject({ match: () => true, until: async () => (ecrAnsweredAt = await keyRequested.waited()) });
    const result = await run(fakes, oidc());

    expect(result.exitCode).toBe(0);
    expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD')?.plaintext).toBe(fakes.aws.lastLogin?.password);
    const key = fakes.github.server.requests.find(isPublicKey) as RecordedRequest;
    const ecr = fakes.aws.ecr.requests[0] as RecordedRequest;
    expect(key.receivedAt).toBeLessThan(ecrAnsweredAt);
    // No password is minted before a public key is in hand: ECR is asked only after GitHub answered the key.
    expect(key.status).toBe(200);
    expect(ecr.receivedAt).toBeGreaterThan(key.receivedAt);
  });

  it('the public-key read is answered only after STS answered: it did not wait for AWS, and the write follows both', async () => {
    const keyRequested = signal();
    const stsAnswered = signal();
    fakes.github.server.inject({ match: (request) => (isPublicKey(request) && keyRequested.seen(), false) });
    // STS answers once GitHub has the key request (a fast or slow STS alike): a program that reads GitHub
    // only after AWS makes it wait for the hold limit, and then the key is asked (and answered) last.
    let stsAnsweredAt = Number.NaN;
    fakes.aws.sts.inject({
      match: () => true,
      until: async () => {
        stsAnsweredAt = await keyRequested.waited();
        stsAnswered.seen();
      },
    });
    let keyAnsweredAt = Number.NaN;
    fakes.github.server.inject({ match: isPublicKey, until: async () => (keyAnsweredAt = await stsAnswered.waited()) });
    const result = await run(fakes, oidc());

    expect(result.exitCode).toBe(0);
    expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD')?.plaintext).toBe(fakes.aws.lastLogin?.password);
    const key = fakes.github.server.requests.find(isPublicKey) as RecordedRequest;
    // Asked before STS answered, answered after it: the read overlapped the AWS credentials (a program
    // that reads GitHub first and then asks AWS, as issue 8 did, has its key answered first, at the hold limit).
    expect(key.receivedAt).toBeLessThan(stsAnsweredAt);
    expect(keyAnsweredAt).toBeGreaterThan(stsAnsweredAt);
    const put = fakes.github.server.requests.find(({ method }) => method === 'PUT') as RecordedRequest;
    expect(put.receivedAt).toBeGreaterThan(keyAnsweredAt);
  });

  it('a target whose reads are slow holds back no other: octo/app is written while octo/slow still waits for its key', async () => {
    fakes.github.addRepository('octo/slow');
    const appWritten = signal();
    fakes.github.server.inject({
      match: ({ method, url }) => (method === 'PUT' && url.startsWith('/repos/octo/app/') && appWritten.seen(), false),
    });
    let slowKeyAnsweredAt = Number.NaN;
    fakes.github.server.inject({
      match: ({ method, url }) => method === 'GET' && url === '/repos/octo/slow/actions/secrets/public-key',
      until: async () => (slowKeyAnsweredAt = await appWritten.waited()),
    });
    const result = await run(fakes, { ...oidc(), repositories: 'octo/app, octo/slow' });

    expect(result.exitCode).toBe(0);
    for (const repository of ['octo/app', 'octo/slow'])
      expect(fakes.github.repositorySecret(repository, 'ECR_PASSWORD')?.plaintext).toBe(fakes.aws.lastLogin?.password);
    const appPut = fakes.github.server.requests.find(
      ({ method, url }) => method === 'PUT' && url.startsWith('/repos/octo/app/'),
    ) as RecordedRequest;
    expect(appPut.receivedAt).toBeLessThan(slowKeyAnsweredAt);
    expect(count(fakes, 'ecr')).toBe(1);
  });

  it('a refused GitHub token (401 on the key read): OIDC and STS ran beside the read, ECR was never asked, nothing written', async () => {
    const result = await run(fakes, { ...oidc(), 'github-token': 'ghp_revoked' });

    expect(result.exitCode).toBe(1);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(/github-token was refused/);
    expect(githubCalls(fakes)).toEqual(['GET /repos/octo/app/actions/secrets/public-key']);
    expect(fakes.github.server.requests[0]?.status).toBe(401);
    // Without max-age the credentials start at once (docs/performance.md); the password is minted only for a key in hand.
    expect([count(fakes, 'oidc'), count(fakes, 'sts'), count(fakes, 'ecr')]).toEqual([1, 1, 0]);
    expect(fakes.aws.logins).toHaveLength(0);
  });

  it('max-age with a refused token (401 on the list): no OIDC, STS or ECR request at all', async () => {
    const result = await run(fakes, { ...oidc(), 'max-age': '6h', 'github-token': 'ghp_revoked' });

    expect(result.exitCode).toBe(1);
    expect(result.errors[0]).toMatch(/github-token was refused/);
    expect(githubCalls(fakes)).toEqual(['GET /repos/octo/app/actions/secrets']);
    expect([count(fakes, 'oidc'), count(fakes, 'sts'), count(fakes, 'ecr')]).toEqual([0, 0, 0]);
  });
});

describe('credentials no longer needed are dropped', () => {
  it('a refused token while STS is slow: the STS request is aborted, not retried, and no password is minted', async () => {
    fakes.aws.sts.inject({ match: () => true, times: 10, delayMs: 12_000 });
    const result = await run(fakes, { ...oidc(), 'github-token': 'ghp_revoked' });

    expect(result.exitCode).toBe(1);
    expect(result.errors[0]).toContain('github-token was refused');
    // Without the abort, the SDK's 10 s timeout and retries would send it 4 times before the report.
    expect([count(fakes, 'oidc'), count(fakes, 'sts'), count(fakes, 'ecr')]).toEqual([1, 1, 0]);
  });
});

describe('code is loaded only by runs that need it', () => {
  it('max-age with every secret fresh: no AWS request, and neither the AWS SDK nor libsodium is loaded', async () => {
    fakes.github.seed(
      fakes.github.repositories.get(REPO)!.store,
      'ECR_PASSWORD',
      'recent',
      new Date(Date.now() - HOUR),
    );
    const result = await run(fakes, { ...oidc(), 'max-age': '6h' }, { NODE_DEBUG: 'esm' });

    expect(result.exitCode).toBe(0);
    expect([count(fakes, 'oidc'), count(fakes, 'sts'), count(fakes, 'ecr')]).toEqual([0, 0, 0]);
    expect(heavyChunks().length).toBeGreaterThanOrEqual(2);
    expect(loadedChunks(result.stderr).filter((chunk) => heavyChunks().includes(chunk))).toEqual([]);
  });

  it('a run that writes loads them (the trace above sees chunk loads)', async () => {
    const result = await run(fakes, oidc(), { NODE_DEBUG: 'esm' });

    expect(result.exitCode).toBe(0);
    expect(heavyChunks().filter((chunk) => !loadedChunks(result.stderr).includes(chunk))).toEqual([]);
  });
});

describe('the username secret (always AWS) is written only where the target lacks it (issue 9)', () => {
  const USERNAME = { 'username-secret-name': 'ECR_USERNAME' };

  it('without max-age, a list that fails costs only the saving: asked once, not retried, and both secrets written', async () => {
    const isList = ({ method, url }: { method: string; url: string }) =>
      method === 'GET' && /\/actions\/secrets\?/.test(url);
    fakes.github.server.inject({ match: isList, times: 10, reply: { status: 502, body: 'Bad Gateway' } });
    const result = await run(fakes, { ...oidc(), ...USERNAME });

    expect(result.exitCode).toBe(0);
    expect(githubCalls(fakes).filter((call) => call === 'GET /repos/octo/app/actions/secrets')).toHaveLength(1);
    expect(fakes.github.repositorySecret(REPO, 'ECR_USERNAME')?.plaintext).toBe('AWS');
    expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD')?.plaintext).toBe(fakes.aws.lastLogin?.password);
  });

  it('without max-age, missing: written (one list beside the key read), decrypted as AWS', async () => {
    const result = await run(fakes, { ...oidc(), ...USERNAME });

    expect(result.exitCode).toBe(0);
    expect(fakes.github.repositorySecret(REPO, 'ECR_USERNAME')?.plaintext).toBe('AWS');
    expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD')?.plaintext).toBe(fakes.aws.lastLogin?.password);
    expect(githubCalls(fakes).sort()).toEqual(
      [
        'GET /repos/octo/app/actions/secrets',
        'GET /repos/octo/app/actions/secrets/public-key',
        'PUT /repos/octo/app/actions/secrets/ECR_PASSWORD',
        'PUT /repos/octo/app/actions/secrets/ECR_USERNAME',
      ].sort(),
    );
  });

  it('without max-age, present: skipped with the reason, the password written, one PUT saved', async () => {
    const store = fakes.github.repositories.get(REPO)!.store;
    fakes.github.seed(store, 'ECR_USERNAME', 'AWS', new Date(Date.now() - 30 * 24 * HOUR));
    const result = await run(fakes, { ...oidc(), ...USERNAME });

    expect(result.exitCode).toBe(0);
    expect(fakes.github.writes().map((request) => request.url)).toEqual([
      '/repos/octo/app/actions/secrets/ECR_PASSWORD',
    ]);
    expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD')?.plaintext).toBe(fakes.aws.lastLogin?.password);
    expect(fakes.github.repositorySecret(REPO, 'ECR_USERNAME')?.encryptedValue).toBe('');
    expect(list(result.outputs, 'secrets-skipped')).toEqual([
      { target: REPO, secret: 'ECR_USERNAME', status: 'skipped' },
    ]);
    expect(list(result.outputs, 'secrets-written')).toEqual([
      { target: REPO, secret: 'ECR_PASSWORD', status: 'created' },
    ]);
    expect(result.summary).toMatch(
      /\| octo\/app \| `ECR_USERNAME` \| skipped \| already stored \(updated .*\); its value never changes, so it is written only when missing \|/,
    );
    expect(count(fakes, 'github')).toBe(3);
  });

  it('with max-age, present however old: skipped; the stale password written; the list serves both', async () => {
    const store = fakes.github.repositories.get(REPO)!.store;
    fakes.github.seed(store, 'ECR_PASSWORD', 'stale', new Date(Date.now() - 8 * HOUR));
    fakes.github.seed(store, 'ECR_USERNAME', 'AWS', new Date(Date.now() - 8 * HOUR));
    const result = await run(fakes, { ...oidc(), ...USERNAME, 'max-age': '6h' });

    expect(result.exitCode).toBe(0);
    expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD')?.plaintext).toBe(fakes.aws.lastLogin?.password);
    expect(fakes.github.repositorySecret(REPO, 'ECR_USERNAME')?.plaintext).toBe('AWS');
    expect(githubCalls(fakes)).toEqual([
      'GET /repos/octo/app/actions/secrets',
      'GET /repos/octo/app/actions/secrets/public-key',
      'PUT /repos/octo/app/actions/secrets/ECR_PASSWORD',
    ]);
    expect(list(result.outputs, 'secrets-skipped')).toEqual([
      { target: REPO, secret: 'ECR_USERNAME', status: 'skipped' },
    ]);
  });

  it('with max-age, missing while the password is fresh: the username alone is due, written with no password minted', async () => {
    fakes.github.seed(fakes.github.repositories.get(REPO)!.store, 'ECR_PASSWORD', 'fresh', new Date(Date.now() - HOUR));
    const result = await run(fakes, { ...oidc(), ...USERNAME, 'max-age': '6h' });

    expect(result.exitCode).toBe(0);
    expect(fakes.github.repositorySecret(REPO, 'ECR_USERNAME')?.plaintext).toBe('AWS');
    expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD')?.plaintext).toBe('fresh');
    expect(fakes.github.writes().map((request) => request.url)).toEqual([
      '/repos/octo/app/actions/secrets/ECR_USERNAME',
    ]);
    // The username is always AWS: writing it needs nothing from AWS, and no password is minted for nothing.
    expect([count(fakes, 'oidc'), count(fakes, 'sts'), count(fakes, 'ecr')]).toEqual([0, 0, 0]);
    // No login, so no expiry to report: the stored password's is unknown.
    expect(result.outputs['expires-at']).toBeUndefined();
  });

  it('an organisation username secret whose selected repositories alone differ gets its list set, without max-age too', async () => {
    const org = fakes.github.addOrganization('octo');
    const [api, web] = ['octo/api', 'octo/web'].map((name) => fakes.github.addRepository(name));
    for (const name of ['ECR_PASSWORD', 'ECR_USERNAME'])
      fakes.github.seed(org, name, 'old', new Date(), { visibility: 'selected', selectedRepositoryIds: [api!.id] });
    const result = await run(fakes, {
      ...oidc(),
      ...USERNAME,
      organization: 'octo',
      visibility: 'selected',
      'selected-repositories': 'api\nweb',
    });

    expect(result.exitCode).toBe(0);
    for (const name of ['ECR_PASSWORD', 'ECR_USERNAME'])
      expect(fakes.github.organizationSecret('octo', name)?.selectedRepositoryIds).toEqual([api!.id, web!.id]);
    // The username's value never changes: its list alone is set (PUT .../repositories), its value not rewritten.
    expect(fakes.github.organizationSecret('octo', 'ECR_USERNAME')?.plaintext).toBe('old');
    expect(fakes.github.writes().map(({ url }) => url)).toEqual([
      '/orgs/octo/actions/secrets/ECR_USERNAME/repositories',
      '/orgs/octo/actions/secrets/ECR_PASSWORD',
    ]);
  });

  it('an organisation username secret whose visibility differs from the inputs is written all the same', async () => {
    const org = fakes.github.addOrganization('octo');
    fakes.github.seed(org, 'ECR_USERNAME', 'AWS', new Date(), { visibility: 'all' });
    const result = await run(fakes, { ...oidc(), ...USERNAME, organization: 'octo', visibility: 'private' });

    expect(result.exitCode).toBe(0);
    const stored = fakes.github.organizationSecret('octo', 'ECR_USERNAME');
    expect([stored?.plaintext, stored?.visibility]).toEqual(['AWS', 'private']);
    expect(list(result.outputs, 'secrets-skipped')).toEqual([]);
  });
});
