import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { Fakes } from '../fakes/index.ts';
import { makeIdToken } from '../fakes/oidc.ts';
import { runCommand, type CommandRun } from '../fakes/run-command.ts';
import { issuedSecrets, REPO, setUp, TOKEN } from './helpers.ts';

/**
 * The command (`dist/cli/index.js`, package.json's bin) run as a user runs it, on node 24, against the
 * same fakes as the action: a GitHub secret from a cron host, a dotenv file for a GitLab pipeline, web
 * identity from another CI, and bad usage refused with exit 2 before anything is asked or written.
 */

/** What GitLab puts in an `id_tokens` token (docs "OpenID Connect (OIDC) Authentication Using ID Tokens": iss, aud, sub project_path:...). */
const GITLAB_ISSUER = 'https://gitlab.com';
const GITLAB_SUBJECT = 'project_path:group/app:ref_type:branch:ref:main';

let fakes: Fakes & { roleArn: string };
let gitlabRoleArn: string;

beforeEach(async () => {
  fakes = await setUp({ gitlab: true });
  gitlabRoleArn = fakes.aws.addRole('gitlab-ecr-pull', { audience: GITLAB_ISSUER, subject: GITLAB_SUBJECT });
});
afterEach(async () => {
  await fakes.stop();
});

/** The command's environment: the AWS endpoints of the fakes, never the runner's OIDC settings. */
function commandEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_STS: fakes.env['AWS_ENDPOINT_URL_STS'] ?? '',
    AWS_ENDPOINT_URL_ECR: fakes.env['AWS_ENDPOINT_URL_ECR'] ?? '',
    ...extra,
  };
}

function gitlabToken(claims: Record<string, unknown> = {}): string {
  return makeIdToken({ iss: GITLAB_ISSUER, aud: GITLAB_ISSUER, sub: GITLAB_SUBJECT, ...claims });
}

/** Runs the command and checks that no secret the fakes issued or the command was given shows on stdout or stderr. */
async function command(args: string[], env: Record<string, string>, given: string[] = [], dir?: string) {
  const run = await runCommand(args, env, dir);
  const visible = `${run.stdout}\n${run.stderr}`;
  for (const secret of issuedSecrets(
    fakes,
    given.filter((value) => value.length >= 8),
  ))
    expect(visible.includes(secret) ? `leaked: ${secret.slice(0, 6)}...` : 'not leaked').toBe('not leaked');
  return run;
}

function dotenvValues(run: CommandRun, file = 'auth.env'): Map<string, string> {
  const text = readFileSync(join(run.dir, file), 'utf8');
  return new Map(
    text
      .split('\n')
      .filter(Boolean)
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

function stsRequests(action: string): URLSearchParams[] {
  return fakes.aws.sts.requests
    .map(({ body }) => new URLSearchParams(body))
    .filter((params) => params.get('Action') === action);
}

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

describe('the command writes a dotenv file for a GitLab pipeline', () => {
  it('assumes the role with the token from --web-identity-token-env and writes DOCKER_AUTH_CONFIG, mode 0600', async () => {
    const token = gitlabToken();
    const run = await command(
      [
        '--aws-region',
        'eu-west-1',
        '--role-to-assume',
        gitlabRoleArn,
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
    expect(assumed?.get('RoleArn')).toBe(gitlabRoleArn);
    expect(assumed?.get('RoleSessionName')).toBe('gitlab-42-1001');
    const login = fakes.aws.lastLogin;
    expect(login && fakes.aws.temporary.get(login.signedWith)?.roleArn).toBe(gitlabRoleArn);

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
        gitlabRoleArn,
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
        gitlabRoleArn,
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
        gitlabRoleArn,
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
        gitlabRoleArn,
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
        gitlabRoleArn,
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
        gitlabRoleArn,
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

describe('the command writes a GitLab CI/CD variable', () => {
  const GITLAB_TOKEN = 'glpat-MAINTAINER-0123456789';

  function gitlabArgs(extra: string[] = []): string[] {
    return [
      '--aws-region',
      'eu-west-1',
      '--role-to-assume',
      gitlabRoleArn,
      '--web-identity-token-env',
      'GITLAB_OIDC_TOKEN',
      '--gitlab-project',
      'group/app',
      ...extra,
    ];
  }

  it('creates the project variable with the docker config, then updates it with the next password', async () => {
    const gitlab = fakes.gitlab!;
    gitlab.addToken(GITLAB_TOKEN);
    const project = gitlab.addProject('group/app');
    gitlab.grant(GITLAB_TOKEN, project, 'maintainer');
    const env = () => {
      const token = gitlabToken();
      return { token, env: commandEnv({ GITLAB_OIDC_TOKEN: token, GITLAB_TOKEN, CI_API_V4_URL: gitlab.apiUrl }) };
    };
    const dockerConfigOf = (login = fakes.aws.lastLogin) =>
      JSON.stringify({ auths: { [fakes.aws.registry]: { auth: login?.authorizationToken } } });

    const first = env();
    const created = await command(gitlabArgs(['--gitlab-protected']), first.env, [first.token, GITLAB_TOKEN]);
    expect(created.stderr).not.toMatch(/error/);
    expect(created.exitCode).toBe(0);
    expect(gitlab.variable(project, 'DOCKER_AUTH_CONFIG')).toMatchObject({
      value: dockerConfigOf(),
      protected: true,
      masked: true,
      raw: true,
    });
    expect(created.stdout).toMatch(/^GitLab project group\/app {2}DOCKER_AUTH_CONFIG {2}created/m);

    const second = env();
    const updated = await command(gitlabArgs(['--gitlab-protected']), second.env, [second.token, GITLAB_TOKEN]);
    expect(updated.exitCode).toBe(0);
    expect(fakes.aws.logins).toHaveLength(2);
    expect(gitlab.variable(project, 'DOCKER_AUTH_CONFIG')?.value).toBe(dockerConfigOf());
    expect(project.variables).toHaveLength(1);
    expect(updated.stdout).toMatch(/DOCKER_AUTH_CONFIG {2}updated/);
  });

  it("an update keeps the variable's type and protection unless told; --no-gitlab-protected unprotects it", async () => {
    const gitlab = fakes.gitlab!;
    gitlab.addToken(GITLAB_TOKEN);
    const project = gitlab.addProject('group/app');
    gitlab.grant(GITLAB_TOKEN, project, 'maintainer');
    project.variables.push({
      key: 'DOCKER_AUTH_CONFIG',
      value: 'old-value-xx',
      variable_type: 'file',
      protected: true,
      masked: false,
      hidden: false,
      raw: false,
      environment_scope: '*',
      description: null,
    });
    const run = async (extra: string[]) => {
      const token = gitlabToken();
      return command(
        gitlabArgs(extra),
        commandEnv({ GITLAB_OIDC_TOKEN: token, GITLAB_TOKEN, CI_API_V4_URL: gitlab.apiUrl }),
        [token, GITLAB_TOKEN],
      );
    };
    const kept = await run([]);
    expect(kept.exitCode).toBe(0);
    expect(gitlab.variable(project, 'DOCKER_AUTH_CONFIG')).toMatchObject({
      variable_type: 'file',
      protected: true,
      masked: true,
      raw: true,
    });
    expect(gitlab.variable(project, 'DOCKER_AUTH_CONFIG')?.value).toContain(fakes.aws.lastLogin?.authorizationToken);
    const unprotected = await run(['--no-gitlab-protected']);
    expect(unprotected.exitCode).toBe(0);
    expect(gitlab.variable(project, 'DOCKER_AUTH_CONFIG')).toMatchObject({ variable_type: 'file', protected: false });
  });

  it('reports a GitLab refusal by name, exits 1, and still writes the dotenv file', async () => {
    const gitlab = fakes.gitlab!;
    gitlab.addToken(GITLAB_TOKEN);
    const project = gitlab.addProject('group/app');
    gitlab.grant(GITLAB_TOKEN, project, 'developer');
    const token = gitlabToken();
    const run = await command(
      gitlabArgs(['--dotenv-file', 'auth.env', '--gitlab-variable', 'ECR_DOCKER_CONFIG']),
      commandEnv({ GITLAB_OIDC_TOKEN: token, GITLAB_TOKEN, CI_API_V4_URL: gitlab.apiUrl }),
      [token, GITLAB_TOKEN],
    );
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/^error: ECR password partly written: 1 of 2 secrets could not be written/m);
    expect(run.stderr).toMatch(/- GitLab project group\/app ECR_DOCKER_CONFIG: .*Maintainer/);
    expect(project.variables).toEqual([]);
    expect(dotenvValues(run).get('DOCKER_AUTH_CONFIG')).toContain(fakes.aws.lastLogin?.authorizationToken);
  });

  /** A group on GitLab Free (group environment scopes are Premium: the fake drops them), its Owner's token. */
  function freeGroup() {
    const gitlab = fakes.gitlab!;
    gitlab.addToken(GITLAB_TOKEN);
    const group = gitlab.addGroup('platform');
    gitlab.grant(GITLAB_TOKEN, group, 'owner');
    const run = (extra: string[]) => {
      const token = gitlabToken();
      const args = gitlabArgs(extra).map((arg) => (arg === '--gitlab-project' ? '--gitlab-group' : arg));
      return command(
        args.map((arg) => (arg === 'group/app' ? 'platform' : arg)),
        commandEnv({ GITLAB_OIDC_TOKEN: token, GITLAB_TOKEN, CI_API_V4_URL: gitlab.apiUrl }),
        [token, GITLAB_TOKEN],
      );
    };
    return { gitlab, group, run };
  }

  it('never widens a scope: a group variable GitLab Free stored for every environment is removed, exit 1, on every run', async () => {
    const { gitlab, group, run } = freeGroup();
    for (const attempt of [1, 2]) {
      gitlab.server.requests.length = 0;
      const refused = await run(['--gitlab-environment-scope', 'production', '--gitlab-protected']);
      expect(refused.exitCode).toBe(1);
      expect(refused.stderr).toMatch(
        /- GitLab group platform \(environment scope production\) DOCKER_AUTH_CONFIG: GitLab stored variable DOCKER_AUTH_CONFIG of GitLab group platform for environment scope "\*", not "production"\. It was removed again\. Group variables take an environment scope on GitLab Premium and Ultimate only: write a project variable instead \(--gitlab-project\)/,
      );
      expect(refused.stderr).not.toMatch(/already been taken/);
      expect(refused.stdout).not.toMatch(/created/);
      expect(group.variables).toEqual([]);
      expect(gitlab.server.requests.map((r) => `${attempt} ${r.method} ${r.status}`)).toEqual([
        `${attempt} GET 404`,
        `${attempt} POST 201`,
        `${attempt} DELETE 204`,
      ]);
    }
  });

  it("finds the variable GitLab Free holds for every environment: named and kept; '*' then updates it", async () => {
    const { gitlab, group, run } = freeGroup();
    // What an earlier version left: the scope asked for dropped, the variable stored for "*".
    group.variables.push({
      key: 'DOCKER_AUTH_CONFIG',
      value: 'left-by-an-earlier-run',
      variable_type: 'env_var',
      protected: true,
      masked: false,
      hidden: false,
      raw: true,
      environment_scope: '*',
      description: null,
    });
    const refused = await run(['--gitlab-environment-scope', 'production']);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(
      /GitLab group platform holds variable DOCKER_AUTH_CONFIG for every environment \("\*"\), and GitLab did not keep environment scope "production" for a new one beside it .*Nothing was changed\./,
    );
    expect(gitlab.variable(group, 'DOCKER_AUTH_CONFIG', '*')?.value).toBe('left-by-an-earlier-run');

    const everywhere = await run(['--gitlab-environment-scope', '*']);
    expect(everywhere.exitCode).toBe(0);
    expect(everywhere.stdout).toMatch(/DOCKER_AUTH_CONFIG {2}updated/);
    expect(group.variables).toHaveLength(1);
    expect(gitlab.variable(group, 'DOCKER_AUTH_CONFIG', '*')).toMatchObject({ protected: true, masked: true });
    expect(gitlab.variable(group, 'DOCKER_AUTH_CONFIG', '*')?.value).toContain(fakes.aws.lastLogin?.authorizationToken);
  });

  it('never unmasks a hidden variable: a GitLab that cannot mask the docker config keeps it as it was, exit 1', async () => {
    const gitlab = fakes.gitlab!;
    gitlab.addToken(GITLAB_TOKEN);
    gitlab.maskRules = 'base64-only';
    const project = gitlab.addProject('group/app');
    gitlab.grant(GITLAB_TOKEN, project, 'maintainer');
    project.variables.push({
      key: 'DOCKER_AUTH_CONFIG',
      value: 'hidden-earlier-value',
      variable_type: 'env_var',
      protected: false,
      masked: true,
      hidden: true,
      raw: true,
      environment_scope: '*',
      description: null,
    });
    const token = gitlabToken();
    const run = await command(
      gitlabArgs(),
      commandEnv({ GITLAB_OIDC_TOKEN: token, GITLAB_TOKEN, CI_API_V4_URL: gitlab.apiUrl }),
      [token, GITLAB_TOKEN],
    );
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(
      /DOCKER_AUTH_CONFIG: variable DOCKER_AUTH_CONFIG of GitLab project group\/app is hidden \(masked and hidden\), and GitLab refuses to unmask a hidden variable.*: it was kept as it was, hidden, masked and with its previous value\./,
    );
    expect(gitlab.variable(project, 'DOCKER_AUTH_CONFIG')).toMatchObject({
      value: 'hidden-earlier-value',
      masked: true,
    });
    const puts = gitlab.server.requests.filter((r) => r.method === 'PUT');
    expect(puts.map((r) => (JSON.parse(r.body) as { masked: boolean }).masked)).toEqual([true]);
  });

  it("a docker config of three registries (over GitLab's 10,000 characters) is refused before AWS is asked: exit 2", async () => {
    const gitlab = fakes.gitlab!;
    gitlab.addToken(GITLAB_TOKEN);
    const project = gitlab.addProject('group/app');
    gitlab.grant(GITLAB_TOKEN, project, 'maintainer');
    const run = async (registries: string) => {
      const token = gitlabToken();
      return command(
        gitlabArgs([
          '--repositories',
          REPO,
          '--github-api-url',
          fakes.github.server.url,
          '--docker-config-secret-name',
          'DOCKER_AUTH_CONFIG',
          '--registries',
          registries,
        ]),
        commandEnv({ GITLAB_OIDC_TOKEN: token, GITLAB_TOKEN, GH_TOKEN: TOKEN, CI_API_V4_URL: gitlab.apiUrl }),
        [token, GITLAB_TOKEN],
      );
    };
    const refused = await run('111111111111,222222222222');
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toBe(
      "error: --registries: it lists 2 accounts, and the docker config of a GitLab CI/CD variable fits at most 1 beside the login's own registry: each adds an entry of up to 3.8 KB (an ECR password runs to 2,700 characters), and GitLab takes values of at most 10000 characters. List at most 1, or write the GitLab variable in a run of its own, without --registries.\n",
    );
    expect(fakes.allRequests()).toEqual([]);

    // Two registries fit: both are in the variable.
    const written = await run('111111111111');
    expect(written.exitCode).toBe(0);
    const stored = JSON.parse(gitlab.variable(project, 'DOCKER_AUTH_CONFIG')?.value ?? '{}') as { auths: object };
    expect(Object.keys(stored.auths)).toEqual([fakes.aws.registry, '111111111111.dkr.ecr.eu-west-1.amazonaws.com']);
  });
});

describe('web identity from a token file (AWS_WEB_IDENTITY_TOKEN_FILE)', () => {
  it('with --role-to-assume: the file is read and exchanged for that role', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ecr-cli-'));
    const token = gitlabToken();
    writeFileSync(join(dir, 'token'), `${token}\n`);
    const run = await command(
      ['--aws-region', 'eu-west-1', '--role-to-assume', gitlabRoleArn, '--dotenv-file', 'auth.env'],
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
        AWS_ROLE_ARN: gitlabRoleArn,
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
    expect(login && fakes.aws.temporary.get(login.signedWith)?.roleArn).toBe(gitlabRoleArn);
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

describe('bad usage: exit 2, a message naming the flag, nothing asked or written', () => {
  const cases: [string, string[], Record<string, string>, RegExp][] = [
    [
      'an unknown flag',
      ['--repository', REPO],
      {},
      /^error: Unknown option '--repository'\. Run ecr-secret-refresh --help/,
    ],
    ['a stray argument', ['octo/app', '--dotenv-file', 'a.env'], {}, /Unexpected argument 'octo\/app'/],
    ['a flag without its value', ['--dotenv-file'], {}, /Option '--dotenv-file <value>' argument missing/],
    ['no sink', ['--aws-region', 'eu-west-1'], {}, /^error: Nothing to write: name at least one sink/],
    [
      'a flag given twice',
      ['--aws-region', 'eu-west-1', '--aws-region', 'us-east-1', '--dotenv-file', 'a.env'],
      {},
      /--aws-region is given 2 times: give it once/,
    ],
    [
      'no region',
      ['--dotenv-file', 'a.env'],
      {},
      /^error: --aws-region: no AWS region is set\. Set --aws-region \(for example eu-west-1\), or AWS_REGION/,
    ],
    [
      'a bad region',
      ['--aws-region', 'moon-1', '--dotenv-file', 'a.env'],
      {},
      /--aws-region: "moon-1" is not an AWS region code/,
    ],
    [
      'a bad role',
      ['--aws-region', 'eu-west-1', '--role-to-assume', 'ecr-pull', '--dotenv-file', 'a.env'],
      {},
      /--role-to-assume: "ecr-pull" is not an IAM role ARN\. Give the full ARN, such as arn:aws:iam::123456789012:role\/ecr-pull;/,
    ],
    [
      'a bad duration',
      [
        '--aws-region',
        'eu-west-1',
        '--role-to-assume',
        'arn:aws:iam::123456789012:role/r',
        '--role-duration-seconds',
        '60',
        '--web-identity-token-env',
        'T',
        '--dotenv-file',
        'a.env',
      ],
      { T: 'x.y.z' },
      /--role-duration-seconds: "60" is not a whole number of seconds from 900 to 43200/,
    ],
    [
      'a session name without a role',
      ['--aws-region', 'eu-west-1', '--role-session-name', 'nightly', '--dotenv-file', 'a.env'],
      {},
      /--role-session-name: it only applies when --role-to-assume is set\. Set --role-to-assume, or remove --role-session-name\./,
    ],
    [
      'no GitHub token',
      ['--aws-region', 'eu-west-1', '--repositories', REPO],
      {},
      /^error: Environment variable GH_TOKEN or GITHUB_TOKEN: it is empty/,
    ],
    [
      'a bad repository',
      ['--aws-region', 'eu-west-1', '--repositories', 'octo'],
      { GH_TOKEN: TOKEN },
      /--repositories: "octo" is not of the form owner\/name/,
    ],
    [
      'a bad max-age',
      ['--aws-region', 'eu-west-1', '--repositories', REPO, '--max-age', '12h'],
      { GH_TOKEN: TOKEN },
      /--max-age: 12h is more than 11h/,
    ],
    [
      'a GitHub flag without a GitHub target',
      ['--aws-region', 'eu-west-1', '--dotenv-file', 'a.env', '--secret-name', 'X', '--max-age', '5h'],
      {},
      /--secret-name, --max-age only apply to GitHub secrets\. Add --repositories or --organization/,
    ],
    [
      'a dotenv name without the file',
      ['--aws-region', 'eu-west-1', '--repositories', REPO, '--dotenv-password-name', 'P'],
      { GH_TOKEN: TOKEN },
      /--dotenv-password-name only applies with --dotenv-file/,
    ],
    [
      'a bad dotenv name',
      ['--aws-region', 'eu-west-1', '--dotenv-file', 'a.env', '--dotenv-password-name', 'ECR-PASSWORD'],
      {},
      /--dotenv-password-name: "ECR-PASSWORD" is not a name GitLab takes/,
    ],
    [
      'a token variable without a role',
      ['--aws-region', 'eu-west-1', '--web-identity-token-env', 'T', '--dotenv-file', 'a.env'],
      { T: 'x.y.z' },
      /--web-identity-token-env needs --role-to-assume/,
    ],
    [
      'an empty token variable',
      [
        '--aws-region',
        'eu-west-1',
        '--role-to-assume',
        'arn:aws:iam::123456789012:role/r',
        '--web-identity-token-env',
        'GITLAB_OIDC_TOKEN',
        '--dotenv-file',
        'a.env',
      ],
      {},
      /--web-identity-token-env: the environment variable GITLAB_OIDC_TOKEN is not set or empty/,
    ],
    [
      'an unreadable token file',
      ['--aws-region', 'eu-west-1', '--role-to-assume', 'arn:aws:iam::123456789012:role/r', '--dotenv-file', 'a.env'],
      { AWS_WEB_IDENTITY_TOKEN_FILE: '/nonexistent/token' },
      /AWS_WEB_IDENTITY_TOKEN_FILE: could not read \/nonexistent\/token \(ENOENT\)/,
    ],
    [
      'a bad output',
      ['--aws-region', 'eu-west-1', '--dotenv-file', 'a.env', '--output', 'yaml'],
      {},
      /--output: "yaml" is not text or json/,
    ],
    [
      'an action-only input',
      ['--aws-region', 'eu-west-1', '--dotenv-file', 'a.env', '--audience', 'x'],
      {},
      /Unknown option '--audience'/,
    ],
    [
      'a project and a group',
      ['--aws-region', 'eu-west-1', '--gitlab-project', 'g/app', '--gitlab-group', 'g'],
      { GITLAB_TOKEN: 'glpat-x' },
      /--gitlab-project and --gitlab-group are both given/,
    ],
    [
      'a GitLab flag without a project or group',
      ['--aws-region', 'eu-west-1', '--dotenv-file', 'a.env', '--gitlab-protected'],
      {},
      /--gitlab-protected only applies with --gitlab-project or --gitlab-group/,
    ],
    [
      'no GitLab token',
      ['--aws-region', 'eu-west-1', '--gitlab-project', 'g/app'],
      {},
      /^error: GITLAB_TOKEN: the environment variable GITLAB_TOKEN is not set or empty/,
    ],
    [
      'a bad GitLab variable name',
      ['--aws-region', 'eu-west-1', '--gitlab-project', 'g/app', '--gitlab-variable', 'DOCKER-AUTH'],
      { GITLAB_TOKEN: 'glpat-x' },
      /--gitlab-variable: "DOCKER-AUTH" is not a name GitLab takes/,
    ],
    [
      'a GitLab API URL with credentials',
      [
        '--aws-region',
        'eu-west-1',
        '--gitlab-project',
        'g/app',
        '--gitlab-api-url',
        'https://me:pw@gitlab.example.com/api/v4',
      ],
      { GITLAB_TOKEN: 'glpat-x' },
      /--gitlab-api-url: "https:\/\/gitlab\.example\.com\/api\/v4" is not a GitLab API URL without credentials/,
    ],
    [
      "the docker config and the password in one dotenv file (over GitLab's 5,120 bytes)",
      ['--aws-region', 'eu-west-1', '--dotenv-file', 'a.env', '--dotenv-password-name', 'ECR_PASSWORD'],
      {},
      /^error: --dotenv-password-name: the ECR password .* do not fit together in a GitLab dotenv report, which must be under 5120 bytes\. Add --no-dotenv-docker-config/,
    ],
    [
      'a dotenv file left without any variable',
      ['--aws-region', 'eu-west-1', '--dotenv-file', 'a.env', '--no-dotenv-docker-config'],
      {},
      /--no-dotenv-docker-config leaves the dotenv file without any variable/,
    ],
    [
      'a --no- form of a switch that has none',
      ['--aws-region', 'eu-west-1', '--dotenv-file', 'a.env', '--no-verbose'],
      {},
      /^error: Unknown option '--no-verbose'/,
    ],
    [
      '--gitlab-protected and --no-gitlab-protected',
      ['--aws-region', 'eu-west-1', '--gitlab-project', 'g/app', '--gitlab-protected', '--no-gitlab-protected'],
      { GITLAB_TOKEN: 'glpat-x' },
      /--gitlab-protected and --no-gitlab-protected are both given/,
    ],
    [
      'a GitLab API URL with a query, beside a dotenv file',
      [
        '--aws-region',
        'eu-west-1',
        '--dotenv-file',
        'a.env',
        '--gitlab-project',
        'g/app',
        '--gitlab-api-url',
        'https://gitlab.example.com/api/v4?x=1',
      ],
      { GITLAB_TOKEN: 'glpat-x' },
      /--gitlab-api-url: "https:\/\/gitlab\.example\.com\/api\/v4" has a query or fragment/,
    ],
    [
      'a GitLab token with a space, beside a dotenv file',
      ['--aws-region', 'eu-west-1', '--dotenv-file', 'a.env', '--gitlab-project', 'g/app'],
      { GITLAB_TOKEN: 'glpat-abc def-123' },
      /^error: GITLAB_TOKEN: the environment variable GITLAB_TOKEN holds spaces or line breaks/,
    ],
    [
      'a plain http GitLab API URL to another host (the token would travel in clear)',
      [
        '--aws-region',
        'eu-west-1',
        '--gitlab-project',
        'g/app',
        '--gitlab-api-url',
        'http://gitlab.example.com/api/v4',
      ],
      { GITLAB_TOKEN: 'glpat-x' },
      /--gitlab-api-url: "http:\/\/gitlab\.example\.com\/api\/v4" is not an https URL \(plain http is accepted for loopback hosts only\)/,
    ],
    [
      'a plain http CI_API_V4_URL to another host',
      ['--aws-region', 'eu-west-1', '--gitlab-project', 'g/app'],
      { GITLAB_TOKEN: 'glpat-x', CI_API_V4_URL: 'http://gitlab.example.com/api/v4' },
      /^error: CI_API_V4_URL: "http:\/\/gitlab\.example\.com\/api\/v4" is not an https URL/,
    ],
    [
      '--github-token-env without a GitHub target',
      ['--aws-region', 'eu-west-1', '--dotenv-file', 'a.env', '--github-token-env', 'MY_TOKEN'],
      { MY_TOKEN: TOKEN },
      /^error: --github-token-env only applies to GitHub secrets\. Add --repositories or --organization/,
    ],
    [
      'AWS_ROLE_ARN without AWS_WEB_IDENTITY_TOKEN_FILE',
      ['--aws-region', 'eu-west-1', '--dotenv-file', 'a.env'],
      { AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/ecr-pull' },
      /^error: AWS_ROLE_ARN is set without AWS_WEB_IDENTITY_TOKEN_FILE/,
    ],
    [
      "an unreadable AWS_WEB_IDENTITY_TOKEN_FILE for the SDK's own chain (no --role-to-assume)",
      ['--aws-region', 'eu-west-1', '--dotenv-file', 'a.env'],
      { AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/ecr-pull', AWS_WEB_IDENTITY_TOKEN_FILE: '/nonexistent/token' },
      /^error: AWS_WEB_IDENTITY_TOKEN_FILE: could not read \/nonexistent\/token \(ENOENT\)/,
    ],
    [
      'a dry run beside a dotenv file',
      ['--aws-region', 'eu-west-1', '--repositories', REPO, '--dry-run', '--dotenv-file', 'a.env'],
      { GH_TOKEN: TOKEN },
      /--dry-run plans GitHub secrets only/,
    ],
  ];
  it.each(cases)('%s', async (_name, args, env, message) => {
    const keys = fakes.aws.addStaticKeys();
    const run = await command(
      args,
      commandEnv({ ...env, AWS_ACCESS_KEY_ID: keys.accessKeyId, AWS_SECRET_ACCESS_KEY: keys.secretAccessKey }),
    );
    expect(run.stderr).toMatch(message);
    expect(run.exitCode).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.files).toEqual([]);
    expect(fakes.allRequests()).toEqual([]);
  });

  it('shows every problem at once, as the action does', async () => {
    const run = await command(['--aws-region', 'moon-1', '--repositories', 'octo', '--max-age', 'soon'], commandEnv());
    expect(run.exitCode).toBe(2);
    expect(run.stderr.split('\n').filter((line) => /^(error: )?(--|Environment)/.test(line))).toHaveLength(4);
  });
});

describe('--help and --version', () => {
  it('--help lists a flag for every action input but the secret ones, with examples, on stdout', async () => {
    const run = await command(['--help'], {});
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toBe('');
    for (const flag of [
      '--aws-region',
      '--role-to-assume',
      '--repositories',
      '--organization',
      '--secret-name',
      '--max-age',
      '--dotenv-file',
      '--web-identity-token-env',
    ])
      expect(run.stdout).toContain(`  ${flag} <value>`);
    expect(run.stdout).not.toContain('--github-token <value>');
    expect(run.stdout).not.toContain('--aws-secret-access-key <value>');
    expect(run.stdout).toContain('Examples:');
    expect(run.stdout).toContain('--web-identity-token-env GITLAB_OIDC_TOKEN --dotenv-file auth.env');
    // The action's words that are wrong here (GitHub OIDC, the current repository) are replaced by the command's.
    expect(run.stdout).not.toMatch(/id-token: write|Defaults to the current repository/);
    expect(run.stdout).toMatch(/--role-to-assume <value>\n\s+IAM role ARN.*\n.*--web-identity-token-env/);
    expect(run.stdout).toContain('  --gitlab-protected | --no-gitlab-protected\n');
    expect(run.stdout).toContain('  --dotenv-docker-config | --no-dotenv-docker-config\n');
  });

  it("--version prints package.json's version", async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    const run = await command(['--version'], {});
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toBe(`ecr-secret-refresh ${version}\n`);
  });
});
