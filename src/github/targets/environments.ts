import { RequestError } from '@octokit/request-error';
import type { GitHub } from '../client.ts';
import { describeGitHubError, type TokenSource } from '../errors.ts';

/**
 * A repository's environment that may not exist yet, and how to create it.
 * GitHub answers 404 to every secrets route of an environment that does not exist, as it does for a
 * repository the token cannot see; a read of the repository itself tells the two apart.
 */
export interface MissingEnvironment {
  /** What may be missing, for messages: "environment ecr in octo/app". */
  label: string;
  /** A read of the owner: when it answers, a 404 from the environment's routes means the environment is missing. */
  owner: { route: string; params: Record<string, string> };
  /** The request that creates the environment, sent without body fields so that it sets nothing but the name. */
  create: { route: string; params: Record<string, string> };
  /** Whether the inputs allow creating it. */
  allowed: boolean;
  /** The input that allows it. */
  input: string;
  /** The token permission that creating it needs. */
  permission: string;
  /** How a person creates it instead. */
  byHand: string;
}

/**
 * An environment of a repository. Creating one is `PUT /repos/{owner}/{repo}/environments/{name}`
 * ("Create or update an environment"), which needs the repository permission 'Administration: write'
 * for GitHub Apps and fine-grained tokens (not 'Environments': github/rest-api-description#6745
 * reports 403 "Resource not accessible by integration" with environments: write alone) or the
 * `repo` scope (classic tokens, per the endpoint's description in GitHub's REST description).
 */
export function missingEnvironment(spec: { owner: string; repo: string; environment: string; create: boolean }) {
  const { owner, repo, environment } = spec;
  return {
    label: `environment ${environment} in ${owner}/${repo}`,
    owner: { route: 'GET /repos/{owner}/{repo}', params: { owner, repo } },
    create: {
      route: 'PUT /repos/{owner}/{repo}/environments/{environment_name}',
      params: { owner, repo, environment_name: environment },
    },
    allowed: spec.create,
    input: 'create-environment',
    permission:
      "the repository permission 'Administration: Read and write' (fine-grained token or GitHub App) or the 'repo' scope (classic token)",
    byHand: `Settings > Environments > New environment in ${owner}/${repo}`,
  } satisfies MissingEnvironment;
}

/** What became of a missing environment: created by this run, or (dry run) to be created by a real one. */
export type EnvironmentCreation = 'created' | 'would be created';

/**
 * After a 404 from one of an environment's routes: when the owner answers, the environment is missing, and it
 * is created if the inputs allow it (in a dry run, only said to be). Undefined when the owner does
 * not answer either: the 404 stands, for the caller's own words. Throws a message written for the
 * user when the environment is missing and may not be created, or creating it was refused.
 */
export async function ensureEnvironment(
  github: GitHub,
  environment: MissingEnvironment,
  { dryRun, tokenSource }: { dryRun: boolean; tokenSource: TokenSource },
): Promise<EnvironmentCreation | undefined> {
  try {
    await github.request(environment.owner.route, environment.owner.params);
  } catch {
    return undefined;
  }
  if (!environment.allowed) {
    throw new Error(
      `${environment.label} does not exist (GitHub answered 404 for it, and the repository is visible to ${tokenSource.name}). Create it (${environment.byHand}), or set ${environment.input}: true to have the action create it; ${tokenSource.name} then needs ${environment.permission}.`,
    );
  }
  if (dryRun) return 'would be created';
  try {
    // No body fields: an empty PUT creates the environment with no protection rules and sets nothing else.
    await github.request(environment.create.route, environment.create.params);
  } catch (error) {
    if (!(error instanceof RequestError)) throw error;
    throw new Error(
      describeGitHubError(error, {
        doing: 'create',
        target: environment.label,
        permission: `${environment.permission} to create it (${environment.input}); or create it by hand (${environment.byHand})`,
        notFoundHint: `Creating it needs ${environment.permission}: GitHub answers 404 to a token that may read the repository but not administer it. Give ${tokenSource.name} that permission, or create it by hand (${environment.byHand}).`,
        tokenSource,
      }),
      { cause: error },
    );
  }
  return 'created';
}
