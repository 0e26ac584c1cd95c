import { stat } from 'node:fs/promises';
import { errorMessage } from '../util/errors.ts';
import { writeDotenvFile, type DotenvEntry } from './dotenv.ts';
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
