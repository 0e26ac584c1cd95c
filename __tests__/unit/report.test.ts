import { describe, expect, it } from '@jest/globals';
import { failureMessage, setOutputs, summaryMarkdown } from '../../src/report.ts';
import type { SecretResult } from '../../src/github/writer.ts';

const login = { registry: 'r.example', username: 'AWS', password: 'TOPSECRET', expiresAt: new Date('2026-01-01T12:00:00Z') };
const results: SecretResult[] = [
  { target: 'octo/app', secret: 'ECR_PASSWORD', status: 'created', takesEffect: 'runs queued from now on' },
  { target: 'octo/api', secret: 'ECR_PASSWORD', status: 'skipped', detail: 'younger than max-age', takesEffect: 'x' },
  { target: 'octo/gone', secret: 'ECR_PASSWORD', status: 'failed', detail: 'not found | really', takesEffect: 'x' },
];

describe('report', () => {
  it('outputs never hold the password', () => {
    const outputs: Record<string, string> = {};
    setOutputs({ setOutput: (name, value) => (outputs[name] = value), summary: { addRaw: () => undefined, write: async () => undefined } }, login, results);
    expect(outputs['registry']).toBe('r.example');
    expect(outputs['expires-at']).toBe('2026-01-01T12:00:00.000Z');
    expect(JSON.parse(outputs['secrets-written'] ?? '')).toEqual([{ target: 'octo/app', secret: 'ECR_PASSWORD', status: 'created' }]);
    expect(JSON.parse(outputs['secrets-skipped'] ?? '')).toEqual([{ target: 'octo/api', secret: 'ECR_PASSWORD', status: 'skipped' }]);
    expect(JSON.stringify(outputs)).not.toContain('TOPSECRET');
  });

  it('summary: a row per secret, the expiry, table cells escaped', () => {
    const markdown = summaryMarkdown(login, results, new Date('2026-01-01T00:30:00Z'));
    expect(markdown).toContain('expires at 2026-01-01T12:00:00.000Z (in 11h30m)');
    expect(markdown).toContain('| octo/app | `ECR_PASSWORD` | created | read by runs queued from now on |');
    expect(markdown).toContain('| octo/gone | `ECR_PASSWORD` | failed | not found \\| really |');
  });

  it('without a login (every secret fresh): no registry outputs, and the summary says no password was fetched', () => {
    const outputs: Record<string, string> = {};
    setOutputs({ setOutput: (name, value) => (outputs[name] = value), summary: { addRaw: () => undefined, write: async () => undefined } }, undefined, results.slice(1, 2));
    expect(Object.keys(outputs).sort()).toEqual(['secrets-skipped', 'secrets-written']);
    expect(summaryMarkdown(undefined, results.slice(1, 2), new Date())).toContain('no password was fetched from ECR');
  });

  it('failure message names each failure, or is absent when none failed', () => {
    expect(failureMessage(results)).toBe('1 of 3 secrets could not be written (1 written):\n- octo/gone ECR_PASSWORD: not found | really');
    expect(failureMessage(results.slice(0, 2))).toBeUndefined();
  });
});
