import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { AWS_INPUTS } from '../../scripts/input-facts.ts';
import { inputsTableSources } from '../../scripts/inputs-table.ts';
import { parseAwsConfig } from '../../src/config/index.ts';
import { isInputName } from '../../src/config/input-names.ts';
import { INPUTS } from '../../src/config/inputs.ts';
import { SRC, sourceFiles } from '../source-files.ts';

/**
 * The inputs table (src/config/inputs.ts) that both front doors use, generated at build time from
 * action.yml and scripts/input-facts.ts: committed as generated, and its facts true of the code.
 * `src/config/inputs.ts` and `input-names.ts` are exactly what `scripts/inputs-table.ts` writes; the
 * AWS half is exactly the inputs `parseAwsConfig` reads; every `{placeholder}` in the config's
 * messages is an input.
 */
describe('the generated inputs table', () => {
  it('is committed exactly as scripts/inputs-table.ts generates it from action.yml (run `npm run build`)', async () => {
    const generated = Object.entries(await inputsTableSources());
    expect(generated.map(([file]) => file.replace(/^.*\/src\//, 'src/'))).toEqual([
      'src/config/input-names.ts',
      'src/config/inputs.ts',
    ]);
    for (const [file, text] of generated) expect([file, readFileSync(file, 'utf8')]).toEqual([file, text]);
  });

  it("declares as the AWS half exactly the inputs the AWS login reads (parseAwsConfig's reads: identity, registry, images to check)", () => {
    const read = new Set<string>();
    try {
      parseAwsConfig((name) => (read.add(name), ''), {}, { apiUrl: 'https://api.github.com' });
    } catch {
      // No region: what matters here is which inputs were read.
    }
    expect([...read].sort()).toEqual([...AWS_INPUTS].sort());
    const awsHalf = Object.entries(INPUTS).flatMap(([name, input]) => (input.half === 'aws' ? [name] : []));
    expect(awsHalf.sort()).toEqual([...AWS_INPUTS].sort());
  });

  it("every {placeholder} in the config's messages names an input of the table", () => {
    // Every part of the config (aws.ts, github.ts, targets.ts, secrets.ts, index.ts), not the generated tables.
    const source = sourceFiles(`${SRC}/config`)
      .filter((file) => !/inputs\.ts$|input-names\.ts$/.test(file))
      .map((file) => readFileSync(file, 'utf8'))
      .join('\n');
    // Only in string literals' text: `{${input}}` (a name chosen at run time) is checked by its type.
    const placeholders = [...source.matchAll(/(?<!\$)\{([a-z][a-z0-9]*(?:-[a-z0-9]+)*)\}/g)].map(
      ([, name]) => name ?? '',
    );
    expect(placeholders.length).toBeGreaterThan(20);
    expect(placeholders.filter((name) => !isInputName(name))).toEqual([]);
  });
});
