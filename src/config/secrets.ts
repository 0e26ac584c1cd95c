import { parseDuration, formatDuration } from '../util/duration.ts';
import { DEFAULT_WRITE_INTERVAL_MS, MAX_WRITE_INTERVAL_MS, isGitHubCloud, minWriteIntervalMs } from '../github/pace.ts';
import { SECRET_KINDS, type SecretKindName, type SecretNames } from '../run/secret-kinds.ts';
import type { Read, Report } from './problems.ts';

/**
 * The secrets' inputs: their names (one per kind of secret), `max-age` (when a stored secret is
 * fresh enough to skip) and `write-interval` (the pace of GitHub's writes).
 */

const HOUR_MS = 3_600_000;
/**
 * The longest max-age. ECR passwords live 12h and are issued before the secret's `updated_at`, so
 * a secret skipped at max-age M still holds a password with more than 12h - M of life: at most 11h
 * leaves a queued run at least an hour to pull with it.
 */
const MAX_AGE_LIMIT_MS = 11 * HOUR_MS;
const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** One name per kind of secret (run/secret-kinds.ts): a kind's input, or its default name when the input is empty. */
export function parseSecretNames(read: Read, report: Report): SecretNames {
  const names: Partial<Record<SecretKindName, string>> = {};
  const seen = new Map<string, string>();
  for (const { kind, input, defaultName } of SECRET_KINDS) {
    const name = read(input) || defaultName;
    if (!name) continue;
    names[kind] = name;
    const problem = secretNameProblem(name);
    if (problem) {
      report(
        input,
        `"${name}" ${problem}`,
        'Secret names may contain only letters, digits and underscores, must not start with a digit or GITHUB_, and are at most 255 characters.',
      );
      continue;
    }
    const other = seen.get(name.toUpperCase());
    if (other) {
      report(
        input,
        `"${name}" is the same name as {${other}} (secret names are case-insensitive)`,
        'Give each secret its own name.',
      );
    }
    seen.set(name.toUpperCase(), input);
  }
  // Every kind that SecretNames requires has a default name, so it is set.
  return names as SecretNames;
}

/** GitHub's naming rules ("Secrets reference"); the API itself does not check them. */
export function secretNameProblem(name: string): string | undefined {
  if (/^\d/.test(name)) return 'starts with a digit';
  if (!SECRET_NAME.test(name)) return 'contains characters other than letters, digits and underscores';
  if (/^GITHUB_/i.test(name)) return 'starts with GITHUB_, which GitHub reserves';
  if (name.length > 255) return 'is longer than 255 characters';
  return undefined;
}

export function parseMaxAge(text: string, report: Report): number | undefined {
  if (!text) return undefined;
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) {
    report('max-age', `"${text}" is not a duration`, 'Use a number with a unit, such as 6h, 90m or 1h30m.');
    return undefined;
  }
  if (ms > MAX_AGE_LIMIT_MS) {
    report(
      'max-age',
      `${formatDuration(ms)} is more than 11h: an ECR password lives 12h, so a secret skipped at this age could expire within the hour, before a queued run pulls with it`,
      'Use at most 11h; run the workflow at least every 12h minus {max-age} minus a margin, such as every 6h with {max-age} 5h.',
    );
    return undefined;
  }
  return ms;
}

/**
 * `write-interval`: a second unless given (GitHub's advice on github.com). On GitHub's cloud never
 * faster than its 80 content-creating requests a minute (750 ms); GitHub Enterprise Server turns
 * secondary limits off by default, so there it may be shorter, but never shorter than the 900 points
 * a minute allow at 5 points a write (334 ms), the rule GHES applies when its administrator turns
 * them on. At most a minute (src/github/pace.ts, MAX_WRITE_INTERVAL_MS).
 */
export function parseWriteInterval(text: string, apiUrl: string | undefined, report: Report): number {
  if (!text) return DEFAULT_WRITE_INTERVAL_MS;
  const ms = parseDuration(text);
  if (ms === undefined) {
    report('write-interval', `"${text}" is not a duration`, 'Use a number with a unit, such as 1s or 500ms.');
    return DEFAULT_WRITE_INTERVAL_MS;
  }
  const least = minWriteIntervalMs(apiUrl);
  if (ms < least) {
    report(
      'write-interval',
      isGitHubCloud(apiUrl)
        ? `${ms}ms is shorter than ${least}ms, the least GitHub.com allows (80 content-creating requests a minute)`
        : `${ms}ms is shorter than ${least}ms, the least GitHub's secondary rate limit allows (900 points a minute, 5 points a write)`,
      `Use at least ${least}ms; 1s (the default) on github.com, as GitHub advises.`,
    );
    return DEFAULT_WRITE_INTERVAL_MS;
  }
  if (ms > MAX_WRITE_INTERVAL_MS) {
    report(
      'write-interval',
      `${formatDuration(ms)} is longer than ${formatDuration(MAX_WRITE_INTERVAL_MS)}, the longest wait between writes the action keeps`,
      `Use at most ${formatDuration(MAX_WRITE_INTERVAL_MS)}; 1s (the default) is GitHub's advice, and a slower pace only lengthens the run.`,
    );
    return DEFAULT_WRITE_INTERVAL_MS;
  }
  return ms;
}
