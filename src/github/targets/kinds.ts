import { SECRET_APPS, type SecretApp, type TargetSpec } from './spec.ts';
import { missingEnvironment, type MissingEnvironment } from './environments.ts';
import { organizationSettings, readersOf } from './organisation.ts';
import type { SecretSettings, SettingsReader } from './secret-settings.ts';

export type { SecretSettings, SettingsReader } from './secret-settings.ts';
export { MAX_REMOVED_SHARE } from './organisation.ts';
export { repositoryLookupProblem, type GraphqlError, type RepositoryLookup } from './repository-ids.ts';

/**
 * A kind of place that holds secrets, as data: its routes under each app's segment, what the token
 * needs, and when a written value is read. The app (Actions, Dependabot, Codespaces) is the other
 * dimension: `APPS` below, one row each.
 */
interface TargetKind<S extends TargetSpec> {
  label: (spec: S) => string;
  params: (spec: S) => Record<string, string>;
  /** The apps whose secrets this kind holds; environments hold Actions secrets only. */
  apps: readonly SecretApp[];
  routes: (app: SecretApp) => Routes;
  /** The token permission that writing here needs, for 403 messages. */
  permission: (app: AppFacts) => string;
  /** What else can make GitHub answer 404 here, for 404 messages. */
  notFoundHint: string;
  /** When a value written here is read. */
  takesEffect: (spec: S, app: AppFacts) => string;
  /** Per-secret settings read from GitHub; without it, every secret is written with no extra fields. */
  settings?: (spec: S, app: SecretApp, label: string) => SettingsReader;
  /** For a repository's environment, which may not exist yet: how to tell, and how to create it. */
  missing?: (spec: S) => MissingEnvironment;
}

interface Routes {
  publicKey: string;
  write: string;
  list: string;
  /** An organisation secret's selected repositories, set alone (`selected_repository_ids`). */
  selectedRepositories?: string;
}

/** What differs between the apps that keep secrets, whatever the target. */
interface AppFacts {
  /** Its name, as labels show it beside the target: `octo/app (Dependabot)`. */
  title: string;
  /** The permission to write its secrets in a repository, and in an organisation (GitHub's REST reference of each endpoint). */
  repositoryPermission: string;
  organizationPermission: string;
  /** Who reads a value written now; `where`, for an organisation secret, says in which repositories. */
  takesEffect: (where?: string) => string;
  /** What else a 404 from this app's routes can mean, whatever the target. */
  notFoundHint?: string;
}

const ORGANIZATION_NOT_FOUND_HINT =
  'Check the organisation name, and that the token belongs to an owner of it (or a GitHub App installed on it).';

const inWhere = (where?: string) => (where ? ` in ${where}` : '');

const APPS: Record<SecretApp, AppFacts> = {
  // GitHub docs, "Secrets reference": organisation and repository secrets are read when a workflow run is queued.
  actions: {
    title: 'Actions',
    repositoryPermission:
      "the repository permission 'Secrets: Read and write' (fine-grained token or GitHub App) or the 'repo' scope (classic token)",
    organizationPermission:
      "the organization permission 'Secrets: Read and write' (fine-grained token or GitHub App) or the 'admin:org' scope (classic token)",
    takesEffect: (where) => `workflow runs queued from now on${inWhere(where)}`,
  },
  // GitHub docs, "REST API endpoints for Dependabot secrets": the fine-grained permissions "Dependabot
  // secrets" (repository) and "Organization dependabot secrets" (organisation), write; classic tokens
  // need `repo` and `admin:org`. "Understanding GitHub secret types": Dependabot reads them when it
  // authenticates to private registries to update dependencies, that is when its update jobs run.
  dependabot: {
    title: 'Dependabot',
    repositoryPermission:
      "the repository permission 'Dependabot secrets: Read and write' (fine-grained token or GitHub App) or the 'repo' scope (classic token)",
    organizationPermission:
      "the organization permission 'Organization dependabot secrets: Read and write' (fine-grained token or GitHub App) or the 'admin:org' scope (classic token)",
    takesEffect: (where) => `Dependabot update jobs that start from now on${inWhere(where)}`,
  },
  // GitHub docs, "REST API endpoints for Codespaces repository secrets" / "... organization secrets":
  // "Codespaces secrets" (repository) and "Organization codespaces secrets" (organisation), write;
  // classic `repo` and `admin:org`. "Managing your account-specific secrets for GitHub Codespaces": a
  // secret is available when a codespace is created or restarted; a running one must be stopped and resumed.
  codespaces: {
    title: 'Codespaces',
    repositoryPermission:
      "the repository permission 'Codespaces secrets: Read and write' (fine-grained token or GitHub App) or the 'repo' scope (classic token)",
    organizationPermission:
      "the organization permission 'Organization codespaces secrets: Read and write' (fine-grained token or GitHub App) or the 'admin:org' scope (classic token)",
    takesEffect: (where) =>
      `codespaces created or restarted from now on${inWhere(where)} (a running codespace must be stopped and started)`,
    // GitHub Enterprise Server has no Codespaces, and no Codespaces secret routes in its REST API
    // (none in any `ghes-3.*` description of @octokit/openapi): they answer 404 there.
    notFoundHint:
      'Codespaces secrets exist on github.com and GHE.com only, not on GitHub Enterprise Server: against a GitHub Enterprise Server, use secret-type actions or dependabot.',
  },
};

type Kinds = { [K in TargetSpec['kind']]: TargetKind<Extract<TargetSpec, { kind: K }>> };

const KINDS: Kinds = {
  repository: {
    label: ({ owner, repo }) => `${owner}/${repo}`,
    params: ({ owner, repo }) => ({ owner, repo }),
    apps: SECRET_APPS,
    routes: (app) => ({
      publicKey: `GET /repos/{owner}/{repo}/${app}/secrets/public-key`,
      write: `PUT /repos/{owner}/{repo}/${app}/secrets/{secret_name}`,
      list: `GET /repos/{owner}/{repo}/${app}/secrets`,
    }),
    permission: (app) => app.repositoryPermission,
    notFoundHint:
      'Check the owner/name, and that the token has access to this repository (a fine-grained token or GitHub App must include it).',
    takesEffect: (_spec, app) => app.takesEffect(),
  },
  environment: {
    label: ({ owner, repo, environment }) => `${owner}/${repo} environment ${environment}`,
    params: ({ owner, repo, environment }) => ({ owner, repo, environment_name: environment }),
    apps: ['actions'],
    routes: () => ({
      publicKey: 'GET /repos/{owner}/{repo}/environments/{environment_name}/secrets/public-key',
      write: 'PUT /repos/{owner}/{repo}/environments/{environment_name}/secrets/{secret_name}',
      list: 'GET /repos/{owner}/{repo}/environments/{environment_name}/secrets',
    }),
    permission: () =>
      "the repository permission 'Environments: Read and write' (fine-grained token or GitHub App) or the 'repo' scope (classic token)",
    notFoundHint:
      'Check that the environment exists (Settings > Environments), the owner/name, and that the token has access to this repository.',
    // GitHub docs, "Secrets reference": environment secrets are read when a job referencing the environment starts.
    takesEffect: ({ environment }) =>
      `jobs with environment: ${environment} that start from now on, later jobs of this run included`,
    missing: ({ owner, repo, environment, createIfMissing }) =>
      missingEnvironment({ owner, repo, environment, create: createIfMissing === true }),
  },
  organization: {
    label: ({ org }) => `organization ${org}`,
    params: ({ org }) => ({ org }),
    apps: SECRET_APPS,
    routes: (app) => ({
      publicKey: `GET /orgs/{org}/${app}/secrets/public-key`,
      write: `PUT /orgs/{org}/${app}/secrets/{secret_name}`,
      list: `GET /orgs/{org}/${app}/secrets`,
      selectedRepositories: `PUT /orgs/{org}/${app}/secrets/{secret_name}/repositories`,
    }),
    permission: (app) => app.organizationPermission,
    notFoundHint: ORGANIZATION_NOT_FOUND_HINT,
    takesEffect: ({ visibility }, app) => app.takesEffect(readersOf(visibility)),
    settings: (spec, app, label) => (github, names, tokenSource) =>
      organizationSettings(
        spec,
        {
          app,
          permission: APPS[app].organizationPermission,
          notFoundHint: ORGANIZATION_NOT_FOUND_HINT,
          takesEffect: APPS[app].takesEffect,
        },
        label,
        github,
        names,
        tokenSource,
      ),
  },
};

/** A target with its kind's facts applied; what the writer works with. */
export interface Target {
  label: string;
  params: Record<string, string>;
  routes: Routes;
  permission: string;
  notFoundHint: string;
  /** When a value written here is read, as far as the inputs alone tell. */
  takesEffect: string;
  settings: SettingsReader;
  /** Set when the target is an environment, which may be missing: what a 404 then means and what to do. */
  missing?: MissingEnvironment;
  /** Set when nothing is written here whatever GitHub holds (an archived repository): why. */
  skipped?: string;
}

export function describeTarget(spec: TargetSpec): Target {
  // The cast is safe: `Kinds` pairs each kind with the spec of the same kind.
  const kind = KINDS[spec.kind] as TargetKind<TargetSpec>;
  const app = ('app' in spec ? spec.app : undefined) ?? 'actions';
  // config/github.ts refuses the pair first; this keeps a spec built elsewhere from reaching a route that does not exist.
  if (!kind.apps.includes(app)) throw new Error(`${spec.kind} targets hold no ${APPS[app].title} secrets`);
  const facts = APPS[app];
  const label = `${kind.label(spec)}${app === 'actions' ? '' : ` (${facts.title})`}`;
  const takesEffect = kind.takesEffect(spec, facts);
  return {
    label,
    params: kind.params(spec),
    routes: kind.routes(app),
    permission: kind.permission(facts),
    notFoundHint: facts.notFoundHint ? `${kind.notFoundHint} ${facts.notFoundHint}` : kind.notFoundHint,
    takesEffect,
    ...(kind.missing ? { missing: kind.missing(spec) } : {}),
    ...('skipped' in spec && spec.skipped ? { skipped: spec.skipped } : {}),
    settings:
      kind.settings?.(spec, app, label) ??
      (async (_github, names) => new Map(names.map((name) => [name, { body: {}, takesEffect, differs: false }]))),
  };
}

/** The body of one secret's PUT, exactly as the writer sends it. */
export function writeRequestBody(
  secret: { encryptedValue: string; keyId: string },
  settings: Pick<SecretSettings, 'body'>,
): Record<string, unknown> {
  return { encrypted_value: secret.encryptedValue, key_id: secret.keyId, ...settings.body };
}
