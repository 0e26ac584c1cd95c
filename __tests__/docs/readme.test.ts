import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { readActionYml } from '../fakes/action-yml.ts';
import { NODE_24 } from '../fakes/run-action.ts';
import { renderReadme } from '../../scripts/docs.ts';
import { messageTemplates, ROOT, templatesIn, wordCount, type MessageTemplate } from './messages.ts';
import {
  anchorOf,
  codeSpans,
  fragmentPattern,
  literalLength,
  readReadme,
  section,
  subsections,
  tableRows,
  yamlBlocks,
} from './readme.ts';

const readme = readReadme();

describe('inputs and outputs tables: generated from action.yml', () => {
  it('README.md is what `npm run docs` writes (run it and commit README.md when this fails)', () => {
    expect(renderReadme(readme)).toBe(readme);
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

/** Each row's fragments: the code spans of its first cell. */
function troubleshootingFragments(markdown: string): string[] {
  return tableRows(section(markdown, 'Troubleshooting')).flatMap(([first = '']) => codeSpans(first));
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
  const fragments = troubleshootingFragments(readme);

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

  it('a row removed from the README fails the check', () => {
    const without = readme.replace(/^\| `Input 'max-age': "<text>" is not a duration` \|.*\n/m, '');
    expect(without).not.toBe(readme);
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
  const recipes = subsections(section(readme, 'Recipes'), 3);

  it('each is a complete workflow (on, permissions, jobs) that actionlint finds nothing in', () => {
    const blocks = recipes.flatMap((recipe) =>
      yamlBlocks(recipe.body).map((text, index) => ({ name: `${recipe.title.slice(0, 2)}${index}`, text })),
    );
    // recipes.test.ts holds the seven titles; here, every workflow of every recipe.
    expect(recipes.length).toBeGreaterThanOrEqual(7);
    expect(blocks.length).toBeGreaterThan(recipes.length);
    for (const { text } of blocks)
      expect(Object.keys(parse(text) as object)).toEqual(expect.arrayContaining(['on', 'permissions', 'jobs']));
    const dir = mkdtempSync(join(tmpdir(), 'recipes-'));
    try {
      const files = blocks.map(({ name, text }) => {
        const file = join(dir, `recipe-${name.replace(/\W/g, '')}.yml`);
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

  it('every link to a heading of the README leads somewhere', () => {
    const anchors = new Set(
      readme
        .split('\n')
        .flatMap((line) => /^#{1,6} (.*)$/.exec(line)?.[1] ?? [])
        .map(anchorOf),
    );
    const links = [...readme.matchAll(/\]\(#([^)]+)\)/g)].map((match) => match[1] as string);
    expect(links.length).toBeGreaterThan(5);
    expect(links.filter((link) => !anchors.has(link))).toEqual([]);
  });
});
