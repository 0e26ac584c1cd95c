import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { FakeGitLab, type GitLabHolder } from '../fakes/gitlab.ts';
import { startFakes } from '../fakes/index.ts';
import { FakeProxy } from '../fakes/proxy.ts';
import { maskProblem, writeGitLabVariable, type GitLabVariableWrite } from '../../src/gitlab/variables.ts';
import { dockerConfigJson } from '../../src/run/secret-kinds.ts';
import { gitlabRegistriesProblem, MAX_GITLAB_REGISTRY_ACCOUNTS } from '../../src/gitlab/variables-sink.ts';

/**
 * The GitLab variable sink (src/gitlab/variables.ts) against the fake GitLab, whose answers are cited
 * in __tests__/fakes/gitlab.ts: create then update, groups, protection and scope, masking, and the
 * refusals GitLab gives, each turned into a message that names the fix and never the value. An
 * update sends no `variable_type`, and `protected` only when given (a protected `file` variable stays one).
 */
const MAINTAINER = 'glpat-maintainer-0123456789';
const DEVELOPER = 'glpat-developer-0123456789';
const OWNER = 'glpat-owner-0123456789';
const READ_ONLY = 'glpat-readapi-0123456789';
const EXPIRED = 'glpat-expired-0123456789';

/** An ECR password as ECR issues them: a long base64 string (2,000 to 2,700 characters). */
const password = () => randomBytes(1800).toString('base64');
const REGISTRY = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';

let gitlab: FakeGitLab;
let project: GitLabHolder;
let group: GitLabHolder;
let premiumGroup: GitLabHolder;

beforeAll(async () => {
  gitlab = new FakeGitLab();
  await gitlab.server.start();
});
afterAll(async () => {
  await gitlab.server.stop();
});
beforeEach(() => {
  gitlab.tokens.clear();
  gitlab.holders.length = 0;
  gitlab.server.requests.length = 0;
  gitlab.maskRules = 'raw-aware';
  for (const token of [MAINTAINER, DEVELOPER, OWNER]) gitlab.addToken(token);
  gitlab.addToken(READ_ONLY, { scopes: ['read_api'] });
  gitlab.addToken(EXPIRED, { expired: true });
  project = gitlab.addProject('platform/build/app');
  group = gitlab.addGroup('platform');
  premiumGroup = gitlab.addGroup('premium-platform', { premium: true });
  gitlab.grant(MAINTAINER, project, 'maintainer');
  gitlab.grant(DEVELOPER, project, 'developer');
  gitlab.grant(OWNER, group, 'owner');
  gitlab.grant(OWNER, premiumGroup, 'owner');
  gitlab.grant(MAINTAINER, group, 'maintainer');
});

/** A write with `protected` left out: neither --gitlab-protected nor --no-gitlab-protected. */
function writeUnprotectedUnset(): Promise<Awaited<ReturnType<typeof writeGitLabVariable>>> {
  return writeGitLabVariable({
    apiUrl: gitlab.apiUrl,
    token: MAINTAINER,
    tokenSource: 'GITLAB_TOKEN',
    owner: { kind: 'project', id: 'platform/build/app' },
    key: 'ECR_PASSWORD',
    value: password(),
    environmentScope: '*',
    sensitive: true,
  });
}

function write(overrides: Partial<GitLabVariableWrite> = {}): Promise<Awaited<ReturnType<typeof writeGitLabVariable>>> {
  return writeGitLabVariable({
    apiUrl: gitlab.apiUrl,
    token: MAINTAINER,
    tokenSource: 'GITLAB_TOKEN',
    owner: { kind: 'project', id: 'platform/build/app' },
    key: 'ECR_PASSWORD',
    value: password(),
    protected: false,
    environmentScope: '*',
    sensitive: true,
    ...overrides,
  });
}

/** GitLab's 403 (forbidden!). */
const json403 = () => ({
  status: 403,
  headers: { 'content-type': 'application/json' },
  body: '{"message":"403 Forbidden"}',
});

/** The error a write throws, checked never to hold the value or the token. */
async function refusal(overrides: Partial<GitLabVariableWrite>): Promise<string> {
  const value = password();
  const token = overrides.token ?? MAINTAINER;
  try {
    await write({ value, ...overrides });
  } catch (error) {
    const message = (error as Error).message;
    expect(message).not.toContain(value);
    expect(message).not.toContain(token);
    return message;
  }
  throw new Error('the write succeeded');
}

describe('create, then update', () => {
  it('creates the variable, then updates it in place, by project path', async () => {
    const first = password();
    await expect(write({ value: first })).resolves.toEqual({ status: 'created', masked: true });
    expect(gitlab.variable(project, 'ECR_PASSWORD')).toMatchObject({
      value: first,
      masked: true,
      raw: true,
      variable_type: 'env_var',
      protected: false,
    });

    const second = password();
    await expect(write({ value: second })).resolves.toEqual({ status: 'updated', masked: true });
    expect(project.variables).toHaveLength(1);
    expect(gitlab.variable(project, 'ECR_PASSWORD')?.value).toBe(second);
    // The path is URL-encoded, as GitLab requires; the update names the scope it updates.
    expect(gitlab.server.requests.map((r) => `${r.method} ${r.url} ${r.status}`)).toEqual([
      'PUT /api/v4/projects/platform%2Fbuild%2Fapp/variables/ECR_PASSWORD?filter%5Benvironment_scope%5D=* 404',
      'POST /api/v4/projects/platform%2Fbuild%2Fapp/variables 201',
      'PUT /api/v4/projects/platform%2Fbuild%2Fapp/variables/ECR_PASSWORD?filter%5Benvironment_scope%5D=* 200',
    ]);
    for (const request of gitlab.server.requests) expect(request.headers['private-token']).toBe(MAINTAINER);
  });

  it('finds a project by numeric id too', async () => {
    await expect(write({ owner: { kind: 'project', id: String(project.id) } })).resolves.toMatchObject({
      status: 'created',
    });
    expect(gitlab.variable(project, 'ECR_PASSWORD')).toBeDefined();
  });

  it('stores protected and the environment scope, and updates only the variable of that scope', async () => {
    await write({ protected: true, environmentScope: 'production', value: 'AAAAAAAAAAAA' });
    await write({ protected: false, environmentScope: 'staging', value: 'BBBBBBBBBBBB' });
    await expect(write({ protected: true, environmentScope: 'production', value: 'CCCCCCCCCCCC' })).resolves.toEqual({
      status: 'updated',
      masked: true,
    });
    expect(gitlab.variable(project, 'ECR_PASSWORD', 'production')).toMatchObject({
      value: 'CCCCCCCCCCCC',
      protected: true,
    });
    expect(gitlab.variable(project, 'ECR_PASSWORD', 'staging')).toMatchObject({
      value: 'BBBBBBBBBBBB',
      protected: false,
    });
  });
});

describe('an update keeps what it was not asked to change', () => {
  it('sends no variable_type, and protected only when given: a protected file variable stays one', async () => {
    project.variables.push({
      key: 'ECR_PASSWORD',
      value: 'old-value-xx',
      variable_type: 'file',
      protected: true,
      masked: false,
      hidden: false,
      raw: false,
      environment_scope: '*',
      description: null,
    });
    await expect(writeUnprotectedUnset()).resolves.toMatchObject({ status: 'updated' });
    const [put] = gitlab.server.requests.filter((r) => r.method === 'PUT');
    const sent = JSON.parse(put?.body ?? '{}') as Record<string, unknown>;
    expect(Object.keys(sent).sort()).toEqual(['environment_scope', 'masked', 'raw', 'value']);
    expect(gitlab.variable(project, 'ECR_PASSWORD')).toMatchObject({
      variable_type: 'file',
      protected: true,
      raw: true,
    });
    await write({ protected: false });
    expect(gitlab.variable(project, 'ECR_PASSWORD')).toMatchObject({ variable_type: 'file', protected: false });
  });

  it('a new variable without protected given is created unprotected, an env_var, as GitLab creates it', async () => {
    await writeUnprotectedUnset();
    const [post] = gitlab.server.requests.filter((r) => r.method === 'POST');
    expect(JSON.parse(post?.body ?? '{}')).toMatchObject({ protected: false, variable_type: 'env_var' });
    expect(gitlab.variable(project, 'ECR_PASSWORD')).toMatchObject({ variable_type: 'env_var', protected: false });
  });
});

describe('groups', () => {
  it('creates and updates a group variable with the Owner role', async () => {
    const owner = { kind: 'group' as const, id: 'platform' };
    await expect(write({ token: OWNER, owner })).resolves.toEqual({ status: 'created', masked: true });
    const value = password();
    await expect(write({ token: OWNER, owner, value })).resolves.toEqual({ status: 'updated', masked: true });
    expect(gitlab.variable(group, 'ECR_PASSWORD')?.value).toBe(value);
    expect(gitlab.server.requests[0]?.url).toMatch(/^\/api\/v4\/groups\/platform\/variables\/ECR_PASSWORD\?/);
  });

  it('keeps a group environment scope on Premium', async () => {
    await expect(
      write({ token: OWNER, owner: { kind: 'group', id: 'premium-platform' }, environmentScope: 'production' }),
    ).resolves.toEqual({ status: 'created', masked: true });
    expect(gitlab.variable(premiumGroup, 'ECR_PASSWORD', 'production')).toBeDefined();
  });

  it('never widens a scope: a group variable GitLab Free stored for "*" is deleted again, and the write fails with the fix', async () => {
    const owner = { kind: 'group' as const, id: 'platform' };
    for (const attempt of [1, 2]) {
      gitlab.server.requests.length = 0;
      const message = await refusal({ token: OWNER, owner, environmentScope: 'production' });
      expect(message).toBe(
        `GitLab stored variable ECR_PASSWORD of GitLab group platform for environment scope "*", not "production". It was removed again. Group variables take an environment scope on GitLab Premium and Ultimate only: write a project variable instead (--gitlab-project), whose scopes every tier keeps, or use --gitlab-environment-scope '*' if every environment of the group's projects may receive it.`,
      );
      // Nothing is left for every environment, and the next run meets the same answer, not "has already been taken".
      expect(group.variables).toEqual([]);
      expect(gitlab.server.requests.map((r) => `${attempt} ${r.method} ${r.url} ${r.status}`)).toEqual([
        `${attempt} GET /api/v4/groups/platform/variables/ECR_PASSWORD?filter%5Benvironment_scope%5D=production 404`,
        `${attempt} POST /api/v4/groups/platform/variables 201`,
        `${attempt} DELETE /api/v4/groups/platform/variables/ECR_PASSWORD?filter%5Benvironment_scope%5D=* 204`,
      ]);
    }
  });

  it('a removal GitLab refuses, or that gets no answer, is said: remove it by hand', async () => {
    const owner = { kind: 'group' as const, id: 'platform' };
    gitlab.server.inject({ match: ({ method }) => method === 'DELETE', reply: json403() });
    expect(await refusal({ token: OWNER, owner, environmentScope: 'production' })).toMatch(
      /^GitLab stored variable ECR_PASSWORD of GitLab group platform for environment scope "\*", not "production"\. Removing it again failed \(GitLab answered 403\): remove it by hand in the group's Settings > CI\/CD > Variables\. Group variables/,
    );
    group.variables.length = 0;
    gitlab.server.inject({ match: ({ method }) => method === 'DELETE', reset: true, times: 4 });
    expect(await refusal({ token: OWNER, owner, environmentScope: 'production' })).toMatch(
      /\. Removing it again failed \(could not reach 127\.0\.0\.1:\d+: .*\): remove it by hand/,
    );
  });

  it('finds a variable GitLab Free holds under "*" (an earlier run left it): named, kept as it is; "*" itself updates it', async () => {
    const owner = { kind: 'group' as const, id: 'platform' };
    await write({ token: OWNER, owner, environmentScope: '*', value: 'EVERYWHERE1' });
    gitlab.server.requests.length = 0;
    expect(await refusal({ token: OWNER, owner, environmentScope: 'production' })).toMatch(
      /^GitLab group platform holds variable ECR_PASSWORD for every environment \("\*"\), and GitLab did not keep environment scope "production" for a new one beside it \(group variables take an environment scope on GitLab Premium and Ultimate only\)\. Nothing was changed\. .*--gitlab-project/,
    );
    expect(gitlab.variable(group, 'ECR_PASSWORD', '*')?.value).toBe('EVERYWHERE1');
    expect(group.variables).toHaveLength(1);
    expect(gitlab.server.requests.map((r) => `${r.method} ${r.status}`)).toEqual(['GET 404', 'POST 400', 'GET 200']);
    await expect(write({ token: OWNER, owner, environmentScope: '*', value: 'EVERYWHERE2' })).resolves.toEqual({
      status: 'updated',
      masked: true,
    });
    expect(gitlab.variable(group, 'ECR_PASSWORD', '*')?.value).toBe('EVERYWHERE2');
  });

  it('a GitLab before 16.9 that answers a group look-up with another scope is not updated: nothing is written', async () => {
    const owner = { kind: 'group' as const, id: 'premium-platform' };
    await write({ token: OWNER, owner, environmentScope: '*', value: 'EVERYWHERE1' });
    gitlab.server.requests.length = 0;
    // Group GET had no filter before 16.9 (docs, "Group-level Variables API": "The filter parameter was
    // introduced in GitLab 16.9"): it answers the variable of the key, here the one for "*".
    gitlab.server.inject({
      match: ({ method }) => method === 'GET',
      reply: { status: 200, body: JSON.stringify({ ...gitlab.variable(premiumGroup, 'ECR_PASSWORD', '*') }) },
    });
    expect(await refusal({ token: OWNER, owner, environmentScope: 'production' })).toMatch(
      /for environment scope "production" with its variable for "\*": this GitLab \(before 16\.9\) cannot look up a group variable by environment scope.*Nothing was changed/,
    );
    expect(gitlab.writes()).toEqual([]);
    expect(gitlab.variable(premiumGroup, 'ECR_PASSWORD', '*')?.value).toBe('EVERYWHERE1');
  });

  it('a protection other than the one asked is not left in place either (an answer GitLab is not known to give: a guard)', async () => {
    // A guess, not a documented behaviour: a GitLab that stored the variable unprotected when asked to protect it.
    gitlab.server.inject({
      match: ({ method }) => method === 'POST',
      reply: {
        status: 201,
        body: JSON.stringify({ key: 'ECR_PASSWORD', environment_scope: '*', protected: false, hidden: false }),
      },
    });
    expect(await refusal({ protected: true })).toMatch(
      /^GitLab stored variable ECR_PASSWORD of GitLab project platform\/build\/app unprotected, not protected\. It was removed again\. Check the protection/,
    );
    expect(gitlab.server.requests.map((r) => `${r.method} ${r.status}`)).toEqual(['PUT 404', 'POST 201', 'DELETE 404']);
  });

  it('a group Maintainer is refused: group variables need the Owner role', async () => {
    expect(await refusal({ owner: { kind: 'group', id: 'platform' } })).toMatch(
      /^the token in GITLAB_TOKEN may not change the CI\/CD variables of GitLab group platform \(403 Forbidden\)\. .*the Owner role on the group, in GITLAB_TOKEN\.$/,
    );
    expect(group.variables).toEqual([]);
  });
});

describe('masking', () => {
  it('masks the bare password, and the docker config written on one line (GitLab masks raw values without spaces)', async () => {
    await expect(write({ key: 'ECR_PASSWORD' })).resolves.toEqual({ status: 'created', masked: true });
    const dockerConfig = dockerConfigJson([{ registry: REGISTRY, username: 'AWS', password: password() }]);
    await expect(write({ key: 'DOCKER_AUTH_CONFIG', value: dockerConfig })).resolves.toEqual({
      status: 'created',
      masked: true,
    });
    expect(gitlab.variable(project, 'DOCKER_AUTH_CONFIG')).toMatchObject({
      value: dockerConfig,
      masked: true,
      raw: true,
    });
  });

  it('a GitLab that masks only Base64 refuses the JSON: it is stored unmasked, and the note says why', async () => {
    gitlab.maskRules = 'base64-only';
    const dockerConfig = dockerConfigJson([{ registry: REGISTRY, username: 'AWS', password: password() }]);
    const result = await write({ key: 'DOCKER_AUTH_CONFIG', value: dockerConfig });
    expect(result).toEqual({
      status: 'created',
      masked: false,
      note: expect.stringMatching(/^not masked: this GitLab masks only values of the Base64 alphabet and @ : \. ~/),
    });
    expect(result.note).not.toContain(dockerConfig);
    expect(gitlab.variable(project, 'DOCKER_AUTH_CONFIG')).toMatchObject({ value: dockerConfig, masked: false });
    // The password still is masked there.
    await expect(write({ key: 'ECR_PASSWORD' })).resolves.toEqual({ status: 'created', masked: true });
  });

  it('a value GitLab cannot mask is written unmasked, with the reason; one that need not be is not masked', async () => {
    const pretty = JSON.stringify({ auths: { [REGISTRY]: { auth: 'QVdTOnNlY3JldA==' } } }, null, 2);
    await expect(write({ key: 'PRETTY', value: pretty })).resolves.toEqual({
      status: 'created',
      masked: false,
      note: 'not masked: GitLab masks only values on one line without spaces',
    });
    await expect(write({ key: 'SHORT', value: 'abc' })).resolves.toEqual({
      status: 'created',
      masked: false,
      note: 'not masked: GitLab masks only values of 8 characters or more',
    });
    await expect(write({ key: 'ECR_USERNAME', value: 'AWS', sensitive: false })).resolves.toEqual({
      status: 'created',
      masked: false,
    });
    expect(gitlab.variable(project, 'PRETTY')?.masked).toBe(false);
  });

  it('maskProblem follows GitLab rule for raw values', () => {
    expect(maskProblem('AAAAAAAA')).toBeUndefined();
    expect(maskProblem('{"a":"b|c"}')).toBeUndefined();
    expect(maskProblem('AAAAAAA')).toMatch(/8 characters/);
    expect(maskProblem('AAAA AAAA')).toMatch(/without spaces/);
    expect(maskProblem('AAAAAAAA\nB')).toMatch(/one line/);
  });
});

describe('refusals name the fix, never the value or the token', () => {
  it('401: an unknown token, and an expired one', async () => {
    expect(await refusal({ token: 'glpat-unknown-000000000000' })).toBe(
      'GitLab refused the token in GITLAB_TOKEN (401 Unauthorized): it is unknown, expired or revoked. Use a personal, project or group access token with the api scope and the Maintainer role on the project, in GITLAB_TOKEN.',
    );
    expect(await refusal({ token: EXPIRED })).toMatch(
      /^GitLab refused the token in GITLAB_TOKEN \(Token is expired\. You can either do re-authorization or token refresh\.\): /,
    );
  });

  it('403: a Developer, and a token without the api scope', async () => {
    expect(await refusal({ token: DEVELOPER })).toBe(
      'the token in GITLAB_TOKEN may not change the CI/CD variables of GitLab project platform/build/app (403 Forbidden). Use a personal, project or group access token with the api scope and the Maintainer role on the project, in GITLAB_TOKEN.',
    );
    expect(await refusal({ token: READ_ONLY })).toMatch(
      /^the token in GITLAB_TOKEN lacks the api scope that writing a CI\/CD variable needs \(read_api is not enough\)\./,
    );
  });

  it('404: a project that does not exist, or that the token cannot see', async () => {
    const hidden = gitlab.addProject('secret/app');
    expect(await refusal({ owner: { kind: 'project', id: 'platform/build/nope' } })).toBe(
      "GitLab project platform/build/nope was not found, or the token in GITLAB_TOKEN cannot see it (404 Project Not Found). Check --gitlab-project (a numeric id or the full path, such as group/sub/project) and the token's membership.",
    );
    expect(await refusal({ owner: { kind: 'project', id: hidden.path } })).toMatch(/\(404 Project Not Found\)/);
    expect(await refusal({ token: OWNER, owner: { kind: 'group', id: 'nope' } })).toMatch(
      /^GitLab group nope was not found.*\(404 Group Not Found\)\. Check --gitlab-group /,
    );
  });

  it('nothing is written on any refusal', async () => {
    await refusal({ token: DEVELOPER });
    await refusal({ token: READ_ONLY });
    expect(project.variables).toEqual([]);
  });

  it('bad input is refused before any request', async () => {
    expect(await refusal({ key: 'DOCKER-AUTH' })).toMatch(/variable name "DOCKER-AUTH" is not one GitLab accepts/);
    expect(await refusal({ apiUrl: 'gitlab.com/api/v4' })).toMatch(/is not an http\(s\) URL/);
    expect(await refusal({ apiUrl: 'https://user:pw@gitlab.com/api/v4' })).toMatch(/carries a user, password or query/);
    expect(await refusal({ environmentScope: ' ' })).toMatch(/environment scope .* is empty: use \*/);
    expect(await refusal({ token: 'glpat-pasted with a note' })).toMatch(/^GITLAB_TOKEN is empty or holds spaces/);
    expect(gitlab.server.requests).toEqual([]);
  });

  it('a redirect is not followed with the token, and 5xx is retried, then reported', async () => {
    gitlab.server.inject({
      match: () => true,
      reply: { status: 302, headers: { location: 'https://elsewhere.example/api/v4/x' } },
    });
    expect(await refusal({})).toMatch(
      /^GitLab answered PUT with a redirect \(302 to https:\/\/elsewhere\.example\/api\/v4\/x\): not followed/,
    );

    gitlab.server.inject({ match: () => true, times: 2, reply: { status: 502, body: 'Bad Gateway' } });
    await expect(write()).resolves.toMatchObject({ status: 'created' });

    gitlab.server.requests.length = 0;
    gitlab.server.inject({ match: () => true, times: 4, reply: { status: 503, headers: { 'retry-after': '0' } } });
    expect(await refusal({ key: 'OTHER' })).toMatch(/^GitLab at 127\.0\.0\.1:\d+ answered 503 \(4 attempts\)/);
    expect(gitlab.server.requests).toHaveLength(4);
  });

  it('a host that does not answer is reported in the words of the other services', async () => {
    expect(await refusal({ apiUrl: 'http://127.0.0.1:9/api/v4' })).toMatch(
      /^could not reach 127\.0\.0\.1:9: connection refused \(4 attempts\)\. Check the GitLab API URL/,
    );
  });
});

describe('startFakes', () => {
  it('starts the fake GitLab on request, named by CI_API_V4_URL as in a GitLab job', async () => {
    const without = await startFakes();
    const fakes = await startFakes({ gitlab: true });
    try {
      expect(without.gitlab).toBeUndefined();
      expect(without.env['CI_API_V4_URL']).toBeUndefined();
      const fake = fakes.gitlab as FakeGitLab;
      const app = fake.addProject('group/app');
      fake.grant(fake.addToken('glpat-from-start-fakes'), app, 'maintainer');
      await writeGitLabVariable({
        apiUrl: fakes.env['CI_API_V4_URL'] ?? '',
        token: 'glpat-from-start-fakes',
        tokenSource: 'GITLAB_TOKEN',
        owner: { kind: 'project', id: 'group/app' },
        key: 'DOCKER_AUTH_CONFIG',
        value: '{"auths":{}}',
        protected: true,
        environmentScope: '*',
        sensitive: true,
      });
      expect(fake.variable(app, 'DOCKER_AUTH_CONFIG')).toMatchObject({ protected: true, masked: true });
      expect(fakes.allRequests().map(({ service, method }) => `${service} ${method}`)).toEqual([
        'gitlab PUT',
        'gitlab POST',
      ]);
    } finally {
      await Promise.all([without.stop(), fakes.stop()]);
    }
  });
});

describe("the runner's proxy", () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const name of ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY', 'no_proxy', 'NO_PROXY'])
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
  });

  it('every request goes through http_proxy, to a host only the proxy resolves', async () => {
    const proxy = await new FakeProxy(['gitlab.test']).start();
    try {
      for (const name of ['https_proxy', 'HTTPS_PROXY', 'HTTP_PROXY', 'no_proxy', 'NO_PROXY']) delete process.env[name];
      process.env['http_proxy'] = proxy.url;
      const port = new URL(gitlab.server.url).port;
      await expect(write({ apiUrl: `http://gitlab.test:${port}/api/v4` })).resolves.toMatchObject({
        status: 'created',
      });
      expect(proxy.requests.map(({ method, host, status }) => `${method} ${host} ${status}`)).toEqual([
        `PUT gitlab.test:${port} 404`,
        `POST gitlab.test:${port} 201`,
      ]);
      for (const request of gitlab.server.requests) expect(proxy.upstreamPorts.has(request.remotePort)).toBe(true);
    } finally {
      await proxy.stop();
    }
  });
});

describe("a group's scoped variables", () => {
  it('a group PUT whose filter matches nothing moves another scope’s variable (GitLab), so the sink asks first', async () => {
    const owner = { kind: 'group' as const, id: 'premium-platform' };
    await write({ token: OWNER, owner, environmentScope: 'production', value: 'PRODUCTION1' });

    // What GitLab does with a bare PUT: the production variable is updated and moved to staging.
    const moved = await fetch(
      `${gitlab.apiUrl}/groups/premium-platform/variables/ECR_PASSWORD?filter%5Benvironment_scope%5D=staging`,
      {
        method: 'PUT',
        headers: { 'private-token': OWNER, 'content-type': 'application/json' },
        body: JSON.stringify({ value: 'MOVED1234', environment_scope: 'staging' }),
      },
    );
    expect(moved.status).toBe(200);
    expect(premiumGroup.variables.map((v) => v.environment_scope)).toEqual(['staging']);
    premiumGroup.variables.length = 0;
    gitlab.server.requests.length = 0;

    // The sink: production stays as it is, and staging gets a variable of its own.
    await write({ token: OWNER, owner, environmentScope: 'production', value: 'PRODUCTION1' });
    await expect(write({ token: OWNER, owner, environmentScope: 'staging', value: 'STAGING12' })).resolves.toEqual({
      status: 'created',
      masked: true,
    });
    expect(gitlab.variable(premiumGroup, 'ECR_PASSWORD', 'production')?.value).toBe('PRODUCTION1');
    expect(gitlab.variable(premiumGroup, 'ECR_PASSWORD', 'staging')?.value).toBe('STAGING12');
    await expect(write({ token: OWNER, owner, environmentScope: 'staging', value: 'STAGING34' })).resolves.toEqual({
      status: 'updated',
      masked: true,
    });
    expect(gitlab.variable(premiumGroup, 'ECR_PASSWORD', 'production')?.value).toBe('PRODUCTION1');
    expect(gitlab.server.requests.map((r) => `${r.method} ${r.status}`)).toEqual([
      'GET 404',
      'POST 201',
      'GET 404',
      'POST 201',
      'GET 200',
      'PUT 200',
    ]);
  });
});

describe('hidden variables (masked and hidden, GitLab 17.4 and later)', () => {
  /** A hidden variable, made as GitLab makes one: POST with masked_and_hidden. */
  async function hiddenVariable(key: string, value: string): Promise<void> {
    const answer = await fetch(`${gitlab.apiUrl}/projects/${project.id}/variables`, {
      method: 'POST',
      headers: { 'private-token': MAINTAINER, 'content-type': 'application/json' },
      body: JSON.stringify({ key, value, masked_and_hidden: true, raw: true }),
    });
    expect(answer.status).toBe(201);
    gitlab.server.requests.length = 0;
  }

  it('updates a hidden variable it can mask, masked as it is', async () => {
    await hiddenVariable('DOCKER_AUTH_CONFIG', 'OLDVALUE1234');
    const dockerConfig = dockerConfigJson([{ registry: REGISTRY, username: 'AWS', password: password() }]);
    await expect(write({ key: 'DOCKER_AUTH_CONFIG', value: dockerConfig })).resolves.toEqual({
      status: 'updated',
      masked: true,
    });
    expect(gitlab.variable(project, 'DOCKER_AUTH_CONFIG')).toMatchObject({
      value: dockerConfig,
      hidden: true,
      masked: true,
    });
  });

  it('never tries to unmask one: a GitLab that cannot mask the docker config keeps it as it was, and says so', async () => {
    gitlab.maskRules = 'base64-only';
    await hiddenVariable('DOCKER_AUTH_CONFIG', 'OLDVALUE1234');
    const dockerConfig = dockerConfigJson([{ registry: REGISTRY, username: 'AWS', password: password() }]);
    expect(await refusal({ key: 'DOCKER_AUTH_CONFIG', value: dockerConfig })).toMatch(
      /^variable DOCKER_AUTH_CONFIG of GitLab project platform\/build\/app is hidden \(masked and hidden\), and GitLab refuses to unmask a hidden variable, which this value needs \(this GitLab masks only values of the Base64 alphabet.*\): it was kept as it was, hidden, masked and with its previous value\. Delete it and run again/,
    );
    // The masked PUT GitLab refused, then a look-up: no PUT with masked false.
    expect(gitlab.server.requests.map((r) => `${r.method} ${r.status}`)).toEqual(['PUT 400', 'GET 200']);
    for (const request of gitlab.server.requests.filter((r) => r.method === 'PUT'))
      expect(JSON.parse(request.body)).toMatchObject({ masked: true });
    expect(gitlab.variable(project, 'DOCKER_AUTH_CONFIG')).toMatchObject({ value: 'OLDVALUE1234', hidden: true });
  });

  it('a value it could never mask: the hidden variable is looked up first, and nothing is sent', async () => {
    await hiddenVariable('PRETTY', 'OLDVALUE1234');
    expect(await refusal({ key: 'PRETTY', value: '{\n  "auths": {}\n}' })).toMatch(
      /^variable PRETTY .* is hidden .*\(GitLab masks only values on one line without spaces\): it was kept as it was/,
    );
    expect(gitlab.server.requests.map((r) => `${r.method} ${r.status}`)).toEqual(['GET 200']);
  });
});

describe("GitLab's 10,000-character limit for a value", () => {
  it('a longer value is refused before any request, without the value', async () => {
    const registries = ['111111111111', '222222222222', '333333333333'].map((account) => ({
      registry: `${account}.dkr.ecr.eu-west-1.amazonaws.com`,
      username: 'AWS',
      // 2,500 characters, a typical ECR password (2,400 to 2,700: aws/aws-sdk-js-v3#6580).
      password: randomBytes(1875).toString('base64'),
    }));
    const dockerConfig = dockerConfigJson(registries);
    expect(dockerConfig.length).toBeGreaterThan(10_000);
    expect(await refusal({ key: 'DOCKER_AUTH_CONFIG', value: dockerConfig })).toBe(
      `the value of GitLab variable DOCKER_AUTH_CONFIG is ${dockerConfig.length} characters, and GitLab takes at most 10000: write less into it (a docker config of fewer registries).`,
    );
    expect(gitlab.server.requests).toEqual([]);
    await expect(write({ value: 'A'.repeat(10_000) })).resolves.toMatchObject({ status: 'created' });
  });
});

describe('how many registries a GitLab variable holds (checked before ECR is asked)', () => {
  it('one account beside the login’s own fits at the longest password allowed for; two do not at a typical one', () => {
    expect(MAX_GITLAB_REGISTRY_ACCOUNTS).toBe(1);
    const config = (accounts: number, passwordLength: number) =>
      dockerConfigJson(
        Array.from({ length: accounts + 1 }, (_, i) => ({
          registry: `${String(i).padStart(12, '9')}.dkr.ecr.ap-southeast-1.amazonaws.com`,
          username: 'AWS',
          password: 'A'.repeat(passwordLength),
        })),
      );
    expect(config(MAX_GITLAB_REGISTRY_ACCOUNTS, 2800).length).toBeLessThanOrEqual(10_000);
    expect(config(MAX_GITLAB_REGISTRY_ACCOUNTS + 1, 2500).length).toBeGreaterThan(10_000);
    expect(gitlabRegistriesProblem({ type: 'private', accounts: ['111111111111'] })).toBeUndefined();
    expect(gitlabRegistriesProblem({ type: 'public' })).toBeUndefined();
    expect(gitlabRegistriesProblem({ type: 'private', accounts: ['111111111111', '222222222222'] })).toMatch(
      /^--registries: it lists 2 accounts, and the docker config of a GitLab CI\/CD variable fits at most 1/,
    );
  });
});
