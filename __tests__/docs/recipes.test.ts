/**
 * The recipes, run as written: the README's quick start and every recipe of docs/recipes.md. Every
 * `uses: <owner>/ecr-secret-refresh@v1` step of each runs dist/index.js with exactly its `with:` inputs against the fakes, in the environment its
 * workflow gives it (permissions, runner, the steps before it), and what GitHub stored is opened and
 * compared with what ECR issued. An input the action does not declare, a value it refuses, a name the
 * fakes do not know or an expression missing from the tables below fails the test, so the pages
 * cannot drift from the action. And one name for the writing token's secret: every `github-token` in
 * README.md, docs/ and examples/ is the App token of the step before, or secrets.SECRETS_WRITER_TOKEN.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { ACCOUNT_ID } from '../fakes/aws.ts';
import type { Fakes } from '../fakes/index.ts';
import type { StoredSecret } from '../fakes/github.ts';
import type { ActionRun } from '../fakes/run-action.ts';
import { run } from '../e2e/helpers.ts';
import { startFakes } from '../fakes/index.ts';
import { ROOT } from './messages.ts';
import { readPage, recipes, userPages, yamlBlocks } from './readme.ts';

const ACTION = '<owner>/ecr-secret-refresh@v1';

/**
 * The names the recipes use, as the fakes know them: the account (the fake's), the region, the
 * repository whose workflow runs, the other repositories and the organisation, and the roles.
 */
const WORLD = {
  accountId: '123456789012',
  region: 'eu-west-1',
  currentRepository: 'octo-org/app',
  repositories: {
    'octo-org/app': ['ecr'],
    'octo-org/api': [],
    'octo-org/web': [],
    'octo-org/svc-orders': [],
    'octo-org/svc-legacy': [],
  } as Record<string, string[]>,
  /** Topics, for the recipes' repository-topics: svc-legacy matches svc-* but lacks the topic. */
  topics: { 'octo-org/svc-orders': ['ecr'] } as Record<string, string[]>,
  organizations: ['octo-org'],
  /** `ecr-pull` trusts this run's OIDC token and the CI user's keys; `ci-deploy` is what configure-aws-credentials assumes. */
  roles: ['ecr-pull', 'ci-deploy'],
};

/** What the fakes were given for one recipe run: tokens and keys the expressions below stand for. */
interface Stage {
  fakes: Fakes;
  tokens: { writer: string; app: string };
  /** The access keys of the CI user (recipe 6) that the `ecr-pull` role trusts. */
  ciUser: { accessKeyId: string; secretAccessKey: string };
  /** The instance profile's credentials, as the SDK's default chain finds them on EC2. */
  instanceProfile: { accessKeyId: string; secretAccessKey: string };
}

/** Every `${{ ... }}` a recipe's step or environment uses, and the test value it stands for. */
const EXPRESSIONS: Record<string, (stage: Stage) => string> = {
  'secrets.SECRETS_WRITER_TOKEN': ({ tokens }) => tokens.writer,
  'steps.app-token.outputs.token': ({ tokens }) => tokens.app,
  'secrets.AWS_ACCESS_KEY_ID': ({ ciUser }) => ciUser.accessKeyId,
  'secrets.AWS_SECRET_ACCESS_KEY': ({ ciUser }) => ciUser.secretAccessKey,
};

interface Step {
  uses?: string;
  run?: string;
  id?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}
interface Job {
  'runs-on': string | string[];
  permissions?: Record<string, string>;
  env?: Record<string, unknown>;
  steps: Step[];
}
interface Workflow {
  permissions?: Record<string, string>;
  env?: Record<string, unknown>;
  jobs: Record<string, Job>;
}

/** What the steps a recipe runs before the action leave in the job's environment, by the action they use. */
const EARLIER_STEPS: Record<string, (step: Step, stage: Stage) => Record<string, string>> = {
  'actions/checkout@': () => ({}),
  // Its token reaches the action through `steps.app-token.outputs.token` (EXPRESSIONS).
  'actions/create-github-app-token@': () => ({}),
  // It assumes its role and exports the session and region (configure-aws-credentials, src/helpers.ts: exportVariable).
  'aws-actions/configure-aws-credentials@': (step, { fakes }) => {
    const session = fakes.aws.sessionOf(knownRole(fakes, String(step.with?.['role-to-assume'])));
    const region = String(step.with?.['aws-region']);
    return {
      AWS_ACCESS_KEY_ID: session.accessKeyId,
      AWS_SECRET_ACCESS_KEY: session.secretAccessKey,
      AWS_SESSION_TOKEN: session.sessionToken,
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
    };
  },
};

/**
 * What the runner gives a job: a self-hosted runner here stands for one on EC2 with an instance
 * profile. The SDK's default chain reads these variables before it asks the instance metadata
 * service (disabled in the tests), so static keys the fake AWS knows stand in for the profile's role.
 */
function runnerEnvironment(job: Job, stage: Stage): Record<string, string> {
  const labels = ([] as string[]).concat(job['runs-on']);
  if (!labels.includes('self-hosted')) return {};
  return {
    AWS_ACCESS_KEY_ID: stage.instanceProfile.accessKeyId,
    AWS_SECRET_ACCESS_KEY: stage.instanceProfile.secretAccessKey,
  };
}

function knownRole(fakes: Fakes, arn: string): string {
  if (!fakes.aws.roles.has(arn))
    throw new Error(`The recipe names the role ${arn}, which the test's WORLD does not hold.`);
  return arn;
}

/** A `with:` or `env:` value as the runner passes it, each `${{ ... }}` replaced from EXPRESSIONS. */
function resolve(value: unknown, stage: Stage, where: string): string {
  return String(value).replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_, expression: string) => {
    const lookup = EXPRESSIONS[expression];
    if (!lookup)
      throw new Error(
        `${where} uses \${{ ${expression} }}, which EXPRESSIONS in recipes.test.ts does not map to a test value.`,
      );
    return lookup(stage);
  });
}

function resolveAll(values: Record<string, unknown> | undefined, stage: Stage, where: string): Record<string, string> {
  return Object.fromEntries(Object.entries(values ?? {}).map(([name, value]) => [name, resolve(value, stage, where)]));
}

interface RecipeStep {
  recipe: string;
  /** Which of the recipe's workflows, and which job. */
  label: string;
  workflow: Workflow;
  job: Job;
  index: number;
}

function recipeSteps(): RecipeStep[] {
  return recipes().flatMap(({ title, body }) =>
    yamlBlocks(body).flatMap((text, block) => {
      const workflow = parse(text) as Workflow;
      return Object.entries(workflow.jobs).flatMap(([jobName, job]) =>
        job.steps.flatMap((step, index) =>
          step.uses === ACTION
            ? [{ recipe: title, label: `workflow ${block + 1}, job ${jobName}`, workflow, job, index }]
            : [],
        ),
      );
    }),
  );
}

async function stageFor(): Promise<Stage> {
  const fakes = await startFakes({ region: WORLD.region });
  for (const [repository, environments] of Object.entries(WORLD.repositories))
    fakes.github.addRepository(repository, environments, { topics: WORLD.topics[repository] ?? [] });
  for (const organization of WORLD.organizations) fakes.github.addOrganization(organization);
  const ciUser = fakes.aws.addStaticKeys();
  const instanceProfile = fakes.aws.addStaticKeys();
  for (const role of WORLD.roles)
    fakes.aws.addRole(role, {
      audience: 'sts.amazonaws.com',
      subject: fakes.oidc.subject,
      trustedAccessKeyIds: [ciUser.accessKeyId],
    });
  const tokens = {
    writer: fakes.github.addToken('github_pat_11SECRETSWRITER'),
    app: fakes.github.addToken('ghs_appinstallationtoken'),
  };
  return { fakes, tokens, ciUser, instanceProfile };
}

/** The inputs and environment of the action's step, as the runner would build them for this recipe. */
function prepare({ workflow, job, index, recipe, label }: RecipeStep, stage: Stage) {
  const where = `Recipe "${recipe}" (${label})`;
  const permissions = job.permissions ?? workflow.permissions ?? {};
  const env: Record<string, string> = {
    GITHUB_REPOSITORY: WORLD.currentRepository,
    GITHUB_REPOSITORY_OWNER: WORLD.currentRepository.split('/')[0] as string,
    // The runner offers an OIDC token only to jobs with `id-token: write`.
    ...(permissions['id-token'] === 'write'
      ? {}
      : { ACTIONS_ID_TOKEN_REQUEST_URL: '', ACTIONS_ID_TOKEN_REQUEST_TOKEN: '' }),
    ...runnerEnvironment(job, stage),
    ...resolveAll(workflow.env, stage, where),
    ...resolveAll(job.env, stage, where),
  };
  for (const earlier of job.steps.slice(0, index)) {
    if (earlier.run !== undefined) continue;
    const known = Object.entries(EARLIER_STEPS).find(([prefix]) => earlier.uses?.startsWith(prefix));
    if (!known)
      throw new Error(
        `${where} runs ${earlier.uses} before the action; say in EARLIER_STEPS what it leaves in the environment.`,
      );
    Object.assign(env, known[1](earlier, stage));
  }
  const step = job.steps[index] as Step;
  Object.assign(env, resolveAll(step.env, stage, where));
  const inputs = resolveAll(step.with, stage, where);
  return { inputs, env };
}

/** Where each secret should be now, and what it should hold, from the inputs alone. */
function expectedSecrets(inputs: Record<string, string>, fakes: Fakes) {
  const login = fakes.aws.lastLogin!;
  const values: Record<string, string> = { [inputs['secret-name'] || 'ECR_PASSWORD']: login.password };
  if (inputs['username-secret-name']) values[inputs['username-secret-name']] = 'AWS';
  if (inputs['docker-config-secret-name']) {
    values[inputs['docker-config-secret-name']] = JSON.stringify({
      auths: { [login.registry]: { auth: Buffer.from(`AWS:${login.password}`).toString('base64') } },
    });
  }
  const list = (text: string) =>
    text
      .split(/[\n,]/)
      .map((item) => item.trim())
      .filter(Boolean);
  const read: { target: string; get: (name: string) => StoredSecret | undefined }[] = inputs['organization']
    ? [
        {
          target: `organization ${inputs['organization']}`,
          get: (name) => fakes.github.organizationSecret(inputs['organization'] as string, name),
        },
      ]
    : list(inputs['repositories'] || WORLD.currentRepository).map((repository) => {
        const environment = inputs['environment'];
        return environment
          ? {
              target: `${repository} environment ${environment}`,
              get: (name: string) => fakes.github.environmentSecret(repository, environment, name),
            }
          : { target: repository, get: (name: string) => fakes.github.repositorySecret(repository, name) };
      });
  return read.flatMap(({ target, get }) =>
    Object.entries(values).map(([name, value]) => ({ target, name, value, stored: get(name) })),
  );
}

const steps = recipeSteps();

describe('the quick start and the recipes, run as written', () => {
  it('finds the quick start and the seven recipes, in order, and the action in each: once, twice where a recipe shows two ways', () => {
    const perRecipe = new Map(recipes().map(({ title }) => [title, 0]));
    for (const { recipe } of steps) perRecipe.set(recipe, (perRecipe.get(recipe) ?? 0) + 1);
    expect([...perRecipe]).toEqual([
      ['Quick start', 1],
      ['1. Scheduled rotation every 6 hours with OIDC', 1],
      ['2. A step ahead of container jobs in the same run', 1],
      ['3. Organisation-wide', 2],
      ['4. A GitHub App token, or a fine-grained PAT', 1],
      ['5. Self-hosted runners on EC2 with the instance profile', 1],
      ['6. Access keys and a chained role, or credentials from an earlier step', 2],
      ['7. The docker config, for tools that read `DOCKER_AUTH_CONFIG` or `~/.docker/config.json`', 1],
    ]);
    expect(ACCOUNT_ID).toBe(WORLD.accountId);
  });

  let stage: Stage;
  beforeEach(async () => (stage = await stageFor()));
  afterEach(async () => stage.fakes.stop());

  it.each(steps.map((step) => [`${step.recipe} (${step.label})`, step] as const))('%s', async (_, step) => {
    const { fakes } = stage;
    const { inputs, env } = prepare(step, stage);
    // The fakes' address is the one input a recipe never sets: the action must find GitHub there.
    expect(inputs).not.toHaveProperty('github-api-url');
    const withInputs = {
      'aws-region': undefined,
      'github-token': undefined,
      ...inputs,
      'github-api-url': fakes.github.server.url,
    };
    const result: ActionRun = await run(fakes, withInputs, env);

    expect(result.errors).toEqual([]);
    expect(result.exitCode).toBe(0);

    // The AWS identity the recipe means: the role it names (by OIDC, or by the keys), else what the default chain finds.
    const login = fakes.aws.lastLogin!;
    const role = inputs['role-to-assume'];
    if (role) expect(fakes.aws.temporary.get(login.signedWith)?.roleArn).toBe(knownRole(fakes, role));
    else expect(login.signedWith).toBe(env['AWS_ACCESS_KEY_ID']);
    expect(fakes.oidc.server.requests.length > 0).toBe(Boolean(role && !inputs['aws-access-key-id']));

    // Every secret the inputs ask for, at every target, holds what ECR issued.
    const expected = expectedSecrets(inputs, fakes);
    for (const { target, name, value, stored } of expected)
      expect({ target, name, plaintext: stored?.plaintext }).toEqual({ target, name, plaintext: value });
    expect(JSON.parse(result.outputs['secrets-written'] ?? '[]')).toHaveLength(expected.length);
    if (inputs['visibility'] === 'selected') {
      // Names as listed; a pattern (`svc-*`) matches the organisation's repositories that carry every repository-topics topic.
      const org = (inputs['organization'] ?? '').toLowerCase();
      const topics = (inputs['repository-topics'] ?? '')
        .split(/[\n,]/)
        .map((t) => t.trim().toLowerCase())
        .filter(Boolean);
      const glob = (pattern: string) =>
        new RegExp(
          `^${pattern
            .replace(/[.+^${}()|[\]\\-]/g, '\\$&')
            .replace(/\*/g, '.*')
            .replace(/\?/g, '.')}$`,
          'i',
        );
      const ids = (inputs['selected-repositories'] ?? '')
        .split(/[\n,]/)
        .map((name) => name.trim())
        .filter(Boolean)
        .flatMap((entry) => {
          const name = entry.split('/').at(-1) ?? '';
          if (!/[*?]/.test(name)) return [fakes.github.repositories.get(`${org}/${name}`.toLowerCase())?.id];
          return [...fakes.github.repositories.values()]
            .filter((r) => r.owner.toLowerCase() === org && glob(name).test(r.name))
            .filter((r) => topics.every((topic) => r.topics.includes(topic)))
            .map((r) => r.id);
        });
      expect(ids.length).toBeGreaterThan(0);
      for (const { stored } of expected)
        expect({ visibility: stored?.visibility, ids: [...(stored?.selectedRepositoryIds ?? [])].sort() }).toEqual({
          visibility: 'selected',
          ids: [...ids].sort(),
        });
    }
    // With the recipe's own token, and no other.
    const tokensSent = new Set(
      fakes.github.server.requests.map(({ headers }) =>
        String(headers['authorization']).replace(/^(token|bearer) /i, ''),
      ),
    );
    expect([...tokensSent]).toEqual([inputs['github-token']]);

    if (inputs['max-age']) {
      // Run again at once: every secret is fresh, so nothing is fetched or written.
      const writes = fakes.github.writes().length;
      const again = await run(fakes, withInputs, env);
      expect(again.exitCode).toBe(0);
      expect(fakes.aws.logins).toHaveLength(1);
      expect(fakes.github.writes()).toHaveLength(writes);
      expect(JSON.parse(again.outputs['secrets-skipped'] ?? '[]')).toHaveLength(expected.length);
    }
  });
});

/** Every `github-token:` value written in a page or example: in YAML blocks of Markdown, and in YAML files. */
function githubTokenValues(): { where: string; value: string }[] {
  const files = [...userPages(), 'SECURITY.md', 'CONTRIBUTING.md', ...exampleFiles()];
  return files.flatMap((file) => {
    const text = readPage(file);
    const blocks = file.endsWith('.md') ? yamlBlocks(text) : [text];
    return blocks.flatMap((block) =>
      [...block.matchAll(/^\s*(?:-\s+)?github-token:\s*(.*?)\s*(?:#.*)?$/gm)].map((match) => ({
        where: file,
        value: match[1] as string,
      })),
    );
  });
}

function exampleFiles(dir = 'examples'): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? exampleFiles(`${dir}/${entry.name}`)
      : /\.(md|ya?ml)$/.test(entry.name)
        ? [`${dir}/${entry.name}`]
        : [],
  );
}

describe('one name for the writing token', () => {
  it('every github-token in README.md, docs/ and examples/ is the App token of the step before, or secrets.SECRETS_WRITER_TOKEN', () => {
    const values = githubTokenValues();
    expect(values.length).toBeGreaterThan(10);
    expect(new Set(values.map(({ value }) => value))).toEqual(
      new Set(['${{ secrets.SECRETS_WRITER_TOKEN }}', '${{ steps.app-token.outputs.token }}']),
    );
  });

  it('the tests name the same secret: EXPRESSIONS knows no other token secret', () => {
    expect(Object.keys(EXPRESSIONS).filter((expression) => /token/i.test(expression))).toEqual([
      'secrets.SECRETS_WRITER_TOKEN',
      'steps.app-token.outputs.token',
    ]);
  });
});
