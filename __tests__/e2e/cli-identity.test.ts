import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { commandHelpers, dotenvValues, gitlabToken, setUpCommand, type CommandFakes } from './cli-helpers.ts';

/**
 * The command's AWS identity outside GitHub: web identity from `AWS_WEB_IDENTITY_TOKEN_FILE` (with
 * `--role-to-assume`, and through the AWS SDK's own chain with `AWS_ROLE_ARN`), the default chain's
 * failure in the command's words (flags and environment variables, never the action's inputs), and
 * `--role-to-assume` assumed with the default chain's identity (sts:AssumeRole).
 */

let fakes: CommandFakes;
beforeEach(async () => {
  fakes = await setUpCommand();
});
afterEach(async () => {
  await fakes.stop();
});
const { command, commandEnv, stsRequests } = commandHelpers(() => fakes);

describe('web identity from a token file (AWS_WEB_IDENTITY_TOKEN_FILE)', () => {
  it('with --role-to-assume: the file is read and exchanged for that role', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ecr-cli-'));
    const token = gitlabToken();
    writeFileSync(join(dir, 'token'), `${token}\n`);
    const run = await command(
      ['--aws-region', 'eu-west-1', '--role-to-assume', fakes.gitlabRoleArn, '--dotenv-file', 'auth.env'],
      commandEnv({ AWS_WEB_IDENTITY_TOKEN_FILE: join(dir, 'token'), CI_PROJECT_ID: '7', CI_PIPELINE_ID: '99' }),
      [token],
      dir,
    );
    expect(run.exitCode).toBe(0);
    const [assumed] = stsRequests('AssumeRoleWithWebIdentity');
    expect(assumed?.get('WebIdentityToken')).toBe(token);
    expect(assumed?.get('RoleSessionName')).toBe('gitlab-7-99');
    expect(dotenvValues(run).get('DOCKER_AUTH_CONFIG')).toContain(fakes.aws.lastLogin?.authorizationToken);
  });

  it("without --role-to-assume: the AWS SDK's own chain reads the file and AWS_ROLE_ARN", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ecr-cli-'));
    const token = gitlabToken();
    writeFileSync(join(dir, 'token'), token);
    const run = await command(
      ['--aws-region', 'eu-west-1', '--dotenv-file', 'auth.env'],
      commandEnv({
        AWS_WEB_IDENTITY_TOKEN_FILE: join(dir, 'token'),
        AWS_ROLE_ARN: fakes.gitlabRoleArn,
        CI_PROJECT_ID: '7',
        CI_PIPELINE_ID: '100',
      }),
      [token],
      dir,
    );
    expect(run.stderr).not.toMatch(/error/);
    expect(run.exitCode).toBe(0);
    const [assumed] = stsRequests('AssumeRoleWithWebIdentity');
    expect(assumed?.get('WebIdentityToken')).toBe(token);
    expect(assumed?.get('RoleSessionName')).toBe('gitlab-7-100');
    const login = fakes.aws.lastLogin;
    expect(login && fakes.aws.temporary.get(login.signedWith)?.roleArn).toBe(fakes.gitlabRoleArn);
  });
});

describe("the AWS SDK's default chain, in the command's words", () => {
  it('no credentials at all: exit 1, the message names the flags and environment variables, not the action inputs', async () => {
    const run = await command(
      ['--aws-region', 'eu-west-1', '--dotenv-file', 'auth.env'],
      commandEnv({
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_CONFIG_FILE: '/nonexistent',
        AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
      }),
    );
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(
      /No AWS credentials were found for ecr:GetAuthorizationToken \(the AWS SDK's default credential chain found none\)\. Give a web identity token \(--role-to-assume with --web-identity-token-env, or AWS_WEB_IDENTITY_TOKEN_FILE with AWS_ROLE_ARN\)/,
    );
    expect(run.stderr).not.toMatch(/Set role-to-assume|GitHub OIDC/);
    expect(run.files).toEqual([]);
  });
});

describe('--role-to-assume without a web identity token', () => {
  it("is assumed with the default chain's identity (sts:AssumeRole signed by the keys in the environment), and says so", async () => {
    const keys = fakes.aws.addStaticKeys();
    const roleArn = fakes.aws.addRole('cron-ecr-pull', { trustedAccessKeyIds: [keys.accessKeyId] });
    const run = await command(
      ['--aws-region', 'eu-west-1', '--role-to-assume', roleArn, '--dotenv-file', 'auth.env'],
      commandEnv({ AWS_ACCESS_KEY_ID: keys.accessKeyId, AWS_SECRET_ACCESS_KEY: keys.secretAccessKey }),
    );
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toContain(
      `assuming ${roleArn} with the identity of the AWS SDK's default credential chain (sts:AssumeRole).`,
    );
    expect(stsRequests('AssumeRole')[0]?.get('RoleArn')).toBe(roleArn);
    const login = fakes.aws.lastLogin;
    expect(login && fakes.aws.temporary.get(login.signedWith)?.roleArn).toBe(roleArn);
  });

  it('says what to allow when that identity may not assume the role', async () => {
    const keys = fakes.aws.addStaticKeys();
    const roleArn = fakes.aws.addRole('cron-ecr-pull', { trustedAccessKeyIds: [] });
    const run = await command(
      ['--aws-region', 'eu-west-1', '--role-to-assume', roleArn, '--dotenv-file', 'auth.env'],
      commandEnv({ AWS_ACCESS_KEY_ID: keys.accessKeyId, AWS_SECRET_ACCESS_KEY: keys.secretAccessKey }),
    );
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain(
      `The identity found by the default credential chain may not assume role ${roleArn} (sts:AssumeRole). AWS said AccessDenied`,
    );
    expect(run.files).toEqual([]);
  });
});
