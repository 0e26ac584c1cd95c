import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
export const ACTION_YML = join(root, 'action.yml');

export interface ActionInput {
  description: string;
  required: boolean;
  /** The text of `default:`, expressions (`${{ github.api_url }}`) not yet evaluated. */
  default?: string;
}

/** What the tests need of action.yml: the declared inputs and outputs and how it runs. */
export interface ActionMetadata {
  inputs: Record<string, ActionInput>;
  outputs: Record<string, { description: string }>;
  runs: { using: string; main: string };
}

/**
 * Reads action.yml strictly: any YAML error or warning (a plain scalar holding `: `, a duplicate
 * key, an unknown tag) throws, naming the line. The runner refuses such a file before the step
 * starts ("Failed to load ...action.yml"), so no test may run against it.
 */
export function readActionYml(text = readFileSync(ACTION_YML, 'utf8')): ActionMetadata {
  const document = parseDocument(text, { strict: true, uniqueKeys: true, prettyErrors: true });
  const problems = [...document.errors, ...document.warnings];
  if (problems.length > 0)
    throw new Error(`action.yml is not valid YAML:\n${problems.map((p) => p.message).join('\n')}`);
  const parsed = document.toJS() as {
    inputs?: Record<string, { description?: unknown; required?: unknown; default?: unknown }>;
    outputs?: Record<string, { description?: unknown }>;
    runs?: { using?: unknown; main?: unknown };
  };
  const inputs: Record<string, ActionInput> = {};
  for (const [name, input] of Object.entries(parsed.inputs ?? {})) {
    inputs[name] = {
      description: scalarText(input.description, `inputs.${name}.description`),
      required: input.required === true || input.required === 'true',
      ...(input.default === undefined || input.default === null
        ? {}
        : { default: scalarText(input.default, `inputs.${name}.default`) }),
    };
  }
  const outputs = Object.fromEntries(
    Object.entries(parsed.outputs ?? {}).map(([name, output]) => [
      name,
      { description: scalarText(output.description, `outputs.${name}.description`) },
    ]),
  );
  return {
    inputs,
    outputs,
    runs: { using: scalarText(parsed.runs?.using, 'runs.using'), main: scalarText(parsed.runs?.main, 'runs.main') },
  };
}

/** A scalar's text as the runner reads it (absent is empty); a mapping or list where text belongs is a mistake. */
function scalarText(value: unknown, key: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new Error(`action.yml: ${key} must be text, not a mapping or a list.`);
}
