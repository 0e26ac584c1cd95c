import type { EcrLogin } from '../aws/ecr.ts';
import { errorMessage } from '../util/errors.ts';
import type { DueAtTarget, SecretResult } from './results.ts';
import { imagesFailureMessage, imagesMarkdown, imagesOutput, type ImageCheck } from '../aws/pull-check/checks.ts';
import {
  dryRunHeadline,
  dryRunSummaryMarkdown,
  outcome,
  settingsText,
  STATUS_WORDS,
  summaryMarkdown,
  tally,
  WRITTEN,
  type DryRunRecord,
} from './summary.ts';

export {
  dryRunHeadline,
  dryRunOutcome,
  dryRunSummaryMarkdown,
  dryRunSummaryText,
  outcome,
  summaryMarkdown,
  summaryText,
  type DryRunOutcome,
  type DryRunRecord,
  type Outcome,
} from './summary.ts';

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

/** What a run has learnt by the time it ends, however it ends; the engine fills it in step by step. */
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
