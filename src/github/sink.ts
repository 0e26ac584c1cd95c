import type { GitHubSettings } from './settings.ts';
import { createGitHubClient, type Log } from './client.ts';
import { resolveTargets } from './targets/patterns.ts';
import { describeTarget, type Target } from './targets/kinds.ts';
import { hourlyLimitAdvice } from './pace.ts';
import { LOGIN_FRESH_FOR_MS } from './secrets/put.ts';
import { isReadyToWrite, prepareTarget, type PreparedTarget } from './secrets/prepare.ts';
import { repositoriesOnlyNotes, writeNotes, writeTarget } from './secrets/write.ts';
import { Semaphore } from '../net/semaphore.ts';
import { awaitedLater } from '../util/awaited-later.ts';
import { libsodium } from './secrets/seal.ts';
import { secretNames, secretValues, unchangingSecretNames, type SecretValue } from '../run/secret-kinds.ts';
import type { PreparedDestination, Sink, SinkLogin } from '../run/sink.ts';
import type { SecretResult } from '../run/results.ts';

/**
 * How many targets are between their first read and their last write at once. A fan-out over many
 * repositories goes through them this many at a time: their reads overlap the paced writes of those
 * ahead instead of all starting at once, and memory stays flat at any size. A repository or
 * environment target has at most two requests out at a time (list and public key, or one write), so
 * five never fill the ten concurrent requests of the throttling plugin: a write never waits behind
 * reads for a slot, and the pace (src/github/pace.ts) always sees the next write.
 */
const FAN_OUT_WIDTH = 5;

/**
 * GitHub secrets (repository, environment, organisation; Actions, Dependabot, Codespaces), as the
 * action writes them: repository patterns resolved first, then per target (five at a time) the list
 * (max-age, or whether the username is stored), the public key, and one sealed PUT per secret. In a
 * dry run the same, with every key read (the proof of read access) and no environment created, and
 * each PUT planned instead of sent.
 */
export function githubSink(
  config: GitHubSettings,
  io: Log & { setSecret: (value: string) => void; warning: (message: string) => void },
): Sink {
  io.setSecret(config.github.token);
  const names = secretNames(config.secretNames);
  const unchanging = new Set(unchangingSecretNames(config.secretNames));
  const allDueAt = (targets: readonly Pick<Target, 'label' | 'takesEffect'>[]) =>
    targets.map((target) => ({ target, due: names.map((name) => ({ name })), results: [] }));
  // The values are built (and masked) once, however many targets write them.
  let values: { login: SinkLogin | undefined; values: SecretValue[] } | undefined;
  const valuesFor = (login: SinkLogin | undefined): SecretValue[] => {
    if (values?.login !== login || !values) {
      const built = secretValues(config.secretNames, login);
      if (login) for (const { value, sensitive } of built) if (sensitive) io.setSecret(value);
      values = { login, values: built };
    }
    return values.values;
  };
  const named = config.targets.map(describeTarget);
  return {
    // Until GitHub is read, every secret is due, and a repository pattern stands for the repositories it will match.
    dueAtTargets: allDueAt([
      ...named,
      ...(config.repositorySelection?.patterns ?? []).map(({ text }) => ({ label: text, takesEffect: '' })),
    ]),
    unchecked: uncheckedWrites(named),
    waitsForDue: config.maxAgeMs !== undefined,
    whileLoginInFlight: () => void awaitedLater(libsodium()),
    prepare: async ({ now, onDue, dryRun }) => {
      const { tokenSource } = config.github;
      const github = await createGitHubClient({
        token: config.github.token,
        tokenName: tokenSource.name,
        apiUrl: config.github.apiUrl,
        log: io,
        writeIntervalMs: config.writeIntervalMs,
      });
      // Repository patterns are resolved before anything else: one that matches nothing stops the run
      // before any write or AWS call, and the rest of the run sees plain targets.
      const resolved = await resolveTargets(github, config.targets, config.repositorySelection, tokenSource);
      const targets = resolved.targets.map(describeTarget);
      for (const note of resolved.notes) io.info(note);
      // GitHub's 500 content-creating requests an hour: said before the first write, in the log and the summary.
      const tooMany = hourlyLimitAdvice(targets.filter((target) => target.skipped === undefined).length * names.length);
      if (tooMany) io.warning(tooMany);
      const options = {
        ...(config.maxAgeMs === undefined ? {} : { maxAgeMs: config.maxAgeMs }),
        now,
        unchanging: [...unchanging],
        onDue,
        dryRun,
        tokenSource,
      };
      const fanOut = new Semaphore(FAN_OUT_WIDTH);
      const preparing = targets.map(async (target): Promise<PreparedDestination> => {
        await fanOut.enter();
        const prepared = await prepareTarget(github, target, names, options);
        return {
          afterReads: prepared,
          ready: isReadyToWrite(prepared),
          needsPassword: prepared.due.some(({ name }) => !unchanging.has(name)),
          write: (login, freshLogin) =>
            writeTarget(github, prepared, valuesFor(login), io, tokenSource, {
              fresh: async () => {
                const fresh = freshLogin ? await freshLogin() : login;
                return {
                  secrets: valuesFor(fresh),
                  ...(fresh ? { notAfter: fresh.requestedAt + LOGIN_FRESH_FOR_MS } : {}),
                };
              },
            }),
          dryRunResults: () => dryRunResults(prepared),
          release: () => fanOut.leave(),
        };
      });
      return {
        dueAtTargets: allDueAt(targets),
        notes: [...resolved.notes, ...(tooMany ? [tooMany] : [])],
        unchecked: uncheckedWrites(targets),
        preparing,
      };
    },
  };
}

/** A prepared target as a dry run tells it: what is known (skipped, failed), and each due secret as `planned`, with the settings its write would send. */
export function dryRunResults(prepared: PreparedTarget): SecretResult[] {
  return [
    ...prepared.results,
    ...prepared.due.map(({ name, settings }): SecretResult => {
      const detail = writeNotes(prepared, settings);
      return {
        target: prepared.target.label,
        secret: name,
        status: 'planned',
        takesEffect: settings.takesEffect,
        settings: settings.body,
        ...(detail ? { detail } : {}),
      };
    }),
    // A fresh secret whose selected repositories alone differ: a real run sets its list, and keeps its value.
    ...(prepared.repositoriesOnly ?? []).map((listOnly): SecretResult => ({
      target: prepared.target.label,
      secret: listOnly.name,
      status: 'planned',
      takesEffect: listOnly.settings.takesEffect,
      settings: { selected_repository_ids: listOnly.settings.body['selected_repository_ids'] },
      detail: repositoriesOnlyNotes(prepared, listOnly),
    })),
  ];
}

/**
 * What a dry run cannot prove of GitHub without writing: the write permission of each kind of target
 * (reading a public key needs read access only), and creating environments when create-environment may.
 */
export function uncheckedWrites(targets: readonly Target[]): string[] {
  const writes = [...new Set(targets.map((target) => target.permission))].map(
    (permission) => `Writing the secrets: ${permission}; reading the public key needs read access only.`,
  );
  const creating = [...new Set(targets.flatMap((target) => (target.missing?.allowed ? [target.missing] : [])))];
  const create = creating[0]
    ? [`Creating a missing environment (${creating[0].input}): ${creating[0].permission}.`]
    : [];
  return [...writes, ...create];
}
