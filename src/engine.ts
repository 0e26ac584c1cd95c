import type { EcrLogin } from './aws/ecr.ts';
import { AwsLogin } from './aws/login.ts';
import { registryHosts } from './aws/registry.ts';
import type { Config } from './config.ts';
import { createGitHubClient } from './github/client.ts';
import { proxyPasswords } from './network.ts';
import { describeTarget } from './github/targets.ts';
import { isReadyToWrite, prepareTargets, writeTarget, type PreparedTarget } from './github/writer.ts';
import { awaitedLater } from './overlap.ts';
import { planRun } from './plan.ts';
import { reportRun, resultsAfterError, type Reporter, type RunRecord } from './report.ts';
import { libsodium } from './seal.ts';
import { secretNames, secretValues, unchangingSecretNames } from './secrets.ts';

/**
 * What the engine needs of its front door: where to log and report (`@actions/core` in the action),
 * how to mask a value, and the environment the AWS SDK and proxies are read from.
 */
export interface EngineIo extends Reporter {
  setSecret: (value: string) => void;
  env: NodeJS.ProcessEnv;
}

/**
 * One run from a checked config: which secrets are due, AWS credentials and ECR login, sealed writes,
 * report. Shared by every front door; it never reads inputs itself.
 */
export async function refresh(config: Config, io: EngineIo): Promise<void> {
  io.setSecret(config.github.token);
  for (const password of proxyPasswords(io.env)) io.setSecret(password);
  // A dry run reads GitHub and reports the plan; it never reaches the AWS login below.
  if (config.dryRun) return planRun(config, io);
  const now = new Date();
  const targets = config.targets.map(describeTarget);
  const names = secretNames(config.secretNames);
  // Filled in as the run goes, so that however it ends every secret is reported; until GitHub is read, all are due.
  const record: RunRecord = {
    plans: targets.map((target) => ({ target, due: names.map((name) => ({ name })), results: [] })),
  };
  let error: unknown;
  const aws = new AwsLogin(config, { setSecret: (value) => io.setSecret(value), env: io.env });
  try {
    const github = createGitHubClient({ token: config.github.token, apiUrl: config.github.apiUrl, log: io });
    // Request order (README, "Performance"): GitHub's reads (lists, settings, public keys) start at
    // once; they need nothing from AWS. Without max-age every run writes, so the AWS credentials (OIDC
    // token, STS) start at once beside them: a token GitHub refuses then costs an OIDC and STS round,
    // never an ECR password. With max-age they start only once a list shows something due, so that a
    // run whose secrets are all fresh asks AWS nothing and never loads the AWS SDK.
    if (config.maxAgeMs === undefined) aws.startCredentials();
    const unchanging = new Set(unchangingSecretNames(config.secretNames));
    const preparing = prepareTargets(github, targets, names, {
      ...(config.maxAgeMs === undefined ? {} : { maxAgeMs: config.maxAgeMs }),
      now,
      unchanging: [...unchanging],
      onDue: () => aws.startCredentials(),
    });
    // ECR mints a password only once some target is ready to write a secret that needs one (due, key
    // in hand; the username needs none); libsodium loads while that request is in flight.
    const needsPassword = (prepared: PreparedTarget) =>
      isReadyToWrite(prepared) && prepared.due.some(({ name }) => !unchanging.has(name));
    const values = awaitedLater(
      firstReady(preparing, needsPassword).then(async (needed) => {
        if (!needed) return secretValues(config.secretNames, undefined);
        const login = await aws.ecrLogin(() => void awaitedLater(libsodium()));
        io.info(`ECR login for ${login.registry} expires at ${login.expiresAt.toISOString()}.`);
        record.login = login;
        record.registryHosts = registryHosts(login.registry, config.registry, config.region);
        return maskedSecretValues(config, { ...login, registryHosts: record.registryHosts }, io);
      }),
    );
    // Each target is written as soon as its own reads and the login are in hand: a slow target holds back no other.
    const results = await Promise.all(
      preparing.map(async (preparingTarget) => {
        const prepared = await preparingTarget;
        if (!isReadyToWrite(prepared)) return prepared.results;
        try {
          return await writeTarget(github, prepared, await values, io);
        } catch (thrown) {
          // An AWS failure (written for the user): every secret this target had due failed with it.
          error ??= thrown;
          return resultsAfterError([prepared], thrown);
        }
      }),
    );
    record.results = results.flat();
  } catch (thrown) {
    // Errors reaching here were written for the user; the report turns them into failed secrets.
    error = thrown;
  }
  // An OIDC or STS call still in flight when nothing was due ends before the report; its outcome no longer matters.
  await aws.settled();
  await reportRun(io, record, now, error);
}

/** Whether some target becomes `ready`, as soon as one does; false once all are prepared and none is. */
function firstReady(
  preparing: readonly Promise<PreparedTarget>[],
  ready: (prepared: PreparedTarget) => boolean,
): Promise<boolean> {
  return new Promise((resolve) => {
    for (const target of preparing)
      void target.then(
        (prepared) => ready(prepared) && resolve(true),
        () => undefined,
      );
    void Promise.allSettled(preparing).then(() => resolve(false));
  });
}

function maskedSecretValues(
  config: Config,
  login: EcrLogin & { registryHosts: readonly string[] },
  io: Pick<EngineIo, 'setSecret'>,
) {
  const values = secretValues(config.secretNames, login);
  for (const { value, sensitive } of values) if (sensitive) io.setSecret(value);
  return values;
}
