import { describe, expect, it } from '@jest/globals';
import { summaryMarkdown } from '../../src/run/report.ts';
import { renderStepLog, renderSummary } from '../../scripts/runner-view.ts';

describe('renderStepLog: the step log as the runner shows it', () => {
  it('masks a value from the line after its ::add-mask:: on, never before, and prints no command', () => {
    const log = renderStepLog(
      ['early s3cret', '::add-mask::s3cret', 'late s3cret and s3cret', '::add-mask::'].join('\n'),
    );
    expect(log.lines).toEqual(['early s3cret', 'late *** and ***']);
    expect(log.masks).toEqual(['s3cret']);
  });

  it('masks the longest value first, so that no part of it shows', () => {
    expect(renderStepLog('::add-mask::abc\n::add-mask::abcdef\nvalue abcdef').lines).toEqual(['value ***']);
  });

  it('hides debug lines, shows annotations by kind with their escaped data decoded, and indents groups', () => {
    const log = renderStepLog(
      [
        '::debug::request',
        '::group::Targets',
        'octo/app',
        '::endgroup::',
        '::warning title=x::one%0Atwo',
        '::error::100%25 failed',
        'plain :: text',
      ].join('\n'),
    );
    expect(log.hiddenDebugLines).toBe(1);
    expect(log.lines).toEqual([
      '▾ Targets',
      '  octo/app',
      'Warning: one',
      'Warning: two',
      'Error: 100% failed',
      'plain :: text',
    ]);
  });
});

describe('renderSummary: the job summary as text', () => {
  it("lines up the action's own table, with its escaped pipes and code spans shown as text", () => {
    const results = [
      { target: 'octo/app', secret: 'ECR_PASSWORD', status: 'created' as const, takesEffect: 'runs' },
      {
        target: 'organization octo',
        secret: 'ECR_PASSWORD',
        status: 'failed' as const,
        detail: 'a|b',
        takesEffect: 'runs',
      },
    ];
    const lines = renderSummary(summaryMarkdown(undefined, results, new Date(0)));
    expect(lines[0]).toBe('ECR password partly written');
    expect(lines[1]).toBe('─'.repeat('ECR password partly written'.length));
    const table = lines.slice(lines.indexOf('target             secret        result   notes'));
    expect(table).toEqual([
      'target             secret        result   notes',
      '─────────────────  ────────────  ───────  ────────────',
      'octo/app           ECR_PASSWORD  created  read by runs',
      'organization octo  ECR_PASSWORD  failed   a|b',
    ]);
  });
});
