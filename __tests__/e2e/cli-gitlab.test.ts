import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { commandHelpers, dotenvValues, gitlabToken, setUpCommand, type CommandFakes } from './cli-helpers.ts';
import { REPO, TOKEN } from './helpers.ts';

/**
 * The command writes a GitLab CI/CD variable against the fake GitLab: created then updated; an
 * existing protected `file` variable kept so, and `--no-gitlab-protected` unprotecting it; a GitLab
 * refusal named beside a dotenv file still written; group scopes on GitLab Free never widened;
 * a hidden variable never unmasked; a docker config too big for GitLab refused before AWS is asked.
 */

let fakes: CommandFakes;
beforeEach(async () => {
  fakes = await setUpCommand();
});
afterEach(async () => {
  await fakes.stop();
});
const { command, commandEnv } = commandHelpers(() => fakes);

describe('the command writes a GitLab CI/CD variable', () => {
  const GITLAB_TOKEN = 'glpat-MAINTAINER-0123456789';

  function gitlabArgs(extra: string[] = []): string[] {
    return [
      '--aws-region',
      'eu-west-1',
      '--role-to-assume',
      fakes.gitlabRoleArn,
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
