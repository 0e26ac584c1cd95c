import { RequestError } from '@octokit/request-error';
import { SECRET_APPS, type SecretApp, type TargetSpec, type Visibility } from './spec.ts';
import type { GitHub } from '../client.ts';
import { describeGitHubError, type TokenSource } from '../errors.ts';
import { ENVIRONMENT_HOLDER, type MissingHolder } from './environments.ts';
import { repositoryIds } from './repository-ids.ts';

export { repositoryLookupProblem, type GraphqlError, type RepositoryLookup } from './repository-ids.ts';

/** What one secret's PUT carries beyond the sealed value, decided from the inputs and what GitHub holds. */
export interface SecretSettings {
  /** Body fields beyond `encrypted_value` and `key_id`. */
  body: Record<string, unknown>;
  /** When runs read the value written here. */
  takesEffect: string;
  /** The stored secret's settings differ from the inputs, so it must be written however fresh it is (max-age) or whatever it holds (the username). */
  differs: boolean;
  /** Something the user must hear about the write, such as a visibility widened by the inputs. */
  warning?: string;
  /**
   * The stored secret is selected, as the inputs want it, and only its repositories differ: a secret
   * otherwise skipped (fresh by max-age, or an unchanging one already stored) gets its list set
   * (`PUT .../secrets/{name}/repositories`), with no new value.
   */
  repositoriesDiffer?: boolean;
  /** Why this secret must not be written at all (a selected list that would shrink too much); it fails with it. */
  refusal?: string;
  /** Said beside the result: the repositories added to and removed from the stored list, by name. */
  note?: string;
}

/** Reads what a kind needs from GitHub, before any password exists, to decide each secret's settings; `tokenSource` names the token in refusals. */
export type SettingsReader = (
  github: GitHub,
  names: readonly string[],
  tokenSource: TokenSource,
) => Promise<Map<string, SecretSettings>>;

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
  /** For a holder of secrets that its owner may lack (a repository's environment): how to tell, and how to create it. */
  missing?: (spec: S) => MissingHolder;
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

/** Who can read an organisation secret of each visibility (GitHub docs, "Secrets reference"). */
const READERS: Record<Visibility, string> = {
  all: 'all repositories',
  private: 'private and internal repositories',
  selected: 'the selected repositories',
};
/** From narrowest to widest: a write that moves right lets more repositories read the password. */
const WIDTH: Visibility[] = ['selected', 'private', 'all'];

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
      ENVIRONMENT_HOLDER({ owner, repo, environment, create: createIfMissing === true }),
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
      organizationSettings(spec, app, label, github, names, tokenSource),
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
  /** Set when the holder may be missing (an environment): what a 404 then means and what to do. */
  missing?: MissingHolder;
  /** Set when nothing is written here whatever GitHub holds (an archived repository): why. */
  skipped?: string;
}

export function describeTarget(spec: TargetSpec): Target {
  // The cast is safe: `Kinds` pairs each kind with the spec of the same kind.
  const kind = KINDS[spec.kind] as TargetKind<TargetSpec>;
  const app = ('app' in spec ? spec.app : undefined) ?? 'actions';
  // config.ts refuses the pair first; this keeps a spec built elsewhere from reaching a route that does not exist.
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

/** In which repositories an organisation secret is read, as far as its visibility tells. */
function readersOf(visibility: Visibility | undefined): string {
  return visibility ? READERS[visibility] : 'the repositories that can see it';
}

/** An organisation secret as GitHub holds it. */
interface StoredOrganizationSecret {
  visibility: Visibility;
  /** Read only when the secret is selected and the inputs keep or name selected repositories. */
  selectedRepositoryIds?: number[];
  /** Their names, by id, for what the log says was added and removed. */
  selectedRepositoryNames?: Map<number, string>;
}

/**
 * The share of a stored selected list that a run may remove without `allow-repository-removal`, when
 * selected-repositories holds a pattern.
 * Repositories leave a list that follows a pattern a few at a time (archived, renamed, deleted); a
 * token that suddenly sees fewer repositories (a fine-grained token or GitHub App given fewer, an
 * SSO authorisation lapsed for some) drops most of them at once. More than half is far beyond the
 * first and what the second looks like (the issue's token that sees a third removes two thirds),
 * while a list of two may still lose one on its own.
 */
export const MAX_REMOVED_SHARE = 0.5;

/**
 * Each organisation secret's visibility. Without `visibility` in the inputs, an existing secret
 * keeps its own (and its selected repositories), and only a new one is `private`: a plain run must
 * never widen who can read the password. An explicit `visibility` that widens it is said out loud.
 */
async function organizationSettings(
  spec: Extract<TargetSpec, { kind: 'organization' }>,
  app: SecretApp,
  label: string,
  github: GitHub,
  names: readonly string[],
  tokenSource: TokenSource,
): Promise<Map<string, SecretSettings>> {
  const { org, visibility: wanted } = spec;
  // Stored ids are needed to keep them (no visibility given), to compare them (a fresh or unchanging
  // secret with other repositories gets its list set), and to tell what a selected list gains and loses.
  const needIds = wanted === undefined || wanted === 'selected';
  const [wantedRepositories, stored] = await Promise.all([
    wanted !== 'selected'
      ? undefined
      : (spec.selected ??
        repositoryIds(github, org, spec.selectedRepositories, tokenSource).then((ids) =>
          ids.map((id, index) => ({ id, name: spec.selectedRepositories[index] ?? String(id) })),
        )),
    Promise.all(names.map((name) => storedOrganizationSecret(github, { org, app, label }, name, needIds, tokenSource))),
  ]);
  const wantedIds = wantedRepositories?.map(({ id }) => id);
  const settings = new Map<string, SecretSettings>();
  names.forEach((name, index) => {
    const current = stored[index];
    const visibility = wanted ?? current?.visibility ?? 'private';
    const ids = wanted === undefined ? current?.selectedRepositoryIds : wantedIds;
    const body = { visibility, ...(visibility === 'selected' ? { selected_repository_ids: ids ?? [] } : {}) };
    const differs = wanted !== undefined && current !== undefined && current.visibility !== wanted;
    const repositoriesDiffer =
      wanted === 'selected' && current?.visibility === 'selected' && !sameIds(current.selectedRepositoryIds, wantedIds);
    const widened = current !== undefined && WIDTH.indexOf(visibility) > WIDTH.indexOf(current.visibility);
    const change = repositoriesDiffer ? listChange(current, wantedRepositories ?? []) : undefined;
    const warning = widened
      ? `visibility: ${visibility} widens secret ${name} of ${label}: ${READERS[current.visibility]} could read it, now ${READERS[visibility]} can`
      : change && change.added.length > 0
        ? `selected-repositories widens secret ${name} of ${label}: ${change.added.length} more ${change.added.length === 1 ? 'repository' : 'repositories'} can read it (${change.added.join(', ')})`
        : undefined;
    const note = change ? listChangeNote(change) : undefined;
    const storedCount = current?.selectedRepositoryIds?.length ?? 0;
    // Only a pattern can lose repositories unseen: a name the token cannot see fails its look-up, so
    // a list of names that drops some is the user's own edit, set as given.
    const guarded = spec.selectedPatterns !== undefined && !spec.allowRepositoryRemoval;
    // A stored repository missing from the token's listing leaves only because the token lost it
    // (an archived, renamed or re-topicked one is still listed): none goes unless allowed.
    const unseen =
      current && spec.visibleIds
        ? (current.selectedRepositoryIds ?? [])
            .filter((id) => !spec.visibleIds?.has(id) && !wantedIds?.includes(id))
            .map((id) => current.selectedRepositoryNames?.get(id) ?? `id ${id}`)
        : [];
    const refusal =
      change && guarded && change.removed.length > storedCount * MAX_REMOVED_SHARE
        ? removalProblem({ name, label, removed: change.removed, storedCount, tokenName: tokenSource.name })
        : change && guarded && unseen.length > 0
          ? unseenProblem({ name, label, unseen, tokenName: tokenSource.name })
          : undefined;
    settings.set(name, {
      body,
      takesEffect: APPS[app].takesEffect(readersOf(visibility)),
      differs,
      ...(repositoriesDiffer ? { repositoriesDiffer } : {}),
      ...(warning ? { warning } : {}),
      ...(note ? { note } : {}),
      ...(refusal ? { refusal } : {}),
    });
  });
  return settings;
}

interface ListChange {
  added: string[];
  removed: string[];
}

/** The names added to and removed from a stored selected list. */
function listChange(current: StoredOrganizationSecret, wanted: readonly { id: number; name: string }[]): ListChange {
  const storedIds = new Set(current.selectedRepositoryIds ?? []);
  const wantedIds = new Set(wanted.map(({ id }) => id));
  return {
    added: wanted.filter(({ id }) => !storedIds.has(id)).map(({ name }) => name),
    removed: [...storedIds]
      .filter((id) => !wantedIds.has(id))
      .map((id) => current.selectedRepositoryNames?.get(id) ?? `id ${id}`),
  };
}

/** Why a selected list that would lose more than half its repositories is left as it is. */
function removalProblem(about: {
  name: string;
  label: string;
  removed: readonly string[];
  storedCount: number;
  tokenName: string;
}): string {
  const { name, label, removed, storedCount, tokenName } = about;
  return `selected-repositories would remove ${removed.length} of the ${storedCount} repositories secret ${name} of ${label} is shared with (${removed.join(', ')}), more than half, so neither its value nor its list was changed. A token that sees fewer repositories than before looks like this: check that ${tokenName} still has access to them (a fine-grained token or GitHub App must include them). If the list is meant to shrink, set allow-repository-removal: true for this run.`;
}

/** Why a selected list that would lose repositories the token no longer sees is left as it is. */
function unseenProblem(about: { name: string; label: string; unseen: readonly string[]; tokenName: string }): string {
  const { name, label, unseen, tokenName } = about;
  return `selected-repositories would remove ${unseen.length} ${unseen.length === 1 ? 'repository' : 'repositories'} that ${tokenName} cannot see from secret ${name} of ${label} (${unseen.join(', ')}), so neither its value nor its list was changed: they are not in its listing of the organisation, so they leave only because the token lost access to them. Check that ${tokenName} still has access to them (a fine-grained token or GitHub App must include them). If they are meant to go, set allow-repository-removal: true for this run.`;
}

function listChangeNote({ added, removed }: ListChange): string {
  const names = (list: readonly string[]) => (list.length > 0 ? ` (${list.join(', ')})` : '');
  return `selected repositories since the stored list: ${added.length} added${names(added)}, ${removed.length} removed${names(removed)}`;
}

function sameIds(a: readonly number[] | undefined, b: readonly number[] | undefined): boolean {
  const sorted = (ids: readonly number[] | undefined) => JSON.stringify([...(ids ?? [])].sort((x, y) => x - y));
  return sorted(a) === sorted(b);
}

/** The stored secret's visibility (and selected repository ids when asked), or undefined when it does not exist. */
async function storedOrganizationSecret(
  github: GitHub,
  { org, app, label }: { org: string; app: SecretApp; label: string },
  name: string,
  withIds: boolean,
  tokenSource: TokenSource,
): Promise<StoredOrganizationSecret | undefined> {
  const context = {
    target: label,
    permission: APPS[app].organizationPermission,
    notFoundHint: ORGANIZATION_NOT_FOUND_HINT,
    tokenSource,
  };
  let visibility: Visibility;
  try {
    // Every app answers this route with the secret's `visibility` (GitHub's REST description).
    const { data } = await github.request(`GET /orgs/{org}/${app}/secrets/{secret_name}`, { org, secret_name: name });
    visibility = data.visibility;
  } catch (error) {
    if (error instanceof RequestError && error.status === 404) return undefined;
    throw new Error(describeGitHubError(error, { ...context, doing: `read the visibility of secret ${name} of` }), {
      cause: error,
    });
  }
  if (visibility !== 'selected' || !withIds) return { visibility };
  try {
    const ids: number[] = [];
    const repositoryNames = new Map<number, string>();
    let pages = 0;
    let total: unknown;
    for await (const { data } of github.paginate.iterator(`GET /orgs/{org}/${app}/secrets/{secret_name}/repositories`, {
      org,
      secret_name: name,
      per_page: 100,
    })) {
      // paginate keeps each page's `total_count` on the array it unwraps.
      total ??= (data as unknown as { total_count?: unknown }).total_count;
      for (const repository of data) {
        ids.push(repository.id);
        repositoryNames.set(repository.id, repository.name);
      }
      // An organisation cannot hold more repositories than this reads; the cap keeps an answer that never ends from looping.
      if (++pages > MAX_REPOSITORY_PAGES)
        throw new Error(
          `GitHub listed more than ${MAX_REPOSITORY_PAGES * 100} selected repositories for secret ${name} of ${label}; give visibility and selected-repositories explicitly.`,
        );
    }
    // A list read short (a page whose Link to the next was lost) would hide from the removal guard
    // what the write removes: the secret fails instead.
    if (typeof total === 'number' && ids.length < total)
      throw new Error(
        `GitHub listed ${ids.length} of the ${total} selected repositories of secret ${name} of ${label}, so what a write would remove cannot be told, and it was not written. Run the job again; if it persists, check github-api-url (a proxy or gateway that drops GitHub's Link headers).`,
      );
    return { visibility, selectedRepositoryIds: ids, selectedRepositoryNames: repositoryNames };
  } catch (error) {
    if (!(error instanceof RequestError)) throw error;
    throw new Error(
      describeGitHubError(error, { ...context, doing: `read the selected repositories of secret ${name} of` }),
      { cause: error },
    );
  }
}

/** 10,000 selected repositories: far more than any secret is shared with. */
const MAX_REPOSITORY_PAGES = 100;
