import { readFileSync } from 'node:fs';
import { parse, type CollectionTag, type ScalarTag } from 'yaml';
import { isRecord } from './policy.ts';

/**
 * CloudFormation templates read as CloudFormation does, offline: YAML with the short-form intrinsic
 * tags (`!Ref`, `!Sub`, `!GetAtt`, `!If`, ...) turned into their long form, then evaluated for one set
 * of parameter values, so that a policy document comes out as IAM would receive it.
 *
 * The evaluator knows the intrinsic functions and pseudo parameters these examples use, with
 * CloudFormation's rules for them (Template reference, "Intrinsic function reference"); anything else
 * fails loudly rather than being passed through.
 */

/** Short-form tags (Template reference, "Intrinsic function reference"), each in its long form's key. */
const INTRINSICS = [
  'Base64',
  'Cidr',
  'FindInMap',
  'GetAtt',
  'GetAZs',
  'ImportValue',
  'Join',
  'Select',
  'Split',
  'Sub',
  'And',
  'Equals',
  'If',
  'Not',
  'Or',
];
const longForm = (name: string) => (name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`);
const customTags = ['Ref', 'Condition', ...INTRINSICS].flatMap((name): (ScalarTag | CollectionTag)[] => [
  // `!GetAtt Role.Arn` is the short form of `Fn::GetAtt: [Role, Arn]`.
  { tag: `!${name}`, resolve: (value: string) => ({ [longForm(name)]: name === 'GetAtt' ? value.split('.') : value }) },
  { tag: `!${name}`, collection: 'seq', resolve: (value) => ({ [longForm(name)]: value.toJSON() as unknown }) },
  { tag: `!${name}`, collection: 'map', resolve: (value) => ({ [longForm(name)]: value.toJSON() as unknown }) },
]);

/** Top-level sections (User Guide, "Template anatomy"). */
const SECTIONS = new Set([
  'AWSTemplateFormatVersion',
  'Description',
  'Metadata',
  'Parameters',
  'Rules',
  'Mappings',
  'Conditions',
  'Transform',
  'Resources',
  'Outputs',
]);
const RESOURCE_KEYS = new Set([
  'Type',
  'Properties',
  'Condition',
  'DependsOn',
  'DeletionPolicy',
  'UpdateReplacePolicy',
  'Metadata',
]);
/** The properties of the resource types used here (Template reference, AWS::IAM::OIDCProvider and AWS::IAM::Role). */
const PROPERTIES: Record<string, Set<string>> = {
  'AWS::IAM::OIDCProvider': new Set(['Url', 'ClientIdList', 'ThumbprintList', 'Tags']),
  'AWS::IAM::Role': new Set([
    'AssumeRolePolicyDocument',
    'Description',
    'ManagedPolicyArns',
    'MaxSessionDuration',
    'Path',
    'PermissionsBoundary',
    'Policies',
    'RoleName',
    'Tags',
  ]),
};
const PARAMETER_KEYS = new Set([
  'Type',
  'Default',
  'Description',
  'AllowedValues',
  'AllowedPattern',
  'ConstraintDescription',
  'MinLength',
  'MaxLength',
  'NoEcho',
]);

export interface Template {
  AWSTemplateFormatVersion: string;
  Parameters: Record<string, { Type: string; Default?: string; AllowedValues?: string[]; AllowedPattern?: string }>;
  Rules?: Record<string, { RuleCondition?: unknown; Assertions: { Assert: unknown; AssertDescription: string }[] }>;
  Conditions?: Record<string, unknown>;
  Resources: Record<string, { Type: string; Condition?: string; Properties: Record<string, unknown> }>;
  Outputs?: Record<string, { Value: unknown }>;
}

/** Parses a template strictly (no duplicate keys) and checks its anatomy: sections, resource types and their properties, parameters. */
export function readTemplate(path: string, text = readFileSync(path, 'utf8')): Template {
  const template: unknown = parse(text, { customTags, uniqueKeys: true, strict: true, prettyErrors: true });
  if (!isRecord(template)) throw new Error(`${path}: not a mapping`);
  for (const section of Object.keys(template))
    if (!SECTIONS.has(section)) throw new Error(`${path}: unknown section ${section}`);
  if (template['AWSTemplateFormatVersion'] !== '2010-09-09')
    throw new Error(`${path}: AWSTemplateFormatVersion is not '2010-09-09'`);
  const resources = template['Resources'];
  if (!isRecord(resources)) throw new Error(`${path}: no Resources`);
  for (const [id, resource] of Object.entries(resources)) {
    if (!isRecord(resource)) throw new Error(`${path}: resource ${id} is not a mapping`);
    for (const key of Object.keys(resource))
      if (!RESOURCE_KEYS.has(key)) throw new Error(`${path}: resource ${id} has unknown key ${key}`);
    const known = PROPERTIES[String(resource['Type'])];
    if (!known)
      throw new Error(`${path}: resource ${id} has type ${String(resource['Type'])}, which these examples do not use`);
    for (const key of Object.keys(isRecord(resource['Properties']) ? resource['Properties'] : {})) {
      if (!known.has(key)) throw new Error(`${path}: ${String(resource['Type'])} ${id} has no property ${key}`);
    }
  }
  for (const [name, parameter] of Object.entries(isRecord(template['Parameters']) ? template['Parameters'] : {})) {
    if (!isRecord(parameter) || !['String', 'CommaDelimitedList', 'Number'].includes(String(parameter['Type'])))
      throw new Error(`${path}: parameter ${name} has no known Type`);
    for (const key of Object.keys(parameter))
      if (!PARAMETER_KEYS.has(key)) throw new Error(`${path}: parameter ${name} has unknown key ${key}`);
  }
  return template as unknown as Template;
}

/** The names a template refers to with `Ref`, `Fn::Sub` and `Fn::GetAtt`: every parameter should be among them. */
export function referencedNames(value: unknown): Set<string> {
  const names = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (isRecord(node)) {
      for (const [key, child] of Object.entries(node)) {
        if (key === 'Ref' && typeof child === 'string') names.add(child);
        if (key === 'Fn::Sub') {
          const text: unknown = Array.isArray(child) ? child[0] : child;
          for (const [, name] of String(text).matchAll(/\$\{(?!!)([^}.]+)/g)) names.add(name ?? '');
        }
        walk(child);
      }
    }
  };
  walk(value);
  return names;
}

export interface Stack {
  partition: string;
  region: string;
  accountId: string;
}

export interface StackResources {
  resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  outputs: Record<string, unknown>;
}

const NO_VALUE = Symbol('AWS::NoValue');

/**
 * The template's resources and outputs as CloudFormation would create them for these parameter values:
 * parameters checked against AllowedValues and AllowedPattern, conditions applied, intrinsic functions
 * evaluated. A `Ref` to a resource that its condition leaves out fails, as CloudFormation's validation does.
 */
export function evaluateTemplate(
  template: Template,
  given: Record<string, string | string[]>,
  stack: Stack,
): StackResources {
  const parameters = parameterValues(template, given);
  const conditionCache = new Map<string, boolean>();
  const resources = template.Resources;

  const condition = (name: string): boolean => {
    const known = conditionCache.get(name);
    if (known !== undefined) return known;
    const definition = template.Conditions?.[name];
    if (definition === undefined) throw new Error(`condition ${name} is not declared`);
    const value = conditionValue(definition);
    conditionCache.set(name, value);
    return value;
  };

  const conditionValue = (node: unknown): boolean => {
    if (!isRecord(node)) throw new Error(`condition ${JSON.stringify(node)} is not a condition function`);
    const [[fn, args]] = Object.entries(node) as [[string, unknown]];
    const list = args as unknown[];
    switch (fn) {
      case 'Condition':
        return condition(String(args));
      case 'Fn::Equals':
        return String(evaluate(list[0])) === String(evaluate(list[1]));
      case 'Fn::Not':
        return !conditionValue(list[0]);
      case 'Fn::Or':
        return list.some(conditionValue);
      case 'Fn::And':
        return list.every(conditionValue);
    }
    throw new Error(`${fn} is not a condition function`);
  };

  const included = (id: string): boolean => {
    const resource = resources[id];
    return resource !== undefined && (resource.Condition === undefined || condition(resource.Condition));
  };

  const ref = (name: string): unknown => {
    if (name in parameters) return parameters[name];
    switch (name) {
      case 'AWS::Partition':
        return stack.partition;
      case 'AWS::Region':
        return stack.region;
      case 'AWS::AccountId':
        return stack.accountId;
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::NoValue':
        return NO_VALUE;
    }
    const resource = resources[name];
    if (!resource) throw new Error(`Ref to ${name}, which is neither a parameter nor a resource`);
    if (!included(name)) throw new Error(`Ref to ${name}, which its condition leaves out of the stack`);
    // Ref of AWS::IAM::OIDCProvider is its ARN, arn:<partition>:iam::<account>:oidc-provider/<URL without https://>.
    if (resource.Type === 'AWS::IAM::OIDCProvider') {
      const url = String(evaluate(resource.Properties['Url']));
      return `arn:${stack.partition}:iam::${stack.accountId}:oidc-provider/${url.replace(/^https:\/\//, '')}`;
    }
    return `<${name}>`;
  };

  const getAtt = ([id, attribute]: string[]): unknown => {
    const resource = resources[id ?? ''];
    if (!resource || !included(id ?? '')) throw new Error(`Fn::GetAtt on ${id}, which is not in the stack`);
    if (resource.Type === 'AWS::IAM::Role' && attribute === 'Arn')
      return `arn:${stack.partition}:iam::${stack.accountId}:role/<${id}>`;
    throw new Error(`Fn::GetAtt ${id}.${attribute} is not modelled here`);
  };

  const sub = (args: unknown): string => {
    const [text, variables] = Array.isArray(args)
      ? [String(args[0]), (args[1] ?? {}) as Record<string, unknown>]
      : [String(args), {}];
    return text.replace(/\$\{(!?)([^}]+)\}/g, (_match, literal: string, name: string) => {
      if (literal) return `\${${name}}`;
      const value =
        name in variables ? evaluate(variables[name]) : name.includes('.') ? getAtt(name.split('.')) : ref(name);
      if (typeof value !== 'string') throw new Error(`Fn::Sub: \${${name}} is not a string`);
      return value;
    });
  };

  const evaluate = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(evaluate).filter((item) => item !== NO_VALUE);
    if (!isRecord(node)) return node;
    const keys = Object.keys(node);
    const [key] = keys;
    if (keys.length === 1 && key !== undefined && (key === 'Ref' || key.startsWith('Fn::'))) {
      const args = node[key];
      switch (key) {
        case 'Ref':
          return ref(String(args));
        case 'Fn::Sub':
          return sub(args);
        case 'Fn::GetAtt':
          return getAtt(args as string[]);
        case 'Fn::If': {
          const [name, whenTrue, whenFalse] = args as [string, unknown, unknown];
          return evaluate(condition(name) ? whenTrue : whenFalse);
        }
        case 'Fn::Join': {
          const [delimiter, items] = args as [string, unknown];
          return (evaluate(items) as string[]).join(delimiter);
        }
        case 'Fn::Split': {
          const [delimiter, text] = args as [string, unknown];
          return String(evaluate(text)).split(delimiter);
        }
        case 'Fn::Select': {
          const [index, items] = args as [string, unknown];
          return (evaluate(items) as unknown[])[Number(index)];
        }
      }
      throw new Error(`${key} is not modelled here`);
    }
    return Object.fromEntries(
      Object.entries(node)
        .map(([name, value]) => [name, evaluate(value)] as const)
        .filter(([, value]) => value !== NO_VALUE),
    );
  };

  // Rules check the parameters before anything is created (User Guide, "Rules").
  for (const [name, rule] of Object.entries(template.Rules ?? {})) {
    if (rule.RuleCondition !== undefined && !conditionValue(rule.RuleCondition)) continue;
    for (const { Assert, AssertDescription } of rule.Assertions) {
      if (!conditionValue(Assert)) throw new Error(`rule ${name}: ${AssertDescription}`);
    }
  }

  const created: StackResources['resources'] = {};
  for (const [id, resource] of Object.entries(resources)) {
    if (included(id))
      created[id] = { Type: resource.Type, Properties: evaluate(resource.Properties) as Record<string, unknown> };
  }
  const outputs = Object.fromEntries(
    Object.entries(template.Outputs ?? {}).map(([name, output]) => [name, evaluate(output.Value)]),
  );
  return { resources: created, outputs };
}

/** Given values over defaults; a missing value, or one AllowedValues or AllowedPattern refuses, fails as CloudFormation does. */
function parameterValues(
  template: Template,
  given: Record<string, string | string[]>,
): Record<string, string | string[]> {
  for (const name of Object.keys(given)) if (!(name in template.Parameters)) throw new Error(`no parameter ${name}`);
  const values: Record<string, string | string[]> = {};
  for (const [name, parameter] of Object.entries(template.Parameters)) {
    const value = given[name] ?? parameter.Default;
    if (value === undefined) throw new Error(`parameter ${name} needs a value`);
    const list =
      parameter.Type === 'CommaDelimitedList' ? (Array.isArray(value) ? value : value.split(',')) : undefined;
    for (const item of list ?? [value as string]) {
      if (parameter.AllowedValues && !parameter.AllowedValues.includes(item))
        throw new Error(`parameter ${name}: ${item} is not among AllowedValues`);
      // CloudFormation matches AllowedPattern against the whole value.
      if (parameter.AllowedPattern && !new RegExp(`^(?:${parameter.AllowedPattern})$`).test(item))
        throw new Error(`parameter ${name}: ${item} does not match AllowedPattern`);
    }
    values[name] = list ?? value;
  }
  return values;
}
