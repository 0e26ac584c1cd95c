import { GraphqlResponseError } from '@octokit/graphql';
import type { TargetSpec } from '../config.ts';
import type { GitHub } from './client.ts';
import { describeGitHubError } from './errors.ts';

/**
 * A kind of place that holds secrets, as data: its routes, what the token needs, and when a
 * written value is read. A new kind (Dependabot, Codespaces) is a new row here.
 */
interface TargetKind<S extends TargetSpec> {
  label: (spec: S) => string;
  params: (spec: S) => Record<string, string>;
  routes: { publicKey: string; write: string; list: string };
  /** The token permission that writing here needs, for 403 messages. */
  permission: string;
  /** What else can make GitHub answer 404 here, for 404 messages. */
  notFoundHint: string;
  /** When runs read a value written here (GitHub docs, "Secrets reference"). */
  takesEffect: (spec: S) => string;
  /** Body fields beyond the sealed value, resolved once per target. */
  writeBody?: (spec: S, github: GitHub) => Promise<Record<string, unknown>>;
}

type Kinds = { [K in TargetSpec['kind']]: TargetKind<Extract<TargetSpec, { kind: K }>> };

const KINDS: Kinds = {
  repository: {
    label: ({ owner, repo }) => `${owner}/${repo}`,
    params: ({ owner, repo }) => ({ owner, repo }),
    routes: {
      publicKey: 'GET /repos/{owner}/{repo}/actions/secrets/public-key',
      write: 'PUT /repos/{owner}/{repo}/actions/secrets/{secret_name}',
      list: 'GET /repos/{owner}/{repo}/actions/secrets',
    },
    permission: "the repository permission 'Secrets: Read and write' (fine-grained token or GitHub App) or the 'repo' scope (classic token)",
    notFoundHint: 'Check the owner/name, and that the token has access to this repository (a fine-grained token or GitHub App must include it).',
    takesEffect: () => 'workflow runs queued from now on',
  },
  environment: {
    label: ({ owner, repo, environment }) => `${owner}/${repo} environment ${environment}`,
    params: ({ owner, repo, environment }) => ({ owner, repo, environment_name: environment }),
    routes: {
      publicKey: 'GET /repos/{owner}/{repo}/environments/{environment_name}/secrets/public-key',
      write: 'PUT /repos/{owner}/{repo}/environments/{environment_name}/secrets/{secret_name}',
      list: 'GET /repos/{owner}/{repo}/environments/{environment_name}/secrets',
    },
    permission: "the repository permission 'Environments: Read and write' (fine-grained token or GitHub App) or the 'repo' scope (classic token)",
    notFoundHint: 'Check that the environment exists (Settings > Environments), the owner/name, and that the token has access to this repository.',
    takesEffect: ({ environment }) => `jobs with environment: ${environment} that start from now on, later jobs of this run included`,
  },
  organization: {
    label: ({ org }) => `organization ${org}`,
    params: ({ org }) => ({ org }),
    routes: {
      publicKey: 'GET /orgs/{org}/actions/secrets/public-key',
      write: 'PUT /orgs/{org}/actions/secrets/{secret_name}',
      list: 'GET /orgs/{org}/actions/secrets',
    },
    permission: "the organization permission 'Secrets: Read and write' (fine-grained token or GitHub App) or the 'admin:org' scope (classic token)",
    notFoundHint: 'Check the organisation name, and that the token belongs to an owner of it (or a GitHub App installed on it).',
    takesEffect: ({ visibility }) => `workflow runs queued from now on in ${visibility === 'all' ? 'all' : visibility === 'private' ? 'private and internal' : 'the selected'} repositories`,
    writeBody: async ({ org, visibility, selectedRepositories }, github) => ({
      visibility,
      ...(visibility === 'selected' ? { selected_repository_ids: await repositoryIds(github, org, selectedRepositories) } : {}),
    }),
  },
};

/** A target with its kind's facts applied; what the writer works with. */
export interface Target {
  label: string;
  params: Record<string, string>;
  routes: TargetKind<TargetSpec>['routes'];
  permission: string;
  notFoundHint: string;
  takesEffect: string;
  writeBody: (github: GitHub) => Promise<Record<string, unknown>>;
}

export function describeTarget(spec: TargetSpec): Target {
  // The cast is safe: `Kinds` pairs each kind with the spec of the same kind.
  const kind = KINDS[spec.kind] as TargetKind<TargetSpec>;
  return {
    label: kind.label(spec),
    params: kind.params(spec),
    routes: kind.routes,
    permission: kind.permission,
    notFoundHint: kind.notFoundHint,
    takesEffect: kind.takesEffect(spec),
    writeBody: async (github) => (kind.writeBody ? kind.writeBody(spec, github) : {}),
  };
}

/** How many repositories one GraphQL query resolves; GitHub limits a query's nodes. */
const IDS_PER_QUERY = 100;

/**
 * Repository ids for `selected_repository_ids`. The REST API needs one request per repository;
 * one GraphQL query resolves up to a hundred at once.
 */
async function repositoryIds(github: GitHub, org: string, names: string[]): Promise<number[]> {
  const ids: number[] = [];
  for (let start = 0; start < names.length; start += IDS_PER_QUERY) {
    ids.push(...(await repositoryIdsQuery(github, org, names.slice(start, start + IDS_PER_QUERY))));
  }
  return ids;
}

async function repositoryIdsQuery(github: GitHub, org: string, names: string[]): Promise<number[]> {
  const variables = Object.fromEntries(names.map((name, i) => [`name${i}`, name]));
  const query = `query($owner: String!, ${names.map((_, i) => `$name${i}: String!`).join(', ')}) { ${names
    .map((_, i) => `r${i}: repository(owner: $owner, name: $name${i}) { databaseId }`)
    .join(' ')} }`;
  type Answer = Record<string, { databaseId: number } | null>;
  let data: Answer;
  try {
    data = await github.graphql<Answer>(query, { owner: org, ...variables });
  } catch (error) {
    // A repository that does not exist comes back as a null field with a NOT_FOUND error.
    if (!(error instanceof GraphqlResponseError)) {
      throw new Error(
        `selected-repositories: ${describeGitHubError(error, {
          doing: 'look up the repositories of',
          target: `organization ${org}`,
          permission: "read access to the selected repositories ('Metadata: Read')",
          notFoundHint: `Check that the organisation ${org} exists and that the token can see it.`,
        })}`,
      );
    }
    data = (error.data ?? {}) as Answer;
  }
  const missing = names.filter((_, i) => !data[`r${i}`]);
  if (missing.length > 0) {
    throw new Error(
      `selected-repositories: ${missing.map((name) => `${org}/${name}`).join(', ')} not found, or not visible to github-token. Check the names, and that the token can read these repositories.`,
    );
  }
  return names.map((_, i) => (data[`r${i}`] as { databaseId: number }).databaseId);
}
