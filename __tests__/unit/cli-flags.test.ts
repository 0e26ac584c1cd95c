import { describe, expect, it } from '@jest/globals';
import { flagSpecs, helpText, NOT_FLAGS, parseFlags, UsageError } from '../../src/cli/flags.ts';
import { ciSessionName, commandPlan, formatFlagProblem } from '../../src/cli/options.ts';
import { readActionYml } from '../fakes/action-yml.ts';

describe("the command's flags come from action.yml", () => {
  const inputs = readActionYml().inputs;

  it('every input is a flag, or a secret (or GitHub-only) input the command takes from the environment', () => {
    const flags = flagSpecs().flatMap(({ input }) => (input ? [input] : []));
    expect([...flags, ...Object.keys(NOT_FLAGS)].sort()).toEqual(Object.keys(inputs).sort());
    expect(flags).not.toContain('github-token');
  });

  it('a new input is a flag without an edit to the command; a true/false default makes a switch', () => {
    const specs = flagSpecs({
      ...inputs,
      'dry-run': { description: 'Do nothing.', default: 'false' },
      registries: { description: 'Registries, one per line or separated by commas.' },
    });
    const flags = parseFlags(['--dry-run', '--registries', 'a', '--registries', 'b', '--aws-region', 'x'], specs);
    expect(flags.get('dry-run')).toBe('true');
    expect(flags.get('registries')).toBe('a\nb');
    expect(helpText(specs)).toContain('  --dry-run\n');
  });

  it('refuses a single-value flag given twice, an unknown flag and a stray argument', () => {
    expect(() => parseFlags(['--aws-region', 'a', '--aws-region', 'b'])).toThrow(UsageError);
    expect(() => parseFlags(['--github-token', 'x'])).toThrow(/Unknown option '--github-token'/);
    expect(() => parseFlags(['octo/app'])).toThrow(/Unexpected argument 'octo\/app'/);
  });
});

describe("parseConfig's messages, naming flags", () => {
  const flags = new Set(['aws-region', 'role-to-assume', 'role-session-name', 'environment', 'secret-name']);

  it('renames the input and its hyphenated mentions, never plain words or other hyphenated words', () => {
    expect(
      formatFlagProblem(
        {
          input: 'role-session-name',
          problem: 'it only applies when role-to-assume is set, not with aws-cn or docker-config-secret-name',
          fix: 'Set AWS_REGION in the environment, or role-to-assume',
        },
        'GH_TOKEN',
        flags,
      ),
    ).toBe(
      '--role-session-name: it only applies when --role-to-assume is set, not with aws-cn or docker-config-secret-name. Set AWS_REGION in the environment, or --role-to-assume',
    );
  });

  it('names the environment variable for the GitHub token', () => {
    expect(
      formatFlagProblem(
        { input: 'github-token', problem: 'it is empty', fix: 'Set it.' },
        'GH_TOKEN or GITHUB_TOKEN',
        flags,
      ),
    ).toBe('Environment variable GH_TOKEN or GITHUB_TOKEN: it is empty. Set it.');
  });
});

describe('the session name in a GitLab job', () => {
  it('is gitlab-<project>-<pipeline>, within STS rules (64 characters of letters, digits and =,.@_+-)', () => {
    expect(ciSessionName({ CI_PROJECT_ID: '42', CI_PIPELINE_ID: '1001' })).toBe('gitlab-42-1001');
    const long = ciSessionName({ CI_PROJECT_ID: '4'.repeat(40), CI_PIPELINE_ID: 'a b'.repeat(20) }) ?? '';
    expect(long).toMatch(/^[\w+=,.@-]{2,64}$/);
    expect(ciSessionName({ CI_PROJECT_ID: '42' })).toBeUndefined();
  });
});

describe('secrets the AWS SDK reads from the environment', () => {
  it('AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN are among the values the command masks', () => {
    const env = {
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEEXAMPLE12',
      AWS_SECRET_ACCESS_KEY: 'secret/EXAMPLE/key/0123456789abcdefghij',
      AWS_SESSION_TOKEN: 'session-token-EXAMPLE-0123456789',
    };
    const plan = commandPlan(parseFlags(['--dotenv-file', 'a.env']), env, flagSpecs());
    expect(plan.secrets).toEqual(expect.arrayContaining([env.AWS_SECRET_ACCESS_KEY, env.AWS_SESSION_TOKEN]));
    expect(plan.secrets).not.toContain(env.AWS_ACCESS_KEY_ID);
  });
});
