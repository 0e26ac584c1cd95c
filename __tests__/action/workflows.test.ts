/**
 * Every workflow under `.github/workflows/` through actionlint (which must find what GitHub would
 * refuse), and the self-test workflow's shape.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { readActionYml } from '../fakes/action-yml.ts';
import { NODE_24 } from '../fakes/run-action.ts';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const workflowsDir = join(root, '.github', 'workflows');
const workflowFiles = readdirSync(workflowsDir)
  .filter((name) => /\.ya?ml$/.test(name))
  .map((name) => join(workflowsDir, name));

interface Finding {
  file: string;
  line: number;
  column: number;
  kind: string;
  message: string;
}

/** actionlint's findings, from a child process (see actionlint.ts for why). */
function actionlint(files: string[]): Finding[] {
  const output = execFileSync(NODE_24, [join(root, '__tests__', 'action', 'actionlint.ts'), ...files], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return JSON.parse(output) as Finding[];
}

interface Step {
  uses?: string;
  with?: Record<string, string>;
  env?: Record<string, string>;
}
interface Job {
  if?: string;
  needs?: string | string[];
  environment?: string;
  permissions?: Record<string, string>;
  container?: { image: string; credentials?: { username: string; password: string } };
  steps: Step[];
}
const selfTestText = readFileSync(join(workflowsDir, 'self-test.yml'), 'utf8');
const selfTest = parse(selfTestText) as {
  permissions: unknown;
  env: Record<string, string>;
  jobs: Record<string, Job>;
};

describe('workflows', () => {
  it('actionlint finds nothing in any workflow', () => {
    expect(workflowFiles.length).toBeGreaterThan(0);
    expect(actionlint(workflowFiles)).toEqual([]);
  });

  it('actionlint does find what GitHub would refuse: secrets in a job-level if', () => {
    const dir = mkdtempSync(join(tmpdir(), 'actionlint-'));
    try {
      const file = join(dir, 'bad.yml');
      writeFileSync(
        file,
        "on: push\njobs:\n  a:\n    if: secrets.TOKEN != ''\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo\n",
      );
      expect(actionlint([file])).toEqual([
        expect.objectContaining({ line: 4, message: expect.stringContaining('context "secrets" is not allowed here') }),
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('self-test.yml: the action on real AWS and GitHub', () => {
  const { write, pull } = selfTest.jobs as { write: Job; pull: Job };
  const ownSteps = write.steps.filter((step) => step.uses === './');

  it('runs only where the set-up exists: the job-level if reads a variable, never a secret', () => {
    expect(write.if).toMatch(/vars\.SELF_TEST_ROLE_ARN != ''/);
    expect(write.if).not.toMatch(/secrets\./);
    expect(pull.needs).toBe('write');
  });

  it('asks for the fewest permissions, job by job', () => {
    expect(selfTest.permissions).toEqual({});
    expect(write.permissions).toEqual({ 'id-token': 'write', contents: 'read' });
    expect(pull.permissions).toEqual({});
  });

  it('writes a repository secret and an environment secret with uses: ./, passing only declared inputs', () => {
    const declared = Object.keys(readActionYml().inputs);
    for (const step of ownSteps)
      expect(Object.keys(step.with ?? {}).filter((name) => !declared.includes(name))).toEqual([]);
    expect(ownSteps.map((step) => step.with?.['environment'])).toEqual([
      undefined,
      '${{ env.ENVIRONMENT }}',
      '${{ env.ENVIRONMENT }}',
    ]);
    expect(ownSteps.every((step) => step.with?.['github-api-url'] === undefined)).toBe(true);
  });

  it('pulls its container with the environment secret, in that environment, not with the repository secret', () => {
    expect(pull.environment).toBe(selfTest.env['ENVIRONMENT']);
    expect(pull.container?.credentials).toEqual({
      username: 'AWS',
      password: `\${{ secrets.${selfTest.env['ENVIRONMENT_SECRET']} }}`,
    });
    expect(selfTest.env['ENVIRONMENT_SECRET']).not.toBe(selfTest.env['REPOSITORY_SECRET']);
  });

  it('CONTRIBUTING.md explains every variable and secret the self-test needs', () => {
    const contributing = readFileSync(join(root, 'CONTRIBUTING.md'), 'utf8');
    const needed = new Set(
      [...selfTestText.matchAll(/\b(?:vars|secrets)\.(SELF_TEST_\w+)/g)].map((match) => match[1] ?? ''),
    );
    expect(needed.size).toBeGreaterThanOrEqual(4);
    expect([...needed].filter((name) => !contributing.includes(name))).toEqual([]);
    expect(contributing).toContain(selfTest.env['ENVIRONMENT']);
  });
});
