import { execFileSync } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { commandHelpers, dotenvValues, gitlabToken, setUpCommand, type CommandFakes } from './cli-helpers.ts';
import { REPO, TOKEN } from './helpers.ts';

/**
 * The command writes a dotenv file for a GitLab pipeline (a report GitLab reads as a dotenv artifact):
 * mode 0600, `DOCKER_AUTH_CONFIG` decoded and read back by `skopeo login --get-login` (Debian's package,
 * which `.ci/run` installs); `--no-dotenv-docker-config` with the password alone under GitLab's 5,120
 * bytes, the fake ECR's passwords being of real length; `--dotenv-docker-config-name`; a file already
 * there replaced; a GitHub secret beside it from one password, and a GitHub sink failing alone. The
 * web identity is a GitLab-like token (issuer `https://gitlab.com`, made by `makeIdToken`) in an
 * environment variable, and the `gitlab-<project>-<pipeline>` session name STS received is checked.
 */

let fakes: CommandFakes;
beforeEach(async () => {
  fakes = await setUpCommand();
});
afterEach(async () => {
  await fakes.stop();
});
const { command, commandEnv, stsRequests } = commandHelpers(() => fakes);

describe('the command writes a dotenv file for a GitLab pipeline', () => {
  it('assumes the role with the token from --web-identity-token-env and writes DOCKER_AUTH_CONFIG, mode 0600', async () => {
    const token = gitlabToken();
    const run = await command(
      [
        '--aws-region',
        'eu-west-1',
        '--role-to-assume',
        fakes.gitlabRoleArn,
        '--web-identity-token-env',
        'GITLAB_OIDC_TOKEN',
        '--dotenv-file',
        'auth.env',
        '--dotenv-username-name',
        'ECR_USERNAME',
      ],
      commandEnv({ GITLAB_OIDC_TOKEN: token, CI_PROJECT_ID: '42', CI_PIPELINE_ID: '1001' }),
      [token],
    );
    expect(run.stderr).not.toMatch(/error/);
    expect(run.exitCode).toBe(0);
    const [assumed] = stsRequests('AssumeRoleWithWebIdentity');
    expect(assumed?.get('WebIdentityToken')).toBe(token);
    expect(assumed?.get('RoleArn')).toBe(fakes.gitlabRoleArn);
    expect(assumed?.get('RoleSessionName')).toBe('gitlab-42-1001');
    const login = fakes.aws.lastLogin;
    expect(login && fakes.aws.temporary.get(login.signedWith)?.roleArn).toBe(fakes.gitlabRoleArn);

    expect(statSync(join(run.dir, 'auth.env')).mode & 0o777).toBe(0o600);
    const values = dotenvValues(run);
    expect([...values.keys()]).toEqual(['DOCKER_AUTH_CONFIG', 'ECR_USERNAME']);
    const dockerConfig = JSON.parse(values.get('DOCKER_AUTH_CONFIG') ?? '') as {
      auths: Record<string, { auth: string }>;
    };
    const auth = Buffer.from(dockerConfig.auths[fakes.aws.registry]?.auth ?? '', 'base64').toString('utf8');
    expect(auth).toBe(`AWS:${login?.password}`);
    expect(values.get('ECR_USERNAME')).toBe('AWS');
    expect(run.stdout).toMatch(/^dotenv file auth\.env {2}DOCKER_AUTH_CONFIG {2}created/m);

    // A Docker config reader accepts it: skopeo reads the same JSON as an auth file.
    const authFile = join(run.dir, 'auth.json');
    writeFileSync(authFile, values.get('DOCKER_AUTH_CONFIG') ?? '');
    const skopeo = execFileSync('skopeo', ['login', '--get-login', '--authfile', authFile, fakes.aws.registry], {
      encoding: 'utf8',
    });
    expect(skopeo.trim()).toBe('AWS');
  });

  it('--no-dotenv-docker-config writes the password alone, which fits where the docker config beside it would not', async () => {
    const token = gitlabToken();
    const run = await command(
      [
        '--aws-region',
        'eu-west-1',
        '--role-to-assume',
        fakes.gitlabRoleArn,
        '--web-identity-token-env',
        'GITLAB_OIDC_TOKEN',
        '--dotenv-file',
        'auth.env',
        '--no-dotenv-docker-config',
        '--dotenv-password-name',
        'ECR_PASSWORD',
        '--dotenv-username-name',
        'ECR_USERNAME',
      ],
      commandEnv({ GITLAB_OIDC_TOKEN: token }),
      [token],
    );
    expect(run.stderr).not.toMatch(/error/);
    expect(run.exitCode).toBe(0);
    const login = fakes.aws.lastLogin;
    // The fake issues passwords of real length (about 2,500 characters): the file is under GitLab's 5,120 bytes.
    expect(login?.password.length).toBeGreaterThan(2000);
    const values = dotenvValues(run);
    expect([...values.keys()]).toEqual(['ECR_PASSWORD', 'ECR_USERNAME']);
    expect(values.get('ECR_PASSWORD')).toBe(login?.password);
    expect(statSync(join(run.dir, 'auth.env')).size).toBeLessThan(5120);
  });

  it('--dotenv-docker-config-name names the docker config', async () => {
    const token = gitlabToken();
    const run = await command(
      [
        '--aws-region',
        'eu-west-1',
        '--role-to-assume',
        fakes.gitlabRoleArn,
        '--web-identity-token-env',
        'GITLAB_OIDC_TOKEN',
        '--dotenv-file',
        'auth.env',
        '--dotenv-docker-config-name',
        'ECR_DOCKER_CONFIG',
      ],
      commandEnv({ GITLAB_OIDC_TOKEN: token }),
      [token],
    );
    expect(run.exitCode).toBe(0);
    expect([...dotenvValues(run).keys()]).toEqual(['ECR_DOCKER_CONFIG']);
    expect(dotenvValues(run).get('ECR_DOCKER_CONFIG')).toContain(fakes.aws.lastLogin?.authorizationToken);
  });

  it('replaces a dotenv file already there, whatever its mode, and reports it updated', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ecr-cli-'));
    writeFileSync(join(dir, 'auth.env'), 'OLD=1\n', { mode: 0o644 });
    const token = gitlabToken();
    const run = await command(
      [
        '--aws-region',
        'eu-west-1',
        '--role-to-assume',
        fakes.gitlabRoleArn,
        '--web-identity-token-env',
        'CI_JOB_JWT_V2',
        '--dotenv-file',
        'auth.env',
      ],
      commandEnv({ CI_JOB_JWT_V2: token }),
      [token],
      dir,
    );
    expect(run.exitCode).toBe(0);
    expect(statSync(join(dir, 'auth.env')).mode & 0o777).toBe(0o600);
    expect([...dotenvValues(run).keys()]).toEqual(['DOCKER_AUTH_CONFIG']);
    expect(run.stdout).toMatch(/DOCKER_AUTH_CONFIG {2}updated/);
    // No session name from GitLab outside a pipeline: the action's own default.
    expect(stsRequests('AssumeRoleWithWebIdentity')[0]?.get('RoleSessionName')).toBe('ecr-secret-refresh');
  });

  it('writes a GitHub secret and a dotenv file from one password, in one report', async () => {
    const token = gitlabToken();
    const run = await command(
      [
        '--aws-region',
        'eu-west-1',
        '--role-to-assume',
        fakes.gitlabRoleArn,
        '--web-identity-token-env',
        'GITLAB_OIDC_TOKEN',
        '--dotenv-file',
        'auth.env',
        '--repositories',
        REPO,
        '--github-api-url',
        fakes.github.server.url,
      ],
      commandEnv({ GITLAB_OIDC_TOKEN: token, GITHUB_TOKEN: TOKEN }),
      [token],
    );
    expect(run.exitCode).toBe(0);
    expect(fakes.aws.logins).toHaveLength(1);
    const password = fakes.aws.lastLogin?.password;
    expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD')?.plaintext).toBe(password);
    expect(dotenvValues(run).get('DOCKER_AUTH_CONFIG')).toContain(fakes.aws.lastLogin?.authorizationToken);
    expect(run.stdout).toMatch(/^octo\/app +ECR_PASSWORD +created/m);
    expect(run.stdout).toMatch(/^dotenv file auth\.env +DOCKER_AUTH_CONFIG +created/m);
  });

  it('a GitHub sink whose repository listing is refused fails alone: the dotenv file is still written, exit 1', async () => {
    const token = gitlabToken();
    const run = await command(
      [
        '--aws-region',
        'eu-west-1',
        '--role-to-assume',
        fakes.gitlabRoleArn,
        '--web-identity-token-env',
        'GITLAB_OIDC_TOKEN',
        '--dotenv-file',
        'auth.env',
        '--repositories',
        'octo-org/nomatch-*',
        '--github-api-url',
        fakes.github.server.url,
      ],
      commandEnv({ GITLAB_OIDC_TOKEN: token, GH_TOKEN: 'ghs_bogus_token_1234567890' }),
      [token, 'ghs_bogus_token_1234567890'],
    );
    expect(run.exitCode).toBe(1);
    expect(run.files).toContain('auth.env');
    expect(dotenvValues(run).get('DOCKER_AUTH_CONFIG')).toContain(fakes.aws.lastLogin?.authorizationToken);
    expect(run.stderr).toMatch(/^error: ECR password partly written: 1 of 2 secrets could not be written/m);
    expect(run.stdout).toMatch(/^dotenv file auth\.env {2}DOCKER_AUTH_CONFIG {2}created/m);
  });

  it('says what the trust policy must match when AWS refuses the token, and exits 1 with nothing written', async () => {
    const token = gitlabToken({ sub: 'project_path:group/other:ref_type:branch:ref:main' });
    const run = await command(
      [
        '--aws-region',
        'eu-west-1',
        '--role-to-assume',
        fakes.gitlabRoleArn,
        '--web-identity-token-env',
        'GITLAB_OIDC_TOKEN',
        '--dotenv-file',
        'auth.env',
      ],
      commandEnv({ GITLAB_OIDC_TOKEN: token }),
      [token],
    );
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain(
      `with the web identity token from GITLAB_OIDC_TOKEN (sts:AssumeRoleWithWebIdentity). AWS said AccessDenied`,
    );
    expect(run.stderr).toContain('sub "project_path:group/other:ref_type:branch:ref:main"');
    expect(run.files).toEqual([]);
  });
});

describe('the dotenv file beside GitHub secrets with --registries', () => {
  it("a docker config of two registries (over the dotenv report's 5 KB) is refused before AWS is asked: exit 2, nothing written", async () => {
    const keys = fakes.aws.addStaticKeys();
    const run = await command(
      [
        '--aws-region',
        'eu-west-1',
        '--repositories',
        REPO,
        '--github-api-url',
        fakes.github.server.url,
        '--docker-config-secret-name',
        'DOCKER_AUTH_CONFIG',
        '--registries',
        '111111111111',
        '--dotenv-file',
        'auth.env',
      ],
      commandEnv({ GH_TOKEN: TOKEN, AWS_ACCESS_KEY_ID: keys.accessKeyId, AWS_SECRET_ACCESS_KEY: keys.secretAccessKey }),
    );
    expect(run.stderr).toMatch(/^error: --registries: .*dotenv/);
    expect(run.exitCode).toBe(2);
    expect(fakes.allRequests()).toEqual([]);
    expect(run.files).toEqual([]);
  });
});
