/**
 * `npm run demo`: its three scenarios run against the fakes, and every proof they print holds.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { NODE_24 } from '../fakes/run-action.ts';

const root = resolve(fileURLToPath(import.meta.url), '../../..');

describe('npm run demo', () => {
  it('runs the three scenarios against the fakes, and every proof holds', () => {
    const demo = spawnSync(NODE_24, ['scripts/demo.ts'], {
      cwd: root,
      encoding: 'utf8',
      env: { PATH: process.env['PATH'] ?? '' },
    });

    expect([demo.status, demo.stderr]).toEqual([0, '']);
    const titles = demo.stdout.split('\n').filter((line) => /^\d\. /.test(line));
    expect(titles).toEqual([
      '1. OIDC, repository secret',
      '2. Organisation secret, selected repositories',
      '3. Docker config secret (DOCKER_AUTH_CONFIG)',
    ]);
    // Each scenario shows the log, the outputs, the summary and its proofs; none fails.
    for (const part of ['── step log', '── outputs', '── job summary', '── proof'])
      expect(demo.stdout.split(part).length - 1).toBe(3);
    expect(demo.stdout.match(/^✓ /gm)?.length).toBe(15);
    expect(demo.stdout).not.toMatch(/^✗ /m);
    expect(demo.stdout).toContain('Every proof holds.');
  });
});
