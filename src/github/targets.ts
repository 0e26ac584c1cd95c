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
  spec: TargetSpec;
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
    spec,
    label: kind.label(spec),
    params: kind.params(spec),
    routes: kind.routes,
    permission: kind.permission,
    notFoundHint: kind.notFoundHint,
    takesEffect: kind.takesEffect(spec),
    writeBody: async (github) => (kind.writeBody ? kind.writeBody(spec, github) : {}),
  };
}

/** Repository ids for `selected_repository_ids`, one lookup per repository, all at once. */
async function repositoryIds(github: GitHub, org: string, names: string[]): Promise<number[]> {
  return Promise.all(
    names.map(async (repo) => {
      try {
        const { data } = await github.request('GET /repos/{owner}/{repo}', { owner: org, repo });
        return Number(data.id);
      } catch (error) {
        throw new Error(
          `selected-repositories: ${describeGitHubError(error, {
            doing: 'look up',
            target: `${org}/${repo}`,
            permission: "read access to it ('Metadata: Read', which every fine-grained token has for the repositories it includes)",
            notFoundHint: `Check that ${org}/${repo} exists and that the token can see it.`,
          })}`,
        );
      }
    }),
  );
}
