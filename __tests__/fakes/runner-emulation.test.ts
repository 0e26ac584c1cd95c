/**
 * The runner emulation (`run-action.ts`, `action-yml.ts`) builds the step's `INPUT_*` variables from
 * action.yml as the runner does: given values, else the default evaluated by GitHub's expression
 * engine against the emulated `github` context, else ""; an undeclared input refused; outputs the
 * action set that action.yml does not declare found.
 */
import { describe, expect, it } from '@jest/globals';
import { readActionYml, type ActionMetadata } from '../fakes/action-yml.ts';
import {
  emulatedContexts,
  evaluateTemplate,
  inputEnvironment,
  undeclaredOutputs,
  type ActionRun,
} from '../fakes/run-action.ts';

const env = {
  GITHUB_API_URL: 'http://127.0.0.1:4000',
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_REPOSITORY: 'octo/app',
  RUNNER_TEMP: '/tmp/runner',
};
const contexts = emulatedContexts(env, 'ghs_job_token');

describe('the end-to-end runner emulation builds INPUT_* from action.yml, as the runner does', () => {
  const action = readActionYml();

  it('sets every declared input: given values, else the default evaluated, else ""', () => {
    const environment = inputEnvironment(action, { 'github-token': 'github_pat_x', 'aws-region': undefined }, contexts);

    expect(Object.keys(environment).sort()).toEqual(
      Object.keys(action.inputs)
        .map((name) => `INPUT_${name.toUpperCase()}`)
        .sort(),
    );
    expect(environment['INPUT_GITHUB-TOKEN']).toBe('github_pat_x');
    // `default: ${{ github.api_url }}`, from GITHUB_API_URL of the emulated runner.
    expect(environment['INPUT_GITHUB-API-URL']).toBe('http://127.0.0.1:4000');
    expect(environment['INPUT_SECRET-NAME']).toBe('ECR_PASSWORD');
    expect(environment['INPUT_AWS-REGION']).toBe('');
  });

  it('passes values untrimmed (the action trims), and matches names ignoring case', () => {
    const environment = inputEnvironment(action, { 'Secret-Name': '  MY_SECRET \n' }, contexts);
    expect(environment['INPUT_SECRET-NAME']).toBe('  MY_SECRET \n');
  });

  it('refuses an input action.yml does not declare, naming it', () => {
    expect(() => inputEnvironment(action, { 'github-tokn': 'x' }, contexts)).toThrow(
      /Unexpected input\(s\) 'github-tokn'/,
    );
  });

  it('names INPUT_ with spaces as _, upper-cased, hyphens kept', () => {
    const metadata: ActionMetadata = {
      inputs: { 'my input-name': { description: 'x', required: false, default: 'on ${{ runner.temp }}' } },
      outputs: {},
      runs: { using: 'node24', main: 'x.js' },
    };
    expect(inputEnvironment(metadata, {}, contexts)).toEqual({ 'INPUT_MY_INPUT-NAME': 'on /tmp/runner' });
  });

  it("evaluates defaults with GitHub's expression engine, github.token included", () => {
    expect(evaluateTemplate('${{ github.token }}', contexts)).toBe('ghs_job_token');
    expect(evaluateTemplate('${{ github.server_url }}/${{ github.repository }}', contexts)).toBe(
      'https://github.com/octo/app',
    );
    expect(evaluateTemplate("${{ github.event_name || 'none' }}", contexts)).toBe('none');
    expect(() => evaluateTemplate('${{ secrets.X }}', contexts)).toThrow();
  });

  it('finds outputs the action set that action.yml does not declare', () => {
    const run = { outputs: { registry: 'r', 'secrets-written': '[]', password: 'x' } } as unknown as ActionRun;
    expect(undeclaredOutputs(run, action)).toEqual(['password']);
  });
});
