import { open, rename, rm, stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import type { EcrLogin } from '../aws/ecr.ts';
import { errorMessage } from '../errors.ts';
import type { SecretResult } from '../github/writer.ts';
import { dockerConfigJson, ECR_USERNAME } from '../secrets.ts';
import { alwaysDue, type Sink } from './sink.ts';

export interface DotenvSettings {
  path: string;
  /** The name of each value written: the docker config always, the password and username when asked. */
  names: { dockerConfig: string; password?: string; username?: string };
}

/** The variables of the file, in order, from the login. */
function entries({ names }: DotenvSettings, login: EcrLogin): { name: string; value: string }[] {
  return [
    { name: names.dockerConfig, value: dockerConfigJson([login]) },
    ...(names.password ? [{ name: names.password, value: login.password }] : []),
    ...(names.username ? [{ name: names.username, value: ECR_USERNAME }] : []),
  ];
}

/**
 * A dotenv file for GitLab's `artifacts: reports: dotenv`: one `NAME=value` line per value, the docker
 * config on one line, created with mode 0600 and never printed. One destination, always due.
 */
export function dotenvSink(settings: DotenvSettings, setSecret: (value: string) => void): Sink {
  const target = { label: `dotenv file ${settings.path}`, takesEffect: 'the jobs that receive the dotenv report' };
  const names = [settings.names.dockerConfig, settings.names.password, settings.names.username].filter(
    (name): name is string => Boolean(name),
  );
  const plan = { target, due: names.map((name) => ({ name })), results: [] };
  const result = (secret: string, status: SecretResult['status'], detail?: string): SecretResult => ({
    target: target.label,
    secret,
    status,
    takesEffect: target.takesEffect,
    ...(detail ? { detail } : {}),
  });
  return {
    plans: [plan],
    waitsForDue: false,
    prepare: ({ onDue }) => {
      onDue();
      return [
        alwaysDue(plan, async (login) => {
          if (!login)
            return names.map((name) => result(name, 'failed', 'no ECR login was made; please report this bug'));
          const values = entries(settings, login);
          setSecret(values[0]?.value ?? '');
          try {
            const existed = await exists(settings.path);
            await writePrivateFile(settings.path, values.map(({ name, value }) => `${name}=${value}\n`).join(''));
            return values.map(({ name }) => result(name, existed ? 'updated' : 'created'));
          } catch (error) {
            return values.map(({ name }) => result(name, 'failed', errorMessage(error)));
          }
        }),
      ];
    },
  };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Writes `text` to a new file beside `path`, created exclusively with mode 0600, then renamed over
 * `path`: a reader never sees half a file, and a file already there ends up 0600 whatever its mode was.
 */
async function writePrivateFile(path: string, text: string): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const file = await open(temporary, 'wx', 0o600);
    try {
      await file.chmod(0o600);
      await file.writeFile(text, 'utf8');
    } finally {
      await file.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    const { code } = error as { code?: string };
    throw new Error(
      `could not write the dotenv file ${path} (${code ?? errorMessage(error)}): check that its folder exists and is writable.`,
      { cause: error },
    );
  }
}
