import type { EcrLogin } from '../aws/ecr.ts';
import { formatDuration } from '../util/duration.ts';
import type { SecretResult } from './results.ts';

/*
 * The run's summary as a table, in Markdown (the job summary) or plain text (the command's
 * terminal): one row per secret, a headline, the notes above, what a dry run could not check below.
 */

export interface DryRunRecord {
  /** Each permission or trust a real run needs that reading alone cannot prove, as a sentence. */
  unchecked: readonly string[];
}

/** What a run did, in the words of the summary's headline and the step's error. */
export type Outcome = 'not written' | 'partly written' | 'refreshed' | 'still fresh';

/** What a dry run found a real run would do: the same words, said of the secrets it would write. */
export type DryRunOutcome = 'would not be written' | 'would be partly written' | 'would be refreshed' | 'still fresh';

/**
 * Follows from the results alone: nothing written and something failed; some written and some
 * failed; everything due written; or nothing due at all (max-age found every secret fresh).
 */
export function outcome(results: readonly SecretResult[]): Outcome {
  const written = results.some((r) => WRITTEN.has(r.status));
  if (results.some((r) => r.status === 'failed')) return written ? 'partly written' : 'not written';
  return written ? 'refreshed' : 'still fresh';
}

/** A dry run's outcome, from its results as `outcome` reads a run's: a planned secret counts as one a real run would write. */
export function dryRunOutcome(results: readonly SecretResult[]): DryRunOutcome {
  const { planned, failed } = tally(results);
  if (failed > 0) return planned > 0 ? 'would be partly written' : 'would not be written';
  return planned > 0 ? 'would be refreshed' : 'still fresh';
}

export const WRITTEN: ReadonlySet<SecretResult['status']> = new Set(['created', 'updated']);

/** How the log and a dry run's summary say each status. */
export const STATUS_WORDS: Record<SecretResult['status'], string> = {
  created: 'created',
  updated: 'updated',
  skipped: 'skipped',
  failed: 'failed',
  planned: 'would be written',
};

/** The summary's content, for either rendering: a headline, its sentences, one row per secret per target, and a closing list. */
interface SummaryParts {
  headline: string;
  lines: string[];
  /** The title of the status column: `result`, or a dry run's `plan`. */
  statusColumn: string;
  rows: { target: string; secret: string; status: string; notes: string }[];
  /** A list after the table (a dry run's permissions not checked), its title emphasised as each rendering does. */
  closing?: { title: string; items: readonly string[] };
}

/** How a rendering marks code (a registry host) and emphasis. */
interface Markup {
  code: (text: string) => string;
  strong: (text: string) => string;
}

const MARKDOWN: Markup = { code: (text) => `\`${text}\``, strong: (text) => `**${text}**` };
const PLAIN: Markup = { code: (text) => text, strong: (text) => text };

function summaryParts(
  login: EcrLogin | undefined,
  results: readonly SecretResult[],
  now: Date,
  { registryHosts, notes }: { registryHosts: readonly string[]; notes: readonly string[] },
  { code }: Markup,
): SummaryParts {
  const rows = results.map(({ target, secret, status, detail, takesEffect }) => {
    const effect = WRITTEN.has(status) ? `read by ${takesEffect}${detail ? `; ${detail}` : ''}` : (detail ?? '');
    return { target, secret, status, notes: effect };
  });
  const expiry = login
    ? [
        `Registry ${code(login.registry)}, user ${code(login.username)}: the password expires at ${login.expiresAt.toISOString()} (in ${formatDuration(login.expiresAt.getTime() - now.getTime())}).`,
        ...(registryHosts.length > 1 ? [`The docker config opens ${registryHosts.map(code).join(', ')} with it.`] : []),
      ]
    : [];
  const { written, failed, skipped } = tally(results);
  const said = outcome(results);
  const lines: Record<Outcome, string[]> = {
    'not written': [
      `No secret was written: ${failed} failed${skipped ? `, ${skipped} skipped (see why below)` : ''}. Each failure and what to do is listed below.`,
      ...expiry,
    ],
    'partly written': [
      `${written} of ${results.length} secrets written, ${failed} failed${skipped ? `, ${skipped} skipped (see why below)` : ''}. Each failure and what to do is listed below.`,
      ...expiry,
    ],
    refreshed: expiry,
    'still fresh': ['No secret was older than max-age, so no password was fetched from ECR.'],
  };
  return { headline: `ECR password ${said}`, lines: [...lines[said], ...notes], statusColumn: 'result', rows };
}

/**
 * A dry run's summary: the headline, one row per secret per target (would be written, with the
 * settings the write would send; skipped; failed, with what to do), and what reading could not check.
 */
function dryRunParts(
  results: readonly SecretResult[],
  { unchecked }: DryRunRecord,
  notes: readonly string[],
  { strong }: Markup,
): SummaryParts {
  const rows = results.map(({ target, secret, status, detail, takesEffect, settings }) => {
    const said = status === 'planned' ? [settingsText(settings), detail, `read by ${takesEffect}`] : [detail ?? ''];
    return { target, secret, status: STATUS_WORDS[status], notes: said.filter(Boolean).join('; ') };
  });
  const { failed } = tally(results);
  return {
    headline: dryRunHeadline(results).replace(/\.$/, ''),
    lines: [
      `Nothing was written, and AWS was not asked for anything (no OIDC token, no STS, no ECR): the public key of every target that exists was read${failed ? ', except where listed as failed: each failure and what to do is listed below' : ''}.`,
      ...notes,
    ],
    statusColumn: 'plan',
    rows,
    closing: { title: `${strong('Not checked without writing')}, needed by a real run:`, items: unchecked },
  };
}

/** The job summary: a headline that says what happened, one row per secret per target, and when the password expires. */
export function summaryMarkdown(
  login: EcrLogin | undefined,
  results: readonly SecretResult[],
  now: Date,
  registryHosts: readonly string[] = [],
  notes: readonly string[] = [],
): string {
  return markdown(summaryParts(login, results, now, { registryHosts, notes }, MARKDOWN));
}

/**
 * The same summary as plain text for a terminal (the command): the headline, its sentences, and the
 * table with aligned columns; notes are left unaligned at the end of each line, however long.
 */
export function summaryText(
  login: EcrLogin | undefined,
  results: readonly SecretResult[],
  now: Date,
  registryHosts: readonly string[] = [],
  notes: readonly string[] = [],
): string {
  return plainText(summaryParts(login, results, now, { registryHosts, notes }, PLAIN));
}

/** A dry run's job summary (see dryRunParts). */
export function dryRunSummaryMarkdown(
  results: readonly SecretResult[],
  dryRun: DryRunRecord,
  notes: readonly string[] = [],
): string {
  return markdown(dryRunParts(results, dryRun, notes, MARKDOWN));
}

/** A dry run's summary as plain text for a terminal (the command), as summaryText renders a run's. */
export function dryRunSummaryText(
  results: readonly SecretResult[],
  dryRun: DryRunRecord,
  notes: readonly string[] = [],
): string {
  return plainText(dryRunParts(results, dryRun, notes, PLAIN));
}

function markdown({ headline, lines, statusColumn, rows, closing }: SummaryParts): string {
  const table = rows.map((row) => `| ${cell(row.target)} | \`${row.secret}\` | ${row.status} | ${cell(row.notes)} |`);
  return [
    `### ${headline}`,
    ...lines.flatMap((line) => ['', line]),
    '',
    `| target | secret | ${statusColumn} | notes |`,
    '| --- | --- | --- | --- |',
    ...table,
    '',
    ...(closing ? [closing.title, '', ...closing.items.map((item) => `- ${item}`), ''] : []),
  ].join('\n');
}

function plainText({ headline, lines, statusColumn, rows, closing }: SummaryParts): string {
  const header = { target: 'target', secret: 'secret', status: statusColumn, notes: 'notes' };
  const table = [header, ...rows].map((row) => ({
    ...row,
    target: oneLine(row.target),
    notes: oneLine(row.notes),
  }));
  const width = (key: 'target' | 'secret' | 'status') => Math.max(...table.map((row) => row[key].length));
  const widths = { target: width('target'), secret: width('secret'), status: width('status') };
  const text = table.map(({ target, secret, status, notes: rowNotes }) =>
    [target.padEnd(widths.target), secret.padEnd(widths.secret), status.padEnd(widths.status), rowNotes]
      .join('  ')
      .trimEnd(),
  );
  const after = closing ? ['', closing.title, ...closing.items.map((item) => `- ${oneLine(item)}`)] : [];
  return [headline, ...lines, '', ...text, ...after, ''].join('\n');
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}

/** A dry run's first line: how many secrets a real run would write, and what else it found. */
export function dryRunHeadline(results: readonly SecretResult[]): string {
  const { planned, failed, skipped } = tally(results);
  const others = [skipped ? `${skipped} skipped` : '', failed ? `${failed} failed` : ''].filter(Boolean);
  return `Dry run: ${planned} ${planned === 1 ? 'secret' : 'secrets'} would be written${others.length ? ` (${others.join(', ')})` : ''}.`;
}

/** The fields a write would send beside the sealed value, as `visibility: selected, selected_repository_ids: 1, 2`. */
export function settingsText(settings: Record<string, unknown> | undefined): string {
  return Object.entries(settings ?? {})
    .map(([field, value]) => `${field}: ${Array.isArray(value) ? value.join(', ') : String(value)}`)
    .join(', ');
}

export function tally(results: readonly SecretResult[]) {
  const count = (keep: (r: SecretResult) => boolean) => results.filter(keep).length;
  return {
    written: count((r) => WRITTEN.has(r.status)),
    failed: count((r) => r.status === 'failed'),
    skipped: count((r) => r.status === 'skipped'),
    planned: count((r) => r.status === 'planned'),
  };
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
