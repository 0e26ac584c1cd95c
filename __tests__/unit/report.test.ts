import { describe, expect, it } from '@jest/globals';
import {
  failureMessage,
  outcome,
  reportRun,
  resultsAfterError,
  setOutputs,
  summaryMarkdown,
  type Reporter,
} from '../../src/run/report.ts';
import type { DueAtTarget, SecretResult } from '../../src/run/results.ts';
import { describeTarget } from '../../src/github/targets/kinds.ts';

const login = {
  registry: 'r.example',
  username: 'AWS',
  password: 'TOPSECRET',
  expiresAt: new Date('2026-01-01T12:00:00Z'),
};
const created: SecretResult = {
  target: 'octo/app',
  secret: 'ECR_PASSWORD',
  status: 'created',
  takesEffect: 'runs queued from now on',
};
const skipped: SecretResult = {
  target: 'octo/api',
  secret: 'ECR_PASSWORD',
  status: 'skipped',
  detail: 'younger than max-age',
  takesEffect: 'x',
};
const failed: SecretResult = {
  target: 'octo/gone',
  secret: 'ECR_PASSWORD',
  status: 'failed',
  detail: 'not found | really',
  takesEffect: 'x',
};
const results: SecretResult[] = [created, skipped, failed];

/** A Reporter that records what the action would tell the runner. */
function recorder(options: { summaryFails?: Error; outputFails?: Error } = {}) {
  const seen = {
    outputs: {} as Record<string, string>,
    summary: '',
    info: [] as string[],
    warnings: [] as string[],
    failed: [] as string[],
  };
  const core: Reporter = {
    setOutput: (name, value) => {
      if (options.outputFails) throw options.outputFails;
      seen.outputs[name] = value;
    },
    summary: {
      addRaw: (text) => (seen.summary += text),
      write: async () => {
        if (options.summaryFails) throw options.summaryFails;
      },
    },
    info: (message) => seen.info.push(message),
    warning: (message) => seen.warnings.push(message),
    debug: () => undefined,
    setFailed: (message) => seen.failed.push(message),
  };
  return { core, seen };
}

describe('outputs', () => {
  it('never hold the password; written, skipped and failed each listed', () => {
    const { core, seen } = recorder();
    setOutputs(core, login, results);
    expect(seen.outputs['registry']).toBe('r.example');
    expect(seen.outputs['expires-at']).toBe('2026-01-01T12:00:00.000Z');
    expect(JSON.parse(seen.outputs['secrets-written'] ?? '')).toEqual([
      { target: 'octo/app', secret: 'ECR_PASSWORD', status: 'created' },
    ]);
    expect(JSON.parse(seen.outputs['secrets-skipped'] ?? '')).toEqual([
      { target: 'octo/api', secret: 'ECR_PASSWORD', status: 'skipped' },
    ]);
    expect(JSON.parse(seen.outputs['secrets-failed'] ?? '')).toEqual([
      { target: 'octo/gone', secret: 'ECR_PASSWORD', status: 'failed', reason: 'not found | really' },
    ]);
    expect(JSON.stringify(seen.outputs)).not.toContain('TOPSECRET');
  });

  it('without a login: no registry outputs', () => {
    const { core, seen } = recorder();
    setOutputs(core, undefined, [skipped]);
    expect(Object.keys(seen.outputs).sort()).toEqual(['secrets-failed', 'secrets-skipped', 'secrets-written']);
  });
});

describe('the headline follows from the results', () => {
  const now = new Date('2026-01-01T00:30:00Z');
  const headline = (markdown: string) => markdown.split('\n')[0];

  it('nothing written, something failed: "not written", even with a login', () => {
    expect(outcome([failed, skipped])).toBe('not written');
    const markdown = summaryMarkdown(login, [failed, skipped], now);
    expect(headline(markdown)).toBe('### ECR password not written');
    expect(markdown).toContain('No secret was written: 1 failed, 1 skipped (see why below).');
    expect(markdown).not.toContain('refreshed');
  });

  it('nothing written, every list failed, no login: "not written", never "still fresh"', () => {
    const markdown = summaryMarkdown(undefined, [failed], now);
    expect(headline(markdown)).toBe('### ECR password not written');
    expect(markdown).not.toContain('no password was fetched');
  });

  it('some written, some failed: "partly written", with the counts', () => {
    expect(outcome(results)).toBe('partly written');
    const markdown = summaryMarkdown(login, results, now);
    expect(headline(markdown)).toBe('### ECR password partly written');
    expect(markdown).toContain('1 of 3 secrets written, 1 failed, 1 skipped (see why below).');
    expect(markdown).toContain('expires at 2026-01-01T12:00:00.000Z (in 11h30m)');
  });

  it('everything due written: "refreshed", with the expiry; skipped ones do not change that', () => {
    expect(outcome([created, skipped])).toBe('refreshed');
    const markdown = summaryMarkdown(login, [created, skipped], now);
    expect(headline(markdown)).toBe('### ECR password refreshed');
    expect(markdown).toContain('expires at 2026-01-01T12:00:00.000Z (in 11h30m)');
    expect(markdown).toContain('| octo/app | `ECR_PASSWORD` | created | read by runs queued from now on |');
  });

  it('nothing due, nothing failed: "still fresh", no password fetched', () => {
    expect(outcome([skipped])).toBe('still fresh');
    const markdown = summaryMarkdown(undefined, [skipped], now);
    expect(headline(markdown)).toBe('### ECR password still fresh');
    expect(markdown).toContain('no password was fetched from ECR');
  });

  it('table cells are escaped', () => {
    expect(summaryMarkdown(login, results, now)).toContain(
      '| octo/gone | `ECR_PASSWORD` | failed | not found \\| really |',
    );
  });
});

describe('failure message', () => {
  it('opens with the headline and names each failure, or is absent when none failed', () => {
    expect(failureMessage(results)).toBe(
      'ECR password partly written: 1 of 3 secrets could not be written (1 written, 1 skipped):\n- octo/gone ECR_PASSWORD: not found | really',
    );
    expect(failureMessage([failed])).toBe(
      'ECR password not written: 1 of 1 secrets could not be written (0 written):\n- octo/gone ECR_PASSWORD: not found | really',
    );
    expect(failureMessage([created, skipped])).toBeUndefined();
  });

  it('secrets that failed for the same reason share one line', () => {
    const denied = (target: string, secret: string): SecretResult => ({
      target,
      secret,
      status: 'failed',
      detail: 'AWS said no.',
      takesEffect: 'x',
    });
    expect(failureMessage([denied('a/b', 'X'), failed, denied('c/d', 'X')])).toBe(
      'ECR password not written: 3 of 3 secrets could not be written (0 written):\n- a/b X, c/d X: AWS said no.\n- octo/gone ECR_PASSWORD: not found | really',
    );
  });
});

describe('an error before the writes', () => {
  const app = describeTarget({ kind: 'repository', owner: 'octo', repo: 'app' });
  const api = describeTarget({ kind: 'repository', owner: 'octo', repo: 'api' });
  const dueAtTargets: DueAtTarget[] = [
    { target: app, due: [{ name: 'ECR_USERNAME' }], results: [{ ...skipped, target: 'octo/app' }] },
    { target: api, due: [{ name: 'ECR_PASSWORD' }, { name: 'ECR_USERNAME' }], results: [] },
  ];

  it('fails every due secret with its message; what planning knew stays', () => {
    expect(
      resultsAfterError(dueAtTargets, new Error('AWS said no.')).map(({ target, secret, status, detail }) => [
        target,
        secret,
        status,
        detail,
      ]),
    ).toEqual([
      ['octo/app', 'ECR_PASSWORD', 'skipped', 'younger than max-age'],
      ['octo/app', 'ECR_USERNAME', 'failed', 'AWS said no.'],
      ['octo/api', 'ECR_PASSWORD', 'failed', 'AWS said no.'],
      ['octo/api', 'ECR_USERNAME', 'failed', 'AWS said no.'],
    ]);
  });

  it('reportRun: outputs, a summary row per secret, and the step failed with every secret named', async () => {
    const { core, seen } = recorder();
    await withSummaryFile(() => reportRun(core, { dueAtTargets }, new Date(), new Error('AWS said no.')));
    expect(seen.outputs['secrets-written']).toBe('[]');
    expect(JSON.parse(seen.outputs['secrets-failed'] ?? '')).toHaveLength(3);
    expect(seen.summary.split('\n')[0]).toBe('### ECR password not written');
    expect(seen.summary.match(/\| failed \| AWS said no\. \|/g)).toHaveLength(3);
    expect(seen.failed).toEqual([
      'ECR password not written: 3 of 4 secrets could not be written (0 written, 1 skipped):\n- octo/app ECR_USERNAME, octo/api ECR_PASSWORD, octo/api ECR_USERNAME: AWS said no.',
    ]);
  });
});

describe('a reporting failure is a warning and never hides the result', () => {
  it('summary write fails on a successful run: a warning, and the step is not failed', async () => {
    const { core, seen } = recorder({ summaryFails: new Error("EISDIR: illegal operation on a directory, open '/x'") });
    await withSummaryFile(() => reportRun(core, { dueAtTargets: [], login, results: [created] }, new Date()));
    expect(seen.failed).toEqual([]);
    expect(seen.warnings).toEqual([
      "Could not write the job summary (GITHUB_STEP_SUMMARY): EISDIR: illegal operation on a directory, open '/x'",
    ]);
    expect(JSON.parse(seen.outputs['secrets-written'] ?? '')).toHaveLength(1);
  });

  it('summary write and outputs fail on a run with a failed write: the step fails with the write failure', async () => {
    const { core, seen } = recorder({
      summaryFails: new Error('Unable to access summary file'),
      outputFails: new Error('ENOENT: no such file'),
    });
    await withSummaryFile(() => reportRun(core, { dueAtTargets: [], login, results }, new Date()));
    expect(seen.failed).toEqual([failureMessage(results)]);
    expect(seen.warnings).toEqual([
      "Could not set the step's outputs (GITHUB_OUTPUT): ENOENT: no such file",
      'Could not write the job summary (GITHUB_STEP_SUMMARY): Unable to access summary file',
    ]);
  });
});

/** Runs `body` with GITHUB_STEP_SUMMARY set, as on a runner (the Reporter fake never touches the file). */
async function withSummaryFile(body: () => Promise<void>): Promise<void> {
  const before = process.env['GITHUB_STEP_SUMMARY'];
  process.env['GITHUB_STEP_SUMMARY'] = '/dev/null';
  try {
    await body();
  } finally {
    if (before === undefined) delete process.env['GITHUB_STEP_SUMMARY'];
    else process.env['GITHUB_STEP_SUMMARY'] = before;
  }
}
