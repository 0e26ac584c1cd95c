import { GraphqlResponseError } from '@octokit/graphql';
import type { GitHub } from '../client.ts';
import { describeGitHubError, samlSsoAdvice, type TokenSource } from '../errors.ts';
import type { RepositoryPattern } from './spec.ts';

/*
 * An owner's repositories, listed (GraphQL, a page of 100) and matched against a pattern (`*`, `?`)
 * and topics, with the archived, disabled and locked ones left out and said why. Used by the
 * repository patterns (patterns.ts) and an organisation secret's selected-repositories patterns
 * (selected-repositories.ts).
 */

/** One repository as the owner's listing gives it. */
export interface ListedRepository {
  name: string;
  /** GitHub's database id, for an organisation secret's `selected_repository_ids`. */
  id?: number;
  archived: boolean;
  /** Disabled by GitHub (a terms-of-service block, for one): its routes answer 403 "Repository access blocked". */
  disabled?: boolean;
  /** Locked (for a migration, a transfer, billing): it takes no writes until unlocked. */
  locked?: boolean;
  /** Lower case, as GitHub stores topics. */
  topics: string[];
}

/** An owner's repositories, with its login as GitHub spells it. */
export interface OwnerListing {
  login: string;
  repositories: ListedRepository[];
}

/** What one pattern matched: the repositories it selects, and how many names it matched but left out. */
export interface PatternMatch {
  pattern: RepositoryPattern;
  owner: string;
  names: string[];
  /** Names it matched of archived repositories, skipped. */
  archived: string[];
  /** Names it matched of repositories GitHub has disabled, or that are locked: skipped as archived ones are. */
  disabled: string[];
  locked: string[];
  withoutTopics: number;
}

/**
 * Why GraphQL, not REST: one query per 100 repositories lists an organisation or a user alike, with
 * `isArchived` and the topics, and includes the private repositories the token can see. REST needs
 * as many requests for an organisation (`GET /orgs/{org}/repos`, 100 a page) but first has to know
 * whether the owner is one, and for a user `GET /users/{username}/repos` lists public repositories
 * only. `repositoryOwner(login:)` answers a user or an organisation (GitHub docs, GraphQL reference,
 * "Queries: repositoryOwner"), and null, with no error, for a login it does not know or the token
 * cannot see. `ownerAffiliations: [OWNER]` keeps the repositories the owner owns: its default adds
 * those it is only a collaborator on. Connections give at most 100 nodes a page (GitHub docs, "Rate
 * limits and node limits for the GraphQL API": `first` is 1 to 100), and a repository carries at
 * most 20 topics (GitHub docs, "Classifying your repository with topics"), so one page of topics is all.
 */
export const OWNER_REPOSITORIES_QUERY = `query($login: String!, $cursor: String) {
  repositoryOwner(login: $login) {
    login
    repositories(first: 100, after: $cursor, ownerAffiliations: [OWNER], orderBy: { field: NAME, direction: ASC }) {
      nodes { databaseId name isArchived isDisabled isLocked repositoryTopics(first: 20) { nodes { topic { name } } } }
      pageInfo { hasNextPage endCursor }
    }
  }
}`;

/** 100,000 repositories: more than any owner holds; the cap keeps an answer that never ends from looping. */
const MAX_OWNER_PAGES = 1000;

interface OwnerRepositoriesPage {
  repositoryOwner: {
    login: string;
    repositories: {
      nodes: ({
        databaseId: number | null;
        name: string;
        isArchived: boolean;
        isDisabled: boolean;
        isLocked: boolean;
        repositoryTopics: { nodes: { topic: { name: string } }[] };
      } | null)[];
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
    };
  } | null;
}

/**
 * Why an archived repository takes no secret: it is read-only and runs no workflow (GitHub docs,
 * "Archiving repositories"), so a secret written there would serve nothing.
 */
export const ARCHIVED_REASON =
  'archived: an archived repository is read-only and runs no workflow, so a secret there would serve nothing. Unarchive it, or remove it from repositories.';
/**
 * A repository GitHub has disabled (a terms-of-service block, say) answers every REST request with
 * 403 "Repository access blocked" (caarlos0/fork-cleaner#99, octokit/octokit.rb#563): a write fails.
 */
export const DISABLED_REASON =
  'disabled: GitHub has disabled this repository, and it answers every request with "Repository access blocked", so no secret can be written there. Ask its owner (or GitHub Support) to restore it, or remove it from repositories.';
/**
 * A locked repository (for a migration, a transfer or billing: GraphQL's `lockReason`) takes no
 * writes, and one locked for a migration is not even readable (github/docs#6862).
 */
export const LOCKED_REASON =
  'locked: the repository is locked (for a migration, a transfer or billing) and takes no writes until it is unlocked. Unlock it, or remove it from repositories.';

/** Why a listed repository takes no secret, or undefined when it can take one. */
export function inactiveReason(repository: ListedRepository): 'archived' | 'disabled' | 'locked' | undefined {
  // Disabled first: a disabled repository may be archived too, and disabled says why it cannot be read at all.
  if (repository.disabled) return 'disabled';
  if (repository.locked) return 'locked';
  if (repository.archived) return 'archived';
  return undefined;
}

export const INACTIVE_REASONS = {
  archived: ARCHIVED_REASON,
  disabled: DISABLED_REASON,
  locked: LOCKED_REASON,
} as const;

/** `owner/name` of repositories left out, by why. */
export type InactiveNames = Record<'archived' | 'disabled' | 'locked', string[]>;

/** Every repository an owner owns that the token can see, a page of 100 per query. */
export async function listOwnerRepositories(
  github: GitHub,
  owner: string,
  tokenSource: TokenSource,
): Promise<OwnerListing> {
  const repositories: ListedRepository[] = [];
  let login: string | undefined;
  let cursor: string | null = null;
  for (let page = 1; ; page++) {
    const data: OwnerRepositoriesPage = await ownerRepositoriesPage(github, owner, cursor, tokenSource);
    if (!data.repositoryOwner) {
      throw new Error(
        `no user or organisation ${owner} is visible to ${tokenSource.name}. Check the owner's login, and that the token can see it (a GitHub App must be installed on it).`,
      );
    }
    login = data.repositoryOwner.login;
    const { nodes, pageInfo } = data.repositoryOwner.repositories;
    for (const node of nodes) {
      if (!node) continue;
      repositories.push({
        name: node.name,
        ...(node.databaseId === null ? {} : { id: node.databaseId }),
        archived: node.isArchived,
        disabled: node.isDisabled,
        locked: node.isLocked,
        topics: node.repositoryTopics.nodes.map(({ topic }) => topic.name.toLowerCase()),
      });
    }
    if (!pageInfo.hasNextPage) break;
    if (!pageInfo.endCursor || pageInfo.endCursor === cursor || page >= MAX_OWNER_PAGES) {
      throw new Error(
        `GitHub's listing of the repositories of ${owner} did not end (page ${page}); list the repositories by name instead.`,
      );
    }
    cursor = pageInfo.endCursor;
  }
  return { login: login ?? owner, repositories };
}

async function ownerRepositoriesPage(
  github: GitHub,
  owner: string,
  cursor: string | null,
  tokenSource: TokenSource,
): Promise<OwnerRepositoriesPage> {
  try {
    return await github.graphql<OwnerRepositoriesPage>(OWNER_REPOSITORIES_QUERY, { login: owner, cursor });
  } catch (error) {
    if (error instanceof GraphqlResponseError) {
      // GraphQL answers 200 with `errors`: FORBIDDEN for an organisation whose SAML single sign-on
      // the token is not authorised for, and others; GitHub's own words are the best guide.
      const errors = (error.errors ?? []) as { type?: string; message: string }[];
      const said = errors.map(({ type, message }) => `GitHub answered ${type ?? 'an error'}: "${message}"`).join('; ');
      const saml = errors.some(({ message }) => /SAML/i.test(message));
      throw new Error(
        `could not list the repositories of ${owner}. ${said}.${saml ? ` ${samlSsoAdvice(tokenSource.name)}` : ` Check that ${tokenSource.name} can read the repositories of this owner.`}`,
        { cause: error },
      );
    }
    throw new Error(
      describeGitHubError(error, {
        doing: 'list the repositories of',
        target: owner,
        permission:
          "read access to the owner's repositories ('Metadata: Read', which every fine-grained token and GitHub App has for the repositories it was given)",
        notFoundHint: 'Check the owner in the pattern.',
        tokenSource,
      }),
      { cause: error },
    );
  }
}

/** `*` any run of characters, `?` one; the whole name, without regard to case (GitHub names are case-insensitive). */
export function globMatcher(glob: string): (name: string) => boolean {
  const source = [...glob]
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')))
    .join('');
  const expression = new RegExp(`^${source}$`, 'i');
  return (name) => expression.test(name);
}

/** Which of an owner's repositories a pattern selects: not archived, disabled or locked, and carrying every topic. */
export function matchPattern(
  pattern: RepositoryPattern,
  listing: OwnerListing,
  topics: readonly string[],
): PatternMatch {
  const matches = globMatcher(pattern.name);
  const match: PatternMatch = {
    pattern,
    owner: listing.login,
    names: [],
    archived: [],
    disabled: [],
    locked: [],
    withoutTopics: 0,
  };
  for (const repository of listing.repositories) {
    if (!matches(repository.name)) continue;
    // Archived (read-only, runs no workflow), disabled or locked (refuses writes): see the reasons above.
    const inactive = inactiveReason(repository);
    if (inactive) {
      match[inactive].push(repository.name);
      continue;
    }
    if (!topics.every((topic) => repository.topics.includes(topic))) {
      match.withoutTopics++;
      continue;
    }
    match.names.push(repository.name);
  }
  return match;
}

export function noMatchProblem(
  match: PatternMatch,
  listing: OwnerListing,
  topics: readonly string[],
  tokenName: string,
): string {
  const left = [
    ...INACTIVE.map((reason) => (match[reason].length > 0 ? `${match[reason].length} ${reason}` : '')),
    match.withoutTopics > 0 ? `${match.withoutTopics} without ${topicsText(topics)}` : '',
  ].filter(Boolean);
  const why = left.length > 0 ? ` (it matched ${left.join(' and ')})` : '';
  return `matches no repository of ${listing.login} that ${tokenName} can see among its ${listing.repositories.length}${why}. Check the pattern${topics.length > 0 ? ' and repository-topics' : ''}, and that the token has access to those repositories (a fine-grained token or GitHub App sees only those it was given).`;
}

const INACTIVE = ['archived', 'disabled', 'locked'] as const;
const INACTIVE_WHY: Record<(typeof INACTIVE)[number], string> = {
  archived: 'an archived repository is read-only, and no workflow runs in it',
  disabled: 'GitHub has disabled them, and a disabled repository refuses every request',
  locked: 'a locked repository takes no writes until it is unlocked',
};

/**
 * One line per pattern, then the repositories skipped as archived, disabled or locked, named (those
 * the patterns matched and those named exactly, `exact`), each counted once however many patterns
 * matched it.
 */
export function selectionNotes(
  matches: readonly PatternMatch[],
  topics: readonly string[],
  exact: Partial<InactiveNames> = {},
): string[] {
  const lines = matches.map((match) => {
    const { pattern, owner, names, withoutTopics } = match;
    const left = [
      ...INACTIVE.map((reason) => (match[reason].length > 0 ? `${match[reason].length} ${reason} skipped` : '')),
      withoutTopics > 0 ? `${withoutTopics} without ${topicsText(topics)}` : '',
    ].filter(Boolean);
    const plural = names.length === 1 ? 'repository' : 'repositories';
    return `Pattern ${pattern.text} matched ${names.length} ${plural} of ${owner}${left.length > 0 ? ` (${left.join(', ')})` : ''}.`;
  });
  for (const reason of INACTIVE) {
    // Keyed in lower case (names are case-insensitive), shown as first spelt.
    const skipped = new Map<string, string>();
    for (const name of [
      ...matches.flatMap((match) => match[reason].map((repo) => `${match.owner}/${repo}`)),
      ...(exact[reason] ?? []),
    ])
      if (!skipped.has(name.toLowerCase())) skipped.set(name.toLowerCase(), name);
    if (skipped.size === 0) continue;
    lines.push(
      `${skipped.size} ${reason} ${skipped.size === 1 ? 'repository' : 'repositories'} skipped (${[...skipped.values()].join(', ')}): ${INACTIVE_WHY[reason]}.`,
    );
  }
  return lines;
}

function topicsText(topics: readonly string[]): string {
  return topics.length === 1 ? `the topic ${topics[0]}` : `all the topics ${topics.join(', ')}`;
}
