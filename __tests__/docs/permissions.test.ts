/**
 * The token permissions are written in one place: the table under "GitHub: the writing token" in
 * README.md. Every other page, SECURITY.md, CONTRIBUTING.md, examples/ and action.yml's descriptions
 * link to it; a second copy drifts (SECURITY.md's once lacked Administration), so a test finds it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { sourceFiles } from '../source-files.ts';
import { ROOT } from './messages.ts';
import { readPage, readReadme, section, tableRows, userPages } from './readme.ts';

const TABLE_SECTION = 'GitHub: the writing token';

/** The README's table: its rows, and the permissions it names in bold. */
function permissionsTable(readme: string): { rows: string[][]; names: string[] } {
  const rows = tableRows(section(readme, TABLE_SECTION, 3));
  const names = [...new Set(rows.flatMap((row) => [...(row[1] ?? '').matchAll(/\*\*([^*]+)\*\*/g)].map((m) => m[1]!)))];
  return { rows, names };
}

/** The permissions src/ names in its messages, such as `'Dependabot secrets: Read and write'`. */
function permissionsInSource(): string[] {
  const names = sourceFiles(join(ROOT, 'src')).flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/'([A-Z][A-Za-z ]*): Read(?: and write)?'/g)].map((m) => m[1]!),
  );
  return [...new Set(names)].sort();
}

/**
 * The places in a text that write a permission out again: a permission of the table named as one
 * ("permission **Secrets**", `permission "Secrets`, "Secrets: Read and write"), or a table row with
 * a classic scope. Code spans are left out: they quote the action's messages, which name the
 * permission a refused token lacks.
 */
export function copiesIn(text: string, names: readonly string[]): string[] {
  const original = text.split('\n');
  const prose = text.replace(/`[^`\n]*`/g, '').split('\n');
  return prose.flatMap((line, index) => {
    const named = names.some((name) => {
      const n = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      return new RegExp(
        `permissions?\\s+(?:\\*\\*|"|')?${n}\\b|\\b${n}(?:\\*\\*|"|')?\\s*:\\s*(?:\\*\\*)?read`,
        'i',
      ).test(line);
    });
    const scopeRow = line.startsWith('|') && /\badmin:org\b/.test(original[index] ?? '');
    return named || scopeRow ? [line.trim().slice(0, 160)] : [];
  });
}

function markdownUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? markdownUnder(`${dir}/${entry.name}`)
      : entry.name.endsWith('.md')
        ? [`${dir}/${entry.name}`]
        : [],
  );
}

describe('the token permissions: one table, linked from everywhere else', () => {
  const readme = readReadme();
  const { rows, names } = permissionsTable(readme);

  it('the table names every permission the action asks for in its messages, and each classic scope', () => {
    expect(permissionsInSource()).toEqual([
      'Administration',
      'Codespaces secrets',
      'Dependabot secrets',
      'Environments',
      'Metadata',
      'Organization codespaces secrets',
      'Organization dependabot secrets',
      'Secrets',
    ]);
    expect([...names].sort()).toEqual(permissionsInSource());
    expect(rows.map((row) => row[3])).toEqual(expect.arrayContaining(['`repo`', '`admin:org`']));
  });

  it('no page, example or action.yml description writes them out again', () => {
    const withoutTable = readme.replace(section(readme, TABLE_SECTION, 3), '');
    const pages = [...userPages().filter((page) => page !== 'README.md'), 'SECURITY.md', 'CONTRIBUTING.md'];
    const copies = [
      ...copiesIn(withoutTable, names).map((line) => `README.md: ${line}`),
      ...[...pages, ...markdownUnder('examples')].flatMap((page) =>
        copiesIn(readPage(page), names).map((line) => `${page}: ${line}`),
      ),
    ];
    const action = parse(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as {
      inputs: Record<string, { description: string }>;
    };
    for (const [input, { description }] of Object.entries(action.inputs))
      copies.push(...copiesIn(description, names).map((line) => `action.yml ${input}: ${line}`));
    expect(copies).toEqual([]);
  });

  it('the pages that need it link to the table', () => {
    for (const page of ['SECURITY.md', 'docs/recipes.md', 'docs/dependabot-codespaces.md'])
      expect([page, readPage(page).includes('README.md#github-the-writing-token')]).toEqual([page, true]);
    const action = readFileSync(join(ROOT, 'action.yml'), 'utf8');
    expect(action.match(/\(#github-the-writing-token\)/g)?.length).toBeGreaterThanOrEqual(3);
  });

  it('finds a copy however it is written, and leaves quoted messages alone', () => {
    expect(
      copiesIn(
        [
          '| organisation secret | organisation permission **Secrets** | `admin:org` |',
          'a token with the repository permission "Dependabot secrets: Read and write"',
          '- **Environments: Read and write** on each repository',
          '| environment | Environments (read and write) | admin:org |',
          "`It needs the repository permission 'Secrets: Read and write'`, quoted from a message",
          'the Administration permission ([the table](README.md#github-the-writing-token))',
        ].join('\n'),
        names,
      ),
    ).toEqual([
      '| organisation secret | organisation permission **Secrets** |  |',
      'a token with the repository permission "Dependabot secrets: Read and write"',
      '- **Environments: Read and write** on each repository',
      '| environment | Environments (read and write) | admin:org |',
    ]);
  });
});
