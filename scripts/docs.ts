/**
 * Rewrites the README's inputs and outputs tables from action.yml, the one source of truth for
 * what each input and output means, and the command's flags table in docs/command-line.md from
 * src/cli/flags.ts:
 *
 *   npm run docs           # rewrite README.md and docs/command-line.md
 *   npm run docs -- --check  # exit 1, saying so, when either differs from what it would write
 *
 * The tables sit between marker comments (`<!-- inputs:start -->` ... `<!-- inputs:end -->`, the
 * same for outputs and flags); everything outside them is left as it is. __tests__/docs/readme.test.ts
 * fails when a page differs, so CI does.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readActionYml, type ActionMetadata } from '../__tests__/fakes/action-yml.ts';
import { flagSpecs, NOT_FLAGS } from '../src/cli/flags.ts';
import { inputEntries } from './inputs-table.ts';

const root = resolve(fileURLToPath(import.meta.url), '../..');
export const README = join(root, 'README.md');
export const COMMAND_LINE = join(root, 'docs', 'command-line.md');

/** The inputs table: name, default (or "required"), description, in action.yml's order. */
export function inputsTable({ inputs }: ActionMetadata): string {
  const rows = Object.entries(inputs).map(([name, input]) => {
    const byDefault = input.required ? 'required' : input.default === undefined ? '' : code(input.default);
    return `| \`${name}\` | ${byDefault} | ${cell(input.description)} |`;
  });
  return ['| input | default | description |', '| --- | --- | --- |', ...rows].join('\n');
}

export function outputsTable({ outputs }: ActionMetadata): string {
  const rows = Object.entries(outputs).map(([name, output]) => `| \`${name}\` | ${cell(output.description)} |`);
  return ['| output | description |', '| --- | --- |', ...rows].join('\n');
}

/**
 * The command's flags table, from the same list the command reads (src/cli/flags.ts: a flag per
 * action input, but the secret ones, then the command's own), so that it cannot drift from --help.
 */
export function flagsTable(metadata: ActionMetadata): string {
  const rows = flagSpecs(inputEntries(metadata)).map(({ name, input, type, list, description, byDefault }) => {
    const value = type === 'string' ? ` <value>${list ? ' (repeatable)' : ''}` : '';
    const meaning = input ? `the input [\`${input}\`](../README.md#inputs)` : cell(description);
    return `| \`--${name}${value}\` | ${byDefault ? code(byDefault) : ''} | ${meaning} |`;
  });
  const environment = Object.entries(NOT_FLAGS).map(
    ([input, source]) => `| \`${input}\` (no flag) | | ${cell(source)} |`,
  );
  return ['| flag | default | meaning |', '| --- | --- | --- |', ...rows, ...environment].join('\n');
}

/** The README with each generated block replaced; throws when a marker is missing or out of order. */
export function renderReadme(readme: string, metadata: ActionMetadata = readActionYml()): string {
  const blocks = { inputs: inputsTable(metadata), outputs: outputsTable(metadata) };
  return Object.entries(blocks).reduce((text, [name, table]) => replaceBetween(text, name, table), readme);
}

/** docs/command-line.md with its flags table replaced. */
export function renderCommandLine(page: string, metadata: ActionMetadata = readActionYml()): string {
  return replaceBetween(page, 'flags', flagsTable(metadata));
}

function replaceBetween(text: string, name: string, content: string): string {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from === -1 || to < from || text.indexOf(start, from + 1) !== -1) {
    throw new Error(`The page needs exactly one "${start}" followed by "${end}" around the ${name} table.`);
  }
  return `${text.slice(0, from + start.length)}\n${content}\n${text.slice(to)}`;
}

/** A description as one table cell: one line, pipes escaped (GitHub's tables split on them, code spans included). */
function cell(text: string): string {
  return text
    .trim()
    .replace(/\s*\n\s*/g, ' ')
    .replace(/\|/g, '\\|');
}

function code(text: string): string {
  // A default holding a backquote (`${{ ... }}` does not) would need a longer fence.
  return text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const pages = [
    { file: README, name: 'README.md', render: renderReadme },
    { file: COMMAND_LINE, name: 'docs/command-line.md', render: renderCommandLine },
  ];
  let differs = false;
  for (const { file, name, render } of pages) {
    const current = readFileSync(file, 'utf8');
    const wanted = render(current);
    if (current === wanted) console.log(`${name}: generated tables already match action.yml and src/cli/flags.ts.`);
    else if (process.argv.includes('--check')) {
      console.error(
        `${name}: a generated table differs from action.yml or src/cli/flags.ts. Run \`npm run docs\` and commit it.`,
      );
      differs = true;
    } else {
      writeFileSync(file, wanted);
      console.log(`${name}: generated tables rewritten from action.yml and src/cli/flags.ts.`);
    }
  }
  if (differs) process.exit(1);
}
