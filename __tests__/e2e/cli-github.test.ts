import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { commandHelpers, setUpCommand, type CommandFakes } from './cli-helpers.ts';
import { REPO, TOKEN } from './helpers.ts';

/**
 * The command writes a GitHub secret from a cron host: keys from the environment, the token from
 * `GH_TOKEN` or the variable `--github-token-env` names, the plain and JSON reports; a token GitHub does not
 * know and a read-only one refused in messages that name that variable (`GH_TOKEN`, or the one
 * `--github-token-env` gave), never the action's `github-token`.
 */

let fakes: CommandFakes;
beforeEach(async () => {
  fakes = await setUpCommand();
});
afterEach(async () => {
  await fakes.stop();
});
const { command, commandEnv } = commandHelpers(() => fakes);

describe('the command writes a GitHub secret (a cron host)', () => {
  it('writes the password ECR issued into the repository secret, with keys from the environment', async () => {
    const keys = fakes.aws.addStaticKeys();
    const run = await command(
      ['--aws-region', 'eu-west-1', '--repositories', REPO, '--github-api-url', fakes.github.server.url],
      commandEnv({ GH_TOKEN: TOKEN, AWS_ACCESS_KEY_ID: keys.accessKeyId, AWS_SECRET_ACCESS_KEY: keys.secretAccessKey }),
    );
    expect(run.stderr).not.toMatch(/error/);
    expect(run.exitCode).toBe(0);
    const login = fakes.aws.lastLogin;
    expect(login?.signedWith).toBe(keys.accessKeyId);
    expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD')?.plaintext).toBe(login?.password);
    // The plain report on stdout: headline, expiry, one aligned row per secret.
    expect(run.stdout).toMatch(
      /^ECR password refreshed\nRegistry 123456789012\.dkr\.ecr\.eu-west-1\.amazonaws\.com, user AWS/,
    );
    expect(run.stdout).toMatch(/^octo\/app {2}ECR_PASSWORD {2}created {2}read by /m);
    expect(run.stdout).not.toContain('|');
    expect(run.files).toEqual([]);
  });

  it('takes the token from the variable --github-token-env names, and reports JSON with --output json', async () => {
    const keys = fakes.aws.addStaticKeys();
    const run = await command(
      [
        '--repositories',
        REPO,
        '--github-token-env',
        'SECRETS_WRITER',
        '--output',
        'json',
        '--secret-name',
        'REGISTRY_PASSWORD',
      ],
      commandEnv({
        AWS_REGION: 'eu-west-1',
        GITHUB_API_URL: fakes.github.server.url,
        SECRETS_WRITER: TOKEN,
        GH_TOKEN: 'github_pat_NOT_THIS_ONE',
        AWS_ACCESS_KEY_ID: keys.accessKeyId,
        AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
      }),
      ['github_pat_NOT_THIS_ONE'],
    );
    expect(run.exitCode).toBe(0);
    expect(fakes.github.repositorySecret(REPO, 'REGISTRY_PASSWORD')?.plaintext).toBe(fakes.aws.lastLogin?.password);
    const report = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(report).toEqual({
      outcome: 'refreshed',
      registry: fakes.aws.registry,
      username: 'AWS',
      expiresAt: fakes.aws.lastLogin?.expiresAt.toISOString(),
      results: [{ target: REPO, secret: 'REGISTRY_PASSWORD', status: 'created' }],
    });
  });

  it('--dry-run plans the GitHub secrets as the action does: keys read, nothing written, AWS not asked', async () => {
    const run = await command(
      ['--aws-region', 'eu-west-1', '--repositories', REPO, '--github-api-url', fakes.github.server.url, '--dry-run'],
      commandEnv({ GH_TOKEN: TOKEN }),
    );
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toContain('Dry run: 1 secret would be written.');
    expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD')).toBeUndefined();
    expect(fakes.allRequests().filter(({ service }) => service !== 'github')).toEqual([]);
  });

  it('exits 1 and says what to do when GitHub refuses the token; nothing is minted', async () => {
    const keys = fakes.aws.addStaticKeys();
    const run = await command(
      ['--aws-region', 'eu-west-1', '--repositories', REPO, '--github-api-url', fakes.github.server.url],
      commandEnv({
        GH_TOKEN: 'github_pat_REVOKED',
        AWS_ACCESS_KEY_ID: keys.accessKeyId,
        AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
      }),
      ['github_pat_REVOKED'],
    );
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/^error: ECR password not written: 1 of 1 secrets could not be written/m);
    expect(run.stdout).toMatch(/^ECR password not written/);
    expect(fakes.aws.logins).toHaveLength(0);
  });

  it('names GH_TOKEN, not the action input, when GitHub does not know the token: put a new one in GH_TOKEN', async () => {
    const keys = fakes.aws.addStaticKeys();
    const run = await command(
      ['--aws-region', 'eu-west-1', '--repositories', REPO, '--github-api-url', fakes.github.server.url],
      commandEnv({
        GH_TOKEN: 'github_pat_UNKNOWN_TO_GITHUB',
        AWS_ACCESS_KEY_ID: keys.accessKeyId,
        AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
      }),
      ['github_pat_UNKNOWN_TO_GITHUB'],
    );
    expect(run.exitCode).toBe(1);
    const output = `${run.stdout}\n${run.stderr}`;
    expect(run.stderr).toContain(
      `GH_TOKEN was refused while trying to read the secrets public key of ${REPO} (GitHub answered 401 "Bad credentials"): it is mistyped, expired or revoked. Create a new token and put it in GH_TOKEN.`,
    );
    expect(output).not.toContain('github-token');
    expect(output).not.toContain('the secret that holds it');
    expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD')).toBeUndefined();
    expect(fakes.aws.logins).toHaveLength(0);
  });

  it('names the variable --github-token-env gave when GitHub refuses its token the permission', async () => {
    const keys = fakes.aws.addStaticKeys();
    const readOnly = fakes.github.addToken('github_pat_11READONLY', 'read-only');
    const run = await command(
      [
        '--aws-region',
        'eu-west-1',
        '--repositories',
        REPO,
        '--github-api-url',
        fakes.github.server.url,
        '--github-token-env',
        'MY_TOKEN',
      ],
      commandEnv({
        MY_TOKEN: readOnly,
        GH_TOKEN: TOKEN,
        AWS_ACCESS_KEY_ID: keys.accessKeyId,
        AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
      }),
      [readOnly],
    );
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(
        `MY_TOKEN may not read the secrets public key of ${REPO} \\(GitHub answered 403 "Resource not accessible by integration"\\)\\. It needs `,
      ),
    );
    expect(`${run.stdout}\n${run.stderr}`).not.toMatch(/github-token|GH_TOKEN/);
    expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD')).toBeUndefined();
  });
});
