/**
 * The front page and the pages of docs/ kept true: README.md at most 400 lines in the issue's order;
 * its inputs and outputs tables (and the flags table of `docs/command-line.md`) exactly as `npm run docs`
 * writes them from `action.yml`; every message in `src/` with its row in `docs/troubleshooting.md`,
 * and every row a message; the quick start and every recipe complete workflows that actionlint
 * passes (they are run against the fakes in `recipes.test.ts`).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { readActionYml } from '../fakes/action-yml.ts';
import { NODE_24 } from '../fakes/run-action.ts';
import { renderCommandLine, renderReadme } from '../../scripts/docs.ts';
import { messageTemplates, ROOT, templatesIn, wordCount, type MessageTemplate } from './messages.ts';
import {
  codeSpans,
  fragmentPattern,
  literalLength,
  readPage,
  readReadme,
  recipes,
  section,
  tableRows,
  yamlBlocks,
} from './readme.ts';

const readme = readReadme();
const troubleshooting = readPage('docs/troubleshooting.md');

describe('the front page', () => {
  it('README.md is at most 400 lines, and opens with what the action does and a step that runs it', () => {
    const lines = readme.split('\n');
    expect(lines.length).toBeLessThanOrEqual(401); // 400 lines and the final newline
    const firstScreen = lines.slice(0, 40).join('\n');
    expect(firstScreen).toMatch(/uses: <owner>\/ecr-secret-refresh@v1/);
    expect(firstScreen).toMatch(/password: \$\{\{ secrets\.ECR_PASSWORD \}\}/);
  });

  it('the sections come in the order the issue gives', () => {
    const titles = [...readme.matchAll(/^## (.*)$/gm)].map((match) => match[1]);
    expect(titles).toEqual([
      'Why a secret, and not a job output',
      'Prerequisites',
      'Quick start',
      'Which recipe',
      'Inputs',
      'Outputs',
      'More, one page a topic',
      'Security and support',
    ]);
  });

  it("action.yml's description fits the Marketplace card (under 125 characters), and branding is kept", () => {
    const metadata = parse(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as {
      name: string;
      description: string;
      branding?: { icon: string; color: string };
    };
    expect(metadata.name).toBe('ECR secret refresh');
    expect(metadata.description.length).toBeLessThan(125);
    expect(metadata.branding).toEqual({ icon: 'refresh-cw', color: 'orange' });
  });

  it('every page of docs/ starts with its title and who it is for', () => {
    for (const page of [
      'recipes',
      'organisation-wide',
      'dependabot-codespaces',
      'registries',
      'troubleshooting',
      'proxies-and-ghes',
      'command-line',
      'gitlab',
      'performance',
      'design',
    ]) {
      const [title, blank, first] = readPage(`docs/${page}.md`).split('\n');
      expect([page, /^# \S/.test(title ?? ''), blank, /^For /.test(first ?? '')]).toEqual([page, true, '', true]);
    }
  });
});

describe('inputs and outputs tables: generated from action.yml', () => {
  it('README.md and docs/command-line.md are what `npm run docs` writes (run it and commit them when this fails)', () => {
    expect(renderReadme(readme)).toBe(readme);
    const commandLine = readPage('docs/command-line.md');
    expect(renderCommandLine(commandLine)).toBe(commandLine);
  });

  it('every input and output of action.yml has its row, with its description', () => {
    const metadata = readActionYml();
    const inputs = section(readme, 'Inputs');
    const outputs = section(readme, 'Outputs');
    for (const [name, input] of Object.entries(metadata.inputs))
      expect(inputs).toContain(
        `| \`${name}\` | ${input.required ? 'required' : input.default === undefined ? '' : `\`${input.default}\``} | ${input.description} |`,
      );
    for (const [name, output] of Object.entries(metadata.outputs))
      expect(outputs).toContain(`| \`${name}\` | ${output.description} |`);
  });

  it('a description changed in action.yml, or a row edited by hand, makes the README differ', () => {
    const metadata = readActionYml();
    const changed = {
      ...metadata,
      inputs: { ...metadata.inputs, 'max-age': { ...metadata.inputs['max-age']!, description: 'Something else.' } },
    };
    expect(renderReadme(readme, changed)).not.toBe(readme);
    const edited = readme.replace('| `username` | The registry username', '| `username` | The user name');
    expect(edited).not.toBe(readme);
    expect(renderReadme(edited)).toBe(readme);
  });

  it('refuses a README without the markers, rather than write the tables somewhere', () => {
    expect(() => renderReadme(readme.replace('<!-- outputs:end -->', ''))).toThrow(/outputs:start.*outputs:end/);
  });
});

/** Each row's fragments: the code spans of its first cell, in every table of docs/troubleshooting.md. */
function troubleshootingFragments(markdown: string): string[] {
  return tableRows(markdown).flatMap(([first = '']) => codeSpans(first));
}

/** Templates every row list must cover: all with words of their own; network causes however short. */
function mustBeCovered(template: MessageTemplate): boolean {
  return template.kind === 'network' || wordCount(template.text) >= 3;
}

function uncovered(templates: readonly MessageTemplate[], fragments: readonly string[]): string[] {
  const patterns = fragments.map(fragmentPattern);
  return templates
    .filter(mustBeCovered)
    .filter((t) => !patterns.some((p) => p.test(t.text)))
    .map((t) => `${t.file}:${t.line} ${t.text}`);
}

describe('troubleshooting: one row per message the action can print', () => {
  const templates = messageTemplates();
  const fragments = troubleshootingFragments(troubleshooting);

  it('finds the messages of src/: input problems, errors, warnings, network causes', () => {
    const byKind = (kind: MessageTemplate['kind']) => templates.filter((t) => t.kind === kind).length;
    // Floors, not counts: a rewrite that hides messages from the reader below must fail here, not pass unchecked.
    expect(byKind('input')).toBeGreaterThanOrEqual(30);
    expect(byKind('error')).toBeGreaterThanOrEqual(25);
    expect(byKind('returned')).toBeGreaterThanOrEqual(20);
    expect(byKind('warning')).toBeGreaterThanOrEqual(4);
    expect(byKind('network')).toBeGreaterThanOrEqual(10);
    expect(templates.map((t) => t.text)).toEqual(
      expect.arrayContaining(["Input 'aws-region': no AWS region is set", 'connection refused']),
    );
  });

  it('every message in src/ has a row', () => {
    expect(uncovered(templates, fragments)).toEqual([]);
  });

  it('every row is a message in src/, with words of its own', () => {
    expect(fragments.length).toBeGreaterThan(60);
    const stale = fragments.filter((fragment) => !templates.some((t) => fragmentPattern(fragment).test(t.text)));
    expect(stale).toEqual([]);
    expect(fragments.filter((fragment) => literalLength(fragment) < 6)).toEqual([]);
    // A row that fits many messages would let a new one pass unseen.
    expect(
      fragments.filter((fragment) => templates.filter((t) => fragmentPattern(fragment).test(t.text)).length > 4),
    ).toEqual([]);
  });

  it('a new message without a row fails the check', () => {
    const added = templatesIn(
      join(ROOT, 'src', 'example.ts'),
      `report('max-age', \`"\${text}" is in the future\`, 'Use a past age.');
       throw new Error(\`ECR answered in Klingon (\${code}); try again.\`);
       log.warning('the moon is in the way');`,
    );
    expect(added.map((t) => t.text)).toEqual([
      `Input 'max-age': "…" is in the future`,
      'ECR answered in Klingon (…); try again.',
      'the moon is in the way',
    ]);
    // "ECR answered GetAuthorizationToken <...>" must not pass for a message that merely starts alike.
    expect(uncovered(added, fragments)).toHaveLength(3);
  });

  it('a row removed from docs/troubleshooting.md fails the check', () => {
    const without = troubleshooting.replace(/^\| `Input 'max-age': "<text>" is not a duration` \|.*\n/m, '');
    expect(without).not.toBe(troubleshooting);
    expect(uncovered(templates, troubleshootingFragments(without))).toEqual([
      expect.stringContaining('is not a duration'),
    ]);
  });
});

interface Finding {
  file: string;
  line: number;
  message: string;
}

describe('recipes: complete workflows', () => {
  it("each, and the README's quick start, is a complete workflow (on, permissions, jobs) that actionlint finds nothing in", () => {
    const all = recipes();
    const blocks = all.flatMap((recipe) =>
      yamlBlocks(recipe.body).map((text, index) => ({ name: `${recipe.title.slice(0, 2)}${index}`, text })),
    );
    // recipes.test.ts holds the titles; here, every workflow of every recipe and of the quick start.
    expect(all.length).toBeGreaterThanOrEqual(8);
    expect(yamlBlocks(all[0]!.body)).toHaveLength(1);
    expect(blocks.length).toBeGreaterThan(all.length);
    for (const { text } of blocks)
      expect(Object.keys(parse(text) as object)).toEqual(expect.arrayContaining(['on', 'permissions', 'jobs']));
    const dir = mkdtempSync(join(tmpdir(), 'recipes-'));
    try {
      const files = blocks.map(({ name, text }, index) => {
        const file = join(dir, `recipe-${index}-${name.replace(/\W/g, '')}.yml`);
        writeFileSync(file, text);
        return file;
      });
      const output = execFileSync(NODE_24, [join(ROOT, '__tests__', 'action', 'actionlint.ts'), ...files], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect((JSON.parse(output) as Finding[]).map(({ file, line, message }) => `${file}:${line} ${message}`)).toEqual(
        [],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
