import { GraphqlResponseError } from '@octokit/graphql';
import type { GitHub } from '../client.ts';
import { describeGitHubError, samlSsoAdvice, type TokenSource } from '../errors.ts';

/** How many repositories one GraphQL query resolves; GitHub limits a query's nodes. */
const IDS_PER_QUERY = 100;

/**
 * Repository ids for `selected_repository_ids`. The REST API needs one request per repository;
 * one GraphQL query resolves up to a hundred at once.
 */
export async function repositoryIds(
  github: GitHub,
  org: string,
  names: string[],
  tokenSource: TokenSource,
): Promise<number[]> {
  const ids: number[] = [];
  for (let start = 0; start < names.length; start += IDS_PER_QUERY) {
    ids.push(...(await repositoryIdsQuery(github, org, names.slice(start, start + IDS_PER_QUERY), tokenSource)));
  }
  return ids;
}

async function repositoryIdsQuery(
  github: GitHub,
  org: string,
  names: string[],
  tokenSource: TokenSource,
): Promise<number[]> {
  const variables = Object.fromEntries(names.map((name, i) => [`name${i}`, name]));
  const query = `query($owner: String!, ${names.map((_, i) => `$name${i}: String!`).join(', ')}) { ${names
    .map((_, i) => `r${i}: repository(owner: $owner, name: $name${i}) { databaseId }`)
    .join(' ')} }`;
  let data: RepositoryLookup;
  let errors: readonly GraphqlError[] = [];
  try {
    data = await github.graphql<RepositoryLookup>(query, { owner: org, ...variables });
  } catch (error) {
    if (!(error instanceof GraphqlResponseError)) {
      throw new Error(
        `selected-repositories: ${describeGitHubError(error, {
          doing: 'look up the repositories of',
          target: `organization ${org}`,
          permission: "read access to the selected repositories ('Metadata: Read')",
          notFoundHint: `Check that the organisation ${org} exists and that the token can see it.`,
          tokenSource,
        })}`,
        { cause: error },
      );
    }
    // GraphQL answers 200 with `errors` beside partial `data`: a null field per repository it did not give.
    data = (error.data ?? {}) as RepositoryLookup;
    errors = error.errors ?? [];
  }
  const problem = repositoryLookupProblem(org, names, data, errors, tokenSource.name);
  if (problem) throw new Error(problem);
  return names.map((_, i) => (data[`r${i}`] as { databaseId: number }).databaseId);
}

/** `r<i>` aliases, one per name, as the query asks for them. */
export type RepositoryLookup = Record<string, { databaseId: number } | null | undefined>;
export interface GraphqlError {
  type?: string;
  message: string;
  path?: readonly (string | number)[];
}

/**
 * What went wrong resolving repository names, or undefined. A refusal (FORBIDDEN, such as SAML
 * single sign-on, or any other error type) is reported with GitHub's own message; only a
 * repository that GitHub says is NOT_FOUND, or did not give, is called missing.
 */
export function repositoryLookupProblem(
  org: string,
  names: readonly string[],
  data: RepositoryLookup,
  errors: readonly GraphqlError[],
  tokenName: string,
): string | undefined {
  const nameAt = (error: GraphqlError) => {
    const alias = String(error.path?.[0] ?? '');
    const name = /^r\d+$/.test(alias) ? names[Number(alias.slice(1))] : undefined;
    return name === undefined ? undefined : `${org}/${name}`;
  };
  const refusals = errors.filter((error) => error.type !== 'NOT_FOUND');
  if (refusals.length > 0) {
    const byMessage = new Map<string, { type: string; names: string[] }>();
    for (const error of refusals) {
      const entry = byMessage.get(error.message) ?? { type: error.type ?? 'an error', names: [] };
      const name = nameAt(error);
      if (name) entry.names.push(name);
      byMessage.set(error.message, entry);
    }
    const said = [...byMessage].map(
      ([message, { type, names: refused }]) =>
        `GitHub answered ${type}${refused.length > 0 ? ` for ${refused.join(', ')}` : ''}: "${message}"`,
    );
    const saml = refusals.some((error) => /SAML/i.test(error.message));
    return `selected-repositories: could not look up the repositories of organization ${org}. ${said.join('; ')}.${saml ? ` ${samlSsoAdvice(tokenName)}` : ''}`;
  }
  const missing = names.filter((_, i) => !data[`r${i}`]);
  if (missing.length === 0) return undefined;
  return `selected-repositories: ${missing.map((name) => `${org}/${name}`).join(', ')} not found, or not visible to ${tokenName}. Check the names, and that the token can read these repositories.`;
}
