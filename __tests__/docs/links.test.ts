/**
 * Every relative link and `#anchor` of the pages users read (README.md, docs/, SECURITY.md,
 * CONTRIBUTING.md) leads somewhere: the file or folder exists in the repository, and an anchor is a
 * heading of the page it points at, as GitHub names headings. A page moved or a heading renamed
 * without its links fails here, not in a reader's browser.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ROOT } from './messages.ts';
import { headingAnchors, readPage, userPages } from './readme.ts';

/** The link targets of a Markdown text: inline links and images, outside fenced code and code spans. */
export function linkTargets(markdown: string): string[] {
  let inCode = false;
  const targets: string[] = [];
  for (const line of markdown.split('\n')) {
    if (/^\s*```/.test(line)) {
      inCode = !inCode;
      continue;
    }
    if (inCode) continue;
    const prose = line.replace(/`[^`]*`/g, '');
    for (const match of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) targets.push(match[1] as string);
  }
  return targets;
}

/**
 * What is wrong with the relative links of one page (`page` a path from the root), given a reader of
 * other pages: a missing file, or an anchor that is not a heading of the page it points at.
 */
export function brokenLinks(page: string, text: string, read: (path: string) => string): string[] {
  return linkTargets(text).flatMap((target) => {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return []; // https:, mailto: and the like: not ours to check offline
    const [path = '', anchor] = target.split('#', 2);
    const file = path === '' ? page : normalize(join(dirname(page), decodeURIComponent(path)));
    if (file.startsWith('..')) return [`${page}: ${target} leaves the repository`];
    if (file !== page && !existsSync(join(ROOT, file))) return [`${page}: ${target}: no file ${file}`];
    if (anchor === undefined) return [];
    if ((file !== page && statSync(join(ROOT, file)).isDirectory()) || !file.endsWith('.md'))
      return [`${page}: ${target}: an anchor into ${file}, which is not a Markdown page`];
    const source = file === page ? text : read(file);
    return headingAnchors(source).has(anchor) ? [] : [`${page}: ${target}: ${file} has no heading #${anchor}`];
  });
}

const PAGES = [...userPages(), 'SECURITY.md', 'CONTRIBUTING.md'];

describe('links of README.md, docs/, SECURITY.md and CONTRIBUTING.md', () => {
  it('every relative link and #anchor resolves', () => {
    const found = PAGES.flatMap((page) => brokenLinks(page, readPage(page), readPage));
    expect(found).toEqual([]);
    // The check has something to check: the README links into docs/ and docs/ into the README.
    const targets = PAGES.flatMap((page) => linkTargets(readPage(page)));
    expect(targets.filter((target) => target.startsWith('docs/')).length).toBeGreaterThan(10);
    expect(targets.filter((target) => target.startsWith('../README.md#')).length).toBeGreaterThan(10);
  });

  it('finds a missing page, a missing heading and a link that leaves the repository', () => {
    const page = 'docs/example.md';
    const text = [
      '# Example',
      '## Twice',
      '## Twice',
      'See [a](recipes.md#1-scheduled-rotation-every-6-hours-with-oidc), [b](#twice-1) and [c](https://example.com/#x).',
      'Broken: [d](missing.md), [e](../README.md#no-such-heading), [f](#twice-2), [g](../../etc/passwd).',
      '`[not a link](nowhere.md)`',
      '```',
      '[not a link either](nowhere.md)',
      '```',
    ].join('\n');
    expect(brokenLinks(page, text, readPage)).toEqual([
      'docs/example.md: missing.md: no file docs/missing.md',
      'docs/example.md: ../README.md#no-such-heading: README.md has no heading #no-such-heading',
      'docs/example.md: #twice-2: docs/example.md has no heading #twice-2',
      'docs/example.md: ../../etc/passwd leaves the repository',
    ]);
  });

  it("names headings as GitHub does: code, punctuation and links' addresses dropped, repeats numbered", () => {
    const anchors = headingAnchors(
      [
        '## 7. The docker config, for tools that read `DOCKER_AUTH_CONFIG` or `~/.docker/config.json`',
        "## Pacing and GitHub's limits",
        '## See [the table](#x)',
        '## Inputs',
        '## Inputs',
        '```',
        '## not a heading',
        '```',
      ].join('\n'),
    );
    expect([...anchors]).toEqual([
      '7-the-docker-config-for-tools-that-read-docker_auth_config-or-dockerconfigjson',
      'pacing-and-githubs-limits',
      'see-the-table',
      'inputs',
      'inputs-1',
    ]);
  });
});
