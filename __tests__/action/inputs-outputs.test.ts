/**
 * The inputs `src/` reads against those `action.yml` declares (read only through parseConfig), and the
 * outputs it sets against those declared.
 */
import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { parseConfig, type RunContext } from '../../src/config/index.ts';
import { setOutputs } from '../../src/run/report.ts';
import { readActionYml } from '../fakes/action-yml.ts';
import { sourceFiles } from '../source-files.ts';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const declared = readActionYml();

/** Every input name `parseConfig` asks for, over input sets that reach each of its branches. */
function inputsRead(): string[] {
  const read = new Set<string>();
  const context: RunContext = { apiUrl: 'https://api.github.com', repository: 'octo/app', runId: 1, runAttempt: 1 };
  const inputSets: Record<string, string>[] = [
    {},
    {
      'role-to-assume': 'arn:aws:iam::123456789012:role/ecr-pull',
      audience: 'sts.amazonaws.com',
      'role-session-name': 'nightly',
      'role-duration-seconds': '900',
    },
    {
      'aws-access-key-id': 'AKIAABCDEFGHIJKLMNOP',
      'aws-secret-access-key': 'secret',
      'aws-session-token': 'token',
      'role-to-assume': 'arn:aws:iam::123456789012:role/ecr-pull',
    },
    {
      repositories: 'octo/app, octo/api',
      environment: 'ecr',
      'username-secret-name': 'ECR_USERNAME',
      'docker-config-secret-name': 'DOCKER_AUTH_CONFIG',
    },
    {
      organization: 'octo',
      visibility: 'selected',
      'selected-repositories': 'api',
      'max-age': '6h',
      'secret-name': 'REGISTRY_PASSWORD',
    },
    { 'aws-region': 'eu-west-1', 'github-token': 'github_pat_x', 'github-api-url': 'https://ghe.example.com/api/v3' },
  ];
  for (const inputs of inputSets) {
    try {
      parseConfig((name) => (read.add(name), inputs[name] ?? ''), {}, context);
    } catch {
      // Some sets are incomplete on purpose (no token, no region): what matters is what was read.
    }
  }
  return [...read].sort();
}

describe('inputs and outputs: the code and action.yml agree', () => {
  it('src reads exactly the inputs action.yml declares: none undeclared, none unread', () => {
    expect(inputsRead()).toEqual(Object.keys(declared.inputs).sort());
  });

  it('inputs are read only through parseConfig: no other getInput, no INPUT_ variable', () => {
    const readers: string[] = [];
    for (const file of sourceFiles()) {
      const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      const name = relative(root, file);
      for (const match of code.matchAll(/\bget(?:Boolean|Multiline)?Input\b|INPUT_(?!NAMES\b)/g))
        readers.push(`${name}: ${match[0]}`);
      if (/\bcore\.get\w*Input\(/.test(code))
        expect([name, /parseConfig\(\(name\) => core\.getInput\(name\)/.test(code)]).toEqual([name, true]);
    }
    // src/config/index.ts names its reader parameter getInput (parseConfig, and parseAwsConfig for the
    // command); src/action.ts hands it core.getInput. Nothing else.
    // (INPUT_NAMES, the generated list of action.yml's inputs in src/config/input-names.ts, reads nothing.)
    expect(readers.sort()).toEqual([
      'src/action.ts: getInput',
      ...Array<string>(4).fill('src/config/index.ts: getInput'),
    ]);
  });

  it('action.yml declares exactly the outputs the action sets', () => {
    const set = new Set<string>();
    const reporter = {
      setOutput: (name: string) => void set.add(name),
      summary: { addRaw: () => undefined, write: async () => undefined },
    };
    const login = {
      registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
      username: 'AWS',
      password: 'x',
      expiresAt: new Date(),
    };
    setOutputs(reporter, login, [{ target: 'octo/app', secret: 'ECR_PASSWORD', status: 'created', takesEffect: 'x' }]);
    setOutputs(reporter, undefined, [
      { target: 'octo/app', secret: 'ECR_PASSWORD', status: 'skipped', takesEffect: 'x' },
    ]);
    // A dry run sets one more: secrets-planned.
    setOutputs(
      reporter,
      undefined,
      [{ target: 'octo/app', secret: 'ECR_PASSWORD', status: 'planned', takesEffect: 'x' }],
      {
        dryRun: true,
        // With verify-images, one more: images-verified.
        images: [{ image: 'build-env:latest', status: 'planned', result: 'would be checked' }],
      },
    );
    expect([...set].sort()).toEqual(Object.keys(declared.outputs).sort());
  });
});
