import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { Fakes } from '../fakes/index.ts';
import { count, githubCalls, run, setUp } from './helpers.ts';

/**
 * Issue 19: one organisation secret for every repository a pattern in selected-repositories matches,
 * kept in step with the organisation as repositories come and go.
 *
 * `svc-*` over 320 repositories: the list set in one write, `repository-topics` narrowing it, the next
 * run adding a new repository and dropping an archived one by name, a token that sees a third failing
 * the secret and leaving it as it was until `allow-repository-removal`, `max-age` setting the list
 * alone with no password, the dry run's list and changes, Dependabot and Codespaces, a list of 1,000.
 */
let fakes: Fakes & { roleArn: string };
afterEach(async () => fakes.stop());

const oidc = () => ({ 'role-to-assume': fakes.roleArn });
const parsed = (outputs: Record<string, string>, name: string) =>
  JSON.parse(outputs[name] ?? 'null') as { target: string; secret: string; status: string; settings?: unknown }[];
const graphqlRequests = () => fakes.github.server.requests.filter((request) => request.url.endsWith('/graphql'));
const awsRequests = () => count(fakes, 'oidc') + count(fakes, 'sts') + count(fakes, 'ecr');

const svc = (i: number) => `svc-${String(i).padStart(3, '0')}`;
const SVC = Array.from({ length: 300 }, (_, i) => svc(i));
/** Every seventh svc repository carries the topic ecr. */
const WITH_ECR = new Set(SVC.filter((_, i) => i % 7 === 0));
const idOf = (name: string) => fakes.github.repositories.get(`acme/${name}`)!.id;
const idsOf = (names: readonly string[]) => names.map(idOf);
const sorted = (ids: readonly number[] | undefined) => [...(ids ?? [])].sort((a, b) => a - b);
const selectedInputs = (extra: Record<string, string> = {}) => ({
  ...oidc(),
  organization: 'acme',
  visibility: 'selected',
  'selected-repositories': 'svc-*',
  ...extra,
});

beforeEach(async () => {
  fakes = await setUp();
  fakes.github.addOrganization('acme');
  // 300 svc repositories and 20 web ones: 320 in four pages of the listing.
  for (const name of SVC) fakes.github.addRepository(`acme/${name}`, [], { topics: WITH_ECR.has(name) ? ['ecr'] : [] });
  for (let i = 0; i < 20; i++) fakes.github.addRepository(`acme/web-${String(i).padStart(2, '0')}`);
});

describe('selected-repositories with a pattern, resolved by listing the organisation', () => {
  it('svc-* over 320 repositories: one secret shared with the 300 it matches, one write, the list named', async () => {
    const result = await run(fakes, selectedInputs());

    expect(result.exitCode).toBe(0);
    const stored = fakes.github.organizationSecret('acme', 'ECR_PASSWORD');
    expect(stored?.plaintext).toBe(fakes.aws.lastLogin?.password);
    expect(stored?.visibility).toBe('selected');
    expect(sorted(stored?.selectedRepositoryIds)).toEqual(sorted(idsOf(SVC)));
    // Four pages of the listing (ids come with it: no lookup query), then the secret's reads and one write.
    expect(graphqlRequests()).toHaveLength(4);
    expect(fakes.github.writes().map(({ method, url }) => `${method} ${url}`)).toEqual([
      'PUT /orgs/acme/actions/secrets/ECR_PASSWORD',
    ]);
    expect(result.summary).toContain('Pattern svc-* matched 300 repositories of acme.');
    expect(result.summary).toContain(
      `selected-repositories of organization acme: 300 repositories (${SVC.slice(0, 3).join(', ')}, `,
    );
    expect(result.stdout).toContain(`${SVC.slice(297).join(', ')}).`);
  });

  it('repository-topics narrows what the pattern matches; a name beside it is kept as listed', async () => {
    const result = await run(
      fakes,
      selectedInputs({ 'selected-repositories': 'svc-*\nweb-03', 'repository-topics': 'ECR' }),
    );

    expect(result.exitCode).toBe(0);
    const expected = ['web-03', ...SVC.filter((name) => WITH_ECR.has(name))];
    expect(sorted(fakes.github.organizationSecret('acme', 'ECR_PASSWORD')?.selectedRepositoryIds)).toEqual(
      sorted(idsOf(expected)),
    );
    expect(result.summary).toContain(
      `Pattern svc-* matched ${WITH_ECR.size} repositories of acme (${300 - WITH_ECR.size} without the topic ecr).`,
    );
  });

  it('the next run follows the organisation: a new svc repository added, an archived one dropped, both named', async () => {
    expect((await run(fakes, selectedInputs())).exitCode).toBe(0);
    fakes.github.addRepository('acme/svc-300');
    fakes.github.repositories.get('acme/svc-005')!.archived = true;

    const result = await run(fakes, selectedInputs());

    expect(result.exitCode).toBe(0);
    const expected = [...SVC.filter((name) => name !== 'svc-005'), 'svc-300'];
    const stored = fakes.github.organizationSecret('acme', 'ECR_PASSWORD');
    expect(sorted(stored?.selectedRepositoryIds)).toEqual(sorted(idsOf(expected)));
    expect(stored?.plaintext).toBe(fakes.aws.lastLogin?.password);
    const change = 'selected repositories since the stored list: 1 added (svc-300), 1 removed (svc-005)';
    expect(result.stdout).toContain(change);
    expect(result.summary).toContain(change);
    // A repository that can now read the password is a warning, by name.
    expect(result.stdout).toContain(
      '::warning::selected-repositories widens secret ECR_PASSWORD of organization acme: 1 more repository can read it (svc-300).',
    );
    expect(result.summary).toContain('1 archived repository skipped (acme/svc-005)');
  });

  it('a token that sees a third of them fails the secret and leaves it as it was; allow-repository-removal narrows it', async () => {
    expect((await run(fakes, selectedInputs())).exitCode).toBe(0);
    const before = fakes.github.organizationSecret('acme', 'ECR_PASSWORD')!;
    const { plaintext, selectedRepositoryIds } = before;
    const visible = SVC.filter((_, i) => i % 3 === 0);
    const narrow = fakes.github.addToken('github_pat_11NARROW', 'write', {
      repositories: [...visible.map((name) => `acme/${name}`), 'octo/app'],
    });
    const writes = fakes.github.writes().length;
    const ecrBefore = count(fakes, 'ecr');

    const result = await run(fakes, selectedInputs({ 'github-token': narrow }));

    expect(result.exitCode).toBe(1);
    expect(fakes.github.writes()).toHaveLength(writes);
    const after = fakes.github.organizationSecret('acme', 'ECR_PASSWORD');
    expect([after?.plaintext, after?.selectedRepositoryIds]).toEqual([plaintext, selectedRepositoryIds]);
    expect(parsed(result.outputs, 'secrets-failed')).toEqual([
      expect.objectContaining({ target: 'organization acme', secret: 'ECR_PASSWORD', status: 'failed' }),
    ]);
    expect(result.errors.join('\n')).toContain(
      'selected-repositories would remove 200 of the 300 repositories secret ECR_PASSWORD of organization acme is shared with (svc-001, svc-002, svc-004,',
    );
    expect(result.errors.join('\n')).toContain('set allow-repository-removal: true for this run');
    // No password was minted for a secret that is not written.
    expect(count(fakes, 'ecr')).toBe(ecrBefore);

    const allowed = await run(fakes, selectedInputs({ 'github-token': narrow, 'allow-repository-removal': 'true' }));
    expect(allowed.exitCode).toBe(0);
    expect(sorted(fakes.github.organizationSecret('acme', 'ECR_PASSWORD')?.selectedRepositoryIds)).toEqual(
      sorted(idsOf(visible)),
    );
    expect(allowed.summary).toContain('selected repositories since the stored list: 0 added, 200 removed (svc-001, ');
  });

  it('a token that no longer sees some repositories of the stored list fails the secret, however few they are', async () => {
    expect((await run(fakes, selectedInputs())).exitCode).toBe(0);
    const before = fakes.github.organizationSecret('acme', 'ECR_PASSWORD')!;
    const { plaintext, selectedRepositoryIds } = before;
    // Two thirds still seen: a third removed, under half, but every one of them only because the token lost it.
    const visible = SVC.filter((_, i) => i % 3 !== 0);
    const narrower = fakes.github.addToken('github_pat_11NARROWER', 'write', {
      repositories: visible.map((name) => `acme/${name}`),
    });
    const writes = fakes.github.writes().length;

    const result = await run(fakes, selectedInputs({ 'github-token': narrower }));

    expect(result.exitCode).toBe(1);
    expect(fakes.github.writes()).toHaveLength(writes);
    const after = fakes.github.organizationSecret('acme', 'ECR_PASSWORD');
    expect([after?.plaintext, after?.selectedRepositoryIds]).toEqual([plaintext, selectedRepositoryIds]);
    expect(result.errors.join('\n')).toContain(
      'selected-repositories would remove 100 repositories that github-token cannot see from secret ECR_PASSWORD of organization acme (svc-000, svc-003,',
    );

    const allowed = await run(fakes, selectedInputs({ 'github-token': narrower, 'allow-repository-removal': 'true' }));
    expect(allowed.exitCode).toBe(0);
    expect(sorted(fakes.github.organizationSecret('acme', 'ECR_PASSWORD')?.selectedRepositoryIds)).toEqual(
      sorted(idsOf(visible)),
    );
  });

  it("the removal guard's edge: exactly half removed narrows the list, named; a list of one losing its one is refused", async () => {
    const store = fakes.github.organizationStore('acme')!;
    const old = new Date(Date.now() - 20 * 3_600_000);
    // Four stored, two of them outside the pattern: removing exactly half is ordinary churn.
    fakes.github.seed(store, 'ECR_PASSWORD', 'old', old, {
      visibility: 'selected',
      selectedRepositoryIds: idsOf(['svc-000', 'svc-001', 'web-00', 'web-01']),
    });
    const half = await run(fakes, selectedInputs());
    expect(half.exitCode).toBe(0);
    expect(sorted(fakes.github.organizationSecret('acme', 'ECR_PASSWORD')?.selectedRepositoryIds)).toEqual(
      sorted(idsOf(SVC)),
    );
    expect(half.summary).toContain('selected repositories since the stored list: 298 added');
    expect(half.summary).toContain('2 removed (web-00, web-01)');

    // One stored, and it would go: more than half, so the secret fails and keeps its value and list.
    fakes.github.seed(store, 'ECR_PASSWORD', 'old', old, {
      visibility: 'selected',
      selectedRepositoryIds: idsOf(['web-00']),
    });
    const writes = fakes.github.writes().length;
    const one = await run(fakes, selectedInputs());
    expect(one.exitCode).toBe(1);
    expect(fakes.github.writes()).toHaveLength(writes);
    const kept = fakes.github.organizationSecret('acme', 'ECR_PASSWORD');
    expect([kept?.plaintext, kept?.selectedRepositoryIds]).toEqual(['old', idsOf(['web-00'])]);
    expect(one.errors.join('\n')).toContain(
      'selected-repositories would remove 1 of the 1 repositories secret ECR_PASSWORD of organization acme is shared with (web-00), more than half',
    );
  });

  it('max-age: a fresh secret whose list would shrink by more than half fails, with no list PUT and no password', async () => {
    const store = fakes.github.organizationStore('acme')!;
    fakes.github.seed(store, 'ECR_PASSWORD', 'fresh', new Date(Date.now() - 30 * 60_000), {
      visibility: 'selected',
      selectedRepositoryIds: idsOf(SVC),
    });
    const narrow = fakes.github.addToken('github_pat_11NARROW', 'write', {
      repositories: SVC.slice(0, 100).map((name) => `acme/${name}`),
    });

    const result = await run(fakes, selectedInputs({ 'github-token': narrow, 'max-age': '6h' }));

    expect(result.exitCode).toBe(1);
    expect(fakes.github.writes()).toEqual([]);
    expect(awsRequests()).toBe(0);
    expect(sorted(fakes.github.organizationSecret('acme', 'ECR_PASSWORD')?.selectedRepositoryIds)).toEqual(
      sorted(idsOf(SVC)),
    );
    expect(parsed(result.outputs, 'secrets-failed')).toEqual([
      expect.objectContaining({ target: 'organization acme', secret: 'ECR_PASSWORD', status: 'failed' }),
    ]);
    expect(result.errors.join('\n')).toContain('selected-repositories would remove 200 of the 300 repositories');
  });

  it('a stored list read short of its total_count fails the secret: the guard cannot count what it did not read', async () => {
    const store = fakes.github.organizationStore('acme')!;
    fakes.github.seed(store, 'ECR_PASSWORD', 'old', new Date(Date.now() - 20 * 3_600_000), {
      visibility: 'selected',
      selectedRepositoryIds: idsOf(SVC),
    });
    // Its first page is all this token sees: read alone, the stored list would look unchanged.
    const narrow = fakes.github.addToken('github_pat_11NARROW', 'write', {
      repositories: SVC.slice(0, 100).map((name) => `acme/${name}`),
    });
    fakes.github.linklessLists = true;

    const result = await run(fakes, selectedInputs({ 'github-token': narrow }));

    expect(result.exitCode).toBe(1);
    expect(fakes.github.writes()).toEqual([]);
    expect(sorted(fakes.github.organizationSecret('acme', 'ECR_PASSWORD')?.selectedRepositoryIds)).toEqual(
      sorted(idsOf(SVC)),
    );
    expect(result.errors.join('\n')).toContain(
      'GitHub listed 100 of the 300 selected repositories of secret ECR_PASSWORD of organization acme',
    );
  });

  it('max-age: a fresh secret whose resolved list differs gets its list alone set; no password, value kept', async () => {
    const store = fakes.github.organizationStore('acme')!;
    fakes.github.seed(store, 'ECR_PASSWORD', 'fresh', new Date(Date.now() - 30 * 60_000), {
      visibility: 'selected',
      selectedRepositoryIds: idsOf(SVC.slice(0, 299)),
    });

    const result = await run(fakes, selectedInputs({ 'max-age': '6h' }));

    expect(result.exitCode).toBe(0);
    const stored = fakes.github.organizationSecret('acme', 'ECR_PASSWORD');
    expect(stored?.plaintext).toBe('fresh');
    expect(sorted(stored?.selectedRepositoryIds)).toEqual(sorted(idsOf(SVC)));
    expect(fakes.github.writes().map(({ method, url }) => `${method} ${url}`)).toEqual([
      'PUT /orgs/acme/actions/secrets/ECR_PASSWORD/repositories',
    ]);
    expect(githubCalls(fakes)).not.toContain('GET /orgs/acme/actions/secrets/public-key');
    expect(awsRequests()).toBe(0);
    expect(parsed(result.outputs, 'secrets-written')).toEqual([
      { target: 'organization acme', secret: 'ECR_PASSWORD', status: 'updated' },
    ]);
    expect(result.summary).toContain('its selected repositories alone (value kept: updated');
    expect(result.summary).toContain('1 added (svc-299), 0 removed');
  });

  it('a dry run shows the resolved list and the additions and removals it would make, and writes nothing', async () => {
    const store = fakes.github.organizationStore('acme')!;
    fakes.github.seed(store, 'ECR_PASSWORD', 'old', new Date(Date.now() - 20 * 3_600_000), {
      visibility: 'selected',
      selectedRepositoryIds: idsOf([...SVC.slice(1), 'web-00']),
    });

    const result = await run(fakes, selectedInputs({ 'dry-run': 'true' }));

    expect(result.exitCode).toBe(0);
    expect(fakes.github.writes()).toEqual([]);
    expect(awsRequests()).toBe(0);
    expect(result.summary).toContain('selected-repositories of organization acme: 300 repositories (svc-000, svc-001,');
    expect(result.summary).toContain(
      'selected repositories since the stored list: 1 added (svc-000), 1 removed (web-00)',
    );
    const planned = parsed(result.outputs, 'secrets-planned');
    expect(planned).toHaveLength(1);
    expect(sorted((planned[0]?.settings as { selected_repository_ids: number[] }).selected_repository_ids)).toEqual(
      sorted(idsOf(SVC)),
    );
  });

  it('a pattern that matches nothing, or a name the organisation lacks, fails the run before anything is written', async () => {
    const result = await run(fakes, selectedInputs({ 'selected-repositories': 'svc-*, api-*, acme/gone' }));

    expect(result.exitCode).toBe(1);
    expect(fakes.github.writes()).toEqual([]);
    expect(awsRequests()).toBe(0);
    const error = result.errors.join('\n');
    expect(error).toContain('selected-repositories: 2 entries could not be resolved, so nothing was written');
    expect(error).toContain('"api-*": matches no repository of acme');
    expect(error).toContain('"gone": acme/gone not found, or not visible to github-token');
  });

  it('each secret type: Dependabot and Codespaces organisation secrets follow the pattern too, under their own routes', async () => {
    for (const app of ['dependabot', 'codespaces'] as const) {
      const result = await run(fakes, selectedInputs({ 'secret-type': app }));
      expect(result.exitCode).toBe(0);
      const stored = fakes.github.organizationSecret('acme', 'ECR_PASSWORD', app);
      expect(stored?.plaintext).toBe(fakes.aws.lastLogin?.password);
      expect(sorted(stored?.selectedRepositoryIds)).toEqual(sorted(idsOf(SVC)));
    }
    expect(fakes.github.organizationSecret('acme', 'ECR_PASSWORD')).toBeUndefined();
    // A second Dependabot run, fresh, after a new repository: its list alone, under Dependabot's route.
    fakes.github.addRepository('acme/svc-300');
    const result = await run(fakes, selectedInputs({ 'secret-type': 'dependabot', 'max-age': '6h' }));
    expect(result.exitCode).toBe(0);
    expect(fakes.github.writes().at(-1)?.url).toBe('/orgs/acme/dependabot/secrets/ECR_PASSWORD/repositories');
    expect(
      sorted(fakes.github.organizationSecret('acme', 'ECR_PASSWORD', 'dependabot')?.selectedRepositoryIds),
    ).toEqual(sorted(idsOf([...SVC, 'svc-300'])));
  });
});

describe('GitHub states no limit on the repositories of a selected secret', () => {
  it('a list of 1,000 is resolved (ten pages) and set in one write', async () => {
    for (let i = 300; i < 1000; i++) fakes.github.addRepository(`acme/${svc(i)}`);

    const result = await run(fakes, selectedInputs());

    expect(result.exitCode).toBe(0);
    expect(fakes.github.organizationSecret('acme', 'ECR_PASSWORD')?.selectedRepositoryIds).toHaveLength(1000);
    expect(graphqlRequests()).toHaveLength(11);
    expect(fakes.github.writes()).toHaveLength(1);
  });
});
