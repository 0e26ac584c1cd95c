import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { readPage, subsections, yamlBlocks } from '../docs/readme.ts';
import { EXAMPLES } from './fixtures.ts';
import { isRecord } from './policy.ts';

/**
 * examples/gitlab: the trust policies for GitLab's OIDC provider (GitLab docs, "Configure OpenID
 * Connect in AWS to retrieve temporary credentials": provider `gitlab.com`, condition keys
 * `gitlab.com:aud` and `gitlab.com:sub`, `sub` = `project_path:<group>/<project>:ref_type:<type>:ref:<name>`),
 * and the .gitlab-ci.yml of docs/gitlab.md that relies on them.
 */
const DIR = join(EXAMPLES, 'gitlab');
const HOST = 'gitlab.com';
const AUD = `${HOST}:aud`;
/** The audience GitLab's guide "Configure OpenID Connect in AWS" gives the provider and the jobs: the instance's address. */
const GITLAB_AUDIENCE = 'https://gitlab.com';
const SUB = `${HOST}:sub`;
const FILES = ['trust-policy-branch.json', 'trust-policy-project.json'];

const policy = (name: string): unknown => JSON.parse(readFileSync(join(DIR, name), 'utf8'));

/** What is wrong with `document` as a trust policy for GitLab's OIDC provider; [] when nothing is. */
function gitlabTrustProblems(document: unknown): string[] {
  if (!isRecord(document)) return ['not a JSON object'];
  const problems: string[] = [];
  if (document['Version'] !== '2012-10-17') problems.push('Version is not 2012-10-17');
  const statements = document['Statement'];
  if (!Array.isArray(statements) || statements.length !== 1) return [...problems, 'not exactly one Statement'];
  const statement: unknown = statements[0];
  if (!isRecord(statement)) return [...problems, 'the Statement is not an object'];
  if (statement['Effect'] !== 'Allow') problems.push('Effect is not Allow');
  if (statement['Action'] !== 'sts:AssumeRoleWithWebIdentity')
    problems.push('Action is not sts:AssumeRoleWithWebIdentity');
  const principal = statement['Principal'];
  const federated = isRecord(principal) ? principal['Federated'] : undefined;
  if (typeof federated !== 'string' || !/^arn:aws:iam::\d{12}:oidc-provider\/gitlab\.com$/.test(federated))
    problems.push("Principal is not GitLab's OIDC provider");
  const condition = statement['Condition'];
  if (!isRecord(condition)) return [...problems, 'no Condition: any GitLab project could assume the role'];
  const tests: { operator: string; key: string; value: unknown }[] = [];
  for (const [operator, block] of Object.entries(condition)) {
    if (!isRecord(block)) problems.push(`${operator} is not an object`);
    else for (const [key, value] of Object.entries(block)) tests.push({ operator, key, value });
  }
  for (const { key } of tests) if (key !== AUD && key !== SUB) problems.push(`tests ${key}`);
  const aud = tests.filter((t) => t.key === AUD);
  if (aud.length !== 1 || aud[0]?.operator !== 'StringEquals' || aud[0]?.value !== GITLAB_AUDIENCE)
    problems.push(`must test ${AUD} once, StringEquals ${GITLAB_AUDIENCE}`);
  const sub = tests.filter((t) => t.key === SUB);
  const [only] = sub;
  if (sub.length !== 1 || !only || typeof only.value !== 'string') return [...problems, `must test ${SUB} once`];
  const wildcard = /[*?]/.test(only.value);
  if (only.operator === 'StringEquals' && wildcard) problems.push('a wildcard under StringEquals matches nothing');
  if (only.operator === 'StringLike' && !wildcard) problems.push('an exact sub under StringLike: use StringEquals');
  if (only.operator !== 'StringEquals' && only.operator !== 'StringLike')
    problems.push(`sub tested with ${only.operator}`);
  // The project is named in full: a pattern open before it would admit other groups' pipelines.
  if (!/^project_path:[\w.-]+(\/[\w.-]+)+:/.test(only.value)) problems.push(`"${only.value}" does not name a project`);
  return problems;
}

const subOf = (document: unknown) => {
  const condition = (document as { Statement: { Condition: Record<string, Record<string, string>> }[] }).Statement[0]
    ?.Condition;
  return Object.entries(condition ?? {}).flatMap(([operator, block]) =>
    block[SUB] === undefined ? [] : [`${operator} ${block[SUB]}`],
  );
};

describe('examples/gitlab', () => {
  it('holds the two trust policies and their README', () => {
    expect(readdirSync(DIR).sort()).toEqual(['README.md', ...FILES].sort());
  });

  it.each(FILES)("%s is valid JSON and a well-formed trust policy for GitLab's provider", (name) => {
    expect(gitlabTrustProblems(policy(name))).toEqual([]);
  });

  it('the branch policy admits main of octo-group/app only; the project policy every ref of it', () => {
    expect(subOf(policy('trust-policy-branch.json'))).toEqual([
      'StringEquals project_path:octo-group/app:ref_type:branch:ref:main',
    ]);
    expect(subOf(policy('trust-policy-project.json'))).toEqual(['StringLike project_path:octo-group/app:*']);
    const readme = readFileSync(join(DIR, 'README.md'), 'utf8');
    expect(readme).toContain('`StringEquals` on `project_path:octo-group/app:ref_type:branch:ref:main`');
    expect(readme).toContain('`StringLike` on `project_path:octo-group/app:*`');
  });

  it('the checks can fail', () => {
    const broken = (edit: (statement: Record<string, unknown>) => void) => {
      const document = structuredClone(policy('trust-policy-branch.json')) as { Statement: Record<string, unknown>[] };
      edit(document.Statement[0] as Record<string, unknown>);
      return gitlabTrustProblems(document);
    };
    expect(broken((s) => delete s['Condition'])).toEqual([expect.stringMatching(/no Condition/)]);
    expect(
      broken((s) => (s['Condition'] = { StringEquals: { [AUD]: GITLAB_AUDIENCE, [SUB]: 'project_path:*' } })),
    ).toEqual(
      expect.arrayContaining([
        'a wildcard under StringEquals matches nothing',
        '"project_path:*" does not name a project',
      ]),
    );
    expect(
      broken((s) => (s['Condition'] = { StringLike: { [AUD]: GITLAB_AUDIENCE, [SUB]: 'project_path:g/p:*' } })),
    ).toEqual([`must test ${AUD} once, StringEquals ${GITLAB_AUDIENCE}`]);
    expect(
      broken(
        (s) =>
          (s['Principal'] = {
            Federated: 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com',
          }),
      ),
    ).toEqual(["Principal is not GitLab's OIDC provider"]);
  });
});

describe('docs/gitlab.md', () => {
  const gitlab = readPage('docs/gitlab.md');
  const pipelines = yamlBlocks(gitlab).map((text) => parse(text) as Record<string, Record<string, unknown>>);

  it('has the dotenv pipeline and the CI/CD variable pipeline', () => {
    expect(subsections(gitlab, 2).map((s) => s.title)).toEqual([
      'Set-up',
      'A dotenv report ahead of the container jobs',
      'A CI/CD variable, refreshed on a schedule',
    ]);
    expect(pipelines).toHaveLength(2);
  });

  it('every job asks GitLab for the audience the trust policies expect, and hands that token to the command', () => {
    const jobs = pipelines.flatMap((pipeline) =>
      Object.values(pipeline).filter((job) => isRecord(job) && 'script' in job),
    );
    const refreshing = jobs.filter((job) => String(job['script']).includes('ecr-secret-refresh'));
    expect(refreshing).toHaveLength(2);
    for (const job of refreshing) {
      expect(job['id_tokens']).toEqual({ GITLAB_OIDC_TOKEN: { aud: GITLAB_AUDIENCE } });
      expect(String(job['script'])).toMatch(
        /--web-identity-token-env GITLAB_OIDC_TOKEN --role-to-assume arn:aws:iam::\d{12}:role\/\S+ --aws-region eu-west-1/,
      );
    }
  });

  it('the dotenv job reports the file the command writes, and the container job depends on it', () => {
    const [dotenv] = pipelines as [Record<string, Record<string, unknown>>];
    const login = dotenv['ecr-login'] as { script: string[]; artifacts: { reports: { dotenv: string } } };
    const file = /--dotenv-file (\S+)/.exec(login.script.join(' '))?.[1];
    expect(file).toBe('auth.env');
    expect(login.artifacts.reports.dotenv).toBe(file);
    const build = dotenv['build'] as { image: string; dependencies: string[]; stage: string };
    expect(build.dependencies).toEqual(['ecr-login']);
    expect(build.image).toMatch(/^\d{12}\.dkr\.ecr\.eu-west-1\.amazonaws\.com\//);
    const stages = dotenv['stages'] as unknown as string[];
    expect(stages.indexOf(build.stage)).toBeGreaterThan(
      stages.indexOf(String((dotenv['ecr-login'] as { stage: string }).stage)),
    );
  });

  it('the variable job names the flags the issue fixed', () => {
    const script = JSON.stringify(pipelines[1]);
    for (const flag of [
      '--gitlab-project',
      '--gitlab-variable DOCKER_AUTH_CONFIG',
      '--gitlab-protected',
      '--gitlab-token-env GITLAB_TOKEN',
    ])
      expect(script).toContain(flag);
    for (const flag of [
      '--dotenv-file',
      '--gitlab-project',
      '--gitlab-group',
      '--gitlab-variable',
      '--gitlab-protected',
      '--gitlab-environment-scope',
      '--gitlab-api-url',
      '--gitlab-token-env',
    ])
      expect(gitlab).toContain(`\`${flag}`);
  });
});
