import * as core from '@actions/core';
import { resolveCredentials } from './aws/credentials.ts';
import { getEcrLogin } from './aws/ecr.ts';
import { parseConfig } from './config.ts';
import { createGitHubClient } from './github/client.ts';
import { describeTarget } from './github/targets.ts';
import { writeSecrets } from './github/writer.ts';
import { failureMessage, setOutputs, summaryMarkdown, writeSummary } from './report.ts';
import { secretValues } from './secrets.ts';

/** The action: inputs, AWS credentials, ECR login, sealed writes, report. Wiring only. */
export async function run(): Promise<void> {
  try {
    const config = parseConfig((name) => core.getInput(name), process.env);
    core.setSecret(config.github.token);
    const roleArn = 'roleArn' in config.auth ? config.auth.roleArn : undefined;

    const credentials = await resolveCredentials(config.auth, config.region, {
      getIDToken: (audience) => core.getIDToken(audience),
      setSecret: (value) => core.setSecret(value),
      env: process.env,
    });
    const login = await getEcrLogin(config.region, credentials, (value) => core.setSecret(value), roleArn);
    const secrets = secretValues(config.secretNames, login);
    for (const { value, sensitive } of secrets) if (sensitive) core.setSecret(value);
    core.info(`ECR login for ${login.registry} expires at ${login.expiresAt.toISOString()}.`);

    const github = createGitHubClient({ token: config.github.token, apiUrl: config.github.apiUrl, log: core });
    const targets = config.targets.map(describeTarget);
    const now = new Date();
    const results = await writeSecrets(github, targets, secrets, { ...(config.maxAgeMs === undefined ? {} : { maxAgeMs: config.maxAgeMs }), now });
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
