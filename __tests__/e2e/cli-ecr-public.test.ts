import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { Fakes } from '../fakes/index.ts';
import { runCommand } from '../fakes/run-command.ts';
import { count, issuedSecrets, setUp } from './helpers.ts';

/**
 * The registry is the AWS side's (src/config/aws.ts): the command fetches an ECR Public password for
 * a dotenv file alone, with no GitHub target (`--registry-type public --dotenv-file`), and refuses
 * the registry flags' own mistakes as it refuses them beside a GitHub target. Until the registry
 * moved there, --registry-type without --repositories or --organization was refused (exit 2).
 */

let fakes: Fakes & { roleArn: string };

beforeEach(async () => {
  fakes = await setUp();
});
afterEach(async () => {
  await fakes.stop();
});

/** The command with keys of the fake AWS, its endpoints (ECR Public's among them), and no GitHub token. */
async function command(args: string[]) {
  const keys = fakes.aws.addStaticKeys();
  const run = await runCommand(args, {
    AWS_ENDPOINT_URL_STS: fakes.env['AWS_ENDPOINT_URL_STS'] ?? '',
    AWS_ENDPOINT_URL_ECR: fakes.env['AWS_ENDPOINT_URL_ECR'] ?? '',
    AWS_ENDPOINT_URL_ECR_PUBLIC: fakes.env['AWS_ENDPOINT_URL_ECR_PUBLIC'] ?? '',
    AWS_ACCESS_KEY_ID: keys.accessKeyId,
    AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
  });
  const visible = `${run.stdout}\n${run.stderr}`;
  for (const secret of issuedSecrets(fakes, [keys.secretAccessKey]))
    expect(visible.includes(secret) ? `leaked: ${secret.slice(0, 6)}...` : 'not leaked').toBe('not leaked');
  return run;
}

describe('the command: an ECR Public password for a dotenv file alone', () => {
  it('--registry-type public --dotenv-file: ECR Public asked in us-east-1, its password in the docker config for public.ecr.aws', async () => {
    const run = await command([
      '--aws-region',
      'eu-west-1',
      '--registry-type',
      'public',
      '--dotenv-file',
      'auth.env',
      '--dotenv-username-name',
      'ECR_USERNAME',
    ]);
    expect(run.stderr).not.toMatch(/error|warning/);
    expect(run.stderr).toMatch(/^ECR login for public\.ecr\.aws expires at /m);
    expect(run.exitCode).toBe(0);
    // ECR Public only: private ECR never asked, GitHub never asked.
    expect([count(fakes, 'ecr-public'), count(fakes, 'ecr'), count(fakes, 'github')]).toEqual([1, 0, 0]);
    expect(String(fakes.aws.ecrPublic.requests[0]?.headers.authorization)).toMatch(
      /Credential=\w+\/\d{8}\/us-east-1\/ecr-public\/aws4_request/,
    );
    const issued = fakes.aws.lastLogin!;
    expect(issued.registry).toBe('public.ecr.aws');
    const values = new Map(
      readFileSync(join(run.dir, 'auth.env'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    expect([...values.keys()]).toEqual(['DOCKER_AUTH_CONFIG', 'ECR_USERNAME']);
    const config = JSON.parse(values.get('DOCKER_AUTH_CONFIG') ?? '') as { auths: Record<string, { auth: string }> };
    expect(Object.keys(config.auths)).toEqual(['public.ecr.aws']);
    expect(Buffer.from(config.auths['public.ecr.aws']?.auth ?? '', 'base64').toString('utf8')).toBe(
      `AWS:${issued.password}`,
    );
    expect(run.stdout).toMatch(/^dotenv file auth\.env {2}DOCKER_AUTH_CONFIG {2}created/m);
  });

  it('the registry flags are checked without a GitHub target too: exit 2, nothing asked or written', async () => {
    const run = await command([
      '--aws-region',
      'cn-north-1',
      '--registry-type',
      'public',
      '--registries',
      '210987654321',
      '--dotenv-file',
      'auth.env',
    ]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toBe(
      [
        'error: --registry-type: ECR Public exists only in partition aws, and --aws-region cn-north-1 is in partition aws-cn. Use registry-type: private (the default) for this region, or a region of partition aws (ECR Public is reached in us-east-1 whatever --aws-region says).',
        '--registries: it only applies to private registries, and --registry-type is public (public.ecr.aws is one registry). Remove --registries, or set registry-type: private.',
        '',
      ].join('\n'),
    );
    expect(fakes.allRequests()).toEqual([]);
  });

  it('--registries beside a dotenv file alone is refused before AWS is asked: its docker config fits no second registry', async () => {
    const run = await command([
      '--aws-region',
      'eu-west-1',
      '--registries',
      '210987654321',
      '--dotenv-file',
      'auth.env',
    ]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toBe(
      "error: --registries: it lists 1 account, and the docker config of a dotenv file fits none beside the login's own: each adds an entry of up to 3.8 KB (an ECR password runs to 2,700 characters), and GitLab takes a dotenv report under 5120 bytes. Remove --registries, or add --no-dotenv-docker-config to write the password alone.\n",
    );
    expect(fakes.allRequests()).toEqual([]);
  });
});
