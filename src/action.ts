import * as core from '@actions/core';
import { parseConfig, renderInputNames, type Config, type RunContext } from './config/index.ts';
import { isInputName } from './config/input-names.ts';
import { refresh, type EngineIo } from './run/engine.ts';
import { runnerEnvironmentProblems } from './net/environment.ts';
import { errorMessage } from './util/errors.ts';
import { actionsGitHub } from './github/client.ts';
import { githubSink } from './github/sink.ts';

/** The action's front door: inputs and the run's context into a Config, then the engine with the GitHub sink, reporting through `@actions/core`. */
export async function run(): Promise<void> {
  // The proxy variables and GITHUB_API_URL first: `@actions/github` reads them into URLs as it loads.
  const environment = runnerEnvironmentProblems(process.env);
  if (environment.length > 0) {
    core.setFailed(environment.join('\n'));
    return;
  }
  let config: Config;
  try {
    config = parseConfig((name) => core.getInput(name), process.env, runContext(await actionsGitHub()));
  } catch (error) {
    // Bad input: the message names the input and the fix, and nothing was asked of GitHub or AWS.
    core.setFailed(errorMessage(error));
    return;
  }
  const io = actionsIo();
  await refresh(config, [githubSink(config, io)], io);
}

/**
 * The engine's log, masks, outputs and summary, as the runner reads them. Every text it writes has
 * its input placeholders (`{aws-region}`) rendered in the action's words: the input's name.
 */
function actionsIo(): EngineIo {
  const words = (text: string) => renderInputNames(text, (name) => (isInputName(name) ? name : `{${name}}`));
  return {
    env: process.env,
    setSecret: (value) => core.setSecret(value),
    setOutput: (name, value) => core.setOutput(name, words(value)),
    summary: {
      addRaw: (text, addEOL) => core.summary.addRaw(words(text), addEOL),
      write: () => core.summary.write(),
    },
    info: (message) => core.info(words(message)),
    warning: (message) => core.warning(words(message)),
    debug: (message) => core.debug(words(message)),
    setFailed: (message) => core.setFailed(words(message)),
  };
}

/** The run as `@actions/github` reads it from the runner's environment. */
function runContext({ context }: Pick<Awaited<ReturnType<typeof actionsGitHub>>, 'context'>): RunContext {
  const repository = currentRepository(context);
  const number = (n: number) => (Number.isFinite(n) ? n : undefined);
  const runId = number(context.runId);
  const runAttempt = number(context.runAttempt);
  return {
    apiUrl: context.apiUrl,
    ...(repository ? { repository } : {}),
    ...(runId === undefined ? {} : { runId }),
    ...(runAttempt === undefined ? {} : { runAttempt }),
  };
}

/** `owner/name`, or undefined outside a repository's run (`context.repo` throws then). */
function currentRepository(context: { repo: { owner: string; repo: string } }): string | undefined {
  try {
    const { owner, repo } = context.repo;
    return `${owner}/${repo}`;
  } catch {
    return undefined;
  }
}
