import type { EcrLogin } from '../aws/ecr.ts';
import { formatDuration } from '../util/duration.ts';
import { errorMessage } from '../util/errors.ts';
import type { DueAtTarget, SecretResult } from './results.ts';
import { imagesFailureMessage, imagesMarkdown, imagesOutput, type ImageCheck } from '../aws/pull-check/checks.ts';

/** The subset of `@actions/core` that reporting needs. */
export interface Reporter {
  setOutput: (name: string, value: string) => void;
  summary: { addRaw: (text: string, addEOL?: boolean) => unknown; write: () => Promise<unknown> };
  info: (message: string) => void;
  warning: (message: string) => void;
  debug: (message: string) => void;
  setFailed: (message: string) => void;
  /**
   * The run's results, for a front door that shows them its own way (the command's terminal report); the
   * action has none. `dryRun` is set for a dry run: the results are then a plan.
   */
  showResults?: (
    login: EcrLogin | undefined,
    results: readonly SecretResult[],
    now: Date,
    context: {
      registryHosts?: readonly string[] | undefined;
      notes?: readonly string[] | undefined;
      dryRun?: DryRunRecord | undefined;
      images?: readonly ImageCheck[] | undefined;
    },
  ) => void;
}

/** What a run has learnt by the time it ends, however it ends; main fills it in step by step. */
export interface RunRecord {
  /** Which secrets each target needs. Before GitHub is read: every secret at every target. */
  dueAtTargets: readonly DueAtTarget[];
  login?: EcrLogin;
  /** Every registry host the password opens, the login's first: the docker config's `auths`, the `registry-hosts` output. */
  registryHosts?: readonly string[];
  /** Every secret's result, once the writes are done. */
  results?: readonly SecretResult[];
  /** Set for a dry run: nothing was written, and these permissions could not be checked without writing. */
  dryRun?: DryRunRecord;
  /** Lines for the summary above the table, such as what each repository pattern matched. */
  notes?: readonly string[];
  /** `verify-images`: each image's check (or, in a dry run, that it would be checked). */
  images?: readonly ImageCheck[];
}

export interface DryRunRecord {
  /** Each permission or trust a real run needs that reading alone cannot prove, as a sentence. */
  unchecked: readonly string[];
}

/** What a run did, in the words of the summary's headline and the step's error. */
export type Outcome = 'not written' | 'partly written' | 'refreshed' | 'still fresh';

/** What a dry run found a real run would do: the same words, said of the secrets it would write. */
export type DryRunOutcome = 'would not be written' | 'would be partly written' | 'would be refreshed' | 'still fresh';

const WRITTEN: ReadonlySet<SecretResult['status']> = new Set(['created', 'updated']);

/** How the log and a dry run's summary say each status. */
const STATUS_WORDS: Record<SecretResult['status'], string> = {
  created: 'created',
  updated: 'updated',
  skipped: 'skipped',
  failed: 'failed',
  planned: 'would be written',
};

/**
 * Outputs, log lines, summary and the step's result, on every path: after the writes, or after an
 * error that stopped the run early (then every secret still due failed with that error). A failure
 * to report is a warning: it must never hide, or stand in for, the result of the writes.
 */
export async function reportRun(core: Reporter, record: RunRecord, now: Date, error?: unknown): Promise<void> {
  // An unexpected error's trace, for a bug report; the messages themselves are written for the user.
  if (error instanceof Error && error.stack) core.debug(error.stack);
  const results = record.results ?? resultsAfterError(record.dueAtTargets, error);
  const { dryRun } = record;
  if (dryRun) core.info(dryRunHeadline(results));
  for (const { target, secret, status, detail, settings } of results) {
    const notes = [settingsText(settings), detail].filter(Boolean).join('; ');
    if (status !== 'failed') core.info(`${target}: ${secret} ${STATUS_WORDS[status]}${notes ? ` (${notes})` : ''}`);
  }
  for (const { image, result } of record.images ?? []) core.info(`Image ${image}: ${result}`);
  if (dryRun) core.info(['Not checked without writing:', ...dryRun.unchecked.map((line) => `- ${line}`)].join('\n'));
  try {
    setOutputs(core, record.login, results, {
      registryHosts: record.registryHosts,
      dryRun: dryRun !== undefined,
      images: record.images,
    });
  } catch (outputError) {
    core.warning(`Could not set the step's outputs (GITHUB_OUTPUT): ${errorMessage(outputError)}`);
  }
  try {
    await writeSummary(
      core,
      (dryRun
        ? dryRunSummaryMarkdown(results, dryRun, record.notes)
        : summaryMarkdown(record.login, results, now, record.registryHosts, record.notes)) +
        imagesMarkdown(record.images ?? []),
    );
  } catch (summaryError) {
    core.warning(`Could not write the job summary (GITHUB_STEP_SUMMARY): ${errorMessage(summaryError)}`);
  }
  try {
    core.showResults?.(record.login, results, now, {
      registryHosts: record.registryHosts,
      notes: record.notes,
      dryRun,
      images: record.images,
    });
  } catch (showError) {
    core.warning(`Could not show the report: ${errorMessage(showError)}`);
  }
  const failure =
    failureMessage(results, { dryRun: dryRun !== undefined }) ??
    (error === undefined ? undefined : errorMessage(error));
  // An image the password cannot pull fails the step too, after every write.
  const failures = [failure, imagesFailureMessage(record.images ?? [])].filter(Boolean);
  if (failures.length > 0) core.setFailed(failures.join('\n'));
}

/**
 * The results of a run stopped by `error` before its writes (an AWS refusal, say): what planning
 * already knew (skipped, failed to list) stays, and every secret still due failed with the error.
 */
export function resultsAfterError(dueAtTargets: readonly DueAtTarget[], error: unknown): SecretResult[] {
  const detail = errorMessage(error);
  return dueAtTargets.flatMap(({ target, due, results }) => [
    ...results,
    ...due.map(({ name }): SecretResult => ({
      target: target.label,
      secret: name,
      status: 'failed',
      detail,
      takesEffect: target.takesEffect,
    })),
  ]);
}

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

/** Step outputs; never the password. Without a login (every secret still fresh, or AWS failed) only the lists are set. */
export function setOutputs(
  core: Pick<Reporter, 'setOutput'>,
  login: EcrLogin | undefined,
  results: readonly SecretResult[],
  {
    registryHosts = login ? [login.registry] : undefined,
    dryRun = false,
    images,
  }: {
    registryHosts?: readonly string[] | undefined;
    dryRun?: boolean;
    images?: readonly ImageCheck[] | undefined;
  } = {},
): void {
  const pick = (keep: (r: SecretResult) => boolean) =>
    JSON.stringify(results.filter(keep).map(({ target, secret, status }) => ({ target, secret, status })));
  if (login) {
    core.setOutput('registry', login.registry);
    core.setOutput('expires-at', login.expiresAt.toISOString());
    core.setOutput('username', login.username);
  }
  if (registryHosts) core.setOutput('registry-hosts', JSON.stringify(registryHosts));
  core.setOutput(
    'secrets-written',
    pick((r) => WRITTEN.has(r.status)),
  );
  core.setOutput(
    'secrets-skipped',
    pick((r) => r.status === 'skipped'),
  );
  if (dryRun) {
    // Only a dry run dueAtTargets: its list of what a real run would write, with the settings each write would send.
    core.setOutput(
      'secrets-planned',
      JSON.stringify(
        results
          .filter((r) => r.status === 'planned')
          .map(({ target, secret, status, settings }) => ({ target, secret, status, settings: settings ?? {} })),
      ),
    );
  }
  // verify-images: each image's result, set only when images were listed.
  if (images) core.setOutput('images-verified', imagesOutput(images));
  const failed = results.filter((r) => r.status === 'failed');
  core.setOutput(
    'secrets-failed',
    JSON.stringify(
      failed.map(({ target, secret, status, detail }) => ({ target, secret, status, reason: detail ?? 'failed' })),
    ),
  );
}

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
function settingsText(settings: Record<string, unknown> | undefined): string {
  return Object.entries(settings ?? {})
    .map(([field, value]) => `${field}: ${Array.isArray(value) ? value.join(', ') : String(value)}`)
    .join(', ');
}

export async function writeSummary(core: Pick<Reporter, 'summary'>, markdown: string): Promise<void> {
  // The summary file exists only on a runner; a local run without it must still succeed.
  if (!process.env['GITHUB_STEP_SUMMARY']) return;
  core.summary.addRaw(markdown, true);
  await core.summary.write();
}

/** The failures for the step's error, under the summary's headline; secrets that failed for the same reason share one line. */
export function failureMessage(
  results: readonly SecretResult[],
  { dryRun = false }: { dryRun?: boolean } = {},
): string | undefined {
  const { written, failed, skipped, planned } = tally(results);
  if (failed === 0) return undefined;
  const byReason = new Map<string, string[]>();
  for (const { target, secret, status, detail = 'failed' } of results) {
    if (status === 'failed') byReason.set(detail, [...(byReason.get(detail) ?? []), `${target} ${secret}`]);
  }
  return [
    dryRun
      ? `Dry run: ${failed} of ${results.length} secrets could not be planned (${planned} would be written${skipped ? `, ${skipped} skipped` : ''}):`
      : `ECR password ${outcome(results)}: ${failed} of ${results.length} secrets could not be written (${written} written${skipped ? `, ${skipped} skipped` : ''}):`,
    ...[...byReason].map(([reason, secrets]) => `- ${secrets.join(', ')}: ${reason}`),
  ].join('\n');
}

function tally(results: readonly SecretResult[]) {
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
