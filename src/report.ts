import type { EcrLogin } from './aws/ecr.ts';
import { formatDuration } from './duration.ts';
import type { SecretResult } from './github/writer.ts';

/** The subset of `@actions/core` that reporting needs. */
export interface Reporter {
  setOutput: (name: string, value: string) => void;
  summary: { addRaw: (text: string, addEOL?: boolean) => unknown; write: () => Promise<unknown> };
}

const WRITTEN: ReadonlySet<SecretResult['status']> = new Set(['created', 'updated']);

/** Step outputs; never the password. Without a login (every secret still fresh) only the lists are set. */
export function setOutputs(core: Reporter, login: EcrLogin | undefined, results: readonly SecretResult[]): void {
  const pick = (keep: (r: SecretResult) => boolean) =>
    JSON.stringify(results.filter(keep).map(({ target, secret, status }) => ({ target, secret, status })));
  if (login) {
    core.setOutput('registry', login.registry);
    core.setOutput('expires-at', login.expiresAt.toISOString());
    core.setOutput('username', login.username);
  }
  core.setOutput('secrets-written', pick((r) => WRITTEN.has(r.status)));
  core.setOutput('secrets-skipped', pick((r) => r.status === 'skipped'));
}

/** The job summary: one row per secret per target, and when the password expires. */
export function summaryMarkdown(login: EcrLogin | undefined, results: readonly SecretResult[], now: Date): string {
  const rows = results.map(({ target, secret, status, detail, takesEffect }) => {
    const effect = WRITTEN.has(status) ? `read by ${takesEffect}${detail ? `; ${detail}` : ''}` : (detail ?? '');
    return `| ${cell(target)} | \`${secret}\` | ${status} | ${cell(effect)} |`;
  });
  const headline = login
    ? [
        '### ECR password refreshed',
        '',
        `Registry \`${login.registry}\`, user \`${login.username}\`: the password expires at ${login.expiresAt.toISOString()} (in ${formatDuration(login.expiresAt.getTime() - now.getTime())}).`,
      ]
    : ['### ECR password still fresh', '', 'No secret was older than max-age, so no password was fetched from ECR.'];
  return [...headline, '', '| target | secret | result | notes |', '| --- | --- | --- | --- |', ...rows, ''].join('\n');
}

export async function writeSummary(core: Reporter, markdown: string): Promise<void> {
  // The summary file exists only on a runner; a local run without it must still succeed.
  if (!process.env['GITHUB_STEP_SUMMARY']) return;
  core.summary.addRaw(markdown, true);
  await core.summary.write();
}

/** The failures, one line each, for the step's error. */
export function failureMessage(results: readonly SecretResult[]): string | undefined {
  const failed = results.filter((r) => r.status === 'failed');
  if (failed.length === 0) return undefined;
  const written = results.filter((r) => WRITTEN.has(r.status)).length;
  return [
    `${failed.length} of ${results.length} secrets could not be written (${written} written):`,
    ...failed.map(({ target, secret, detail }) => `- ${target} ${secret}: ${detail ?? 'failed'}`),
  ].join('\n');
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
