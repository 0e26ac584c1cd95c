import type { InputName } from './input-names.ts';

/**
 * What every part of the config shares: how inputs are read, and how a problem is collected and
 * worded. Each part (aws.ts, github.ts, targets.ts, secrets.ts) reads its inputs through `read` and
 * reports through `report`; index.ts composes them.
 */

/** Reads one input by its name in action.yml; `core.getInput` in the action, a plain map in tests. */
export type InputReader = (name: string) => string;

/** What the run knows about itself: `@actions/github`'s `context` in the action. */
export interface RunContext {
  /** `owner/name` of the repository the workflow runs in, when there is one. */
  repository?: string;
  runId?: number;
  runAttempt?: number;
  /** The runner's GitHub REST API, for when github-api-url is empty. */
  apiUrl: string;
}

/**
 * One wrong input: which one, what is wrong, and what to do. `problem` and `fix` name inputs through
 * placeholders, `{max-age}`, which each front door renders in its own words (`renderInputNames`): the
 * action's input name, the command's `--max-age`.
 */
export interface InputProblem {
  input: InputName;
  problem: string;
  fix: string;
}

/** Each placeholder (`{max-age}`) of a problem's text replaced by what `name` calls that input. */
export function renderInputNames(text: string, name: (input: string) => string): string {
  return text.replace(/\{([a-z][a-z0-9]*(?:-[a-z0-9]+)*)\}/g, (_placeholder, input: string) => name(input));
}

export class ConfigError extends Error {
  readonly problems: InputProblem[];
  constructor(problems: InputProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** The action's words: `Input 'max-age': ...`, each placeholder the input's own name. */
export function formatProblem({ input, problem, fix }: InputProblem): string {
  const render = (text: string) => renderInputNames(text, (name) => name);
  return `Input '${input}': ${render(problem)}. ${render(fix)}`;
}

export type Report = (input: InputName, problem: string, fix: string) => void;
export type Read = (name: InputName) => string;

/** Inputs read trimmed, and every mistake collected, so that one run shows them all. */
export function inputChecker(readInput: InputReader): { problems: InputProblem[]; read: Read; report: Report } {
  const problems: InputProblem[] = [];
  return {
    problems,
    read: (name) => readInput(name).trim(),
    report: (input, problem, fix) => void problems.push({ input, problem, fix }),
  };
}

/**
 * A boolean input as `core.getBooleanInput` reads it (YAML 1.2 core schema: true, True, TRUE, false,
 * False, FALSE), empty meaning false. Anything else is a mistake, never quietly false: `dry-run: yes`
 * read as false would write.
 */
export function parseBoolean(read: Read, input: InputName, report: Report): boolean {
  const text = read(input);
  if (text === '' || ['false', 'False', 'FALSE'].includes(text)) return false;
  if (['true', 'True', 'TRUE'].includes(text)) return true;
  report(input, `"${text}" is not a boolean`, 'Use true or false (True, TRUE, False and FALSE are accepted too).');
  return false;
}

/** Splits a list input on newlines and commas, as actions/create-github-app-token does. */
export function splitList(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}
