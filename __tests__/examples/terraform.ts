import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getExpressionAst, parse, type TFExpressionSyntaxTree } from '@cdktf/hcl2json';
import { isRecord, type PolicyDocument } from './policy.ts';

/**
 * A Terraform module read offline: each `.tf` file parsed by HashiCorp's HCL parser (`@cdktf/hcl2json`,
 * the hcl library compiled to WebAssembly), then planned by a small evaluator for one set of variable
 * values, so that the role's policies come out as the AWS provider would send them to IAM.
 *
 * The evaluator knows the expressions, functions and resource attributes this module uses, with
 * Terraform's rules for them (a null in a template is an error, `count = 0` leaves no instance to
 * index, validations and preconditions fail the plan); anything else fails loudly.
 */

type Ast = TFExpressionSyntaxTree.ExpressionType;
type Blocks = Record<string, Record<string, Record<string, unknown>[]>>;

export interface TerraformModule {
  files: string[];
  variables: Record<string, Record<string, unknown>>;
  locals: Record<string, unknown>;
  resources: Blocks;
  data: Blocks;
  outputs: Record<string, Record<string, unknown>>;
  terraform: Record<string, unknown>[];
}

const TOP_LEVEL = new Set(['terraform', 'variable', 'locals', 'resource', 'data', 'output']);

/** Parses every `.tf` file of `dir` (a syntax error fails with HCL's own diagnostic) and merges them as Terraform does. */
export async function readModule(
  dir: string,
  replace?: (file: string, text: string) => string,
): Promise<TerraformModule> {
  const module: TerraformModule = {
    files: [],
    variables: {},
    locals: {},
    resources: {},
    data: {},
    outputs: {},
    terraform: [],
  };
  for (const file of readdirSync(dir)
    .filter((name) => name.endsWith('.tf'))
    .sort()) {
    let text = readFileSync(join(dir, file), 'utf8');
    if (replace) text = replace(file, text);
    const body = (await parse(file, text)) as Record<string, unknown>;
    module.files.push(file);
    for (const [kind, content] of Object.entries(body)) {
      if (!TOP_LEVEL.has(kind)) throw new Error(`${file}: a ${kind} block, which this module does not use`);
      if (kind === 'variable') mergeNamed(module.variables, content, file);
      if (kind === 'output') mergeNamed(module.outputs, content, file);
      if (kind === 'locals')
        for (const block of content as Record<string, unknown>[]) mergeOnce(module.locals, block, file, 'local');
      if (kind === 'resource') mergeTyped(module.resources, content, file);
      if (kind === 'data') mergeTyped(module.data, content, file);
      if (kind === 'terraform') module.terraform.push(...(content as Record<string, unknown>[]));
    }
  }
  return module;
}

function mergeNamed(into: Record<string, Record<string, unknown>>, content: unknown, file: string): void {
  for (const [name, [block]] of Object.entries(content as Record<string, Record<string, unknown>[]>)) {
    if (name in into) throw new Error(`${file}: ${name} is declared twice`);
    into[name] = block ?? {};
  }
}

function mergeOnce(into: Record<string, unknown>, block: Record<string, unknown>, file: string, what: string): void {
  for (const [name, value] of Object.entries(block)) {
    if (name in into) throw new Error(`${file}: ${what} ${name} is declared twice`);
    into[name] = value;
  }
}

function mergeTyped(into: Blocks, content: unknown, file: string): void {
  for (const [type, byName] of Object.entries(content as Blocks[string])) {
    into[type] ??= {};
    for (const [name, blocks] of Object.entries(byName as unknown as Record<string, Record<string, unknown>[]>)) {
      if (into[type][name]) throw new Error(`${file}: ${type}.${name} is declared twice`);
      into[type][name] = blocks;
    }
  }
}

export interface Account {
  partition: string;
  region: string;
  accountId: string;
}

export interface Plan {
  /** The role's trust policy, as `assume_role_policy` receives it. */
  trustPolicy: PolicyDocument;
  /** Inline policies of the role by name, those whose `count` leaves them in. */
  rolePolicies: Record<string, PolicyDocument>;
  /** OIDC providers created, with their URL and client ids. */
  oidcProviders: { url: string; clientIds: string[] }[];
  outputs: Record<string, unknown>;
}

/** The module planned for these variable values in this account, the way `terraform plan` would evaluate it. */
export async function plan(module: TerraformModule, given: Record<string, unknown>, account: Account): Promise<Plan> {
  const evaluator = new Evaluator(module, given, account);
  await evaluator.checkVariables();
  const [role] = Object.values(module.resources['aws_iam_role'] ?? {});
  if (!role?.[0] || Object.keys(module.resources['aws_iam_role'] ?? {}).length !== 1)
    throw new Error('the module must hold one aws_iam_role');
  await evaluator.checkPreconditions(role[0]);
  const trustPolicy = JSON.parse(String(await evaluator.value(role[0]['assume_role_policy']))) as PolicyDocument;

  const rolePolicies: Record<string, PolicyDocument> = {};
  for (const [name, [policy]] of Object.entries(module.resources['aws_iam_role_policy'] ?? {})) {
    if (!policy || (await evaluator.count(policy)) === 0) continue;
    const roleName = String(await evaluator.value(policy['role']));
    if (
      roleName !==
      (await evaluator.reference(`aws_iam_role.${Object.keys(module.resources['aws_iam_role'] ?? {})[0]}.id`))
    ) {
      throw new Error(`aws_iam_role_policy.${name} is attached to another role`);
    }
    rolePolicies[String(await evaluator.value(policy['name']))] = JSON.parse(
      String(await evaluator.value(policy['policy'])),
    ) as PolicyDocument;
  }

  const oidcProviders: Plan['oidcProviders'] = [];
  for (const [provider] of Object.values(module.resources['aws_iam_openid_connect_provider'] ?? {})) {
    if (!provider || (await evaluator.count(provider)) === 0) continue;
    oidcProviders.push({
      url: String(await evaluator.value(provider['url'])),
      clientIds: (await evaluator.value(provider['client_id_list'])) as string[],
    });
  }

  const outputs: Record<string, unknown> = {};
  for (const [name, output] of Object.entries(module.outputs)) outputs[name] = await evaluator.value(output['value']);
  return { trustPolicy, rolePolicies, oidcProviders, outputs };
}

class Evaluator {
  private readonly locals = new Map<string, Promise<unknown>>();
  private readonly vars: Record<string, unknown> = {};
  private readonly module: TerraformModule;
  private readonly account: Account;

  constructor(module: TerraformModule, given: Record<string, unknown>, account: Account) {
    this.module = module;
    this.account = account;
    for (const name of Object.keys(given)) if (!(name in module.variables)) throw new Error(`no variable ${name}`);
    for (const [name, variable] of Object.entries(module.variables)) {
      if (name in given) this.vars[name] = given[name];
      else if ('default' in variable) this.vars[name] = variable['default'];
      else throw new Error(`variable ${name} needs a value`);
    }
  }

  /** Every `validation` block of every variable: a false condition fails with its error_message, as the plan does. */
  async checkVariables(): Promise<void> {
    for (const [name, variable] of Object.entries(this.module.variables)) {
      for (const validation of (variable['validation'] as Record<string, unknown>[] | undefined) ?? []) {
        if ((await this.value(validation['condition'])) !== true)
          throw new Error(`variable ${name}: ${String(validation['error_message'])}`);
      }
    }
  }

  async checkPreconditions(resource: Record<string, unknown>): Promise<void> {
    for (const lifecycle of (resource['lifecycle'] as Record<string, unknown>[] | undefined) ?? []) {
      for (const precondition of (lifecycle['precondition'] as Record<string, unknown>[] | undefined) ?? []) {
        if ((await this.value(precondition['condition'])) !== true)
          throw new Error(`precondition: ${String(precondition['error_message'])}`);
      }
    }
  }

  async count(block: Record<string, unknown>): Promise<number> {
    return block['count'] === undefined ? 1 : Number(await this.value(block['count']));
  }

  /** A value as hcl2json gives it: strings with `${` are HCL templates, parsed by the same parser; lists and maps element-wise. */
  async value(raw: unknown, scope: Record<string, unknown> = {}): Promise<unknown> {
    if (Array.isArray(raw)) return Promise.all(raw.map((item) => this.value(item, scope)));
    if (isRecord(raw)) {
      const entries = await Promise.all(
        Object.entries(raw).map(async ([key, item]) => [key, await this.value(item, scope)] as const),
      );
      return Object.fromEntries(entries);
    }
    if (typeof raw !== 'string' || !raw.includes('${')) return raw;
    const ast = await getExpressionAst('expression.tf', `"${raw}"`);
    if (!ast) throw new Error(`cannot parse ${raw}`);
    return this.expression(ast, scope);
  }

  private async expression(node: Ast, scope: Record<string, unknown>): Promise<unknown> {
    const children = node.children;
    const child = async (index: number) => {
      const at = children[index];
      if (!at) throw new Error(`${node.meta.value}: missing operand`);
      return this.expression(at, scope);
    };
    switch (node.type) {
      case 'templateWrap':
        return child(0);
      case 'template': {
        const parts = await Promise.all(children.map((part) => this.expression(part, scope)));
        for (const part of parts) {
          // Terraform: "Invalid template interpolation value: The expression result is null".
          if (part === null || part === undefined) throw new Error(`${node.meta.value}: a null in a string template`);
          if (typeof part === 'object') throw new Error(`${node.meta.value}: a list or map in a string template`);
        }
        return parts.join('');
      }
      case 'literalValue': {
        const { type, value } = node.meta;
        if (type === 'string') return value;
        if (type === 'number') return Number(value);
        if (type === 'bool') return value === 'true';
        if (value === 'null') return null;
        throw new Error(`literal ${value} of type ${type}`);
      }
      case 'scopeTraversal':
        return this.reference(node.meta.fullAccessor, scope);
      case 'tuple':
        return Promise.all(children.map((item) => this.expression(item, scope)));
      case 'conditional':
        return (await child(0)) === true ? child(1) : child(2);
      case 'binaryOp': {
        const { operator } = node.meta;
        const [left, right] = [await child(0), await child(1)];
        if (operator === 'equal') return left === right;
        if (operator === 'notEqual') return left !== right;
        if (operator === 'logicalOr') return left === true || right === true;
        if (operator === 'logicalAnd') return left === true && right === true;
        throw new Error(`operator ${operator} is not modelled here`);
      }
      case 'index': {
        const [collection, key] = [await child(0), await child(1)];
        return walk(collection, [key as string | number], node.meta.value);
      }
      case 'function':
        return this.call(node.meta.name, await Promise.all(children.map((arg) => this.expression(arg, scope))));
      case 'for': {
        const { keyVar, valVar } = node.meta;
        const collection = await child(0);
        const body = children[1];
        if (!body || !(Array.isArray(collection) || isRecord(collection)))
          throw new Error(`${node.meta.value}: not a list or map`);
        const entries = Array.isArray(collection)
          ? collection.map((item: unknown, index) => [index, item] as const)
          : Object.entries(collection);
        return Promise.all(
          entries.map(([key, item]) =>
            this.expression(body, { ...scope, [valVar]: item, ...(keyVar ? { [keyVar]: key } : {}) }),
          ),
        );
      }
    }
    throw new Error(`${node.type} expressions (${node.meta.value}) are not modelled here`);
  }

  private call(name: string, args: unknown[]): unknown {
    if (name === 'contains' && Array.isArray(args[0])) return args[0].includes(args[1]);
    if (name === 'toset' && Array.isArray(args[0])) return [...new Set(args[0])].sort();
    throw new Error(`function ${name} is not modelled here`);
  }

  /** `var.x`, `local.x`, `data.T.N.attr`, `T.N[i].attr`, `each.value` or a `for` variable, then attributes and indexes. */
  async reference(accessor: string, scope: Record<string, unknown> = {}): Promise<unknown> {
    const path = [...accessor.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map(([, name, index]) =>
      index === undefined ? (name ?? '') : Number(index),
    );
    const [head, ...rest] = path as [string, ...(string | number)[]];
    if (head in scope) return walk(scope[head], rest, accessor);
    if (head === 'var') {
      const [name, ...more] = rest;
      if (!(String(name) in this.vars)) throw new Error(`${accessor}: no variable ${String(name)}`);
      return walk(this.vars[String(name)], more, accessor);
    }
    if (head === 'local') {
      const [name, ...more] = rest;
      return walk(await this.local(String(name)), more, accessor);
    }
    if (head === 'data') {
      const [type, name, ...more] = rest.map(String);
      return walk(await this.dataSource(String(type), String(name)), more, accessor);
    }
    const [name, ...more] = rest;
    return walk(await this.resource(head, String(name)), more, accessor);
  }

  private local(name: string): Promise<unknown> {
    if (!(name in this.module.locals)) throw new Error(`local.${name} is not declared`);
    let value = this.locals.get(name);
    if (!value) {
      value = this.value(this.module.locals[name]);
      this.locals.set(name, value);
    }
    return value;
  }

  /** A resource's instances: a list when it has `count`, else the one instance. Its computed attributes as AWS returns them. */
  private async resource(type: string, name: string): Promise<unknown> {
    const block = this.module.resources[type]?.[name]?.[0];
    if (!block) throw new Error(`${type}.${name} is not declared`);
    const instance = await this.attributes(type, name, block);
    return block['count'] === undefined ? instance : Array.from({ length: await this.count(block) }, () => instance);
  }

  private async attributes(
    type: string,
    name: string,
    block: Record<string, unknown>,
  ): Promise<Record<string, unknown>> {
    const { partition, accountId } = this.account;
    if (type === 'aws_iam_openid_connect_provider') {
      const url = String(await this.value(block['url']));
      return { arn: `arn:${partition}:iam::${accountId}:oidc-provider/${url.replace(/^https:\/\//, '')}`, url };
    }
    if (type === 'aws_iam_role') {
      const roleName = String(await this.value(block['name']));
      return { arn: `arn:${partition}:iam::${accountId}:role/${roleName}`, id: roleName, name: roleName };
    }
    throw new Error(`attributes of ${type}.${name} are not modelled here`);
  }

  private async dataSource(type: string, name: string): Promise<unknown> {
    const block = this.module.data[type]?.[name]?.[0];
    if (!block) throw new Error(`data.${type}.${name} is not declared`);
    if (type === 'aws_iam_policy_document') return { json: JSON.stringify(await this.policyDocument(block)) };
    if (type === 'aws_ecr_repository') {
      // for_each over a set: one instance per element, each.key and each.value both the element.
      const keys = (await this.value(block['for_each'])) as string[];
      const { partition, region, accountId } = this.account;
      const instances: Record<string, unknown> = {};
      for (const key of keys) {
        const scope = { each: { key, value: key } };
        const repository = String(await this.value(block['name'], scope));
        const registry = ((await this.value(block['registry_id'], scope)) as string | null) ?? accountId;
        instances[key] = {
          arn: `arn:${partition}:ecr:${region}:${registry}:repository/${repository}`,
          name: repository,
        };
      }
      return instances;
    }
    throw new Error(`data.${type} is not modelled here`);
  }

  /** What `aws_iam_policy_document` renders (AWS provider docs): statement blocks into Statement, principals and conditions merged by type and test. */
  private async policyDocument(block: Record<string, unknown>): Promise<unknown> {
    for (const key of Object.keys(block))
      if (key !== 'statement' && key !== 'version')
        throw new Error(`aws_iam_policy_document: ${key} is not used by these examples`);
    const statements = [];
    for (const statement of (block['statement'] as Record<string, unknown>[] | undefined) ?? []) {
      for (const key of Object.keys(statement)) {
        if (!['sid', 'effect', 'actions', 'resources', 'principals', 'condition'].includes(key))
          throw new Error(`aws_iam_policy_document statement: ${key} is not used by these examples`);
      }
      const rendered: Record<string, unknown> = {
        Effect: statement['effect'] === undefined ? 'Allow' : await this.value(statement['effect']),
      };
      if (statement['sid'] !== undefined) rendered['Sid'] = await this.value(statement['sid']);
      if (statement['actions'] !== undefined) rendered['Action'] = await this.value(statement['actions']);
      if (statement['resources'] !== undefined) rendered['Resource'] = await this.value(statement['resources']);
      for (const principal of (statement['principals'] as Record<string, unknown>[] | undefined) ?? []) {
        const principals = (rendered['Principal'] ??= {}) as Record<string, unknown[]>;
        const type = String(await this.value(principal['type']));
        principals[type] = [
          ...(principals[type] ?? []),
          ...((await this.value(principal['identifiers'])) as unknown[]),
        ];
      }
      for (const condition of (statement['condition'] as Record<string, unknown>[] | undefined) ?? []) {
        const conditions = (rendered['Condition'] ??= {}) as Record<string, Record<string, unknown>>;
        const test = String(await this.value(condition['test']));
        const variable = String(await this.value(condition['variable']));
        const byTest = (conditions[test] ??= {});
        if (variable in byTest) throw new Error(`aws_iam_policy_document: ${test} ${variable} twice`);
        byTest[variable] = await this.value(condition['values']);
      }
      statements.push(rendered);
    }
    return {
      Version: block['version'] === undefined ? '2012-10-17' : await this.value(block['version']),
      Statement: statements,
    };
  }
}

function walk(value: unknown, path: (string | number)[], accessor: string): unknown {
  let at = value;
  for (const step of path) {
    if (typeof step === 'number') {
      if (!Array.isArray(at) || step >= at.length)
        throw new Error(`${accessor}: no instance [${step}] (count is ${Array.isArray(at) ? at.length : 'not set'})`);
      at = at[step];
    } else {
      if (!isRecord(at) || !(step in at)) throw new Error(`${accessor}: no attribute or key ${step}`);
      at = at[step];
    }
  }
  return at;
}
