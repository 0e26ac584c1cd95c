/**
 * Nothing lost in a move of the docs: every sentence, list item, table row and code line of README.md
 * at a git revision (the README before the move, or one another branch edited) is looked for in the
 * pages of this checkout (README.md, docs/, SECURITY.md, CONTRIBUTING.md), links reduced to their text
 * and whitespace collapsed. What is not found verbatim is printed, for a person to judge: reworded,
 * deliberately dropped (a second copy of the permissions table), or lost.
 *
 *   node scripts/nothing-lost.ts <revision>    # such as: node scripts/nothing-lost.ts main
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../..');

function normalise(text: string): string {
  return text
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The units of a Markdown text: each sentence of prose, each list item's sentences, each table row, each code line. */
export function units(markdown: string): { kind: string; text: string }[] {
  const found: { kind: string; text: string }[] = [];
  let inCode = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) {
      inCode = !inCode;
      continue;
    }
    if (inCode) {
      if (line.trim()) found.push({ kind: 'code', text: line.trim() });
      continue;
    }
    if (!line.trim() || /^\|[\s|:-]+\|$/.test(line) || line.startsWith('<!--')) continue;
    if (line.startsWith('|')) found.push({ kind: 'row', text: line });
    else if (line.startsWith('#')) found.push({ kind: 'heading', text: line.replace(/^#+\s*/, '') });
    else
      for (const sentence of line.replace(/^\s*(-|\d+\.)\s+/, '').split(/(?<=[.!?:;])\s+(?=[A-Z*`(["])/))
        found.push({ kind: 'text', text: sentence });
  }
  return found;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const revision = process.argv[2];
  if (!revision) {
    console.error('Usage: node scripts/nothing-lost.ts <revision>');
    process.exit(2);
  }
  const old = execFileSync('git', ['show', `${revision}:README.md`], { cwd: root, encoding: 'utf8' });
  const pages = [
    'README.md',
    'SECURITY.md',
    'CONTRIBUTING.md',
    ...readdirSync(join(root, 'docs'))
      .filter((name) => name.endsWith('.md'))
      .map((name) => `docs/${name}`),
  ];
  const corpus = normalise(pages.map((page) => readFileSync(join(root, page), 'utf8')).join('\n'));
  const all = units(old);
  const missing = all.filter(({ text }) => !corpus.includes(normalise(text)));
  console.log(
    `${all.length} units of README.md at ${revision}; ${missing.length} not found verbatim in ${pages.join(', ')}:`,
  );
  for (const { kind, text } of missing) console.log(`[${kind}] ${text.slice(0, 300)}`);
}
