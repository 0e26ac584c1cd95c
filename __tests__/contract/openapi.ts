/**
 * `contractViolations(request)` checks a recorded request against GitHub's REST description
 * (`@octokit/openapi`): the route and method exist, and the path and query parameters and the JSON
 * body match their schemas. `graphql.ts`'s `graphqlViolations` does the same for GraphQL against
 * GitHub's published schema. Not test files: `e2e/helpers.ts` applies both to every GitHub request of
 * every scenario; the check's own test is `openapi.test.ts`.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';
import type { RecordedRequest } from '../fakes/server.ts';

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema?: object;
}
interface Operation {
  operationId: string;
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema: Record<string, unknown> }> };
}
interface Route {
  template: string;
  pattern: RegExp;
  names: string[];
  literalSegments: number;
  operations: Record<string, Operation>;
}

/**
 * Where GitHub's upstream description (github/rest-api-description) is stricter than the copy
 * Octokit ships: it requires the sealed value and key id on every organisation secret PUT.
 */
const UPSTREAM_REQUIRED: Record<string, string[]> = {
  'actions/create-or-update-org-secret': ['encrypted_value', 'key_id', 'visibility'],
};

let routes: Route[] | undefined;
const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
/** Ajv's validator without its type guard: a failed check must not narrow the checked value to `never`. */
type Validator = ((data: unknown) => boolean) & Pick<ValidateFunction, 'errors'>;
const validators = new Map<string, Validator>();

/** GitHub's official REST description, from the `@octokit/openapi` package, loaded once per test file. */
function loadRoutes(): Route[] {
  if (routes) return routes;
  const file = createRequire(import.meta.url).resolve('@octokit/openapi/generated/api.github.com.deref.json');
  const description = JSON.parse(readFileSync(file, 'utf8')) as { paths: Record<string, Record<string, Operation>> };
  routes = Object.entries(description.paths).map(([template, operations]) => {
    const names: string[] = [];
    const source = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_m, name: string) => {
      names.push(name);
      return '([^/]+)';
    });
    return {
      template,
      pattern: new RegExp(`^${source}$`),
      names,
      literalSegments: template.split('/').filter((s) => s && !s.startsWith('{')).length,
      operations,
    };
  });
  return routes;
}

function validator(key: string, schema: object): Validator {
  let validate = validators.get(key);
  if (!validate) {
    validate = ajv.compile(schema);
    validators.set(key, validate);
  }
  return validate;
}

/** What is wrong with one request against the description; empty when it is a valid request. */
export function contractViolations(request: Pick<RecordedRequest, 'method' | 'url' | 'body'>): string[] {
  const url = new URL(request.url, 'http://github.test');
  const method = request.method.toLowerCase();
  const where = `${request.method} ${url.pathname}`;
  // The most specific template wins: /secrets/public-key before /secrets/{secret_name}.
  const route = loadRoutes()
    .filter((r) => r.pattern.test(url.pathname) && r.operations[method])
    .sort((a, b) => b.literalSegments - a.literalSegments)[0];
  if (!route) return [`${where}: no operation in GitHub's REST description`];
  const operation = route.operations[method] as Operation;
  const problems: string[] = [];
  const parameters = operation.parameters ?? [];

  const values = route.pattern.exec(url.pathname)?.slice(1) ?? [];
  route.names.forEach((name, index) => {
    const parameter = parameters.find((p) => p.in === 'path' && p.name === name);
    const value = decodeURIComponent(values[index] ?? '');
    if (!parameter) problems.push(`${where}: path parameter ${name} is not described`);
    else if (parameter.schema && !validator(`${operation.operationId}:path:${name}`, parameter.schema)(value))
      problems.push(`${where}: path parameter ${name}=${value} does not match its schema`);
  });

  for (const [name, raw] of url.searchParams) {
    const parameter = parameters.find((p) => p.in === 'query' && p.name === name);
    if (!parameter) {
      problems.push(`${where}: query parameter ${name} is not described`);
      continue;
    }
    const schema = (parameter.schema ?? {}) as { type?: string };
    const value = schema.type === 'integer' && /^-?\d+$/.test(raw) ? Number(raw) : raw;
    if (!validator(`${operation.operationId}:query:${name}`, schema)(value))
      problems.push(`${where}: query parameter ${name}=${raw} does not match its schema`);
  }

  const bodySchema = operation.requestBody?.content['application/json']?.schema;
  if (!bodySchema) {
    if (request.body) problems.push(`${where}: sends a body, but ${operation.operationId} takes none`);
    return problems;
  }
  if (!request.body) {
    if (operation.requestBody?.required) problems.push(`${where}: ${operation.operationId} needs a body`);
    return problems;
  }
  // Fields the description does not name are refused: a misspelt field is a silent no-op at GitHub.
  const required = UPSTREAM_REQUIRED[operation.operationId] ?? (bodySchema['required'] as string[] | undefined) ?? [];
  const strict = { ...bodySchema, additionalProperties: false, required };
  const validate = validator(`${operation.operationId}:body`, strict);
  let body: unknown;
  try {
    body = JSON.parse(request.body);
  } catch {
    return [...problems, `${where}: the body is not JSON`];
  }
  if (!validate(body)) {
    for (const error of validate.errors ?? [])
      problems.push(
        `${where}: body${error.instancePath} ${error.message ?? ''}${error.params && 'additionalProperty' in error.params ? ` (${String(error.params['additionalProperty'])})` : ''}`,
      );
  }
  return problems;
}
