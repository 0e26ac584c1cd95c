/**
 * examples/iam: the policy JSON alone (a trust policy per scope, the pull policy, the ECR Public
 * policy), held to the actions the source calls and to examples/README.md's table of scopes.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ECR_REPOSITORY_ARN, EXAMPLES, SCOPES, VALUES, actionSource, iamJson } from './fixtures.ts';
import { AUD, ECR_PUBLIC_ACTIONS, PULL_ACTIONS, SUB, allowedActions, normalise, policyProblems } from './policy.ts';

const trustFile = (scope: string) => `trust-policy-${scope}.json`;

/** The sub condition of a scope's trust policy, as "<operator> <pattern>". */
function subCondition(scope: string): string {
  const condition = normalise(iamJson(trustFile(scope))).Statement[0]?.Condition ?? {};
  const [operator, block] = Object.entries(condition).find(([, keys]) => SUB in keys) ?? [];
  return `${operator} ${block?.[SUB]?.join()}`;
}

describe('examples/iam: the policy JSON alone', () => {
  it('holds exactly the trust policy of each scope, the pull policy and the ECR Public policy', () => {
    expect(readdirSync(join(EXAMPLES, 'iam')).sort()).toEqual(
      ['ecr-public-policy.json', 'ecr-pull-policy.json', ...SCOPES.map(trustFile)].sort(),
    );
  });

  it.each(SCOPES)('trust-policy-%s.json is a well-formed trust policy for GitHub OIDC', (scope) => {
    expect(policyProblems(iamJson(trustFile(scope)), 'trust')).toEqual([]);
  });

  it('each scope lets in the runs it names, with StringLike only where the subject has a wildcard', () => {
    const subjects = Object.fromEntries(SCOPES.map((scope) => [scope, subCondition(scope)]));
    const { org, repository, branch, environment } = VALUES;
    expect(subjects).toEqual({
      organization: `StringLike repo:${org}/*`,
      repository: `StringLike repo:${org}/${repository}:*`,
      branch: `StringEquals repo:${org}/${repository}:ref:refs/heads/${branch}`,
      environment: `StringEquals repo:${org}/${repository}:environment:${environment}`,
    });
  });

  it("examples/README.md's table of scopes says what the JSON does", () => {
    const readme = readFileSync(join(EXAMPLES, 'README.md'), 'utf8');
    const rows = [...readme.matchAll(/^\| `(\w+)` \| `(String\w+)` `([^`]+)` \|/gm)].map(
      ([, scope, operator, pattern]) => [scope, `${operator} ${pattern}`],
    );
    expect(rows).toEqual(SCOPES.map((scope) => [scope, subCondition(scope)]));
  });

  it("the audience each trust policy expects is the action's default audience", () => {
    const { defaultAudience } = actionSource();
    expect(defaultAudience).toBe('sts.amazonaws.com');
    for (const scope of SCOPES)
      expect(normalise(iamJson(trustFile(scope))).Statement[0]?.Condition?.['StringEquals']?.[AUD]).toEqual([
        defaultAudience,
      ]);
  });

  it('ecr-pull-policy.json: the ECR password on "*", and the three pull actions on the repositories only', () => {
    const policy = iamJson('ecr-pull-policy.json');
    expect(policyProblems(policy, 'permissions')).toEqual([]);
    expect(normalise(policy).Statement.map(({ Action, Resource }) => ({ Action, Resource }))).toEqual([
      { Action: ['ecr:GetAuthorizationToken'], Resource: ['*'] },
      { Action: PULL_ACTIONS, Resource: [ECR_REPOSITORY_ARN] },
    ]);
  });

  it('ecr-public-policy.json: the ECR Public login and nothing else', () => {
    const policy = iamJson('ecr-public-policy.json');
    expect(policyProblems(policy, 'permissions')).toEqual([]);
    expect(allowedActions(normalise(policy))).toEqual(ECR_PUBLIC_ACTIONS);
  });
});

describe('the actions named are the ones the action calls', () => {
  const { namedActions, commands } = actionSource();

  it('the IAM actions the source names are the SDK commands it sends', () => {
    // ECR and ECR Public both name their command GetAuthorizationToken.
    expect([...new Set(namedActions.map((action) => action.replace(/^[a-z-]+:/, '')))].sort()).toEqual(commands);
    expect(namedActions).toEqual([
      'ecr-public:GetAuthorizationToken',
      'ecr:GetAuthorizationToken',
      'sts:AssumeRole',
      'sts:AssumeRoleWithWebIdentity',
    ]);
  });

  it("the OIDC path's actions, and no others, are what the templates grant the action", () => {
    // sts:AssumeRole is the access-keys path: its trust names an IAM principal, not GitHub, and is not templated here.
    // ECR Public's login (registry-type: public) is ecr-public-policy.json's, checked above with sts:GetServiceBearerToken.
    const oidcPath = namedActions.filter(
      (action) => action !== 'sts:AssumeRole' && action !== 'ecr-public:GetAuthorizationToken',
    );
    expect(namedActions.filter((action) => action.startsWith('ecr-public:'))).toEqual(
      ECR_PUBLIC_ACTIONS.filter((action) => action.startsWith('ecr-public:')),
    );
    const trust = SCOPES.flatMap((scope) => allowedActions(normalise(iamJson(trustFile(scope)))));
    const mintsPassword = normalise(iamJson('ecr-pull-policy.json')).Statement.filter(
      (statement) => statement.Resource?.join() === '*',
    );
    expect([...new Set([...trust, ...mintsPassword.flatMap((statement) => statement.Action)])].sort()).toEqual(
      oidcPath,
    );
  });
});

describe('the policy checks can fail', () => {
  /** A JSON example as plain data, to be broken one element at a time. */
  interface Editable {
    Version: string;
    Statement: {
      Action?: string | string[];
      NotAction?: unknown;
      Resource?: string | string[];
      Condition?: Record<string, Record<string, string>>;
    }[];
  }
  const branchTrust = () => structuredClone(iamJson(trustFile('branch'))) as unknown as Editable;
  const pull = () => structuredClone(iamJson('ecr-pull-policy.json')) as unknown as Editable;

  it('a trust policy without a sub condition, or with a wildcard under StringEquals, or an aud under StringLike', () => {
    const noSub = branchTrust();
    delete noSub.Statement[0]!.Condition!['StringEquals']![SUB];
    expect(policyProblems(noSub, 'trust')).toEqual([
      expect.stringMatching(/must test token\.actions\.githubusercontent\.com:sub once/),
    ]);

    const literalWildcard = branchTrust();
    literalWildcard.Statement[0]!.Condition!['StringEquals']![SUB] = 'repo:octo-org/*';
    expect(policyProblems(literalWildcard, 'trust')).toEqual([
      expect.stringMatching(/compares literally: use StringLike/),
    ]);

    const likeAud = branchTrust();
    likeAud.Statement[0]!.Condition = {
      StringEquals: { [SUB]: 'repo:octo-org/app:ref:refs/heads/main' },
      StringLike: { [AUD]: 'sts.amazonaws.com' },
    };
    expect(policyProblems(likeAud, 'trust')).toEqual([
      expect.stringMatching(/the audience is exact, use StringEquals/),
    ]);
  });

  it('a subject that names no owner, an unknown operator, or no condition at all', () => {
    const anyOwner = branchTrust();
    anyOwner.Statement[0]!.Condition = {
      StringEquals: { [AUD]: 'sts.amazonaws.com' },
      StringLike: { [SUB]: 'repo:*' },
    };
    expect(policyProblems(anyOwner, 'trust')).toEqual([expect.stringMatching(/does not name an owner/)]);

    const unknownOperator = branchTrust();
    unknownOperator.Statement[0]!.Condition = {
      StringEquals: { [AUD]: 'sts.amazonaws.com' },
      StringMatches: { [SUB]: 'repo:octo-org/app:*' },
    };
    expect(policyProblems(unknownOperator, 'trust')).toEqual(
      expect.arrayContaining([expect.stringMatching(/StringMatches is not one IAM knows/)]),
    );

    const open = branchTrust();
    delete open.Statement[0]!.Condition;
    expect(policyProblems(open, 'trust')).toEqual([
      expect.stringMatching(/no Condition: any GitHub workflow could assume the role/),
    ]);
  });

  it('a wildcard action, a pull action on "*", NotAction, or another Version', () => {
    const wildcard = pull();
    wildcard.Statement[1]!.Action = 'ecr:*';
    expect(policyProblems(wildcard, 'permissions')).toEqual(
      expect.arrayContaining([expect.stringMatching(/"ecr:\*" is not one service:Action/)]),
    );

    const everywhere = pull();
    everywhere.Statement[0]!.Action = ['ecr:GetAuthorizationToken', 'ecr:BatchGetImage'];
    expect(policyProblems(everywhere, 'permissions')).toEqual([
      expect.stringMatching(/ecr:BatchGetImage on "\*", which is not one ECR repository/),
    ]);

    const every = pull();
    every.Statement[1]!.Resource = 'arn:aws:ecr:eu-west-1:123456789012:repository/*';
    expect(policyProblems(every, 'permissions')).toEqual(
      expect.arrayContaining([expect.stringMatching(/which is not one ECR repository/)]),
    );

    const notAction = pull();
    notAction.Statement[1]!.NotAction = notAction.Statement[1]!.Action;
    expect(policyProblems(notAction, 'permissions')).toEqual([expect.stringMatching(/has NotAction/)]);

    const old = pull();
    old.Version = '2008-10-17';
    expect(policyProblems(old, 'permissions')).toEqual([expect.stringMatching(/not "2012-10-17"/)]);
  });
});
