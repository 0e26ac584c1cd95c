import type { EcrLogin } from '../aws/ecr.ts';
import type { EngineIo } from '../engine.ts';
import type { SecretResult } from '../github/writer.ts';
import { imagesText, type ImageCheck } from '../registry/checks.ts';
import { outcome, summaryText } from '../report.ts';

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
}): TerminalIo {
  const masks = new Set<string>();
  let failed = false;
  const redact = (text: string) =>
    [...masks].sort((a, b) => b.length - a.length).reduce((shown, mask) => shown.split(mask).join('***'), text);
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
    showResults: (login, results, now, { registryHosts, notes, images = [] }) => {
      const report =
        options.output === 'json'
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
