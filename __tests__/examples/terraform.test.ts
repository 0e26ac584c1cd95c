/**
 * examples/terraform: parsed with HashiCorp's HCL parser and its trust and pull policies checked (the
 * audience the action sends, the subject conditions, the same policy as examples/iam).
 */
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ACCOUNT, EXAMPLES, SCOPES, VALUES, actionSource, iamJson, type Scope } from './fixtures.ts';
import { normalise, policyProblems } from './policy.ts';
import { plan, readModule, type TerraformModule } from './terraform.ts';

const DIR = join(EXAMPLES, 'terraform');
const EXISTING_PROVIDER = 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com';

function variables(scope: Scope, more: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    github_org: VALUES.org,
    repository: VALUES.repository,
    branch: VALUES.branch,
    environment: VALUES.environment,
    subject_scope: scope,
    ecr_repository_names: [VALUES.ecrRepository],
    ...more,
  };
}

async function planned(scope: Scope, more: Record<string, unknown> = {}, module?: TerraformModule) {
  return plan(module ?? (await readModule(DIR)), variables(scope, more), ACCOUNT);
}

/** The module with one file's text changed; the change must apply. */
function mutated(file: string, from: string | RegExp, to: string): Promise<TerraformModule> {
  return readModule(DIR, (name, text) => {
    if (name !== file) return text;
    const changed = text.replace(from, to);
    expect(changed).not.toBe(text);
    return changed;
  });
}

describe('examples/terraform', () => {
  it("parses with HashiCorp's HCL parser; every variable has a type and a description", async () => {
    const module = await readModule(DIR);
    expect(module.files).toEqual(['main.tf', 'outputs.tf', 'variables.tf', 'versions.tf']);
    for (const [name, variable] of Object.entries(module.variables)) {
      expect([name, typeof variable['type'], typeof variable['description']]).toEqual([name, 'string', 'string']);
    }
    expect(module.terraform[0]?.['required_providers']).toEqual([
      { aws: { source: 'hashicorp/aws', version: '>= 5.0' } },
    ]);
  });

  it.each(SCOPES)('subject_scope %s: the trust policy is examples/iam/trust-policy-<scope>.json', async (scope) => {
    const { trustPolicy } = await planned(scope);
    expect(policyProblems(trustPolicy, 'trust')).toEqual([]);
    expect(normalise(trustPolicy)).toEqual(normalise(iamJson(`trust-policy-${scope}.json`)));
  });

  it('creates the OIDC provider for the audience the action sends, unless one is given; the role trusts whichever it is', async () => {
    const created = await planned('branch');
    expect(created.oidcProviders).toEqual([
      { url: 'https://token.actions.githubusercontent.com', clientIds: [actionSource().defaultAudience] },
    ]);
    expect(created.outputs['oidc_provider_arn']).toBe(EXISTING_PROVIDER);
    expect(created.outputs['role_arn']).toBe('arn:aws:iam::123456789012:role/ecr-secret-refresh');

    const other = EXISTING_PROVIDER.replace('123456789012', '210987654321');
    const given = await planned('branch', { oidc_provider_arn: other });
    expect(given.oidcProviders).toEqual([]);
    expect(given.trustPolicy.Statement[0]?.Principal).toEqual({ Federated: [other] });
  });

  it('the ecr-pull policy is examples/iam/ecr-pull-policy.json, and ECR Public is added only when asked for', async () => {
    const pullOnly = (await planned('environment')).rolePolicies;
    expect(Object.keys(pullOnly)).toEqual(['ecr-pull']);
    expect(policyProblems(pullOnly['ecr-pull'], 'permissions')).toEqual([]);
    expect(normalise(pullOnly['ecr-pull'])).toEqual(normalise(iamJson('ecr-pull-policy.json')));

    const withPublic = (await planned('environment', { allow_ecr_public: true })).rolePolicies;
    expect(Object.keys(withPublic).sort()).toEqual(['ecr-public-login', 'ecr-pull']);
    expect(policyProblems(withPublic['ecr-public-login'], 'permissions')).toEqual([]);
    expect(normalise(withPublic['ecr-public-login'])).toEqual(normalise(iamJson('ecr-public-policy.json')));
  });

  it('pulls repositories of another account when ecr_registry_id names it', async () => {
    const { rolePolicies } = await planned('branch', {
      ecr_registry_id: '210987654321',
      ecr_repository_names: ['build-env', 'team-a/tools'],
    });
    expect(rolePolicies['ecr-pull']?.Statement[1]?.Resource).toEqual([
      'arn:aws:ecr:eu-west-1:210987654321:repository/build-env',
      'arn:aws:ecr:eu-west-1:210987654321:repository/team-a/tools',
    ]);
  });

  it('refuses a scope it does not know, and a repository scope without repository', async () => {
    await expect(planned('organization', { subject_scope: 'everyone' })).rejects.toThrow(
      /subject_scope must be organization, repository, branch or environment/,
    );
    await expect(planned('branch', { repository: '' })).rejects.toThrow(
      /repository is required unless subject_scope is organization/,
    );
    const organization = await planned('organization', { repository: '' });
    expect(normalise(organization.trustPolicy)).toEqual(normalise(iamJson('trust-policy-organization.json')));
  });
});

describe('the Terraform checks can fail', () => {
  it('a syntax error fails with the HCL diagnostic', async () => {
    await expect(
      mutated('main.tf', 'resource "aws_iam_role" "ecr_pull" {', 'resource "aws_iam_role" "ecr_pull" {{'),
    ).rejects.toThrow(/main\.tf:\d+/);
  });

  it('StringEquals for a pattern subject, a wildcard action, a missing sub condition', async () => {
    const equals = await mutated('main.tf', '? "StringLike" : "StringEquals"', '? "StringEquals" : "StringEquals"');
    expect(policyProblems((await planned('organization', {}, equals)).trustPolicy, 'trust')).toEqual([
      expect.stringMatching(/compares literally: use StringLike/),
    ]);

    const wildcard = await mutated('main.tf', '"ecr:BatchGetImage"', '"ecr:*"');
    expect(policyProblems((await planned('branch', {}, wildcard)).rolePolicies['ecr-pull'], 'permissions')).toEqual([
      expect.stringMatching(/"ecr:\*" is not one service:Action/),
    ]);

    const noSub = await mutated(
      'main.tf',
      /\n {4}condition \{\n {6}test {5}= local\.subject_operator[\s\S]*?\n {4}\}/,
      '',
    );
    const { trustPolicy } = await planned('branch', {}, noSub);
    expect(policyProblems(trustPolicy, 'trust')).toEqual([
      expect.stringMatching(/must test token\.actions\.githubusercontent\.com:sub once/),
    ]);
    expect(normalise(trustPolicy)).not.toEqual(normalise(iamJson('trust-policy-branch.json')));
  });

  it('a null in a subject template fails the plan, as Terraform\'s does (why repository defaults to "")', async () => {
    await expect(planned('organization', { repository: null })).rejects.toThrow(/a null in a string template/);
  });

  it('referring to the created provider while an existing one is given fails: count is 0', async () => {
    const always = await mutated(
      'main.tf',
      /oidc_provider_arn = var\.oidc_provider_arn != null \? var\.oidc_provider_arn : /,
      'oidc_provider_arn = ',
    );
    await expect(planned('branch', { oidc_provider_arn: EXISTING_PROVIDER }, always)).rejects.toThrow(
      /no instance \[0\] \(count is 0\)/,
    );
  });
});
