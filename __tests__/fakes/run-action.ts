/**
 * The runner emulation: `runAction(inputs, env)` runs `dist/index.js` with the `node` devDependency's
 * node 24 (`NODE_24`), in a fresh home and temp folder, with an environment built from scratch
 * (nothing of the machine's AWS or GitHub settings leaks in) as the runner builds it: every input
 * `action.yml` declares as `INPUT_*`, a `with:` value as given, else its `default:` evaluated as an
 * expression by GitHub's own engine (`@actions/expressions`) against a `github` context emulated from
 * the same environment, else `""`. An input `action.yml` does not declare throws (the runner would
 * only warn). It returns the exit code, stdout and stderr, the outputs parsed from `GITHUB_OUTPUT`,
 * the summary, the decoded `::error::` lines and every file left behind. `prepareStep` gives the same
 * environment without running it (the benchmark times its own runs). `readActionYml` reads
 * `action.yml` strictly, as the runner does.
 *
 * Its own fidelity: `runner-emulation.test.ts`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { data, Evaluator, Lexer, Parser } from '@actions/expressions';
import { readActionYml, type ActionMetadata } from './action-yml.ts';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
export const ACTION_ENTRY = join(root, 'dist', 'index.js');
/** node 24 from the `node` devDependency: the runtime `runs.using: node24` gets on GitHub, whatever node runs the tests. */
export const NODE_24 = join(root, 'node_modules', '.bin', 'node');

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
 * A step's `with:` block: input name to value. An input set to `undefined` is left out of `with:`
 * entirely, so that action.yml's default serves, as it does for a user who does not set it.
 */
export type WithInputs = Record<string, string | undefined>;

/**
 * Runs the bundled action as the runner does: a fresh `node dist/index.js` (node 24, as
 * `runs.using` asks) with every input action.yml declares in `INPUT_*`, defaults evaluated from
 * the emulated `github` context, and `GITHUB_OUTPUT` / `GITHUB_STEP_SUMMARY` files. The environment
 * is built from scratch so that no AWS or GitHub setting of the machine running the tests can leak in.
 */
export async function runAction(inputs: WithInputs, env: Record<string, string>, node = NODE_24): Promise<ActionRun> {
  const step = prepareStep(inputs, env);
  try {
    const child = spawn(node, [ACTION_ENTRY], { env: step.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const exitCode = await new Promise<number | null>((done, fail) => {
      child.on('error', fail);
      child.on('close', done);
    });
    return {
      exitCode,
      stdout,
      stderr,
      outputs: parseOutputFile(readFileSync(step.outputFile, 'utf8')),
      summary: readFileSync(step.summaryFile, 'utf8'),
      errors: stdout
        .split('\n')
        .filter((line) => line.startsWith('::error'))
        .map((line) => decodeCommand(line.slice(line.indexOf('::', 2) + 2))),
      files: readdirSync(step.home, { recursive: true, encoding: 'utf8' }).sort(),
    };
  } finally {
    step.remove();
  }
}

/** A step ready to start: its environment, its home with empty output and summary files, and how to remove it all. */
export interface PreparedStep {
  env: Record<string, string>;
  home: string;
  outputFile: string;
  summaryFile: string;
  remove: () => void;
}

/**
 * The step's environment as the runner builds it (also for bench/startup.ts, which spawns the
 * action itself to time it): fresh home and temp folder, the runner's variables, `env` on top,
 * then the `INPUT_*` of every input action.yml declares.
 */
export function prepareStep(inputs: WithInputs, env: Record<string, string>): PreparedStep {
  const dir = mkdtempSync(join(tmpdir(), 'ecr-secret-refresh-'));
  // The runner's own files (the event payload) live outside the step's home, as under `_temp/_github_workflow`.
  const runnerDir = mkdtempSync(join(tmpdir(), 'ecr-secret-refresh-runner-'));
  const remove = () => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(runnerDir, { recursive: true, force: true });
  };
  const outputFile = join(dir, 'output');
  const summaryFile = join(dir, 'summary');
  const eventFile = join(runnerDir, 'event.json');
  writeFileSync(outputFile, '');
  writeFileSync(summaryFile, '');
  writeFileSync(eventFile, '{}');
  const runnerEnv: Record<string, string> = {
    PATH: process.env['PATH'] ?? '',
    HOME: dir,
    RUNNER_TEMP: dir,
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_API_URL: 'https://api.github.com',
    GITHUB_GRAPHQL_URL: 'https://api.github.com/graphql',
    GITHUB_REPOSITORY: 'octo/app',
    GITHUB_REPOSITORY_OWNER: 'octo',
    GITHUB_RUN_ID: '4242',
    GITHUB_RUN_NUMBER: '7',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_WORKFLOW: 'Refresh ECR password',
    GITHUB_EVENT_NAME: 'workflow_dispatch',
    GITHUB_EVENT_PATH: eventFile,
    GITHUB_ACTOR: 'octocat',
    GITHUB_REF: 'refs/heads/main',
    GITHUB_SHA: '0000000000000000000000000000000000000000',
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    // Keep the SDK's default chain on this machine: no shared files, no instance metadata service.
    AWS_CONFIG_FILE: join(dir, 'aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    ...env,
  };
  try {
    const childEnv = { ...runnerEnv, ...inputEnvironment(readActionYml(), inputs, emulatedContexts(runnerEnv)) };
    return { env: childEnv, home: dir, outputFile, summaryFile, remove };
  } catch (error) {
    remove();
    throw error;
  }
}

/**
 * `INPUT_*` as the runner builds them (actions/runner, src/Runner.Worker/ActionRunner.cs and
 * ActionManifestManager.cs): each `with:` value as given, never trimmed; every declared input
 * missing from `with:` gets its `default:` evaluated as an expression template, or "" when it has
 * none (`required: true` is not enforced by the runner); then Handler.AddInputsToEnvironment names
 * each `INPUT_` + the name with spaces as `_`, upper-cased, hyphens kept. The runner only warns
 * "Unexpected input(s)" for a name action.yml does not declare; here that is a bug in the test or
 * in action.yml, so it throws.
 */
export function inputEnvironment(
  metadata: ActionMetadata,
  inputs: WithInputs,
  contexts: data.Dictionary,
): Record<string, string> {
  const declared = new Map(Object.keys(metadata.inputs).map((name) => [name.toLowerCase(), name]));
  const given = Object.entries(inputs).filter((entry): entry is [string, string] => entry[1] !== undefined);
  const unexpected = given.map(([name]) => name).filter((name) => !declared.has(name.toLowerCase()));
  if (unexpected.length > 0) {
    throw new Error(
      `Unexpected input(s) '${unexpected.join("', '")}', valid inputs are ['${Object.keys(metadata.inputs).join("', '")}']`,
    );
  }
  // The runner matches `with:` keys to declared names ignoring case.
  const values = new Map(given.map(([name, value]) => [name.toLowerCase(), value]));
  const environment: Record<string, string> = {};
  for (const [key, name] of declared) {
    const value = values.get(key) ?? evaluateTemplate(metadata.inputs[name]?.default ?? '', contexts);
    environment[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  }
  return environment;
}

/**
 * The contexts an input default may read (`github`, `runner`, ...), built from the environment
 * the step gets, as the runner derives one from the other: `github.<key>` is `GITHUB_<KEY>`
 * (GitHubContext's environment allow-list), plus `github.token`, which the runner never exports.
 */
export function emulatedContexts(env: Record<string, string>, token = 'ghs_emulated_job_token'): data.Dictionary {
  const fromPrefix = (prefix: string) =>
    Object.fromEntries(
      Object.entries(env)
        .filter(([name]) => name.startsWith(prefix))
        .map(([name, value]) => [name.slice(prefix.length).toLowerCase(), value]),
    );
  const contexts = {
    github: { ...fromPrefix('GITHUB_'), token },
    runner: fromPrefix('RUNNER_'),
    job: {},
    strategy: {},
    matrix: {},
  };
  return JSON.parse(JSON.stringify(contexts), data.reviver) as data.Dictionary;
}

/**
 * A YAML scalar as an expression template: literal text with `${{ expression }}` parts, each
 * evaluated by GitHub's own expression engine (`@actions/expressions`) and joined as strings.
 */
export function evaluateTemplate(template: string, contexts: data.Dictionary): string {
  return template.replace(/\$\{\{(.*?)\}\}/gs, (_, expression: string) => {
    const { tokens } = new Lexer(expression).lex();
    const names = contexts.pairs().map((pair) => pair.key);
    return new Evaluator(new Parser(tokens, names, []).parse(), contexts).evaluate().coerceString();
  });
}

/** Output names the action wrote that action.yml does not declare: invisible in the Marketplace and to linters. */
export function undeclaredOutputs(run: ActionRun, metadata = readActionYml()): string[] {
  return Object.keys(run.outputs).filter((name) => !(name in metadata.outputs));
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
