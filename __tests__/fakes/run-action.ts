import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
export const ACTION_ENTRY = join(root, 'dist', 'index.js');

export interface ActionRun {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  /** `::error::` lines, decoded. */
  errors: string[];
  /** Every file left in the run's home and temp folder, the output and summary files included. */
  files: string[];
}

/**
 * Runs the bundled action as the runner does: a fresh `node dist/index.js` with inputs in
 * `INPUT_*`, and `GITHUB_OUTPUT` / `GITHUB_STEP_SUMMARY` files. The environment is built from
 * scratch so that no AWS or GitHub setting of the machine running the tests can leak in.
 */
export async function runAction(inputs: Record<string, string>, env: Record<string, string>, node = process.execPath): Promise<ActionRun> {
  const dir = mkdtempSync(join(tmpdir(), 'ecr-secret-refresh-'));
  const outputFile = join(dir, 'output');
  const summaryFile = join(dir, 'summary');
  writeFileSync(outputFile, '');
  writeFileSync(summaryFile, '');
  const inputEnv = Object.fromEntries(Object.entries(inputs).map(([name, value]) => [`INPUT_${name.replace(/ /g, '_').toUpperCase()}`, value]));
  const childEnv: Record<string, string> = {
    PATH: process.env['PATH'] ?? '',
    HOME: dir,
    RUNNER_TEMP: dir,
    GITHUB_ACTIONS: 'true',
    GITHUB_REPOSITORY: 'octo/app',
    GITHUB_RUN_ID: '4242',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    // Keep the SDK's default chain on this machine: no shared files, no instance metadata service.
    AWS_CONFIG_FILE: join(dir, 'aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    ...env,
    ...inputEnv,
  };
  try {
    const child = spawn(node, [ACTION_ENTRY], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const exitCode = await new Promise<number | null>((done) => child.on('close', done));
    return {
      exitCode,
      stdout,
      stderr,
      outputs: parseOutputFile(readFileSync(outputFile, 'utf8')),
      summary: readFileSync(summaryFile, 'utf8'),
      errors: stdout
        .split('\n')
        .filter((line) => line.startsWith('::error'))
        .map((line) => decodeCommand(line.slice(line.indexOf('::', 2) + 2))),
      files: readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort(),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `name<<DELIMITER\nvalue\nDELIMITER` blocks, as `core.setOutput` writes them. */
function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const pattern = /^([^\n<]+)<<(\S+)\n([\s\S]*?)\n\2$/gm;
  for (const [, name, , value] of text.matchAll(pattern)) outputs[name as string] = value as string;
  return outputs;
}

function decodeCommand(text: string): string {
  return text.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
}
