import {
  repositoryTarget,
  type RepositoryPattern,
  type RepositorySelection,
  type TargetSpec,
} from '../github/targets/spec.ts';
import { parseBoolean, splitList, type Read, type Report, type RunContext } from './problems.ts';

/**
 * The targets of GitHub secrets: repositories (named, or by pattern and topic), an environment in
 * each, or an organisation with its visibility and selected repositories. Checked here, never against
 * GitHub: whether they exist is read by the run (src/github/targets/).
 */

const PATTERNS = {
  /** Organisation logins: letters, digits and hyphens, at most 39 characters. */
  organization: /^[A-Za-z0-9][A-Za-z0-9-]{0,38}$/,
  /**
   * Repository owners: a user or organisation login; users of Enterprise Managed Users carry their
   * enterprise's shortcode after an underscore (`alice_acme`). Length is checked apart (39).
   */
  owner: /^[A-Za-z0-9][A-Za-z0-9-]*(?:_[A-Za-z0-9]+)?$/,
  repo: /^[A-Za-z0-9._-]{1,100}$/,
  /** A repository name with `*` and `?` among its characters (checked apart: at least one of them, no `**`). */
  repoGlob: /^[A-Za-z0-9._*?-]{1,100}$/,
  /**
   * GitHub topics: lower-case letters, digits and hyphens, starting with a letter or digit, at most 50
   * characters (GitHub docs, "Classifying your repository with topics"; REST "Replace all repository
   * topics": names "cannot contain uppercase letters", so an input in capitals is compared in lower case).
   */
  topic: /^[a-z0-9][a-z0-9-]{0,49}$/,
} as const;
const MAX_LOGIN_LENGTH = 39;

export interface ParsedTargets {
  targets: TargetSpec[];
  repositorySelection?: RepositorySelection;
}

export function parseTargets(read: Read, context: RunContext, report: Report): ParsedTargets | undefined {
  const organization = read('organization');
  const environment = read('environment');
  const repositoriesText = read('repositories');
  const visibilityText = read('visibility');
  const selectedText = read('selected-repositories');
  const createEnvironment = parseBoolean(read, 'create-environment', report);
  if (createEnvironment && !environment) {
    report(
      'create-environment',
      'it only applies to environment secrets, and {environment} is not set',
      'Set {environment} to the environment to create when a repository lacks it, or remove {create-environment}.',
    );
  }
  const topicsText = read('repository-topics');

  const allowRemoval = parseBoolean(read, 'allow-repository-removal', report);
  if (organization) {
    const targets = parseOrganizationTarget(
      organization,
      { environment, repositoriesText, visibilityText, selectedText, topicsText, allowRemoval },
      report,
    );
    return targets && { targets };
  }
  if (allowRemoval) {
    report(
      'allow-repository-removal',
      'it only applies to an organisation secret with visibility: selected',
      'Remove allow-repository-removal, or set organization with visibility: selected.',
    );
  }
  for (const [input, value] of [
    ['visibility', visibilityText],
    ['selected-repositories', selectedText],
  ] as const) {
    if (value)
      report(input, 'it only applies to organisation secrets', `Set {organization} too, or remove {${input}}.`);
  }

  if (environment && !isValidEnvironmentName(environment)) {
    report(
      'environment',
      `"${environment}" is not a valid environment name`,
      'Use the name shown under Settings > Environments (at most 255 characters, no control characters, not . or ..).',
    );
  }
  const names = repositoriesText ? splitList(repositoriesText) : [context.repository ?? ''];
  if (!repositoriesText && !context.repository) {
    report(
      'repositories',
      'it is empty and GITHUB_REPOSITORY is not set',
      'List the repositories to write to as owner/name.',
    );
    return undefined;
  }
  if (names.length === 0) {
    // Only separators (",", " , \n"): writing nothing and passing would hide the mistake.
    report(
      'repositories',
      `"${repositoriesText}" names no repository`,
      'List the repositories to write to as owner/name, or leave it unset for the current repository.',
    );
    return undefined;
  }
  const repositories: { owner: string; repo: string }[] = [];
  const patterns: RepositoryPattern[] = [];
  const seen = new Set<string>();
  for (const name of names) {
    const isPattern = /[*?]/.test(name);
    const parsed = isPattern ? parseRepositoryPattern(name, report) : parseRepositoryName(name);
    if (!parsed) {
      if (!isPattern)
        report(
          'repositories',
          `"${name}" is not of the form owner/name`,
          'List repositories as owner/name, or a pattern such as owner/svc-*, one per line or separated by commas.',
        );
      continue;
    }
    const [owner, repo] = 'text' in parsed ? [parsed.owner, parsed.name] : [parsed.owner, parsed.repo];
    // GitHub names are case-insensitive: `octo/App` and `octo/app` (or `octo/SVC-*` and `octo/svc-*`) are one.
    const key = `${owner}/${repo}`.toLowerCase();
    if (seen.has(key)) {
      report('repositories', `"${name}" is listed twice`, 'List each repository once.');
      continue;
    }
    seen.add(key);
    if ('text' in parsed) patterns.push(parsed);
    else repositories.push(parsed);
  }
  const holder = environment ? { environment, ...(createEnvironment ? { createIfMissing: true as const } : {}) } : {};
  const topics = parseTopics(topicsText, report);
  if (topics.length > 0 && !names.some((name) => /[*?]/.test(name))) {
    report(
      'repository-topics',
      'it filters the repositories a pattern in {repositories} matches, and {repositories} holds no pattern (names listed exactly are written as listed)',
      'Add a pattern such as octo-org/* to {repositories}, or remove {repository-topics}.',
    );
  }
  return {
    targets: repositories.map(({ owner, repo }) => repositoryTarget(owner, repo, holder)),
    ...(patterns.length > 0 ? { repositorySelection: { patterns, topics, ...holder } } : {}),
  };
}

/**
 * `owner/glob`: a login, then a repository name with `*` (any run of characters) and `?` (one).
 * The owner is never a pattern: resolving one lists a single owner's repositories.
 */
function parseRepositoryPattern(text: string, report: Report): RepositoryPattern | undefined {
  const fix = 'Give a pattern as owner/name with * and ? in the name only, such as octo-org/svc-* or octo-org/*.';
  const parts = text.split('/');
  const [owner = '', name = ''] = parts;
  if (parts.length !== 2) {
    report('repositories', `"${text}" is not of the form owner/pattern`, fix);
    return undefined;
  }
  if (/[*?]/.test(owner)) {
    report(
      'repositories',
      `"${text}" has a pattern in the owner, and only repository names may be patterns`,
      'Name the owner (user or organisation) exactly, such as octo-org/svc-*; list each owner on its own line.',
    );
    return undefined;
  }
  if (!isValidOwner(owner)) {
    report('repositories', `"${text}" does not start with a user or organisation login`, fix);
    return undefined;
  }
  if (name.includes('**')) {
    report(
      'repositories',
      `"${text}" has **, and names hold no folders: one * already matches any run of characters`,
      'Use a single *, such as octo-org/svc-*.',
    );
    return undefined;
  }
  if (!PATTERNS.repoGlob.test(name)) {
    report(
      'repositories',
      `"${text}" has characters no repository name holds (patterns know only * and ?)`,
      'Use letters, digits, . _ - and the wildcards * and ?, such as octo-org/svc-*.',
    );
    return undefined;
  }
  return { text, owner, name };
}

/** repository-topics: a list, compared without regard to case as GitHub stores topics in lower case. */
function parseTopics(text: string, report: Report): string[] {
  const topics: string[] = [];
  for (const entry of splitList(text)) {
    const topic = entry.toLowerCase();
    if (!PATTERNS.topic.test(topic)) {
      report(
        'repository-topics',
        `"${entry}" is not a GitHub topic`,
        'Topics are letters, digits and hyphens, start with a letter or digit, and are at most 50 characters, such as ecr or team-payments.',
      );
      continue;
    }
    if (!topics.includes(topic)) topics.push(topic);
  }
  return topics;
}

function parseOrganizationTarget(
  org: string,
  others: {
    environment: string;
    repositoriesText: string;
    visibilityText: string;
    selectedText: string;
    topicsText: string;
    allowRemoval: boolean;
  },
  report: Report,
): TargetSpec[] | undefined {
  if (!PATTERNS.organization.test(org)) {
    report(
      'organization',
      `"${org}" is not a valid organisation login`,
      'Give the organisation name as it appears in its URL, such as octo-org.',
    );
  }
  if (others.environment) {
    report(
      'environment',
      'organisation secrets have no environment',
      'Remove {environment} to write organisation secrets, or remove {organization} to write environment secrets.',
    );
  }
  if (others.repositoriesText) {
    report(
      'repositories',
      'it does not apply to organisation secrets',
      'To choose which repositories see the organisation secret, use visibility: selected with {selected-repositories}.',
    );
  }
  const visibility = others.visibilityText ? others.visibilityText.toLowerCase() : undefined;
  if (visibility !== undefined && visibility !== 'all' && visibility !== 'private' && visibility !== 'selected') {
    report(
      'visibility',
      `"${others.visibilityText}" is not one of all, private, selected`,
      "Use all, private or selected; leave it unset to keep an existing secret's visibility (a new one is private).",
    );
    return undefined;
  }
  const selected = splitList(others.selectedText);
  if (visibility === 'selected' && selected.length === 0) {
    report(
      'selected-repositories',
      'it is empty but visibility is selected',
      'List the repositories that may read the secret, by name or with a pattern such as svc-*.',
    );
  }
  if (others.allowRemoval && visibility !== 'selected') {
    report(
      'allow-repository-removal',
      `it only applies with visibility: selected (visibility is ${visibility ?? 'not set'})`,
      'Set visibility: selected, or remove allow-repository-removal.',
    );
  }
  if (visibility !== 'selected' && selected.length > 0) {
    report(
      'selected-repositories',
      `it only applies with visibility: selected (visibility is ${visibility ?? 'not set'})`,
      'Set visibility: selected, or remove {selected-repositories}.',
    );
  }
  const selectedRepositories: string[] = [];
  const selectedPatterns: RepositoryPattern[] = [];
  const seen = new Set<string>();
  for (const entry of selected) {
    if (/[*?]/.test(entry)) {
      const pattern = parseSelectedPattern(org, entry, report);
      if (!pattern) continue;
      if (seen.has(pattern.name.toLowerCase())) {
        report('selected-repositories', `"${entry}" is listed twice`, 'List each repository or pattern once.');
        continue;
      }
      seen.add(pattern.name.toLowerCase());
      selectedPatterns.push(pattern);
      continue;
    }
    // Every part counts: `octo/app/extra` is refused, not cut to octo/app.
    const parsed = entry.includes('/')
      ? parseRepositoryName(entry)
      : isValidRepo(entry)
        ? { owner: org, repo: entry }
        : undefined;
    if (!parsed || parsed.owner.toLowerCase() !== org.toLowerCase()) {
      report(
        'selected-repositories',
        `"${entry}" is not a repository of ${org}`,
        `List repositories of ${org} by name, such as app or ${org}/app.`,
      );
      continue;
    }
    // Repository names are case-insensitive on GitHub: `api` and `API` are one repository.
    if (seen.has(parsed.repo.toLowerCase())) {
      report('selected-repositories', `"${entry}" is listed twice`, 'List each repository once.');
      continue;
    }
    seen.add(parsed.repo.toLowerCase());
    selectedRepositories.push(parsed.repo);
  }
  const topics = parseTopics(others.topicsText, report);
  if (topics.length > 0 && selectedPatterns.length === 0) {
    report(
      'repository-topics',
      'with organization, it filters the repositories a pattern in selected-repositories matches, and selected-repositories holds no pattern',
      'Add a pattern such as svc-* to selected-repositories (with visibility: selected), or remove repository-topics.',
    );
  }
  return [
    {
      kind: 'organization',
      org,
      ...(visibility ? { visibility } : {}),
      selectedRepositories,
      ...(selectedPatterns.length > 0 ? { selectedPatterns, topics } : {}),
      ...(others.allowRemoval ? { allowRepositoryRemoval: true as const } : {}),
    },
  ];
}

/**
 * A pattern in selected-repositories: on the names of the organisation's own repositories, as
 * `svc-*` or `octo-org/svc-*`; `*` any run of characters and `?` one, as in repositories.
 */
function parseSelectedPattern(org: string, entry: string, report: Report): RepositoryPattern | undefined {
  const parts = entry.split('/');
  const [owner, name = ''] = parts.length === 2 ? parts : [org, entry];
  if (parts.length > 2 || owner?.toLowerCase() !== org.toLowerCase()) {
    report(
      'selected-repositories',
      `"${entry}" is not a pattern on the repositories of ${org}`,
      `Give a pattern on the name alone, such as svc-* or ${org}/svc-*: an organisation secret is shared with repositories of its organisation only.`,
    );
    return undefined;
  }
  if (name.includes('**') || !PATTERNS.repoGlob.test(name)) {
    report(
      'selected-repositories',
      `"${entry}" is not a pattern on repository names`,
      'Use letters, digits, . _ - and the wildcards * (any characters, a single one) and ?, such as svc-*.',
    );
    return undefined;
  }
  return { text: entry, owner: org, name };
}

export function parseRepositoryName(text: string): { owner: string; repo: string } | undefined {
  const parts = text.split('/');
  if (parts.length !== 2) return undefined;
  const [owner = '', repo = ''] = parts;
  return isValidOwner(owner) && isValidRepo(repo) ? { owner, repo } : undefined;
}

function isValidOwner(owner: string): boolean {
  return owner.length <= MAX_LOGIN_LENGTH && PATTERNS.owner.test(owner);
}

function isValidRepo(repo: string): boolean {
  return PATTERNS.repo.test(repo) && repo !== '.' && repo !== '..';
}

function isValidEnvironmentName(name: string): boolean {
  // The name is one URL path segment (encoded, so `/` is safe), but `.` and `..` stay as they are
  // and URL parsing resolves them: `environments/../secrets` would reach the repository's secrets.
  // eslint-disable-next-line no-control-regex
  return name.length <= 255 && !/[\u0000-\u001f\u007f]/.test(name) && name !== '.' && name !== '..';
}
