/** Reading README.md and docs/ as the docs tests need them: sections, YAML blocks, tables and message fragments. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './messages.ts';

export const README_PATH = join(ROOT, 'README.md');

export function readReadme(): string {
  return readFileSync(README_PATH, 'utf8');
}

/** A page of the repository by its path from the root, such as `docs/recipes.md`. */
export function readPage(path: string): string {
  return readFileSync(join(ROOT, path), 'utf8');
}

/** The topic pages under docs/, as paths from the root. */
export function docPages(): string[] {
  return readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`);
}

/** The pages users read: README.md and every page of docs/. */
export function userPages(): string[] {
  return ['README.md', ...docPages()];
}

/**
 * The recipes as the tests run them: the README's quick start, then each numbered recipe of
 * docs/recipes.md (`## 1. ...`), each with its fenced YAML.
 */
export function recipes(): { title: string; body: string }[] {
  const quickStart = { title: 'Quick start', body: section(readReadme(), 'Quick start') };
  const numbered = subsections(readPage('docs/recipes.md'), 2).filter(({ title }) => /^\d+\. /.test(title));
  return [quickStart, ...numbered];
}

/** The body of the `## title` section (level 2 by default), up to the next heading of that level or above. */
export function section(markdown: string, title: string, level = 2): string {
  const found = subsections(markdown, level).filter((s) => s.title === title);
  if (found.length !== 1)
    throw new Error(`The page has ${found.length} sections titled "${'#'.repeat(level)} ${title}", not one.`);
  return (found[0] as { body: string }).body;
}

/** Every heading of `level` with the text under it, headings inside fenced code left alone. */
export function subsections(markdown: string, level: number): { title: string; body: string }[] {
  const lines = withoutCodeMarks(markdown);
  const sections: { title: string; lines: string[] }[] = [];
  let current: { title: string; lines: string[] } | undefined;
  for (const { text, inCode } of lines) {
    const heading = inCode ? undefined : /^(#{1,6}) (.*)$/.exec(text);
    if (heading && (heading[1] as string).length <= level) {
      current =
        (heading[1] as string).length === level ? { title: (heading[2] as string).trim(), lines: [] } : undefined;
      if (current) sections.push(current);
      continue;
    }
    current?.lines.push(text);
  }
  return sections.map(({ title, lines: body }) => ({ title, body: body.join('\n') }));
}

function withoutCodeMarks(markdown: string): { text: string; inCode: boolean }[] {
  let inCode = false;
  return markdown.split('\n').map((text) => {
    if (/^```/.test(text)) {
      inCode = !inCode;
      return { text, inCode: true };
    }
    return { text, inCode };
  });
}

/** The contents of the fenced ```yaml blocks of a text, in order. */
export function yamlBlocks(text: string): string[] {
  return [...text.matchAll(/^```ya?ml\n([\s\S]*?)^```$/gm)].map((match) => match[1] as string);
}

/** The body rows of every table in a text (header and separator rows left out), as cells. */
export function tableRows(text: string): string[][] {
  const lines = text.split('\n');
  const rows: string[][] = [];
  lines.forEach((line, index) => {
    if (!line.startsWith('|') || /^\|[\s|:-]+\|$/.test(line)) return;
    // A header row is the one just above the separator.
    if (/^\|[\s|:-]+\|$/.test(lines[index + 1] ?? '')) return;
    rows.push(cells(line));
  });
  return rows;
}

function cells(row: string): string[] {
  return row
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim().replace(/\\\|/g, '|'));
}

export function codeSpans(cell: string): string[] {
  return [...cell.matchAll(/`([^`]+)`/g)].map((match) => match[1] as string);
}

/** `<...>` in a troubleshooting fragment: a part of the message that varies. */
const PLACEHOLDER = /<[^<>]*>/;

/**
 * A fragment as a pattern over a message template: from the template's start, its literal parts in
 * order, anything between them where it has a `<placeholder>` (spaces around a placeholder belong to it).
 */
export function fragmentPattern(fragment: string): RegExp {
  const pieces = fragment.split(new RegExp(PLACEHOLDER, 'g'));
  const literal = pieces.map((piece, i) => {
    const afterPlaceholder = i > 0 ? piece.trimStart() : piece;
    return i < pieces.length - 1 ? afterPlaceholder.trimEnd() : afterPlaceholder;
  });
  return new RegExp('^' + literal.map((piece) => piece.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[\\s\\S]*?'));
}

/** How many characters of a fragment are its own words, placeholders left out. */
export function literalLength(fragment: string): number {
  return fragment.replace(new RegExp(PLACEHOLDER, 'g'), '').replace(/\s/g, '').length;
}

/** GitHub's anchor for a heading: lower case, punctuation other than `-` and `_` dropped, spaces to hyphens. */
export function anchorOf(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/ /g, '-');
}

/**
 * Every anchor GitHub gives a page's headings (outside fenced code), as its Markdown renderer does:
 * the heading's text (a link's text, not its address) through `anchorOf`, and a repeated anchor
 * suffixed `-1`, `-2`, ... in order (github/cmark-gfm's and github-slugger's rule).
 */
export function headingAnchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const { text, inCode } of withoutCodeMarks(markdown)) {
    const heading = inCode ? undefined : /^#{1,6} (.*?)\s*#*\s*$/.exec(text);
    if (!heading) continue;
    const base = anchorOf((heading[1] as string).replace(/\[([^\]]*)\]\([^)]*\)/g, '$1'));
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}
