/** Who may read an organisation secret. */
export type Visibility = 'all' | 'private' | 'selected';

/** Where secrets go, as config.ts reads it from the inputs. Each is one owner of one public key. */
export type TargetSpec =
  | { kind: 'repository'; owner: string; repo: string }
  | { kind: 'environment'; owner: string; repo: string; environment: string }
  /** `visibility` undefined: not given, so an existing secret keeps its own and a new one is `private`. */
  | { kind: 'organization'; org: string; visibility?: Visibility; selectedRepositories: string[] };

/**
 * A glob over one owner's repository names (`acme/svc-*`, `acme/*`): `*` any run of characters and
 * `?` one, matched without regard to case, as GitHub matches repository names. The owner is a login.
 */
export interface RepositoryPattern {
  /** As the user wrote it, for messages and the summary. */
  text: string;
  owner: string;
  /** The glob on the name: contains `*` or `?`. */
  name: string;
}

/** Repositories chosen by listing their owners, resolved into repository or environment targets before the run. */
export interface RepositorySelection {
  patterns: RepositoryPattern[];
  /** Lower-case topics a matched repository must all carry (repository-topics); empty: no filter. */
  topics: string[];
  /** Environment secrets in each matched repository instead of repository secrets. */
  environment?: string;
}

/** A repository named exactly or matched by a pattern: its repository secrets, or those of `environment` in it. */
export function repositoryTarget(owner: string, repo: string, environment?: string): TargetSpec {
  return environment ? { kind: 'environment', owner, repo, environment } : { kind: 'repository', owner, repo };
}
