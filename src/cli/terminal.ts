import type { EcrLogin } from '../aws/ecr.ts';
import type { EngineIo } from '../run/engine.ts';
import type { SecretResult } from '../run/results.ts';
import { renderInputNames } from '../config/index.ts';
import { imagesText, type ImageCheck } from '../aws/pull-check/checks.ts';
import { dryRunOutcome, dryRunSummaryText, outcome, summaryText, type DryRunRecord } from '../run/report.ts';

export interface TerminalIo extends EngineIo {
  /** Whether the run failed (setFailed was called): exit code 1. */
  failed: () => boolean;
}

/**
 * The engine's log and report on a terminal: log lines on stderr, the report on stdout (text or JSON),
 * every masked value replaced by *** in both before it is written.
 */
export function terminalIo(options: {
  env: NodeJS.ProcessEnv;
  output: 'text' | 'json';
  verbose: boolean;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** The command's name for an input named by a placeholder in a message (`{aws-region}`: `--aws-region`). */
  inputName: (input: string) => string;
}): TerminalIo {
  const masks = new Set<string>();
  let failed = false;
  const redact = (text: string) =>
    [...masks]
      .sort((a, b) => b.length - a.length)
      .reduce((shown, mask) => shown.split(mask).join('***'), renderInputNames(text, options.inputName));
  const log = (text: string) => options.stderr(`${redact(text)}\n`);
  return {
    env: options.env,
    setSecret: (value) => {
      // Masking a short value would hide every occurrence of it in unrelated words; none of ours is short.
      if (value.length >= 4) masks.add(value);
    },
    setOutput: () => undefined,
    summary: { addRaw: () => undefined, write: async () => undefined },
    info: (message) => log(message),
    warning: (message) => log(`warning: ${message}`),
    debug: (message) => {
      if (options.verbose) log(`debug: ${message}`);
    },
    setFailed: (message) => {
      failed = true;
      log(`error: ${message}`);
    },
    showResults: (login, results, now, { registryHosts, notes, dryRun, images = [] }) => {
      const json = options.output === 'json';
      let report: string;
      // A dry run's report is its plan: what would be written, with the settings, and the images a real run would check.
      if (dryRun)
        report = json
          ? dryRunJsonReport(results, dryRun, images)
          : [dryRunSummaryText(results, dryRun, notes), ...imagesText(images)].join('\n');
      else
        report = json
          ? jsonReport(login, results, images)
          : [summaryText(login, results, now, registryHosts, notes), ...imagesText(images)].join('\n');
      options.stdout(`${redact(report)}\n`);
    },
    failed: () => failed,
  };
}

/** The report for scripts: what happened, the registry and expiry, each result; never a password. */
function jsonReport(
  login: EcrLogin | undefined,
  results: readonly SecretResult[],
  images: readonly ImageCheck[],
): string {
  return JSON.stringify(
    {
      outcome: outcome(results),
      ...(login
        ? { registry: login.registry, username: login.username, expiresAt: login.expiresAt.toISOString() }
        : {}),
      results: results.map(({ target, secret, status, detail }) => ({
        target,
        secret,
        status,
        ...(detail ? { detail } : {}),
      })),
      ...(images.length > 0 ? { images: images.map(({ image, result }) => ({ image, result })) } : {}),
    },
    null,
    2,
  );
}

/**
 * A dry run's report for scripts: what a real run would do (`outcome`), each result with the settings a
 * planned write would send (an organisation secret's visibility), and what reading could not check.
 */
function dryRunJsonReport(
  results: readonly SecretResult[],
  { unchecked }: DryRunRecord,
  images: readonly ImageCheck[],
): string {
  return JSON.stringify(
    {
      dryRun: true,
      outcome: dryRunOutcome(results),
      results: results.map(({ target, secret, status, detail, settings }) => ({
        target,
        secret,
        status,
        ...(status === 'planned' ? { settings: settings ?? {} } : {}),
        ...(detail ? { detail } : {}),
      })),
      unchecked,
      ...(images.length > 0 ? { images: images.map(({ image, result }) => ({ image, result })) } : {}),
    },
    null,
    2,
  );
}
