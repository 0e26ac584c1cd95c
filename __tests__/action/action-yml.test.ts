/**
 * action.yml read the way GitHub reads it: as strict YAML, and through GitHub's own `parseAction`
 * (`@actions/workflow-parser`); its runtime, entry and input declarations.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { NoOperationTraceWriter } from '@actions/workflow-parser';
// jest's module loader links the parser's JSON schema import itself; plain node would ask for an import attribute.
import { parseAction } from '@actions/workflow-parser/actions/action-parser';
import { ACTION_YML, readActionYml } from '../fakes/action-yml.ts';
import { ACTION_ENTRY, NODE_24 } from '../fakes/run-action.ts';

const text = readFileSync(ACTION_YML, 'utf8');

/** GitHub's own reading of action metadata (`@actions/workflow-parser`, the schema the runner uses): its error messages. */
function actionParserErrors(content: string): string[] {
  const { context } = parseAction({ name: 'action.yml', content }, new NoOperationTraceWriter());
  return context.errors.getErrors().map((error) => error.message);
}

describe('action.yml as the runner reads it', () => {
  it('is strict YAML: no plain scalar with ": ", no duplicate key', () => {
    expect(() => readActionYml(text)).not.toThrow();
  });

  it('the strict reading refuses what the runner refuses', () => {
    const colon = text.replace(
      /^ {4}description: AWS region of the ECR registry.*$/m,
      '    description: Region: such as eu-west-1.',
    );
    expect(colon).not.toBe(text);
    expect(() => readActionYml(colon)).toThrow(/not valid YAML/);
    const duplicate = text.replace(/^ {2}max-age:$/m, '  secret-name:');
    expect(() => readActionYml(duplicate)).toThrow(/not valid YAML/);
  });

  it("passes GitHub's action-metadata parser with no error", () => {
    expect(actionParserErrors(text)).toEqual([]);
  });

  it("GitHub's parser flags an unknown key and a runtime the runner lacks", () => {
    const broken = text.replace('using: node24', 'using: node26').replace(/^outputs:$/m, 'output:');
    const errors = actionParserErrors(broken);
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/Unexpected value 'node26'/),
        expect.stringMatching(/Unexpected value 'output'/),
      ]),
    );
  });

  it('runs on node24 from dist/index.js, the file the end-to-end tests run', () => {
    const { runs } = readActionYml(text);
    expect(runs.using).toBe('node24');
    expect(join(dirname(ACTION_YML), runs.main)).toBe(ACTION_ENTRY);
    expect(existsSync(ACTION_ENTRY)).toBe(true);
  });

  it('the end-to-end runs use the node that runs.using names, whatever node runs jest', () => {
    const major = readActionYml(text).runs.using.replace(/^node/, '');
    expect(execFileSync(NODE_24, ['--version'], { encoding: 'utf8' }).trim()).toMatch(new RegExp(`^v${major}\\.`));
  });

  it('declares each input with a description, and marks only github-token required', () => {
    const { inputs } = readActionYml(text);
    for (const [name, input] of Object.entries(inputs))
      expect([name, input.description.length > 0]).toEqual([name, true]);
    expect(
      Object.entries(inputs)
        .filter(([, input]) => input.required)
        .map(([name]) => name),
    ).toEqual(['github-token']);
  });
});
