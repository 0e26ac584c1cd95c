import { checkApiUrl, tokenHasSpaces } from './checks.ts';
import { urlForMessages } from '../net/failures.ts';
import type { TokenSource } from '../github/errors.ts';
import { SECRET_APPS, type SecretApp, type TargetSpec } from '../github/targets/spec.ts';
import type { Read, Report, RunContext } from './problems.ts';

/**
 * The GitHub side of the inputs: the token and the API it is sent to, and which app's secrets
 * (`secret-type`). The targets (repositories, environments, an organisation, patterns, visibility)
 * are in targets.ts; index.ts joins them into the GitHub sink's settings.
 */

/** The action's token: its input, held in a secret of the workflow's repository or organisation. */
export const GITHUB_TOKEN_INPUT: TokenSource = { name: 'github-token', renewal: 'update the secret that holds it' };

export function parseGitHub(
  read: Read,
  context: RunContext,
  report: Report,
): { token: string; apiUrl: string; tokenSource: TokenSource } | undefined {
  const token = read('github-token');
  if (!token) {
    report(
      'github-token',
      'it is empty',
      "Pass a token that may write secrets, such as ${{ secrets.SECRETS_WRITER_TOKEN }} (a fine-grained PAT or a GitHub App token). The workflow's GITHUB_TOKEN cannot write secrets.",
    );
  }
  // Never quote it: a token with a line break in it could not be masked as one value.
  const tokenIsOneWord = !tokenHasSpaces(token);
  if (token && !tokenIsOneWord) {
    report(
      'github-token',
      'it contains spaces, line breaks or other control characters, which no GitHub token has',
      'Check the secret that holds it: paste the token alone, on one line.',
    );
  }
  const apiUrl = parseApiUrl(read('github-api-url') || context.apiUrl, report);
  return token && tokenIsOneWord && apiUrl ? { token, apiUrl, tokenSource: GITHUB_TOKEN_INPUT } : undefined;
}

/**
 * The GitHub REST API base: https, or plain http to a loopback host only (nothing leaves the
 * machine then). No credentials, query or fragment: the token travels in a header, and Octokit
 * appends paths to the base as text. A URL with credentials is never printed with them.
 */
function parseApiUrl(text: string, report: Report): string | undefined {
  const shown = `"${urlForMessages(text)}"`;
  const fix = "Leave it unset to use this runner's GitHub API, or give one such as https://ghe.example.com/api/v3.";
  const { url, problem } = checkApiUrl(text);
  if (problem === 'not a URL') {
    report('github-api-url', `${shown} is not a URL`, fix);
    return undefined;
  }
  if (problem === 'credentials') {
    report(
      'github-api-url',
      `${shown} holds credentials (user:password@)`,
      'Remove them: the action authenticates with {github-token}. Rotate that password if it was a real one.',
    );
    return undefined;
  }
  if (problem === 'not https' || problem === 'not http(s)') {
    report(
      'github-api-url',
      `${shown} is not an https URL (plain http is accepted for loopback hosts only)`,
      'Use https://, such as https://ghe.example.com/api/v3.',
    );
    return undefined;
  }
  if (problem === 'query or fragment' || !url) {
    report(
      'github-api-url',
      `${shown} has a query or fragment`,
      'Give the API base URL alone, such as https://ghe.example.com/api/v3.',
    );
    return undefined;
  }
  return url.href.replace(/\/+$/, '');
}

/**
 * `secret-type`: which app's secrets to write (Actions, Dependabot, Codespaces). Environments hold
 * Actions secrets only, so the pair is refused here rather than sent to a route GitHub does not have.
 */
export function parseSecretType(read: Read, report: Report): SecretApp {
  const text = read('secret-type');
  const app = SECRET_APPS.find((name) => name === text.toLowerCase());
  if (text && !app) {
    report(
      'secret-type',
      `"${text}" is not one of ${SECRET_APPS.join(', ')}`,
      'Use actions (the default), dependabot or codespaces.',
    );
    return 'actions';
  }
  if (app && app !== 'actions' && read('environment')) {
    report(
      'environment',
      `environments hold GitHub Actions secrets only, and {secret-type} is ${app}`,
      `Remove {environment} to write ${app} secrets of the repositories, or remove {secret-type} to write environment secrets.`,
    );
  }
  return app ?? 'actions';
}

/** The targets with the app whose secrets they receive; Actions, the default, is left implicit. */
export function withApp(targets: TargetSpec[], app: SecretApp): TargetSpec[] {
  if (app === 'actions') return targets;
  return targets.map((spec) => (spec.kind === 'environment' ? spec : { ...spec, app }));
}
