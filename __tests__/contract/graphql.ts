import { schema as published } from '@octokit/graphql-schema';
import { buildClientSchema, Kind, parse, validate, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { getVariableValues } from 'graphql/execution/values.js';
import type { RecordedRequest } from '../fakes/server.ts';

let schema: GraphQLSchema | undefined;

/**
 * GitHub's public GraphQL schema (`@octokit/graphql-schema`, the schema github.com publishes), built
 * once per test file. The fake GitHub answers only the query shapes the action sends; this checks
 * that those shapes (fields, arguments, enum values, variable types) exist in GitHub's own schema,
 * so that the fake cannot answer a field GitHub does not have.
 */
function gitHubSchema(): GraphQLSchema {
  // The introspection result, as the package's own `validate` builds it (its SDL defines two fields twice).
  schema ??= buildClientSchema(published.json as Parameters<typeof buildClientSchema>[0]);
  return schema;
}

/** What is wrong with a recorded GraphQL request by GitHub's schema: its query, and its variables against the query's declarations. */
export function graphqlViolations(request: Pick<RecordedRequest, 'method' | 'url' | 'body'>): string[] {
  const where = `${request.method} ${request.url}`;
  let query: string;
  let variables: Record<string, unknown>;
  try {
    ({ query, variables = {} } = JSON.parse(request.body) as { query: string; variables?: Record<string, unknown> });
  } catch {
    return [`${where}: the body is not JSON`];
  }
  let document;
  try {
    document = parse(query);
  } catch (error) {
    return [`${where}: ${(error as Error).message}`];
  }
  const problems = validate(gitHubSchema(), document).map((error) => `${where}: ${error.message}`);
  if (problems.length > 0) return problems;
  const operation = document.definitions.find(
    (definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION,
  );
  const coerced = getVariableValues(gitHubSchema(), operation?.variableDefinitions ?? [], variables);
  return (coerced.errors ?? []).map((error) => `${where}: ${error.message}`);
}
