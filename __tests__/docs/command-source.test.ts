/**
 * The command is not published to npm: a README or example that runs `npx ecr-secret-refresh` would
 * make npm fetch whatever package of that name the registry holds (a stranger's, if anyone registers
 * it) and run it with the job's tokens. Every code block of README.md, docs/ and examples/ must run it from
 * a checkout (`node <checkout>/dist/cli/index.js`) instead.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ROOT } from './messages.ts';
import { readPage, subsections, userPages, yamlBlocks } from './readme.ts';

/** Every fenced code block of a Markdown text (yaml, sh, or none), and every YAML file as one block. */
function codeBlocks(text: string): string[] {
  return [...text.matchAll(/^```[^\n]*\n([\s\S]*?)^```/gm)].map((match) => match[1] ?? '');
}

/** Lines that would run `npx ecr-secret-refresh` (comments aside). */
function npxRuns(block: string): string[] {
  return block
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .filter((line) => /\bnpx\s+(--\S+\s+)*ecr-secret-refresh\b/.test(line));
}

function exampleFiles(dir = join(ROOT, 'examples')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? exampleFiles(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

describe('the command runs from a pinned checkout, never from npm', () => {
  it('no code block of README.md or docs/ runs npx ecr-secret-refresh', () => {
    const pages = userPages();
    expect(pages).toEqual(expect.arrayContaining(['README.md', 'docs/command-line.md', 'docs/gitlab.md']));
    expect(
      pages.flatMap((page) =>
        codeBlocks(readPage(page))
          .flatMap(npxRuns)
          .map((line) => `${page}: ${line}`),
      ),
    ).toEqual([]);
  });

  it('no README or YAML file under examples/ runs npx ecr-secret-refresh', () => {
    const files = exampleFiles().filter((file) => /\.(md|ya?ml)$/.test(file));
    expect(files.length).toBeGreaterThan(0);
    const runs = files.flatMap((file) => {
      const text = readFileSync(file, 'utf8');
      return (file.endsWith('.md') ? codeBlocks(text) : [text]).flatMap(npxRuns).map((line) => `${file}: ${line}`);
    });
    expect(runs).toEqual([]);
  });

  it('the GitLab jobs clone the repository at a tag and run dist/cli/index.js, in an image with git', () => {
    const jobs = subsections(readPage('docs/gitlab.md'), 2).flatMap(({ body }) => yamlBlocks(body));
    expect(jobs.length).toBeGreaterThanOrEqual(2);
    for (const job of jobs) {
      expect(job).toMatch(/git clone --depth 1 --branch v\d+ https:\/\/github\.com\/<owner>\/ecr-secret-refresh (\S+)/);
      expect(job).toMatch(/node \/tmp\/esr\/dist\/cli\/index\.js /);
      // node:24-slim has no git; node:24 (Debian, buildpack-deps) has.
      expect(job).toMatch(/image: node:24(?!-slim)\b/);
    }
  });

  it('the pattern finds what it must (a test that cannot fail proves nothing)', () => {
    expect(npxRuns('    - npx ecr-secret-refresh --aws-region eu-west-1')).toHaveLength(1);
    expect(npxRuns('npx --yes ecr-secret-refresh --help')).toHaveLength(1);
    expect(npxRuns('# never npx ecr-secret-refresh')).toHaveLength(0);
  });
});
