import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { FakeGitLab, type GitLabHolder } from '../fakes/gitlab.ts';

/**
 * The fake GitLab's own fidelity where the GitLab sink's safety rests on it: a group on GitLab Free
 * dropping the environment scope, DELETE with `filter[environment_scope]`, and hidden variables. Each
 * answer is cited in __tests__/fakes/gitlab.ts (lib/api/group_variables.rb, lib/api/ci/variables.rb,
 * EE's VariablesHelpers#filter_variable_parameters, Ci::HidableVariable, Ci::VariableValue). Driven
 * with plain HTTP, as GitLab's API docs show it with curl.
 */
const OWNER = 'glpat-owner-fidelity-0123';

let gitlab: FakeGitLab;
let freeGroup: GitLabHolder;
let premiumGroup: GitLabHolder;
let project: GitLabHolder;

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
  gitlab.addToken(OWNER);
  freeGroup = gitlab.addGroup('free');
  premiumGroup = gitlab.addGroup('premium', { premium: true });
  project = gitlab.addProject('free/app');
  for (const holder of [freeGroup, premiumGroup]) gitlab.grant(OWNER, holder, 'owner');
  gitlab.grant(OWNER, project, 'maintainer');
});

async function call(method: string, path: string, body?: Record<string, unknown>) {
  const response = await fetch(`${gitlab.apiUrl}${path}`, {
    method,
    headers: { 'private-token': OWNER, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

describe('group environment scopes', () => {
  it('GitLab Free drops the scope (stores "*") and answers 201 all the same; Premium keeps it', async () => {
    const free = await call('POST', '/groups/free/variables', {
      key: 'K',
      value: 'VALUE1234',
      environment_scope: 'production',
    });
    expect(free).toMatchObject({ status: 201, body: { environment_scope: '*' } });
    const premium = await call('POST', '/groups/premium/variables', {
      key: 'K',
      value: 'VALUE1234',
      environment_scope: 'production',
    });
    expect(premium).toMatchObject({ status: 201, body: { environment_scope: 'production' } });
    // A second one on Free lands on "*" again: taken.
    const again = await call('POST', '/groups/free/variables', {
      key: 'K',
      value: 'VALUE1234',
      environment_scope: 'staging',
    });
    expect(again).toEqual({ status: 400, body: { message: { key: ['(K) has already been taken'] } } });
  });
});

describe('DELETE', () => {
  it('removes the variable of the scope the filter names: 204, then 404; several without a filter: 409', async () => {
    for (const scope of ['production', 'staging'])
      await call('POST', '/groups/premium/variables', { key: 'K', value: 'VALUE1234', environment_scope: scope });
    expect(await call('DELETE', '/groups/premium/variables/K')).toMatchObject({ status: 409 });
    expect(await call('DELETE', '/groups/premium/variables/K?filter%5Benvironment_scope%5D=production')).toEqual({
      status: 204,
      body: undefined,
    });
    expect(premiumGroup.variables.map((v) => v.environment_scope)).toEqual(['staging']);
    expect(await call('DELETE', '/groups/premium/variables/K?filter%5Benvironment_scope%5D=production')).toEqual({
      status: 404,
      body: { message: '404 GroupVariable Not Found' },
    });
    await call('POST', `/projects/${project.id}/variables`, { key: 'P', value: 'VALUE1234' });
    expect(await call('DELETE', `/projects/${project.id}/variables/P?filter%5Benvironment_scope%5D=*`)).toMatchObject({
      status: 204,
    });
    expect(await call('DELETE', `/projects/${project.id}/variables/P`)).toEqual({
      status: 404,
      body: { message: '404 Variable Not Found' },
    });
  });
});

describe('hidden variables', () => {
  it('masked_and_hidden on creation masks and hides; the value is never shown again', async () => {
    const created = await call('POST', `/projects/${project.id}/variables`, {
      key: 'H',
      value: 'SECRETVALUE1',
      masked_and_hidden: true,
    });
    expect(created).toMatchObject({ status: 201, body: { key: 'H', value: null, masked: true, hidden: true } });
    expect(await call('GET', `/projects/${project.id}/variables/H`)).toMatchObject({
      status: 200,
      body: { value: null, hidden: true },
    });
    expect(gitlab.variable(project, 'H')?.value).toBe('SECRETVALUE1');
  });

  it('an update may change the value, never masked', async () => {
    await call('POST', `/projects/${project.id}/variables`, {
      key: 'H',
      value: 'SECRETVALUE1',
      masked_and_hidden: true,
    });
    expect(
      await call('PUT', `/projects/${project.id}/variables/H`, { value: 'SECRETVALUE2', masked: true }),
    ).toMatchObject({
      status: 200,
      body: { value: null, masked: true, hidden: true },
    });
    expect(await call('PUT', `/projects/${project.id}/variables/H`, { value: 'SECRETVALUE3', masked: false })).toEqual({
      status: 400,
      body: { message: { base: ['Updating masked attribute is not allowed on updates for hidden variables.'] } },
    });
    expect(gitlab.variable(project, 'H')).toMatchObject({ value: 'SECRETVALUE2', masked: true });
    // masked_and_hidden is not an update parameter: a visible variable stays visible.
    await call('POST', `/projects/${project.id}/variables`, { key: 'V', value: 'VISIBLE12' });
    await call('PUT', `/projects/${project.id}/variables/V`, { masked_and_hidden: true });
    expect(gitlab.variable(project, 'V')).toMatchObject({ hidden: false, masked: false });
  });
});
