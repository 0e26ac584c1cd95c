import { describe, expect, it } from '@jest/globals';
import { ConfigError, parseConfig, renderInputNames, type Config } from '../../src/config/index.ts';
import { PRIVATE_REGISTRY } from '../../src/aws/registry.ts';
import { describeTarget } from '../../src/github/targets/kinds.ts';
import type { SecretResult } from '../../src/run/results.ts';
import { uncheckedAws } from '../../src/aws/permissions.ts';
import type { AwsAuth } from '../../src/aws/auth.ts';
import type { RegistrySpec } from '../../src/aws/registry.ts';
import type { Target } from '../../src/github/targets/kinds.ts';
import { dryRunResults, uncheckedWrites } from '../../src/github/sink.ts';
import {
  dryRunHeadline,
  dryRunOutcome,
  dryRunSummaryMarkdown,
  dryRunSummaryText,
  failureMessage,
  setOutputs,
} from '../../src/run/report.ts';

const BASE = { 'aws-region': 'eu-west-1', 'github-token': 'ghp_x' };
const ROLE = 'arn:aws:iam::123456789012:role/ecr-pull';
const parse = (inputs: Record<string, string>): Config =>
  parseConfig((name) => inputs[name] ?? '', {}, { apiUrl: 'https://api.github.com', repository: 'octo/app' });
const problems = (inputs: Record<string, string>): string[] => {
  try {
    parse(inputs);
  } catch (error) {
    if (error instanceof ConfigError)
      return error.problems.map((p) => `${p.input}: ${renderInputNames(p.problem, (name) => name)}`);
    throw error;
  }
  return [];
};

describe('dry-run and create-environment inputs, read as core.getBooleanInput reads booleans', () => {
  it.each([
    ['', false],
    ['false', false],
    ['False', false],
    ['FALSE', false],
    ['true', true],
    ['True', true],
    ['TRUE', true],
  ])('dry-run %j is %s', (text, value) => {
    expect(parse({ ...BASE, 'dry-run': text }).dryRun).toBe(value);
  });

  it.each(['yes', '1', 'on', 'tRUE', 'false!'])('dry-run %j is refused, never read as false', (text) => {
    expect(problems({ ...BASE, 'dry-run': text })).toEqual([`dry-run: "${text}" is not a boolean`]);
  });

  it('create-environment marks each environment target, and only those', () => {
    const config = parse({
      ...BASE,
      repositories: 'octo/app, octo/api',
      environment: 'ecr',
      'create-environment': 'true',
    });
    expect(config.targets).toEqual([
      { kind: 'environment', owner: 'octo', repo: 'app', environment: 'ecr', createIfMissing: true },
      { kind: 'environment', owner: 'octo', repo: 'api', environment: 'ecr', createIfMissing: true },
    ]);
    expect(parse({ ...BASE, environment: 'ecr' }).targets).toEqual([
      { kind: 'environment', owner: 'octo', repo: 'app', environment: 'ecr' },
    ]);
  });

  it('create-environment without environment is a mistake; false without it is not', () => {
    expect(problems({ ...BASE, 'create-environment': 'true' })).toEqual([
      'create-environment: it only applies to environment secrets, and environment is not set',
    ]);
    expect(problems({ ...BASE, 'create-environment': 'false' })).toEqual([]);
    expect(problems({ ...BASE, 'create-environment': 'maybe', environment: 'ecr' })).toEqual([
      'create-environment: "maybe" is not a boolean',
    ]);
  });
});

/** What a dry run's report lists as unchecked: the GitHub sink's writes, then the AWS side (src/run/engine.ts). */
const uncheckedPermissions = (auth: AwsAuth, region: string, targets: readonly Target[], registry: RegistrySpec) => [
  ...uncheckedWrites(targets),
  ...uncheckedAws({ auth, region, registry }),
];

describe('the plan', () => {
  const environment = describeTarget({
    kind: 'environment',
    owner: 'octo',
    repo: 'api',
    environment: 'ecr',
    createIfMissing: true,
  });
  const organization = describeTarget({
    kind: 'organization',
    org: 'octo-org',
    visibility: 'all',
    selectedRepositories: [],
  });

  it('a due secret is planned with the settings its write would send; a holder to be created is noted', () => {
    const settings = { body: { visibility: 'all' }, takesEffect: 'runs in all repositories', differs: false };
    expect(dryRunResults({ target: organization, due: [{ name: 'ECR_PASSWORD', settings }], results: [] })).toEqual([
      {
        target: 'organization octo-org',
        secret: 'ECR_PASSWORD',
        status: 'planned',
        takesEffect: 'runs in all repositories',
        settings: { visibility: 'all' },
      },
    ]);
    const [planned] = dryRunResults({
      target: environment,
      due: [{ name: 'ECR_PASSWORD', settings: { body: {}, takesEffect: 'jobs', differs: false } }],
      results: [],
      environmentCreation: 'would be created',
    });
    expect(planned?.detail).toBe('environment ecr in octo/api would be created (create-environment)');
  });

  it('unchecked permissions follow the identity and the targets', () => {
    const oidc = uncheckedPermissions(
      { kind: 'oidc', roleArn: ROLE, audience: 'sts.amazonaws.com', sessionName: 's', durationSeconds: 900 },
      'eu-west-1',
      [environment, organization],
      PRIVATE_REGISTRY,
    );
    expect(oidc).toEqual([
      expect.stringContaining("'Environments: Read and write'"),
      expect.stringContaining("organization permission 'Secrets: Read and write'"),
      expect.stringContaining(
        "Creating a missing environment (create-environment): the repository permission 'Administration: Read and write'",
      ),
      expect.stringContaining(`sts:AssumeRoleWithWebIdentity on ${ROLE}`),
      'ecr:GetAuthorizationToken in eu-west-1 for that identity.',
    ]);
    const keys = uncheckedPermissions(
      { kind: 'access-keys', keys: { accessKeyId: 'AKIAX', secretAccessKey: 'x' } },
      'us-east-1',
      [describeTarget({ kind: 'repository', owner: 'octo', repo: 'app' })],
      PRIVATE_REGISTRY,
    );
    expect(keys).toHaveLength(3);
    expect(keys.join('\n')).not.toMatch(/AssumeRole|Creating/);
  });

  it('unchecked permissions follow the registry: ECR Public in us-east-1, and the pulls of registries', () => {
    const auth = { kind: 'default-chain' } as const;
    const repository = [describeTarget({ kind: 'repository', owner: 'octo', repo: 'app' })];
    const publicLogin = uncheckedPermissions(auth, 'eu-west-1', repository, { type: 'public' });
    expect(publicLogin.at(-1)).toMatch(
      /^ecr-public:GetAuthorizationToken and sts:GetServiceBearerToken in us-east-1 .*for that identity\.$/,
    );
    expect(publicLogin.join('\n')).not.toMatch(/ecr:GetAuthorizationToken|eu-west-1/);
    const several = uncheckedPermissions(auth, 'eu-central-1', repository, {
      type: 'private',
      accounts: ['210987654321', '012345678901'],
    });
    expect(several.at(-2)).toBe('ecr:GetAuthorizationToken in eu-central-1 for that identity.');
    expect(several.at(-1)).toContain(
      'accounts 210987654321, 012345678901, which the docker config would name (210987654321.dkr.ecr.eu-central-1.amazonaws.com, 012345678901.dkr.ecr.eu-central-1.amazonaws.com)',
    );
    expect(several.at(-1)).toMatch(/ecr:BatchGetImage.*repository policy in each of those accounts/);
  });
});

describe("a dry run's report", () => {
  const planned: SecretResult = {
    target: 'organization octo-org',
    secret: 'ECR_PASSWORD',
    status: 'planned',
    takesEffect: 'runs | all',
    settings: { visibility: 'selected', selected_repository_ids: [1, 2] },
  };
  const skipped: SecretResult = {
    target: 'octo/app',
    secret: 'ECR_PASSWORD',
    status: 'skipped',
    detail: 'fresh',
    takesEffect: 'x',
  };
  const failed: SecretResult = {
    target: 'octo/gone',
    secret: 'ECR_PASSWORD',
    status: 'failed',
    detail: 'not found',
    takesEffect: 'x',
  };

  it('headline: what would be written, then what else was found', () => {
    expect(dryRunHeadline([planned])).toBe('Dry run: 1 secret would be written.');
    expect(dryRunHeadline([planned, planned, skipped, failed])).toBe(
      'Dry run: 2 secrets would be written (1 skipped, 1 failed).',
    );
    expect(dryRunHeadline([skipped])).toBe('Dry run: 0 secrets would be written (1 skipped).');
  });

  it('summary: a row per secret with the settings, escaped, and the unchecked permissions listed', () => {
    const markdown = dryRunSummaryMarkdown([planned, skipped, failed], {
      unchecked: ['First thing.', 'Second thing.'],
    });
    expect(markdown).toContain('### Dry run: 1 secret would be written (1 skipped, 1 failed)\n');
    expect(markdown).toContain(
      '| organization octo-org | `ECR_PASSWORD` | would be written | visibility: selected, selected_repository_ids: 1, 2; read by runs \\| all |',
    );
    expect(markdown).toContain('| octo/app | `ECR_PASSWORD` | skipped | fresh |');
    expect(markdown).toContain('| octo/gone | `ECR_PASSWORD` | failed | not found |');
    expect(markdown).toContain(
      '**Not checked without writing**, needed by a real run:\n\n- First thing.\n- Second thing.\n',
    );
  });

  it('outputs: secrets-planned only in a dry run, written empty, failed with reasons', () => {
    const outputs: Record<string, string> = {};
    setOutputs({ setOutput: (name, value) => (outputs[name] = value) }, undefined, [planned, skipped, failed], {
      dryRun: true,
    });
    expect(JSON.parse(outputs['secrets-planned'] ?? '')).toEqual([
      {
        target: 'organization octo-org',
        secret: 'ECR_PASSWORD',
        status: 'planned',
        settings: { visibility: 'selected', selected_repository_ids: [1, 2] },
      },
    ]);
    expect(outputs['secrets-written']).toBe('[]');
    expect(JSON.parse(outputs['secrets-failed'] ?? '')).toEqual([
      { target: 'octo/gone', secret: 'ECR_PASSWORD', status: 'failed', reason: 'not found' },
    ]);
    const real: Record<string, string> = {};
    setOutputs({ setOutput: (name, value) => (real[name] = value) }, undefined, [skipped]);
    expect(real['secrets-planned']).toBeUndefined();
  });

  it('outcome: what a real run would do, a planned secret counting as one it would write', () => {
    expect(dryRunOutcome([planned, skipped])).toBe('would be refreshed');
    expect(dryRunOutcome([planned, failed])).toBe('would be partly written');
    expect(dryRunOutcome([skipped, failed])).toBe('would not be written');
    expect(dryRunOutcome([skipped])).toBe('still fresh');
  });

  it('plain text for the command: the same plan, aligned, with the unchecked list last', () => {
    const text = dryRunSummaryText([planned, skipped], { unchecked: ['First thing.'] });
    expect(text.split('\n')).toEqual([
      'Dry run: 1 secret would be written (1 skipped)',
      expect.stringMatching(/^Nothing was written, and AWS was not asked for anything/),
      '',
      'target                 secret        plan              notes',
      'organization octo-org  ECR_PASSWORD  would be written  visibility: selected, selected_repository_ids: 1, 2; read by runs | all',
      'octo/app               ECR_PASSWORD  skipped           fresh',
      '',
      'Not checked without writing, needed by a real run:',
      '- First thing.',
      '',
    ]);
  });

  it("the step's error in a dry run speaks of planning, not writing", () => {
    expect(failureMessage([planned, failed], { dryRun: true })).toBe(
      'Dry run: 1 of 2 secrets could not be planned (1 would be written):\n- octo/gone ECR_PASSWORD: not found',
    );
    expect(failureMessage([planned, skipped], { dryRun: true })).toBeUndefined();
  });
});
