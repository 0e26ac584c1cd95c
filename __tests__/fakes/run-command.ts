import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_24 } from './run-action.ts';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
/** The bundled command, as package.json's `bin` names it. */
export const COMMAND_ENTRY = join(root, 'dist', 'cli', 'index.js');

export interface CommandRun {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** The working folder the command ran in (its home and temp folder too). */
  dir: string;
  /** Every file left in that folder after the run, sorted. */
  files: string[];
}

/**
 * Runs `node dist/cli/index.js ...args` on node 24 in a fresh folder (its working folder, home and
 * temp folder), with an environment built from scratch: nothing of the machine's AWS, GitHub or GitLab
 * settings leaks in. `dir` may be given to run in a folder prepared beforehand (a token file, an old dotenv file),
 * and `user` to run as another user (a test run as root).
 */
export async function runCommand(
  args: readonly string[],
  env: Record<string, string>,
  dir = mkdtempSync(join(tmpdir(), 'ecr-cli-')),
  user?: { uid: number; gid: number },
): Promise<CommandRun> {
  const childEnv = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir, TMPDIR: dir, ...env };
  const child = spawn(NODE_24, [COMMAND_ENTRY, ...args], {
    cwd: dir,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...user,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exitCode = await new Promise<number | null>((done, fail) => {
    child.on('error', fail);
    child.on('close', done);
  });
  return { exitCode, stdout, stderr, dir, files: readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort() };
}
