import * as core from '@actions/core';
import { context } from '@actions/github';
import { resolveCredentials } from './aws/credentials.ts';
import type { EcrLogin } from './aws/ecr.ts';
import { parseConfig, type Config, type RunContext } from './config.ts';
import { createGitHubClient } from './github/client.ts';
import { describeTarget } from './github/targets.ts';
import { isReadyToWrite, prepareTargets, writeSecrets } from './github/writer.ts';
import { failureMessage, setOutputs, summaryMarkdown, writeSummary } from './report.ts';
import { secretNames, secretValues } from './secrets.ts';

/** The action: inputs, which secrets are due, AWS credentials and ECR login, sealed writes, report. Wiring only. */
export async function run(): Promise<void> {
  try {
    const config = parseConfig((name) => core.getInput(name), process.env, runContext());
    core.setSecret(config.github.token);
    const github = createGitHubClient({ token: config.github.token, apiUrl: config.github.apiUrl, log: core });
    const now = new Date();
    // GitHub first: every read that needs no password (lists, settings, public keys), so that a
    // refused token or a missing target fails before AWS is asked for anything.
    const prepared = await Promise.all(
      prepareTargets(github, config.targets.map(describeTarget), secretNames(config.secretNames), {
        ...(config.maxAgeMs === undefined ? {} : { maxAgeMs: config.maxAgeMs }),
        now,
      }),
    );

    // ECR is asked only when some target is ready to be written (something due, key in hand).
    const login = prepared.some(isReadyToWrite) ? await ecrLogin(config) : undefined;
    const results = login ? await writeSecrets(github, prepared, maskedSecretValues(config, login), core) : prepared.flatMap((target) => target.results);
    for (const { target, secret, status, detail } of results) {
      if (status !== 'failed') core.info(`${target}: ${secret} ${status}${detail ? ` (${detail})` : ''}`);
    }

    setOutputs(core, login, results);
    await writeSummary(core, summaryMarkdown(login, results, now));
    const failure = failureMessage(results);
    if (failure) core.setFailed(failure);
  } catch (error) {
    // Every error reaching here was written for the user (bad input, AWS or GitHub refusals).
    core.setFailed(error instanceof Error ? error.message : String(error));
  }
}

async function ecrLogin(config: Config): Promise<EcrLogin> {
  const credentials = await resolveCredentials(config.auth, config.region, {
    getIDToken: (audience) => core.getIDToken(audience),
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
