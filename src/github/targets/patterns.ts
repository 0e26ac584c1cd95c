import { errorMessage } from '../../util/errors.ts';
import type { GitHub } from '../client.ts';
import type { TokenSource } from '../errors.ts';
import { resolveSelectedRepositories } from './selected-repositories.ts';
import {
  INACTIVE_REASONS,
  inactiveReason,
  listOwnerRepositories,
  matchPattern,
  noMatchProblem,
  selectionNotes,
  type InactiveNames,
  type OwnerListing,
  type PatternMatch,
} from './owner-repositories.ts';
import { repositoryTarget, type WithinRepository, type RepositorySelection, type TargetSpec } from './spec.ts';

export {
  ARCHIVED_REASON,
  DISABLED_REASON,
  LOCKED_REASON,
  OWNER_REPOSITORIES_QUERY,
  globMatcher,
  inactiveReason,
  listOwnerRepositories,
  matchPattern,
  noMatchProblem,
  selectionNotes,
  type InactiveNames,
  type ListedRepository,
  type OwnerListing,
  type PatternMatch,
} from './owner-repositories.ts';

export interface ResolvedTargets {
  /** The exact targets first, as listed, then each pattern's matches by name; every repository once. */
  targets: TargetSpec[];
  /** For the log and the summary: how many repositories each pattern matched, and the archived ones skipped. */
  notes: string[];
}

/**
 * Resolves the patterns into targets beside the exact ones: each owner listed once, however many
 * patterns name it. Throws, naming every pattern that could not be resolved or matched nothing,
 * before anything is written: a pattern that selects nothing is a mistake to fix, not a run to pass.
 */
export async function resolveTargets(
  github: GitHub,
  exact: readonly TargetSpec[],
  selection: RepositorySelection | undefined,
  tokenSource: TokenSource,
): Promise<ResolvedTargets> {
  // An organisation secret's selected-repositories with patterns (config/targets.ts never pairs them with repository patterns).
  if (!selection) {
    const resolved = await Promise.all(
      exact.map(async (spec) =>
        spec.kind === 'organization' && spec.selectedPatterns
          ? resolveSelectedRepositories(github, spec, tokenSource)
          : { spec, notes: [] },
      ),
    );
    return { targets: resolved.map(({ spec }) => spec), notes: resolved.flatMap(({ notes }) => notes) };
  }
  // One listing per owner, started at once for all owners; a failed one is kept as its message.
  const listings = new Map<string, Promise<OwnerListing | string>>();
  const listingOf = (owner: string) => {
    const key = owner.toLowerCase();
    const listing = listings.get(key) ?? listOwnerRepositories(github, owner, tokenSource).catch(errorMessage);
    listings.set(key, listing);
    return listing;
  };
  const listed = await Promise.all(
    selection.patterns.map(async (pattern) => ({ pattern, listing: await listingOf(pattern.owner) })),
  );
  const problems: string[] = [];
  const matches: PatternMatch[] = [];
  for (const { pattern, listing } of listed) {
    if (typeof listing === 'string') {
      problems.push(`"${pattern.text}": ${listing}`);
      continue;
    }
    const match = matchPattern(pattern, listing, selection.topics);
    if (match.names.length === 0)
      problems.push(`"${pattern.text}": ${noMatchProblem(match, listing, selection.topics, tokenSource.name)}`);
    matches.push(match);
  }
  if (problems.length > 0) {
    throw new Error(
      `repositories: ${problems.length === 1 ? 'a pattern' : `${problems.length} patterns`} could not be resolved, so nothing was written:\n${problems.map((problem) => `- ${problem}`).join('\n')}`,
    );
  }
  const owners = new Map<string, OwnerListing>();
  for (const { listing } of listed) if (typeof listing !== 'string') owners.set(listing.login.toLowerCase(), listing);
  const checked = skipArchived(exact, owners);
  return {
    targets: selectedTargets(checked, matches, selection),
    notes: selectionNotes(matches, selection.topics, inactiveNames(checked)),
  };
}

/**
 * The exact targets, those whose owner's listing (read for a pattern of the same owner) shows them
 * archived, disabled or locked marked skipped: a pattern skips such a repository, and so must the
 * name beside it, or the summary would count it skipped while it is written. An owner without a
 * pattern is not listed (no request for this alone): its repositories are written as named.
 */
export function skipArchived(exact: readonly TargetSpec[], owners: ReadonlyMap<string, OwnerListing>): TargetSpec[] {
  return exact.map((spec) => {
    if (spec.kind === 'organization') return spec;
    const listing = owners.get(spec.owner.toLowerCase());
    const listed = listing?.repositories.find(({ name }) => name.toLowerCase() === spec.repo.toLowerCase());
    const reason = listed ? inactiveReason(listed) : undefined;
    return reason ? { ...spec, skipped: INACTIVE_REASONS[reason] } : spec;
  });
}

/** `owner/name` of the exact targets skipped for each reason, for the notes. */
function inactiveNames(exact: readonly TargetSpec[]): InactiveNames {
  const names: InactiveNames = { archived: [], disabled: [], locked: [] };
  for (const spec of exact) {
    if (spec.kind === 'organization' || !spec.skipped) continue;
    const reason = (Object.keys(INACTIVE_REASONS) as (keyof InactiveNames)[]).find(
      (key) => INACTIVE_REASONS[key] === spec.skipped,
    );
    if (reason) names[reason].push(`${spec.owner}/${spec.repo}`);
  }
  return names;
}

/** The exact targets as listed, then each match not already among them; a repository matched twice is written once. */
export function selectedTargets(
  exact: readonly TargetSpec[],
  matches: readonly PatternMatch[],
  holder: WithinRepository,
): TargetSpec[] {
  const targets = [...exact];
  const seen = new Set(exact.flatMap((spec) => ('repo' in spec ? [`${spec.owner}/${spec.repo}`.toLowerCase()] : [])));
  for (const { owner, names } of matches) {
    for (const name of names) {
      const key = `${owner}/${name}`.toLowerCase();
      if (seen.has(key)) continue;
      seen.add(key);
      targets.push(repositoryTarget(owner, name, holder));
    }
  }
  return targets;
}
