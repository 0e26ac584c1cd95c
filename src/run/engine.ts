import type { EcrLogin } from '../aws/ecr.ts';
import { AwsLogin, type AwsLoginSettings } from '../aws/login.ts';
import { uncheckedAws } from '../aws/permissions.ts';
import { registryHosts } from '../aws/registry.ts';
import type { SecretResult } from './results.ts';
import { proxyPasswords } from '../net/failures.ts';
import { awaitedLater } from '../util/awaited-later.ts';
import { checkImages, dryRunChecks, type ImageCheck } from '../aws/pull-check/checks.ts';
import type { ImageReference } from '../aws/pull-check/image-reference.ts';
import { reportRun, resultsAfterError, type Reporter, type RunRecord } from './report.ts';
import { LOGIN_REUSE_MS } from '../github/secrets/put.ts';
import type { PreparedDestination, Sink, SinkLogin } from './sink.ts';
import { formatDuration } from '../util/duration.ts';

/**
 * What the engine needs of its front door: where to log and report (`@actions/core` in the action),
 * how to mask a value, and the environment the AWS SDK and proxies are read from.
 */
export interface EngineIo extends Reporter {
  setSecret: (value: string) => void;
  env: NodeJS.ProcessEnv;
}

/** The run as a whole: the AWS side, and whether it is a dry run (`dry-run`: the plan, with no AWS call and no write). */
export interface RunSettings extends AwsLoginSettings {
  dryRun: boolean;
  /** `verify-images`: checked with the fresh password beside the writes (aws/pull-check/checks.ts); none by default. */
  verifyImages?: readonly ImageReference[];
}

/**
 * One run into one or several sinks: which values are due, AWS credentials and ECR login, the writes,
 * one report. Shared by every front door; it never reads inputs itself. A dry run is the same run
 * (the sinks' reads, fan-out and decisions) that stops where the writes would start: each destination
 * says what it would write, the AWS side is never started (nor its code loaded), and the report is
 * the plan. One difference, on purpose: a dry run reads every target's public key, as its proof of
 * read access, where a real run reads it only when something is due; so with max-age and every
 * secret fresh, a key GitHub will not give fails the dry run, while the real run skips them all.
 */
export async function refresh(run: RunSettings, sinks: readonly Sink[], io: EngineIo): Promise<void> {
  for (const password of proxyPasswords(io.env)) io.setSecret(password);
  const { dryRun } = run;
  const now = new Date();
  // Filled in as the run goes, so that however it ends every secret is reported; until a sink reads, all are due.
  const record: RunRecord = { dueAtTargets: sinks.flatMap((sink) => sink.dueAtTargets) };
  const unchecked = (fromSinks: readonly string[]) => ({ unchecked: [...fromSinks, ...uncheckedAws(run)] });
  if (dryRun) record.dryRun = unchecked(sinks.flatMap((sink) => sink.unchecked));
  const verifyImages = run.verifyImages ?? [];
  // A dry run lists the images a real run would check, and asks no registry.
  if (dryRun && verifyImages.length > 0) record.images = dryRunChecks(verifyImages);
  let error: unknown;
  let imageChecks: Promise<ImageCheck[]> | undefined;
  const login = dryRun ? undefined : new AwsLogin(run, { setSecret: (value) => io.setSecret(value), env: io.env });
  try {
    // Request order (docs/performance.md, "Requests and their order"): the sinks' reads (GitHub's lists, settings, public keys)
    // start at once; they need nothing from AWS. A sink that writes on every run (GitHub without
    // max-age, a dotenv file, a GitLab variable) starts the AWS credentials (token, STS) at once beside
    // them: a token GitHub refuses then costs an STS round, never an ECR password. GitHub with max-age
    // starts them only once a list shows something due, so that a run whose secrets are all fresh asks
    // AWS nothing and never loads the AWS SDK.
    // Each sink's destinations first (GitHub resolves repository patterns: one that matches nothing
    // stops that sink before any write or AWS call); then what is due is what the sinks found. A sink
    // whose prepare fails fails its own secrets only: the other sinks still write (partial failure,
    // reported by name). Only when every sink failed does the run stop there, as the action's one sink does.
    const settled = await Promise.allSettled(
      sinks.map((sink) => sink.prepare({ now, dryRun, onDue: () => login?.startCredentials() })),
    );
    const failedToPrepare = settled.flatMap((outcome, index) =>
      outcome.status === 'rejected' ? [{ sink: sinks[index] as Sink, reason: outcome.reason as unknown }] : [],
    );
    if (failedToPrepare.length === sinks.length && failedToPrepare[0]) throw failedToPrepare[0].reason;
    const destinations = settled.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
    const unprepared = failedToPrepare.flatMap(({ sink, reason }) => resultsAfterError(sink.dueAtTargets, reason));
    record.dueAtTargets = [
      ...failedToPrepare.flatMap(({ sink }) => sink.dueAtTargets),
      ...destinations.flatMap(({ dueAtTargets }) => dueAtTargets),
    ];
    record.notes = destinations.flatMap(({ notes }) => notes);
    if (dryRun)
      record.dryRun = unchecked([
        ...failedToPrepare.flatMap(({ sink }) => sink.unchecked),
        ...destinations.flatMap((found) => found.unchecked),
      ]);
    if (
      login &&
      settled.some((outcome, index) => outcome.status === 'fulfilled' && !(sinks[index] as Sink).waitsForDue)
    )
      login.startCredentials();
    const preparing = destinations.flatMap(({ preparing }) => preparing);
    // ECR mints a password only once some destination is ready to write a value that needs one; what
    // the writes need (libsodium) loads while that request is in flight.
    const hostsOf = (issued: EcrLogin) =>
      run.registry ? registryHosts(issued.registry, run.registry, run.region) : [issued.registry];
    const ecrLogin =
      login &&
      awaitedLater(
        firstReady(preparing, (prepared) => prepared.ready && prepared.needsPassword).then(
          async (needed): Promise<SinkLogin | undefined> => {
            if (!needed) return undefined;
            const requestedAt = performance.now();
            const issued: EcrLogin = await login.ecrLogin(() => {
              for (const sink of sinks) sink.whileLoginInFlight?.();
            });
            io.info(`ECR login for ${issued.registry} expires at ${issued.expiresAt.toISOString()}.`);
            // The first login is the one reported (expires-at): the secrets written with it expire first.
            record.login = issued;
            record.registryHosts = hostsOf(issued);
            return { ...issued, registryHosts: record.registryHosts, requestedAt };
          },
        ),
      );
    // A long fan-out mints again (github/secrets/put.ts, LOGIN_REUSE_MS): one new login for every writer that finds the last one too old.
    let latest = ecrLogin;
    const freshLogin = async (): Promise<SinkLogin | undefined> => {
      for (;;) {
        const asked = latest;
        const inHand = await asked;
        if (!login || !inHand || performance.now() - inHand.requestedAt < LOGIN_REUSE_MS) return inHand;
        if (latest === asked)
          latest = awaitedLater(
            (async () => {
              const requestedAt = performance.now();
              const issued = await login.ecrLoginAgain();
              io.info(
                `ECR login renewed for the writes still to come (the last one was asked for ${formatDuration(requestedAt - inHand.requestedAt)} before): it expires at ${issued.expiresAt.toISOString()}.`,
              );
              return { ...issued, registryHosts: hostsOf(issued), requestedAt };
            })(),
          );
      }
    };
    // verify-images: checked with the password beside the writes, never in front of them (aws/pull-check/checks.ts).
    if (ecrLogin && verifyImages.length > 0)
      imageChecks = awaitedLater(checkImages(verifyImages, run.region, ecrLogin, (value) => io.setSecret(value)));
    // What a destination does once its reads are in: a dry run plans; a real run writes what is due with the login.
    const deliver = async (prepared: PreparedDestination): Promise<readonly SecretResult[]> => {
      if (dryRun) return prepared.dryRunResults();
      if (!prepared.ready) return prepared.afterReads.results;
      return prepared.write(await ecrLogin, freshLogin);
    };
    // Each destination is written as soon as its own reads and the login are in hand: a slow one holds back no other.
    const results = await Promise.all(
      preparing.map(async (preparingDestination) => {
        const prepared = await preparingDestination;
        try {
          return await deliver(prepared);
        } catch (thrown) {
          // An AWS failure (written for the user): every secret this destination had due failed with it.
          error ??= thrown;
          return resultsAfterError([prepared.afterReads], thrown);
        } finally {
          prepared.release?.();
        }
      }),
    );
    record.results = [...unprepared, ...results.flat()];
  } catch (thrown) {
    // Errors reaching here were written for the user; the report turns them into failed secrets.
    error = thrown;
  }
  // An OIDC or STS call still in flight when nothing was due ends before the report; its outcome no longer matters.
  await login?.settled();
  if (!dryRun && verifyImages.length > 0)
    record.images = await (imageChecks ??
      checkImages(verifyImages, run.region, Promise.resolve(undefined), (value) => io.setSecret(value)));
  await reportRun(io, record, now, error);
}

/** Whether some destination becomes `ready`, as soon as one does; false once all are prepared and none is. */
function firstReady(
  preparing: readonly Promise<PreparedDestination>[],
  ready: (prepared: PreparedDestination) => boolean,
): Promise<boolean> {
  return new Promise((resolve) => {
    for (const destination of preparing)
      void destination.then(
        (prepared) => ready(prepared) && resolve(true),
        () => undefined,
      );
    void Promise.allSettled(preparing).then(() => resolve(false));
  });
}
