/**
 * Repository patterns, resolved by listing the owner (GraphQL, 100 a page): globs and `owner/*` over
 * an organisation of 230 and a user, topics, archived repositories skipped (named exactly beside a
 * pattern too), listing requests counted, patterns that match nothing, bad patterns; disabled and
 * locked repositories skipped and named.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { Fakes } from '../fakes/index.ts';
import { count, githubCalls, REPO, run, setUp } from './helpers.ts';

let fakes: Fakes & { roleArn: string };
afterEach(async () => fakes.stop());

const oidc = () => ({ 'role-to-assume': fakes.roleArn });
const parsed = (outputs: Record<string, string>, name: string) =>
  JSON.parse(outputs[name] ?? 'null') as { target: string; secret: string; status: string; reason?: string }[];
const graphqlRequests = () => fakes.github.server.requests.filter((request) => request.url.endsWith('/graphql'));
/** Every repository of the fake GitHub that holds a secret, as `owner/name`. */
const holdingSecrets = () =>
  [...fakes.github.repositories.values()]
    .filter(
      (repository) =>
        repository.store.secrets.size > 0 || [...repository.environments.values()].some((env) => env.secrets.size > 0),
    )
    .map(({ owner, name }) => `${owner}/${name}`)
    .sort();
/** The repositories any GitHub request was about, as `owner/name`. */
const repositoriesAsked = () =>
  [...new Set(githubCalls(fakes).flatMap((call) => /^\w+ \/repos\/([^/]+\/[^/]+)\//.exec(call)?.[1] ?? []))].sort();

const svc = (i: number) => `svc-${String(i).padStart(3, '0')}`;
/** acme: 220 `svc-NNN` (three archived) and 10 `web-NN`; topic ecr on a few, one of them archived. */
const ARCHIVED = new Set([svc(5), svc(50), svc(150)]);
const WITH_ECR_TOPIC = new Set([svc(10), svc(20), svc(30), svc(150), svc(200), 'web-01']);
const SVC_NAMES = Array.from({ length: 220 }, (_, i) => svc(i));
const ACME_NAMES = [...SVC_NAMES, ...Array.from({ length: 10 }, (_, i) => `web-${String(i).padStart(2, '0')}`)];

beforeEach(async () => {
  fakes = await setUp();
  for (const name of ACME_NAMES) {
    fakes.github.addRepository(`acme/${name}`, [], {
      archived: ARCHIVED.has(name),
      topics: [...(WITH_ECR_TOPIC.has(name) ? ['ecr'] : []), ...(name.startsWith('web') ? ['team-web'] : [])],
    });
  }
});

describe('repository patterns, resolved by listing the owner (GraphQL, 100 a page)', () => {
  it('a glob and a topic filter over an organisation of 230: names mixed with patterns, archived skipped and counted, each repository once', async () => {
    const result = await run(fakes, {
      ...oidc(),
      // octo/app and acme/svc-001 are named exactly (svc-001 lacks the topic: written as listed); svc-010
      // is matched by both patterns and written once.
      repositories: `${REPO}\nacme/SVC-*\nacme/svc-001, acme/svc-01?`,
      'repository-topics': 'ECR',
    });
    const issued = fakes.aws.lastLogin!;

    expect(result.exitCode).toBe(0);
    const expected = [REPO, 'acme/svc-001', 'acme/svc-010', 'acme/svc-020', 'acme/svc-030', 'acme/svc-200'];
    expect(parsed(result.outputs, 'secrets-written')).toEqual(
      expected.map((target) => ({ target, secret: 'ECR_PASSWORD', status: 'created' })),
    );
    for (const target of expected) {
      expect(fakes.github.repositorySecret(target, 'ECR_PASSWORD')?.plaintext).toBe(issued.password);
    }
    // Unmatched, archived (svc-150 carries the topic) and topic-less repositories: untouched, never even asked about.
    expect(holdingSecrets()).toEqual([...expected].sort());
    expect(repositoriesAsked()).toEqual([...expected].sort());
    // One owner, listed once for both patterns: 230 repositories in three pages of 100.
    expect(graphqlRequests()).toHaveLength(3);
    const variables = graphqlRequests().map(
      (request) => (JSON.parse(request.body) as { variables: { login: string; cursor: string | null } }).variables,
    );
    expect(variables[0]).toEqual({ login: 'acme', cursor: null });
    expect(variables.slice(1).every(({ cursor }) => typeof cursor === 'string')).toBe(true);
    // Three listing pages, then a public key and a write per target: nothing else.
    expect(fakes.github.server.requests).toHaveLength(3 + 2 * expected.length);
    expect(fakes.github.writes()).toHaveLength(expected.length);

    const notes = [
      'Pattern acme/SVC-* matched 4 repositories of acme (3 archived skipped, 213 without the topic ecr).',
      'Pattern acme/svc-01? matched 1 repository of acme (9 without the topic ecr).',
      '3 archived repositories skipped (acme/svc-005, acme/svc-050, acme/svc-150): an archived repository is read-only, and no workflow runs in it.',
    ];
    for (const note of notes) {
      expect(result.summary).toContain(note);
      expect(result.stdout).toContain(note);
    }
    expect(result.summary).toContain('| acme/svc-200 | `ECR_PASSWORD` | created |');
  });

  it('a glob over 217 live repositories with max-age: every one read, none written, no AWS call', async () => {
    // The cheap proof of a wide fan-out: every matched repository is a target whose secret is listed;
    // all are fresh, so nothing is written (writes are paced a second apart).
    const live = SVC_NAMES.filter((name) => !ARCHIVED.has(name));
    for (const name of ACME_NAMES) {
      const store = fakes.github.repositories.get(`acme/${name}`)!.store;
      fakes.github.seed(store, 'ECR_PASSWORD', 'fresh', new Date(Date.now() - 3_600_000));
    }

    const result = await run(fakes, { ...oidc(), repositories: 'acme/svc-*', 'max-age': '6h' });

    expect(result.exitCode).toBe(0);
    const skipped = parsed(result.outputs, 'secrets-skipped');
    expect(skipped.map(({ target }) => target)).toEqual(live.map((name) => `acme/${name}`));
    expect(skipped.every(({ status }) => status === 'skipped')).toBe(true);
    expect(parsed(result.outputs, 'secrets-written')).toEqual([]);
    expect(fakes.github.writes()).toEqual([]);
    expect(count(fakes, 'sts') + count(fakes, 'ecr') + count(fakes, 'oidc')).toBe(0);
    // Three listing pages, and each live svc repository's secrets listed; archived and web-* never asked about.
    expect(graphqlRequests()).toHaveLength(3);
    expect(repositoriesAsked()).toEqual(live.map((name) => `acme/${name}`));
    const lists = githubCalls(fakes).filter((call) => /^GET \/repos\/acme\/[^/]+\/actions\/secrets$/.test(call));
    expect(lists).toHaveLength(live.length);
    expect(result.summary).toContain('Pattern acme/svc-* matched 217 repositories of acme (3 archived skipped).');
    expect(result.summary).toContain('3 archived repositories skipped');
  });

  it('owner/* of a user, with environment: environment secrets in every live repository the user owns', async () => {
    fakes.github.addRepository('alice/tool', ['ecr']);
    fakes.github.addRepository('alice/site', ['ecr']);
    fakes.github.addRepository('alice/old', ['ecr'], { archived: true });

    const result = await run(fakes, { ...oidc(), repositories: 'alice/*', environment: 'ecr' });
    const issued = fakes.aws.lastLogin!;

    expect(result.exitCode).toBe(0);
    for (const repository of ['alice/site', 'alice/tool']) {
      expect(fakes.github.environmentSecret(repository, 'ecr', 'ECR_PASSWORD')?.plaintext).toBe(issued.password);
      expect(fakes.github.repositorySecret(repository, 'ECR_PASSWORD')).toBeUndefined();
    }
    expect(holdingSecrets()).toEqual(['alice/site', 'alice/tool']);
    expect(graphqlRequests()).toHaveLength(1);
    expect(githubCalls(fakes).filter((call) => call.startsWith('PUT'))).toEqual([
      'PUT /repos/alice/site/environments/ecr/secrets/ECR_PASSWORD',
      'PUT /repos/alice/tool/environments/ecr/secrets/ECR_PASSWORD',
    ]);
    expect(result.summary).toContain('Pattern alice/* matched 2 repositories of alice (1 archived skipped).');
    expect(result.summary).toContain('1 archived repository skipped');
  });

  it('patterns that cannot be resolved fail the run by name before any write or AWS call', async () => {
    fakes.github.addRepository('sso-org/api');
    fakes.github.samlEnforced.add('sso-org');

    const result = await run(fakes, {
      ...oidc(),
      repositories: `${REPO}\nacme/nothing-*\nghost/*\nsso-org/*\nacme/web-0?`,
      'repository-topics': 'ecr, team-b',
    });

    expect(result.exitCode).toBe(1);
    const error = result.errors.join('\n');
    expect(error).toContain('repositories: 4 patterns could not be resolved, so nothing was written');
    expect(error).toContain('"acme/nothing-*": matches no repository of acme that github-token can see among its 230.');
    expect(error).toContain('"ghost/*": no user or organisation ghost is visible to github-token.');
    expect(error).toContain('"sso-org/*": could not list the repositories of sso-org. GitHub answered FORBIDDEN');
    expect(error).toContain('authorise github-token for it');
    expect(error).toContain(
      '"acme/web-0?": matches no repository of acme that github-token can see among its 230 (it matched 10 without all the topics ecr, team-b).',
    );
    expect(fakes.github.writes()).toEqual([]);
    expect(count(fakes, 'sts') + count(fakes, 'ecr') + count(fakes, 'oidc')).toBe(0);
    expect(holdingSecrets()).toEqual([]);
    // The named repository and each pattern are reported as not written, with the reason.
    const failed = parsed(result.outputs, 'secrets-failed');
    expect(failed.map(({ target }) => target)).toEqual([REPO, 'acme/nothing-*', 'ghost/*', 'sso-org/*', 'acme/web-0?']);
    expect(failed.every(({ reason }) => reason?.startsWith('repositories: 4 patterns could not be resolved'))).toBe(
      true,
    );
    expect(result.summary).toContain('### ECR password not written');
  });

  it('bad patterns and topics are input errors: named, with the fix, and no request at all', async () => {
    const runs = [
      await run(fakes, {
        ...oidc(),
        repositories: '*/app\nacme/svc-**\nacme/svc-[1]*\nacme/a/*',
        'repository-topics': 'ecr, Not A Topic',
      }),
      await run(fakes, { ...oidc(), repositories: '*/app', 'repository-topics': 'ecr' }),
      await run(fakes, { ...oidc(), repositories: REPO, 'repository-topics': 'ecr' }),
      await run(fakes, { ...oidc(), repositories: undefined, organization: 'acme', 'repository-topics': 'ecr' }),
      await run(fakes, { ...oidc(), repositories: 'acme/svc-*\nACME/SVC-*' }),
    ];
    const [patterns, invalidPatternOnly, topicsAlone, organization, twice] = runs.map((result) => {
      expect(result.exitCode).toBe(1);
      return result.errors.join('\n');
    });

    expect(patterns).toContain(
      `Input 'repositories': "*/app" has a pattern in the owner, and only repository names may be patterns.`,
    );
    expect(patterns).toContain(`Input 'repositories': "acme/svc-**" has **`);
    expect(patterns).toContain(`Input 'repositories': "acme/svc-[1]*" has characters no repository name holds`);
    expect(patterns).toContain(`Input 'repositories': "acme/a/*" is not of the form owner/pattern.`);
    expect(patterns).toContain(`Input 'repository-topics': "Not A Topic" is not a GitHub topic.`);
    // A pattern that is refused is still a pattern: repository-topics is not blamed for it.
    expect(patterns).not.toContain('holds no pattern');
    expect(invalidPatternOnly).not.toContain('repository-topics');
    expect(topicsAlone).toContain(
      `Input 'repository-topics': it filters the repositories a pattern in repositories matches, and repositories holds no pattern`,
    );
    expect(topicsAlone).toContain('Add a pattern such as octo-org/* to repositories, or remove repository-topics.');
    expect(organization).toContain(
      `Input 'repository-topics': with organization, it filters the repositories a pattern in selected-repositories matches, and selected-repositories holds no pattern.`,
    );
    expect(twice).toContain(`Input 'repositories': "ACME/SVC-*" is listed twice.`);
    expect(fakes.allRequests()).toEqual([]);
  });

  it('a dry run resolves the patterns too: the plan names each matched repository, nothing is written, AWS is not asked', async () => {
    const result = await run(fakes, {
      ...oidc(),
      repositories: 'acme/svc-*',
      'repository-topics': 'ecr',
      'dry-run': 'true',
    });

    expect(result.exitCode).toBe(0);
    const planned = ['acme/svc-010', 'acme/svc-020', 'acme/svc-030', 'acme/svc-200'];
    expect(parsed(result.outputs, 'secrets-planned').map(({ target, status }) => ({ target, status }))).toEqual(
      planned.map((target) => ({ target, status: 'planned' })),
    );
    expect(result.summary).toContain('Pattern acme/svc-* matched 4 repositories');
    expect(holdingSecrets()).toEqual([]);
    expect(count(fakes, 'sts') + count(fakes, 'ecr') + count(fakes, 'oidc')).toBe(0);
    // Each matched repository's key was read (the dry run's proof of access); no other repository was asked.
    expect(repositoriesAsked()).toEqual(planned);
  });

  it('secret-type reaches the matched repositories: Dependabot secrets in each, no Actions secret', async () => {
    const result = await run(fakes, {
      ...oidc(),
      repositories: 'acme/web-0?',
      'repository-topics': 'ecr',
      'secret-type': 'dependabot',
    });
    const issued = fakes.aws.lastLogin!;

    expect(result.exitCode).toBe(0);
    expect(fakes.github.repositorySecret('acme/web-01', 'ECR_PASSWORD', 'dependabot')?.plaintext).toBe(issued.password);
    expect(fakes.github.repositorySecret('acme/web-01', 'ECR_PASSWORD')).toBeUndefined();
    expect(
      githubCalls(fakes).filter((call) => call === 'PUT /repos/acme/web-01/dependabot/secrets/ECR_PASSWORD'),
    ).toHaveLength(1);
  });
});

describe('disabled and locked repositories (GraphQL isDisabled, isLocked)', () => {
  beforeEach(() => {
    fakes.github.addRepository('octo/api', ['ecr']);
    // GitHub answers REST for both with 403 "Repository access blocked" (the fake's blockedRepository).
    fakes.github.addRepository('octo/banned', ['ecr'], { disabled: true });
    fakes.github.addRepository('octo/moving', ['ecr'], { locked: true });
  });

  it('a pattern skips them as it skips archived ones, counted and named; one named exactly beside it is skipped too', async () => {
    const result = await run(fakes, { ...oidc(), repositories: 'octo/*\nocto/moving' });

    expect(result.exitCode).toBe(0);
    expect(holdingSecrets()).toEqual(['octo/api', 'octo/app']);
    expect(githubCalls(fakes).filter((call) => /\/octo\/(banned|moving)\//.test(call))).toEqual([]);
    expect(parsed(result.outputs, 'secrets-skipped')).toEqual([
      expect.objectContaining({ target: 'octo/moving', secret: 'ECR_PASSWORD', status: 'skipped' }),
    ]);
    expect(result.summary).toContain(
      'Pattern octo/* matched 2 repositories of octo (1 disabled skipped, 1 locked skipped).',
    );
    expect(result.summary).toContain('1 disabled repository skipped (octo/banned)');
    expect(result.summary).toContain('1 locked repository skipped (octo/moving)');
    expect(result.summary).toContain('locked: the repository is locked');
  });

  it('named exactly without a pattern of their owner: written as named, and GitHub refuses (the fake answers as GitHub)', async () => {
    const result = await run(fakes, { ...oidc(), repositories: 'octo/banned' });

    expect(result.exitCode).toBe(1);
    expect(result.summary).toContain('Repository access blocked');
    // Said as the repository's block, not as a token without the Secrets permission (which no new token would fix).
    expect(result.errors.join('\n')).toContain(
      'GitHub has blocked this repository (disabled or locked), so no secret can be written there',
    );
    expect(result.errors.join('\n')).not.toContain('It needs');
  });
});

describe('an archived repository named exactly beside a pattern of its owner', () => {
  beforeEach(() => {
    fakes.github.addRepository('octo/api', ['ecr']);
    fakes.github.addRepository('octo/old', ['ecr'], { archived: true });
  });

  it('named beside octo/*, which also matches it: skipped with the reason, never written, counted once', async () => {
    const result = await run(fakes, { ...oidc(), repositories: 'octo/*\nocto/old' });

    expect(result.exitCode).toBe(0);
    expect(fakes.github.repositorySecret('octo/old', 'ECR_PASSWORD')).toBeUndefined();
    expect(fakes.github.repositorySecret('octo/api', 'ECR_PASSWORD')?.plaintext).toBe(fakes.aws.lastLogin?.password);
    expect(githubCalls(fakes).filter((call) => call.includes('/octo/old/'))).toEqual([]);
    expect(parsed(result.outputs, 'secrets-skipped')).toEqual([
      expect.objectContaining({ target: 'octo/old', secret: 'ECR_PASSWORD', status: 'skipped' }),
    ]);
    expect(result.summary).toContain('archived: an archived repository is read-only and runs no workflow');
    expect(result.summary).toContain('1 archived repository skipped');
  });

  it('named beside a pattern of its owner that does not match it, with an environment: skipped, and the note counts it', async () => {
    const result = await run(fakes, { ...oidc(), repositories: 'octo/api*\nOcto/OLD', environment: 'ecr' });

    expect(result.exitCode).toBe(0);
    expect(fakes.github.environmentSecret('octo/old', 'ecr', 'ECR_PASSWORD')).toBeUndefined();
    expect(fakes.github.environmentSecret('octo/api', 'ecr', 'ECR_PASSWORD')).toBeDefined();
    expect(parsed(result.outputs, 'secrets-skipped').map(({ target }) => target)).toEqual(['Octo/OLD environment ecr']);
    expect(result.summary).toContain('Pattern octo/api* matched 1 repository of octo.');
    expect(result.summary).toContain('1 archived repository skipped');
  });

  it('a dry run plans it as skipped, reading nothing of it', async () => {
    const result = await run(fakes, { ...oidc(), repositories: 'octo/*\nocto/old', 'dry-run': 'true' });

    expect(result.exitCode).toBe(0);
    expect(parsed(result.outputs, 'secrets-skipped').map(({ target }) => target)).toEqual(['octo/old']);
    expect(parsed(result.outputs, 'secrets-planned').map(({ target }) => target)).toEqual(['octo/api', 'octo/app']);
    expect(githubCalls(fakes).filter((call) => call.includes('/octo/old/'))).toEqual([]);
  });

  it('named without any pattern of its owner: not listed, no extra request, written as named', async () => {
    const result = await run(fakes, { ...oidc(), repositories: 'octo/old' });

    expect(result.exitCode).toBe(0);
    expect(graphqlRequests()).toEqual([]);
    expect(fakes.github.repositorySecret('octo/old', 'ECR_PASSWORD')).toBeDefined();
  });
});
