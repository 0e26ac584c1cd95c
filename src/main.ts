import * as core from '@actions/core';
import { context } from '@actions/github';
import { resolveCredentials } from './aws/credentials.ts';
import type { EcrLogin } from './aws/ecr.ts';
import { requestGitHubIdToken } from './aws/github-oidc.ts';
import { parseConfig, type Config, type RunContext } from './config.ts';
import { createGitHubClient } from './github/client.ts';
import { proxyPasswords } from './network.ts';
import { describeTarget } from './github/targets.ts';
import { isReadyToWrite, prepareTargets, writeSecrets } from './github/writer.ts';
import { reportRun, type RunRecord } from './report.ts';
import { secretNames, secretValues } from './secrets.ts';

/** The action: inputs, which secrets are due, AWS credentials and ECR login, sealed writes, report. Wiring only. */
export async function run(): Promise<void> {
  let config: Config;
  try {
    config = parseConfig((name) => core.getInput(name), process.env, runContext());
  } catch (error) {
    // Bad input: the message names the input and the fix, and nothing was asked of GitHub or AWS.
    core.setFailed(error instanceof Error ? error.message : String(error));
    return;
  }
  core.setSecret(config.github.token);
  for (const password of proxyPasswords(process.env)) core.setSecret(password);
  const now = new Date();
  const targets = config.targets.map(describeTarget);
  const names = secretNames(config.secretNames);
  // Filled in as the run goes, so that however it ends every secret is reported; until GitHub is read, all are due.
  const record: RunRecord = { plans: targets.map((target) => ({ target, due: names.map((name) => ({ name })), results: [] })) };
  let error: unknown;
  try {
    const github = createGitHubClient({ token: config.github.token, apiUrl: config.github.apiUrl, log: core });
    // GitHub first: every read that needs no password (lists, settings, public keys), so that a
    // refused token or a missing target fails before AWS is asked for anything.
    const prepared = await Promise.all(
      prepareTargets(github, targets, names, { ...(config.maxAgeMs === undefined ? {} : { maxAgeMs: config.maxAgeMs }), now }),
    );
    record.plans = prepared;

    // ECR is asked only when some target is ready to be written (something due, key in hand).
    const login = prepared.some(isReadyToWrite) ? await ecrLogin(config) : undefined;
    if (login) record.login = login;
    record.results = login ? await writeSecrets(github, prepared, maskedSecretValues(config, login), core) : prepared.flatMap((target) => target.results);
  } catch (thrown) {
    // AWS and GitHub errors reaching here were written for the user; the report turns them into failed secrets.
    error = thrown;
  }
  await reportRun(core, record, now, error);
}

async function ecrLogin(config: Config): Promise<EcrLogin> {
  const credentials = await resolveCredentials(config.auth, config.region, {
    getIDToken: (audience) => requestGitHubIdToken(audience, process.env, (value) => core.setSecret(value)),
    setSecret: (value) => core.setSecret(value),
    env: process.env,
  });
  const roleArn = 'roleArn' in config.auth ? config.auth.roleArn : undefined;
  // The AWS SDK is loaded only by runs that need a password: a max-age run with every secret fresh never pays for it.
  const { getEcrLogin } = await import('./aws/ecr.ts');
  const login = await getEcrLogin(config.region, credentials, (value) => core.setSecret(value), roleArn);
  core.info(`ECR login for ${login.registry} expires at ${login.expiresAt.toISOString()}.`);
  return login;
}

function maskedSecretValues(config: Config, login: EcrLogin) {
  const values = secretValues(config.secretNames, login);
  for (const { value, sensitive } of values) if (sensitive) core.setSecret(value);
  return values;
}

/** The run as `@actions/github` reads it from the runner's environment. */
function runContext(): RunContext {
  const repository = currentRepository();
  const number = (n: number) => (Number.isFinite(n) ? n : undefined);
  const runId = number(context.runId);
  const runAttempt = number(context.runAttempt);
  return {
    apiUrl: context.apiUrl,
    ...(repository ? { repository } : {}),
    ...(runId === undefined ? {} : { runId }),
    ...(runAttempt === undefined ? {} : { runAttempt }),
  };
}

/** `owner/name`, or undefined outside a repository's run (`context.repo` throws then). */
function currentRepository(): string | undefined {
  try {
    const { owner, repo } = context.repo;
    return `${owner}/${repo}`;
  } catch {
    return undefined;
  }
}
