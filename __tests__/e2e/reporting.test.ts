/**
 * What the step reports: the summary's headline says what happened, outputs are set on every path, an
 * AWS failure after planning still reports every secret, and a summary that cannot be written is a
 * warning that never hides the result.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Fakes } from '../fakes/index.ts';
import { count, REPO, run, setUp } from './helpers.ts';

let fakes: Fakes & { roleArn: string };
beforeEach(async () => (fakes = await setUp()));
afterEach(async () => fakes.stop());

const oidc = () => ({ 'role-to-assume': fakes.roleArn });
const HOUR = 3_600_000;
const list = (outputs: Record<string, string>, name: string) => JSON.parse(outputs[name] ?? 'null') as unknown;
/** The summary's first line: the headline. */
const headline = (summary: string) => summary.split('\n')[0];

describe('the summary headline says what happened', () => {
  it('max-age with every list request refused: "not written", never "still fresh"', async () => {
    fakes.github.addToken('ghs_read_only', 'read-only');
    const result = await run(fakes, { ...oidc(), 'max-age': '6h', 'github-token': 'ghs_read_only' });

    expect(result.exitCode).toBe(1);
    expect(headline(result.summary)).toBe('### ECR password not written');
    expect(result.summary).not.toContain('still fresh');
    expect(result.summary).toMatch(
      /\| octo\/app \| `ECR_PASSWORD` \| failed \| github-token may not list the secrets of octo\/app/,
    );
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(
      /^ECR password not written: 1 of 1 secrets could not be written \(0 written\):\n- octo\/app ECR_PASSWORD: github-token may not list/,
    );
    expect(list(result.outputs, 'secrets-failed')).toEqual([
      {
        target: 'octo/app',
        secret: 'ECR_PASSWORD',
        status: 'failed',
        reason: expect.stringContaining('github-token may not list the secrets of octo/app'),
      },
    ]);
  });

  it('every write refused after a password was fetched: "not written", never "refreshed"', async () => {
    fakes.github.addToken('ghs_read_only', 'read-only');
    const result = await run(fakes, { ...oidc(), 'github-token': 'ghs_read_only' });

    expect(result.exitCode).toBe(1);
    expect(headline(result.summary)).toBe('### ECR password not written');
    expect(result.summary).not.toContain('refreshed');
    expect(result.errors[0]).toMatch(/^ECR password not written: 1 of 1 secrets/);
    expect(result.outputs['secrets-written']).toBe('[]');
    expect(fakes.github.writes()).toHaveLength(0);
  });

  it('some written, some failed: "partly written", in the summary and the error alike', async () => {
    const result = await run(fakes, { ...oidc(), repositories: 'octo/app\nocto/gone' });

    expect(result.exitCode).toBe(1);
    expect(headline(result.summary)).toBe('### ECR password partly written');
    expect(result.summary).toContain('1 of 2 secrets written, 1 failed');
    expect(result.errors[0]).toMatch(
      /^ECR password partly written: 1 of 2 secrets could not be written \(1 written\):\n- octo\/gone ECR_PASSWORD: /,
    );
    expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD')?.plaintext).toBe(fakes.aws.lastLogin?.password);
    expect(list(result.outputs, 'secrets-written')).toEqual([
      { target: 'octo/app', secret: 'ECR_PASSWORD', status: 'created' },
    ]);
    expect(list(result.outputs, 'secrets-failed')).toEqual([
      { target: 'octo/gone', secret: 'ECR_PASSWORD', status: 'failed', reason: expect.stringContaining('not found') },
    ]);
  });

  it('all written: "refreshed", with the expiry, and no failure output', async () => {
    const result = await run(fakes, oidc());

    expect(result.exitCode).toBe(0);
    expect(headline(result.summary)).toBe('### ECR password refreshed');
    expect(result.summary).toContain(`expires at ${fakes.aws.lastLogin?.expiresAt.toISOString()}`);
    expect(result.outputs['secrets-failed']).toBe('[]');
  });
});

describe('an AWS failure after planning still reports every secret', () => {
  it('max-age: the due secret failed with the AWS reason, the fresh one skipped, outputs and summary set', async () => {
    const keys = fakes.aws.addStaticKeys();
    fakes.aws.ecrDenied.add(keys.accessKeyId);
    const store = fakes.github.repositories.get(REPO)!.store;
    fakes.github.seed(store, 'ECR_PASSWORD', 'fresh-password', new Date(Date.now() - HOUR));
    // A stale docker config is due (a stored username secret would not be: it never changes).
    fakes.github.seed(store, 'DOCKER_AUTH_CONFIG', 'old', new Date(Date.now() - 8 * HOUR));
    const result = await run(fakes, {
      'aws-access-key-id': keys.accessKeyId,
      'aws-secret-access-key': keys.secretAccessKey,
      'max-age': '6h',
      'docker-config-secret-name': 'DOCKER_AUTH_CONFIG',
    });

    expect(result.exitCode).toBe(1);
    expect(count(fakes, 'ecr')).toBe(1);
    expect(fakes.github.writes()).toHaveLength(0);
    expect(result.outputs['secrets-written']).toBe('[]');
    expect(list(result.outputs, 'secrets-skipped')).toEqual([
      { target: 'octo/app', secret: 'ECR_PASSWORD', status: 'skipped' },
    ]);
    expect(list(result.outputs, 'secrets-failed')).toEqual([
      {
        target: 'octo/app',
        secret: 'DOCKER_AUTH_CONFIG',
        status: 'failed',
        reason: expect.stringContaining('may not call ecr:GetAuthorizationToken'),
      },
    ]);
    expect(result.outputs['registry']).toBeUndefined();
    expect(headline(result.summary)).toBe('### ECR password not written');
    expect(result.summary).toMatch(/\| octo\/app \| `ECR_PASSWORD` \| skipped \| updated .*, younger than max-age \|/);
    expect(result.summary).toMatch(
      /\| octo\/app \| `DOCKER_AUTH_CONFIG` \| failed \| This AWS identity may not call ecr:GetAuthorizationToken/,
    );
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(
      /could not be written \(0 written, 1 skipped\):\n- octo\/app DOCKER_AUTH_CONFIG: This AWS identity may not call ecr:GetAuthorizationToken/,
    );
  });

  it('several targets and secrets: the AWS reason is said once for all of them', async () => {
    const keys = fakes.aws.addStaticKeys();
    fakes.aws.ecrDenied.add(keys.accessKeyId);
    fakes.github.addRepository('octo/api');
    const result = await run(fakes, {
      'aws-access-key-id': keys.accessKeyId,
      'aws-secret-access-key': keys.secretAccessKey,
      repositories: 'octo/app, octo/api',
      'username-secret-name': 'ECR_USERNAME',
    });

    expect(result.exitCode).toBe(1);
    expect(list(result.outputs, 'secrets-failed')).toHaveLength(4);
    expect(result.summary.match(/\| failed \| This AWS identity may not call ecr:GetAuthorizationToken/g)).toHaveLength(
      4,
    );
    const message = result.errors[0] ?? '';
    expect(message).toContain(
      '- octo/app ECR_PASSWORD, octo/app ECR_USERNAME, octo/api ECR_PASSWORD, octo/api ECR_USERNAME: This AWS identity may not call',
    );
    expect(message.match(/may not call ecr:GetAuthorizationToken/g)).toHaveLength(1);
  });
});

describe('a summary that cannot be written is a warning, and never hides the real result', () => {
  let elsewhere: string;
  beforeEach(() => {
    elsewhere = mkdtempSync(join(tmpdir(), 'ecr-secret-refresh-summary-'));
  });
  afterEach(() => rmSync(elsewhere, { recursive: true, force: true }));

  it('GITHUB_STEP_SUMMARY is a directory: the secret is written, the step succeeds with a warning, outputs set', async () => {
    const result = await run(fakes, oidc(), { GITHUB_STEP_SUMMARY: elsewhere });

    expect(result.exitCode).toBe(0);
    expect(result.errors).toEqual([]);
    expect(result.stdout).toMatch(/^::warning::Could not write the job summary \(GITHUB_STEP_SUMMARY\): .*EISDIR/m);
    expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD')?.plaintext).toBe(fakes.aws.lastLogin?.password);
    expect(list(result.outputs, 'secrets-written')).toEqual([
      { target: 'octo/app', secret: 'ECR_PASSWORD', status: 'created' },
    ]);
  });

  it('GITHUB_STEP_SUMMARY cannot be opened and a write fails: the step fails with the write failure, not the summary', async () => {
    const result = await run(
      fakes,
      { ...oidc(), repositories: 'octo/app\nocto/gone' },
      { GITHUB_STEP_SUMMARY: join(elsewhere, 'missing', 'summary') },
    );

    expect(result.exitCode).toBe(1);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(/^ECR password partly written: .*\n- octo\/gone ECR_PASSWORD: /);
    expect(result.stdout).toMatch(/^::warning::Could not write the job summary \(GITHUB_STEP_SUMMARY\): /m);
    expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD')?.plaintext).toBe(fakes.aws.lastLogin?.password);
    expect(list(result.outputs, 'secrets-failed')).toHaveLength(1);
  });
});
