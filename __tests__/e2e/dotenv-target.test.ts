import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Fakes } from '../fakes/index.ts';
import { runCommand } from '../fakes/run-command.ts';
import { issuedSecrets, setUp } from './helpers.ts';

/**
 * `--dotenv-file` naming something that is not a regular file. The file is written beside its path and
 * renamed over it, which replaces whatever is there: /dev/stdout run as root once became a 0600 file
 * holding the docker config, reported "updated", and a FIFO was replaced alike. Now the command refuses
 * such a target with exit 2 before any request (nothing minted, nothing written), and leaves it as it
 * was. Devices are not named directly here (a failing run as root would replace /dev/null): a symbolic
 * link to /dev/null stands for them, as only the link would be replaced.
 */

let fakes: Fakes & { roleArn: string };
beforeAll(async () => (fakes = await setUp()));
afterAll(async () => fakes.stop());

/** The command with keys the fake AWS knows, in `dir`, its output scanned for every secret. */
async function dotenvRun(dir: string, file: string, user?: { uid: number; gid: number }) {
  const keys = fakes.aws.addStaticKeys();
  const run = await runCommand(
    ['--aws-region', 'eu-west-1', '--dotenv-file', file],
    {
      AWS_ENDPOINT_URL_STS: fakes.env['AWS_ENDPOINT_URL_STS'] ?? '',
      AWS_ENDPOINT_URL_ECR: fakes.env['AWS_ENDPOINT_URL_ECR'] ?? '',
      AWS_ACCESS_KEY_ID: keys.accessKeyId,
      AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
    },
    dir,
    user,
  );
  const visible = `${run.stdout}\n${run.stderr}`;
  for (const secret of issuedSecrets(fakes, [keys.secretAccessKey]))
    expect(visible.includes(secret) ? `leaked: ${secret.slice(0, 6)}...` : 'not leaked').toBe('not leaked');
  return run;
}

function folderWith(make: (dir: string) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'ecr-dotenv-target-'));
  make(dir);
  return dir;
}

/** What is in `dir`, each entry with its kind, so that a replaced FIFO or link shows. */
function entries(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .sort()
    .map((name) => {
      const stats = lstatSync(join(dir, name));
      const kind = stats.isSymbolicLink() ? 'link' : stats.isFIFO() ? 'fifo' : stats.isDirectory() ? 'dir' : 'file';
      return `${name} ${kind}`;
    });
}

describe('--dotenv-file that cannot be written: exit 2 before any request, the target left as it was', () => {
  const cases: [string, (dir: string) => void, string, RegExp][] = [
    [
      'a FIFO',
      (dir) => execFileSync('mkfifo', [join(dir, 'auth.env')]),
      'auth.env',
      /^error: --dotenv-file: "auth\.env" is a pipe \(FIFO\), not a regular file, and writing the dotenv file would replace it\. Name a regular file/,
    ],
    [
      'a folder',
      (dir) => mkdirSync(join(dir, 'auth.env')),
      'auth.env',
      /^error: --dotenv-file: "auth\.env" is a folder, not a regular file/,
    ],
    [
      'a symbolic link to a FIFO',
      (dir) => {
        execFileSync('mkfifo', [join(dir, 'pipe')]);
        symlinkSync('pipe', join(dir, 'auth.env'));
      },
      'auth.env',
      /^error: --dotenv-file: "auth\.env" is a symbolic link to a pipe \(FIFO\), not a regular file/,
    ],
    [
      'a symbolic link to a character device (/dev/null)',
      (dir) => symlinkSync('/dev/null', join(dir, 'auth.env')),
      'auth.env',
      /^error: --dotenv-file: "auth\.env" is a symbolic link to a character device, not a regular file/,
    ],
    [
      'a file in a folder that does not exist',
      () => undefined,
      'missing/auth.env',
      /^error: --dotenv-file: the folder missing of "missing\/auth\.env" does not exist\. Name a file in an existing folder, or create the folder first/,
    ],
    [
      'a path ending in /',
      (dir) => mkdirSync(join(dir, 'out')),
      'out/',
      /^error: --dotenv-file: "out\/" names a folder, not a file\. Name a file in it, such as out\/auth\.env/,
    ],
  ];

  it.each(cases)('%s', async (_name, make, file, message) => {
    const dir = folderWith(make);
    const before = entries(dir);
    const seen = fakes.allRequests().length;
    const run = await dotenvRun(dir, file);
    expect(run.stderr).toMatch(message);
    expect(run.exitCode).toBe(2);
    expect(run.stdout).toBe('');
    expect(fakes.allRequests().length).toBe(seen);
    expect(entries(dir)).toEqual(before);
  });
});

describe('--dotenv-file naming a symbolic link to a regular file', () => {
  it('is written: the link is replaced by the dotenv file (mode 0600), the file it pointed to is untouched', async () => {
    const dir = folderWith((folder) => {
      writeFileSync(join(folder, 'elsewhere.env'), 'OLD=1\n');
      symlinkSync('elsewhere.env', join(folder, 'auth.env'));
    });
    const run = await dotenvRun(dir, 'auth.env');
    expect(run.stderr).not.toMatch(/error/);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/DOCKER_AUTH_CONFIG {2}updated/);
    const written = lstatSync(join(dir, 'auth.env'));
    expect(written.isFile()).toBe(true);
    expect(written.mode & 0o777).toBe(0o600);
    const line = readFileSync(join(dir, 'auth.env'), 'utf8');
    const config = JSON.parse(line.replace(/^DOCKER_AUTH_CONFIG=/, '')) as { auths: Record<string, { auth: string }> };
    const auth = Buffer.from(config.auths[fakes.aws.registry]?.auth ?? '', 'base64').toString('utf8');
    expect(auth).toBe(`AWS:${fakes.aws.lastLogin?.password}`);
    expect(readFileSync(join(dir, 'elsewhere.env'), 'utf8')).toBe('OLD=1\n');
  });
});

describe('--dotenv-file naming a file another user owns, in a folder with the sticky bit (such as /tmp)', () => {
  it('exit 2 before any request: only its owner may replace it there, and the rename would fail after the password was minted', async () => {
    // A root test runs the command as nobody beside root's file; otherwise the file is given to root with sudo, as .ci/run installs skopeo.
    const dir = folderWith((folder) => writeFileSync(join(folder, 'auth.env'), 'OLD=1\n', { mode: 0o644 }));
    chmodSync(dir, 0o1777);
    const root = process.getuid?.() === 0;
    if (!root) execFileSync('sudo', ['-n', 'chown', '0:0', join(dir, 'auth.env')]);
    const seen = fakes.allRequests().length;
    const run = await dotenvRun(dir, 'auth.env', root ? { uid: 65534, gid: 65534 } : undefined);
    expect(run.stderr).toMatch(
      /^error: --dotenv-file: "auth\.env" belongs to another user, in a folder with the sticky bit \(such as \/tmp\), where only its owner may replace it\./,
    );
    expect(run.exitCode).toBe(2);
    expect(fakes.allRequests().length).toBe(seen);
    expect(readFileSync(join(dir, 'auth.env'), 'utf8')).toBe('OLD=1\n');
  });
});
