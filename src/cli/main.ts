#!/usr/bin/env node
import { refresh } from '../run/engine.ts';
import { runnerEnvironmentProblems } from '../net/environment.ts';
import { errorMessage } from '../util/errors.ts';
import { flagSpecs, helpText, parseFlags, UsageError } from './flags.ts';
import { readCommandLine, type CommandRequest } from './options.ts';
import { terminalIo } from './terminal.ts';
import { dotenvTargetProblem } from '../gitlab/dotenv.ts';
import { dotenvSink } from '../gitlab/dotenv-sink.ts';
import { githubSink } from '../github/sink.ts';
import { gitlabSink } from '../gitlab/variables-sink.ts';
import type { Sink } from '../run/sink.ts';
import { VERSION } from '../util/version.ts';

/** Exit codes: 0 done, 1 the run failed (the report says what to do), 2 bad usage (nothing was asked or written). */
const EXIT = { done: 0, failed: 1, usage: 2 } as const;

/** The command's front door: flags into a request (what the command line asks for), the sinks it names, the engine, an exit code. Wiring only. */
async function main(argv: readonly string[]): Promise<number> {
  const specs = flagSpecs();
  let request: CommandRequest;
  try {
    const flags = parseFlags(argv, specs);
    if (flags.has('help')) return print(helpText(specs), EXIT.done);
    if (flags.has('version')) return print(`ecr-secret-refresh ${VERSION}\n`, EXIT.done);
    // Before anything reads them into URLs (`@actions/github` as it loads, the proxy agents).
    const environment = runnerEnvironmentProblems(process.env);
    if (environment.length > 0) throw new UsageError(environment.join('\nerror: '));
    request = readCommandLine(flags, process.env, specs);
    // Before any request: a password minted for a file that cannot be written would be wasted, or worse.
    const dotenvProblem = request.dotenv && dotenvTargetProblem(request.dotenv.path);
    if (dotenvProblem) throw new UsageError(`--dotenv-file: ${dotenvProblem}.`);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`error: ${error.message}\n`);
    return EXIT.usage;
  }
  Object.assign(process.env, request.sdkEnv);
  const io = terminalIo({
    env: process.env,
    output: request.output,
    verbose: request.verbose,
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    inputName: (input) => (specs.some((spec) => spec.input === input) ? `--${input}` : `{${input}}`),
  });
  for (const secret of request.secrets) io.setSecret(secret);
  for (const note of request.notes) io.info(note);
  const sinks: Sink[] = [
    ...(request.github ? [githubSink(request.github, io)] : []),
    ...(request.dotenv ? [dotenvSink(request.dotenv, io.setSecret)] : []),
    ...(request.gitlab ? [gitlabSink(request.gitlab, io.setSecret)] : []),
  ];
  await refresh({ ...request.aws, dryRun: request.dryRun }, sinks, io);
  return io.failed() ? EXIT.failed : EXIT.done;
}

function print(text: string, code: number): number {
  process.stdout.write(text);
  return code;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    // A bug, not a refusal: the message, never a stack with values in it.
    process.stderr.write(`error: ${errorMessage(error)}\n`);
    process.exitCode = EXIT.failed;
  },
);
