import type { Config } from '../config.ts';
import { createGitHubClient, type Log } from '../github/client.ts';
import { describeTarget } from '../github/targets.ts';
import { isReadyToWrite, prepareTargets, writeTarget } from '../github/writer.ts';
import { awaitedLater } from '../overlap.ts';
import { libsodium } from '../seal.ts';
import { secretNames, secretValues, unchangingSecretNames, type SecretValue } from '../secrets.ts';
import type { PreparedDestination, Sink, SinkLogin } from './sink.ts';

type GitHubConfig = Pick<Config, 'github' | 'targets' | 'secretNames' | 'maxAgeMs'>;

/**
 * GitHub secrets (repository, environment, organisation), as the action writes them: per target, the
 * list (max-age, or whether the username is stored), the public key, then one sealed PUT per secret.
 */
export function githubSink(
  config: GitHubConfig,
  io: Log & { setSecret: (value: string) => void; warning: (message: string) => void },
): Sink {
  const targets = config.targets.map(describeTarget);
  const names = secretNames(config.secretNames);
  const unchanging = new Set(unchangingSecretNames(config.secretNames));
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
  return {
    plans: targets.map((target) => ({ target, due: names.map((name) => ({ name })), results: [] })),
    waitsForDue: config.maxAgeMs !== undefined,
    whileLoginInFlight: () => void awaitedLater(libsodium()),
    prepare: ({ now, onDue }) => {
      const github = createGitHubClient({ token: config.github.token, apiUrl: config.github.apiUrl, log: io });
      const preparing = prepareTargets(github, targets, names, {
        ...(config.maxAgeMs === undefined ? {} : { maxAgeMs: config.maxAgeMs }),
        now,
        unchanging: [...unchanging],
        onDue,
      });
      return preparing.map(async (preparingTarget): Promise<PreparedDestination> => {
        const prepared = await preparingTarget;
        return {
          plan: prepared,
          ready: isReadyToWrite(prepared),
          needsPassword: prepared.due.some(({ name }) => !unchanging.has(name)),
          write: (login) => writeTarget(github, prepared, valuesFor(login), io),
        };
      });
    },
  };
}
