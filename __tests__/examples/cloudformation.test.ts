/**
 * examples/cloudformation: the template parsed strictly and its trust and pull policies checked (the
 * audience the action sends, the subject conditions, the same policy as examples/iam).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import {
  evaluateTemplate,
  readTemplate,
  referencedNames,
  type StackResources,
  type Template,
} from './cloudformation.ts';
import {
  ACCOUNT,
  ECR_REPOSITORY_ARN,
  EXAMPLES,
  SCOPES,
  VALUES,
  actionSource,
  iamJson,
  type Scope,
} from './fixtures.ts';
import { normalise, policyProblems, type PolicyDocument } from './policy.ts';

const DIR = join(EXAMPLES, 'cloudformation');
const PATH = join(DIR, 'ecr-pull-role.yaml');
const TEXT = readFileSync(PATH, 'utf8');
const EXISTING_PROVIDER = 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com';

function parameters(scope: Scope, more: Record<string, string | string[]> = {}): Record<string, string | string[]> {
  return {
    GitHubOrg: VALUES.org,
    Repository: VALUES.repository,
    Branch: VALUES.branch,
    Environment: VALUES.environment,
    SubjectScope: scope,
    EcrRepositoryArns: ECR_REPOSITORY_ARN,
    ...more,
  };
}

interface Role {
  AssumeRolePolicyDocument: PolicyDocument;
  Policies: { PolicyName: string; PolicyDocument: PolicyDocument }[];
}

function role(stack: StackResources): Role {
  const roles = Object.values(stack.resources).filter((resource) => resource.Type === 'AWS::IAM::Role');
  expect(roles).toHaveLength(1);
  return roles[0]!.Properties as unknown as Role;
}

function stack(
  scope: Scope,
  more: Record<string, string | string[]> = {},
  template: Template = readTemplate(PATH),
): StackResources {
  return evaluateTemplate(template, parameters(scope, more), ACCOUNT);
}

describe('examples/cloudformation/ecr-pull-role.yaml', () => {
  it('is the only template, and parses strictly: CloudFormation anatomy, known resource types and properties', () => {
    expect(readdirSync(DIR)).toEqual(['ecr-pull-role.yaml']);
    const template = readTemplate(PATH);
    expect(Object.keys(template.Resources).sort()).toEqual(['EcrPullRole', 'GitHubOidcProvider']);
  });

  it('uses every parameter it declares', () => {
    const template = readTemplate(PATH);
    const used = referencedNames({ ...template, Parameters: {} });
    expect(Object.keys(template.Parameters).filter((name) => !used.has(name))).toEqual([]);
  });

  it.each(SCOPES)('SubjectScope %s: the trust policy is examples/iam/trust-policy-<scope>.json', (scope) => {
    const trust = role(stack(scope)).AssumeRolePolicyDocument;
    expect(policyProblems(trust, 'trust')).toEqual([]);
    expect(normalise(trust)).toEqual(normalise(iamJson(`trust-policy-${scope}.json`)));
  });

  it('creates the OIDC provider for the audience the action sends, unless one is given; the role trusts whichever it is', () => {
    const created = stack('branch');
    const provider = created.resources['GitHubOidcProvider']?.Properties;
    expect(provider?.['Url']).toBe('https://token.actions.githubusercontent.com');
    expect(provider?.['ClientIdList']).toEqual([actionSource().defaultAudience]);
    expect(created.outputs['OidcProviderArn']).toBe(EXISTING_PROVIDER);

    const given = stack('branch', { OidcProviderArn: EXISTING_PROVIDER.replace('123456789012', '210987654321') });
    expect(Object.keys(given.resources)).toEqual(['EcrPullRole']);
    expect(role(given).AssumeRolePolicyDocument.Statement[0]?.Principal).toEqual({
      Federated: EXISTING_PROVIDER.replace('123456789012', '210987654321'),
    });
  });

  it('the ecr-pull policy is examples/iam/ecr-pull-policy.json, and ECR Public is added only when asked for', () => {
    const pullOnly = role(stack('environment')).Policies;
    expect(pullOnly.map((policy) => policy.PolicyName)).toEqual(['ecr-pull']);
    expect(policyProblems(pullOnly[0]?.PolicyDocument, 'permissions')).toEqual([]);
    expect(normalise(pullOnly[0]?.PolicyDocument)).toEqual(normalise(iamJson('ecr-pull-policy.json')));

    const withPublic = role(stack('environment', { AllowEcrPublic: 'true' })).Policies;
    expect(withPublic.map((policy) => policy.PolicyName)).toEqual(['ecr-pull', 'ecr-public-login']);
    expect(policyProblems(withPublic[1]?.PolicyDocument, 'permissions')).toEqual([]);
    expect(normalise(withPublic[1]?.PolicyDocument)).toEqual(normalise(iamJson('ecr-public-policy.json')));
  });

  it('refuses a scope it does not know, and a repository scope without Repository', () => {
    expect(() => stack('organization', { SubjectScope: 'everyone' })).toThrow(
      /SubjectScope: everyone is not among AllowedValues/,
    );
    expect(() => stack('branch', { Repository: '' })).toThrow(
      /Repository is required unless SubjectScope is organization/,
    );
    expect(normalise(role(stack('organization', { Repository: '' })).AssumeRolePolicyDocument)).toEqual(
      normalise(iamJson('trust-policy-organization.json')),
    );
  });
});

describe('the CloudFormation checks can fail', () => {
  const mutated = (from: string | RegExp, to: string) => {
    const text = TEXT.replace(from, to);
    expect(text).not.toBe(TEXT);
    return readTemplate(PATH, text);
  };

  it('an operator that inverts the subject condition', () => {
    const inverted = mutated(/(- SubjectIsPattern\n\s+- StringEquals:\n[^\n]+\n\s+)StringLike:/, '$1StringNotLike:');
    const trust = role(stack('repository', {}, inverted)).AssumeRolePolicyDocument;
    expect(policyProblems(trust, 'trust')).toEqual([
      expect.stringMatching(/is tested with StringNotLike, not StringEquals or StringLike/),
    ]);
  });

  it('a wildcard action, a missing sub condition, a duplicate key, an unknown property', () => {
    const wildcard = role(stack('branch', {}, mutated('Action: [ecr:BatchGetImage,', 'Action: [ecr:*,'))).Policies[0]
      ?.PolicyDocument;
    expect(policyProblems(wildcard, 'permissions')).toEqual([
      expect.stringMatching(/"ecr:\*" is not one service:Action/),
    ]);

    const noSub = mutated(/\n\s+token\.actions\.githubusercontent\.com:sub: !If\n\s+- BranchScope\n[^\n]+\n[^\n]+/, '');
    expect(policyProblems(role(stack('branch', {}, noSub)).AssumeRolePolicyDocument, 'trust')).toEqual([
      expect.stringMatching(/must test token\.actions\.githubusercontent\.com:sub once/),
    ]);

    expect(() => mutated('MaxSessionDuration: 3600', 'MaxSessionDuration: 3600\n      Description: twice')).toThrow(
      /unique|duplicate/i,
    );
    expect(() => mutated('MaxSessionDuration: 3600', 'MaxSessionDurationSeconds: 3600')).toThrow(
      /AWS::IAM::Role EcrPullRole has no property MaxSessionDurationSeconds/,
    );
  });

  it('a Ref to a parameter that does not exist, or to the provider when the condition leaves it out', () => {
    expect(() =>
      stack(
        'branch',
        {},
        mutated(
          "!Sub 'repo:${GitHubOrg}/${Repository}:ref:refs/heads/${Branch}'",
          "!Sub 'repo:${GitHubOrg}/${Repo}:ref:refs/heads/${Branch}'",
        ),
      ),
    ).toThrow(/Ref to Repo, which is neither a parameter nor a resource/);
    const alwaysProvider = mutated(
      'Federated: !If [CreateOidcProvider, !Ref GitHubOidcProvider, !Ref OidcProviderArn]',
      'Federated: !Ref GitHubOidcProvider',
    );
    expect(() => stack('branch', { OidcProviderArn: EXISTING_PROVIDER }, alwaysProvider)).toThrow(
      /its condition leaves out/,
    );
  });

  it('the trust policy and the JSON example disagree when the template grants another subject', () => {
    const other = role(
      stack('environment', {}, mutated(':environment:${Environment}', ':environment:*')),
    ).AssumeRolePolicyDocument;
    expect(normalise(other)).not.toEqual(normalise(iamJson('trust-policy-environment.json')));
    expect(policyProblems(other, 'trust')).toEqual([
      expect.stringMatching(/has a wildcard, which StringEquals compares literally/),
    ]);
  });
});
