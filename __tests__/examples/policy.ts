/**
 * IAM policy documents as the examples state them: a structural check against IAM's policy grammar
 * (IAM User Guide, "IAM JSON policy elements reference" and "Grammar of the IAM JSON policy language")
 * cut to what these examples may use, and a normal form in which the three forms of a template compare.
 */

export const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com';
export const AUD = `${GITHUB_OIDC_HOST}:aud`;
export const SUB = `${GITHUB_OIDC_HOST}:sub`;

/** The pull actions a container job's password needs (ECR User Guide, "Private repository policy examples": pull). */
export const PULL_ACTIONS = ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'];
/** ECR Public's login (ECR Public API reference, GetAuthorizationToken: "requires the ecr-public:GetAuthorizationToken and sts:GetServiceBearerToken permissions"). */
export const ECR_PUBLIC_ACTIONS = ['ecr-public:GetAuthorizationToken', 'sts:GetServiceBearerToken'];
/** Actions that take no resource: IAM accepts them only with "Resource": "*" (Service Authorization Reference). */
const ACTIONS_WITHOUT_RESOURCE = new Set([
  'ecr:GetAuthorizationToken',
  'ecr-public:GetAuthorizationToken',
  'sts:GetServiceBearerToken',
]);

/** The string condition operators IAM knows (IAM User Guide, "Condition operators": string), with their IfExists forms. */
const STRING_OPERATORS = [
  'StringEquals',
  'StringNotEquals',
  'StringEqualsIgnoreCase',
  'StringNotEqualsIgnoreCase',
  'StringLike',
  'StringNotLike',
];
const KNOWN_OPERATORS = new Set(STRING_OPERATORS.flatMap((operator) => [operator, `${operator}IfExists`]));

export interface Statement {
  Sid?: string;
  Effect: string;
  Principal?: Record<string, string[]>;
  Action: string[];
  Resource?: string[];
  Condition?: Record<string, Record<string, string[]>>;
}

export interface PolicyDocument {
  Version: string;
  Statement: Statement[];
}

const STATEMENT_KEYS = new Set(['Sid', 'Effect', 'Principal', 'Action', 'Resource', 'Condition']);

/**
 * What is wrong with `document` as a trust policy for GitHub OIDC or as a permissions policy; [] when
 * nothing is. `NotAction`, `NotResource` and `NotPrincipal` are refused: they grant by exclusion.
 */
export function policyProblems(document: unknown, kind: 'trust' | 'permissions'): string[] {
  const problems: string[] = [];
  if (!isRecord(document)) return ['the policy is not a JSON object'];
  for (const key of Object.keys(document))
    if (key !== 'Version' && key !== 'Statement') problems.push(`unknown top-level element ${key}`);
  if (document['Version'] !== '2012-10-17')
    problems.push(`Version is ${JSON.stringify(document['Version'])}, not "2012-10-17"`);
  const statements = document['Statement'];
  if (!Array.isArray(statements) || statements.length === 0) return [...problems, 'Statement is not a non-empty array'];
  statements.forEach((statement: unknown, index) => {
    const where = `Statement[${index}]`;
    if (!isRecord(statement)) {
      problems.push(`${where} is not an object`);
      return;
    }
    for (const key of Object.keys(statement))
      if (!STATEMENT_KEYS.has(key)) problems.push(`${where} has ${key}, which these policies do not use`);
    if (
      statement['Sid'] !== undefined &&
      (typeof statement['Sid'] !== 'string' || !/^[A-Za-z0-9]+$/.test(statement['Sid']))
    )
      problems.push(`${where}.Sid is not alphanumeric`);
    if (statement['Effect'] !== 'Allow' && statement['Effect'] !== 'Deny')
      problems.push(`${where}.Effect is not Allow or Deny`);
    const actions = strings(statement['Action']);
    if (!actions) problems.push(`${where}.Action is not a string or a non-empty list of strings`);
    for (const action of actions ?? []) {
      if (!/^[a-z0-9-]+:[A-Za-z0-9]+$/.test(action))
        problems.push(`${where}.Action "${action}" is not one service:Action (no wildcards)`);
    }
    if (kind === 'trust') problems.push(...trustStatementProblems(statement, actions ?? [], where));
    else problems.push(...permissionStatementProblems(statement, actions ?? [], where));
  });
  return problems;
}

function trustStatementProblems(statement: Record<string, unknown>, actions: string[], where: string): string[] {
  const problems: string[] = [];
  if (statement['Resource'] !== undefined) problems.push(`${where} of a trust policy has a Resource`);
  const principal = statement['Principal'];
  if (!isRecord(principal) || Object.keys(principal).join() !== 'Federated' || !strings(principal['Federated'])) {
    problems.push(`${where}.Principal is not { "Federated": <OIDC provider ARN> }`);
  } else {
    for (const arn of strings(principal['Federated']) ?? []) {
      if (
        !new RegExp(`^arn:[a-z-]+:iam::\\d{12}:oidc-provider/${GITHUB_OIDC_HOST.replaceAll('.', '\\.')}$`).test(arn)
      ) {
        problems.push(`${where}.Principal.Federated "${arn}" is not GitHub's OIDC provider`);
      }
    }
  }
  if (actions.join() !== 'sts:AssumeRoleWithWebIdentity')
    problems.push(`${where}.Action is not exactly sts:AssumeRoleWithWebIdentity`);
  const condition = statement['Condition'];
  if (!isRecord(condition))
    return [...problems, `${where} has no Condition: any GitHub workflow could assume the role`];
  const seen: Record<string, { operator: string; values: string[] }[]> = {};
  for (const [operator, block] of Object.entries(condition)) {
    if (!KNOWN_OPERATORS.has(operator))
      problems.push(`${where}.Condition operator ${operator} is not one IAM knows for string keys`);
    if (!isRecord(block)) {
      problems.push(`${where}.Condition.${operator} is not an object`);
      continue;
    }
    for (const [key, value] of Object.entries(block)) {
      const values = strings(value);
      if (!values) problems.push(`${where}.Condition.${operator}.${key} is not a string or a list of strings`);
      (seen[key] ??= []).push({ operator, values: values ?? [] });
    }
  }
  for (const key of Object.keys(seen))
    if (key !== AUD && key !== SUB)
      problems.push(`${where}.Condition tests ${key}, which the GitHub OIDC token does not carry here`);
  const [aud, ...moreAud] = seen[AUD] ?? [];
  if (!aud || moreAud.length > 0) problems.push(`${where}.Condition must test ${AUD} once`);
  else if (aud.operator !== 'StringEquals')
    problems.push(`${where}.Condition tests ${AUD} with ${aud.operator}: the audience is exact, use StringEquals`);
  const [sub, ...moreSub] = seen[SUB] ?? [];
  if (!sub || moreSub.length > 0)
    problems.push(
      `${where}.Condition must test ${SUB} once: without it any repository on GitHub could assume the role`,
    );
  else {
    for (const pattern of sub.values) {
      const wildcard = /[*?]/.test(pattern);
      if (sub.operator === 'StringEquals' && wildcard)
        problems.push(`${where}: "${pattern}" has a wildcard, which StringEquals compares literally: use StringLike`);
      if (sub.operator === 'StringLike' && !wildcard)
        problems.push(`${where}: "${pattern}" is exact: use StringEquals`);
      if (sub.operator !== 'StringEquals' && sub.operator !== 'StringLike')
        problems.push(`${where}: ${SUB} is tested with ${sub.operator}, not StringEquals or StringLike`);
      if (
        !/^repo:[A-Za-z0-9][A-Za-z0-9_-]*\/[^*?]/.test(pattern) &&
        !/^repo:[A-Za-z0-9][A-Za-z0-9_-]*\/\*$/.test(pattern)
      ) {
        problems.push(
          `${where}: "${pattern}" does not name an owner (repo:<owner>/...): it would let other owners' workflows in`,
        );
      }
    }
  }
  return problems;
}

function permissionStatementProblems(statement: Record<string, unknown>, actions: string[], where: string): string[] {
  const problems: string[] = [];
  if (statement['Principal'] !== undefined) problems.push(`${where} of a permissions policy has a Principal`);
  if (statement['Condition'] !== undefined) problems.push(`${where} has a Condition, which these policies do not use`);
  const resources = strings(statement['Resource']);
  if (!resources) return [...problems, `${where}.Resource is not a string or a non-empty list of strings`];
  for (const action of actions) {
    if (ACTIONS_WITHOUT_RESOURCE.has(action) && resources.join() !== '*')
      problems.push(`${where}: ${action} takes no resource; IAM needs "Resource": "*"`);
    if (!ACTIONS_WITHOUT_RESOURCE.has(action)) {
      for (const resource of resources) {
        if (
          !/^arn:[a-z-]+:ecr:[a-z0-9-]+:\d{12}:repository\/[a-z0-9][a-z0-9._/*-]*$/.test(resource) ||
          resource.endsWith(':repository/*')
        ) {
          problems.push(`${where}: ${action} on "${resource}", which is not one ECR repository (or namespace) ARN`);
        }
      }
    }
  }
  return problems;
}

/** The document with every string-or-list element as a sorted list, so that equal policies compare equal. */
export function normalise(document: unknown): PolicyDocument {
  const { Version, Statement } = document as { Version: string; Statement: Record<string, unknown>[] };
  return {
    Version,
    Statement: Statement.map((statement) => {
      const normal: Statement = { Effect: String(statement['Effect']), Action: sorted(statement['Action']) };
      if (typeof statement['Sid'] === 'string') normal.Sid = statement['Sid'];
      if (statement['Resource'] !== undefined) normal.Resource = sorted(statement['Resource']);
      if (isRecord(statement['Principal'])) normal.Principal = mapValues(statement['Principal'], sorted);
      if (isRecord(statement['Condition'])) {
        normal.Condition = mapValues(statement['Condition'], (block) =>
          mapValues(block as Record<string, unknown>, sorted),
        );
      }
      return normal;
    }),
  };
}

/** Every action the document allows. */
export function allowedActions(document: PolicyDocument): string[] {
  return [
    ...new Set(
      document.Statement.filter((statement) => statement.Effect === 'Allow').flatMap((statement) => statement.Action),
    ),
  ].sort();
}

function sorted(value: unknown): string[] {
  return [...(strings(value) ?? [])].sort();
}

function strings(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'string')) return value;
  return undefined;
}

function mapValues<T>(record: Record<string, unknown>, map: (value: unknown) => T): Record<string, T> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, map(value)]));
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
