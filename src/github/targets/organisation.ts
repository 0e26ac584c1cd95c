import { RequestError } from '@octokit/request-error';
import type { GitHub } from '../client.ts';
import { describeGitHubError, type TokenSource } from '../errors.ts';
import { repositoryIds } from './repository-ids.ts';
import type { SecretSettings } from './secret-settings.ts';
import type { SecretApp, TargetSpec, Visibility } from './spec.ts';

/**
 * The organisation visibility rule: who may read an organisation secret (`visibility`, its selected
 * repositories), read from GitHub before any password exists, kept when the inputs say nothing,
 * widened only when they say so (and said out loud), and a selected list never shrunk by more than
 * MAX_REMOVED_SHARE without `allow-repository-removal`. The kind table (kinds.ts) calls it for the
 * organisation kind.
 */

/** What the kind table knows of the app whose organisation secrets these are. */
export interface OrganizationFacts {
  app: SecretApp;
  /** The token permission the organisation's secrets of this app need, for refusals. */
  permission: string;
  notFoundHint: string;
  /** When a value written is read, given who can read it. */
  takesEffect: (readers: string) => string;
}

/** Who can read an organisation secret of each visibility (GitHub docs, "Secrets reference"). */
const READERS: Record<Visibility, string> = {
  all: 'all repositories',
  private: 'private and internal repositories',
  selected: 'the selected repositories',
};
/** From narrowest to widest: a write that moves right lets more repositories read the password. */
const WIDTH: Visibility[] = ['selected', 'private', 'all'];

/** In which repositories an organisation secret is read, as far as its visibility tells. */
export function readersOf(visibility: Visibility | undefined): string {
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
 * first and what the second looks like (the token that sees a third removes two thirds),
 * while a list of two may still lose one on its own.
 */
export const MAX_REMOVED_SHARE = 0.5;

/**
 * Each organisation secret's visibility. Without `visibility` in the inputs, an existing secret
 * keeps its own (and its selected repositories), and only a new one is `private`: a plain run must
 * never widen who can read the password. An explicit `visibility` that widens it is said out loud.
 */
export async function organizationSettings(
  spec: Extract<TargetSpec, { kind: 'organization' }>,
  facts: OrganizationFacts,
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
    Promise.all(
      names.map((name) => storedOrganizationSecret(github, { org, facts, label }, name, needIds, tokenSource)),
    ),
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
      takesEffect: facts.takesEffect(readersOf(visibility)),
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
  { org, facts, label }: { org: string; facts: OrganizationFacts; label: string },
  name: string,
  withIds: boolean,
  tokenSource: TokenSource,
): Promise<StoredOrganizationSecret | undefined> {
  const { app, permission, notFoundHint } = facts;
  const context = { target: label, permission, notFoundHint, tokenSource };
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
