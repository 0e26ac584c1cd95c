/** Who may read an organisation secret. */
export type Visibility = 'all' | 'private' | 'selected';

/**
 * The GitHub apps that keep secrets of their own, each under its own route segment
 * (`/repos/{owner}/{repo}/<app>/secrets`, `/orgs/{org}/<app>/secrets`) with its own public key:
 * the same name in two apps is two secrets.
 */
export const SECRET_APPS = ['actions', 'dependabot', 'codespaces'] as const;
export type SecretApp = (typeof SECRET_APPS)[number];

/** Where secrets go, as src/config/targets.ts reads it from the inputs. Each is one owner of one public key. */
export type TargetSpec =
  /** `app` undefined: Actions. */
  | ({ kind: 'repository'; owner: string; repo: string; app?: SecretApp } & Skippable)
  /** Environments hold Actions secrets only. */
  /** `createIfMissing`: create the environment when the repository lacks it (`create-environment`). */
  | ({ kind: 'environment'; owner: string; repo: string; environment: string; createIfMissing?: true } & Skippable)
  /** `visibility` undefined: not given, so an existing secret keeps its own and a new one is `private`. `app` undefined: Actions. */
  | {
      kind: 'organization';
      org: string;
      visibility?: Visibility;
      /** Named exactly in selected-repositories. */
      selectedRepositories: string[];
      /** Patterns in selected-repositories (`svc-*`), on the organisation's repositories, narrowed by `topics`. */
      selectedPatterns?: RepositoryPattern[];
      topics?: string[];
      /** Set once the names and patterns are resolved by listing the organisation: every repository the secret is for. */
      selected?: SelectedRepository[];
      /** With `selected`: the ids of every repository of the organisation the token can see (archived ones included). */
      visibleIds?: ReadonlySet<number>;
      /** `allow-repository-removal`: narrow the list however much it shrinks. */
      allowRepositoryRemoval?: true;
      app?: SecretApp;
    };

/** A repository an organisation secret is shared with: its name and GitHub's database id. */
export interface SelectedRepository {
  name: string;
  id: number;
}

/** A repository's target that is known, before any request to it, to take no write. */
export interface Skippable {
  /** Why every secret of it is skipped: it is archived, as its owner's listing shows. */
  skipped?: string;
}

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
export interface RepositorySelection extends WithinRepository {
  patterns: RepositoryPattern[];
  /** Lower-case topics a matched repository must all carry (repository-topics); empty: no filter. */
  topics: string[];
}

/** Which secrets of a repository: its own (of `app`, Actions when undefined), or those of `environment` in it. */
export interface WithinRepository {
  environment?: string;
  /** Create the environment when the repository lacks it (`create-environment`). */
  createIfMissing?: true;
  app?: SecretApp;
}

/** A repository named exactly or matched by a pattern, as the target that holds its secrets. */
export function repositoryTarget(
  owner: string,
  repo: string,
  { environment, createIfMissing, app }: WithinRepository = {},
): TargetSpec {
  if (environment)
    return { kind: 'environment', owner, repo, environment, ...(createIfMissing ? { createIfMissing } : {}) };
  return { kind: 'repository', owner, repo, ...(app && app !== 'actions' ? { app } : {}) };
}
