import { errorMessage } from '../../util/errors.ts';
import type { GitHub } from '../client.ts';
import type { TokenSource } from '../errors.ts';
import {
  inactiveReason,
  listOwnerRepositories,
  matchPattern,
  noMatchProblem,
  selectionNotes,
  type InactiveNames,
  type ListedRepository,
} from './owner-repositories.ts';
import type { SelectedRepository, TargetSpec } from './spec.ts';

export type OrganizationSpec = Extract<TargetSpec, { kind: 'organization' }>;

/**
 * An organisation secret's selected-repositories with patterns, resolved by the listing that resolves
 * repository patterns (one GraphQL query per 100 repositories, with their ids): the names listed
 * exactly, then each pattern's matches (narrowed by repository-topics), every repository once, and
 * archived, disabled and locked ones left out, counted and named. A pattern that matches nothing, or a
 * name the listing lacks, fails before anything is written: a list that silently shrank would take the
 * secret away from repositories that need it.
 */
export async function resolveSelectedRepositories(
  github: GitHub,
  spec: OrganizationSpec,
  tokenSource: TokenSource,
): Promise<{ spec: OrganizationSpec; notes: string[] }> {
  const patterns = spec.selectedPatterns ?? [];
  const topics = spec.topics ?? [];
  const fail = (problems: string[]) =>
    new Error(
      `selected-repositories: ${problems.length === 1 ? 'an entry' : `${problems.length} entries`} could not be resolved, so nothing was written:\n${problems.map((problem) => `- ${problem}`).join('\n')}`,
    );
  const listing = await listOwnerRepositories(github, spec.org, tokenSource).catch((error: unknown) => {
    throw fail([`the repositories of ${spec.org}: ${errorMessage(error)}`]);
  });
  const problems: string[] = [];
  const matches = patterns.map((pattern) => matchPattern(pattern, listing, topics));
  for (const match of matches) {
    if (match.names.length === 0)
      problems.push(`"${match.pattern.text}": ${noMatchProblem(match, listing, topics, tokenSource.name)}`);
  }
  const byName = new Map(listing.repositories.map((repository) => [repository.name.toLowerCase(), repository]));
  const exactLeftOut: InactiveNames = { archived: [], disabled: [], locked: [] };
  const selected: SelectedRepository[] = [];
  const seen = new Set<string>();
  const add = (repository: ListedRepository) => {
    if (seen.has(repository.name.toLowerCase())) return;
    seen.add(repository.name.toLowerCase());
    if (repository.id === undefined) problems.push(`${listing.login}/${repository.name}: GitHub gave no id for it`);
    else selected.push({ name: repository.name, id: repository.id });
  };
  for (const name of spec.selectedRepositories) {
    const repository = byName.get(name.toLowerCase());
    if (!repository) {
      problems.push(
        `"${name}": ${listing.login}/${name} not found, or not visible to ${tokenSource.name}. Check the name, and that the token can read this repository.`,
      );
      continue;
    }
    // Named exactly, it is still left out when it can take no secret, as a pattern leaves it out.
    const inactive = inactiveReason(repository);
    if (inactive) exactLeftOut[inactive].push(`${listing.login}/${repository.name}`);
    else add(repository);
  }
  for (const match of matches) for (const name of match.names) add(byName.get(name.toLowerCase()) as ListedRepository);
  if (problems.length > 0) throw fail(problems);
  const notes = [
    ...selectionNotes(matches, topics, exactLeftOut),
    `selected-repositories of organization ${listing.login}: ${selected.length} ${selected.length === 1 ? 'repository' : 'repositories'} (${selected.map(({ name }) => name).join(', ')}).`,
  ];
  const visibleIds = new Set(listing.repositories.flatMap(({ id }) => (id === undefined ? [] : [id])));
  return { spec: { ...spec, selected, visibleIds }, notes };
}
