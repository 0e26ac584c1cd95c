import { stat } from 'node:fs/promises';
import { errorMessage } from '../util/errors.ts';
import type { RegistrySpec } from '../aws/registry.ts';
import { GITLAB_DOTENV_MAX_BYTES, writeDotenvFile, type DotenvEntry } from './dotenv.ts';
import { ECR_USERNAME, loginDockerConfig } from '../run/secret-kinds.ts';
import { oneDestinationSink, type Sink, type SinkLogin } from '../run/sink.ts';

export interface DotenvSettings {
  path: string;
  /** The name of each value written: the docker config unless left out, the password and username when asked. */
  names: { dockerConfig?: string; password?: string; username?: string };
}

/** The variables of the file, in order, from the login. */
function entries({ names }: DotenvSettings, login: SinkLogin): DotenvEntry[] {
  return [
    ...(names.dockerConfig ? [{ name: names.dockerConfig, value: loginDockerConfig(login) }] : []),
    ...(names.password ? [{ name: names.password, value: login.password }] : []),
    ...(names.username ? [{ name: names.username, value: ECR_USERNAME }] : []),
  ];
}

/**
 * A dotenv file for GitLab's `artifacts: reports: dotenv` (written by gitlab/dotenv.ts: GitLab's rules
 * checked first, mode 0600, never printed). One destination, always due.
 */
export function dotenvSink(settings: DotenvSettings, setSecret: (value: string) => void): Sink {
  const target = { label: `dotenv file ${settings.path}`, takesEffect: 'the jobs that receive the dotenv report' };
  const names = [settings.names.dockerConfig, settings.names.password, settings.names.username].filter(
    (name): name is string => Boolean(name),
  );
  return oneDestinationSink(target, names, async (login, result) => {
    const values = entries(settings, login);
    // The docker config is masked like the password (ecr.ts masks that one): neither may reach the log.
    if (settings.names.dockerConfig) setSecret(values[0]?.value ?? '');
    try {
      const existed = await stat(settings.path).then(
        () => true,
        () => false,
      );
      await writeDotenvFile(settings.path, values);
      return values.map(({ name }) => result(name, existed ? 'updated' : 'created'));
    } catch (error) {
      return values.map(({ name }) => result(name, 'failed', errorMessage(error)));
    }
  });
}

/**
 * Why the dotenv file's docker config cannot hold the registries of `registry`, checked before any
 * AWS request as GitLab's 10,000 characters are for a variable (variables-sink.ts): one registry's
 * entry takes about 3.4 KB, so a second passes GitLab's 5,120 bytes for a dotenv report. Undefined
 * when the file holds no docker config, or the registry is the login's own alone.
 */
export function dotenvRegistriesProblem(registry: RegistrySpec, settings: DotenvSettings): string | undefined {
  const accounts = registry.type === 'private' ? registry.accounts.length : 0;
  if (accounts === 0 || !settings.names.dockerConfig) return undefined;
  return `--registries: it lists ${accounts} account${accounts > 1 ? 's' : ''}, and the docker config of a dotenv file fits none beside the login's own: each adds an entry of up to 3.8 KB (an ECR password runs to 2,700 characters), and GitLab takes a dotenv report under ${GITLAB_DOTENV_MAX_BYTES} bytes. Remove --registries, or add --no-dotenv-docker-config to write the password alone.`;
}
