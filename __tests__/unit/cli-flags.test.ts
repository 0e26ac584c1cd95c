/**
 * The command's flags, from the generated inputs table: one per action input but the secret ones, a
 * new input a flag with no edit, parseConfig's messages naming flags through their placeholders, an
 * empty value refused, the GitLab session name, a token pasted where its variable belongs refused
 * unprinted.
 */
import { describe, expect, it } from '@jest/globals';
import { flagSpecs, helpText, NOT_FLAGS, parseFlags, UsageError } from '../../src/cli/flags.ts';
import { ciSessionName, readCommandLine, formatFlagProblem } from '../../src/cli/options.ts';
import { readActionYml } from '../fakes/action-yml.ts';
import { inputEntries } from '../../scripts/inputs-table.ts';

describe("the command's flags come from action.yml", () => {
  const inputs = readActionYml().inputs;

  it('every input is a flag, or a secret (or GitHub-only) input the command takes from the environment', () => {
    const flags = flagSpecs().flatMap(({ input }) => (input ? [input] : []));
    expect([...flags, ...Object.keys(NOT_FLAGS)].sort()).toEqual(Object.keys(inputs).sort());
    expect(flags).not.toContain('github-token');
  });

  it('a new input is a flag without an edit to the command; a true/false default makes a switch', () => {
    // The table the build generates from this action.yml (scripts/inputs-table.ts), then the flags from it.
    const specs = flagSpecs(
      inputEntries({
        inputs: {
          ...inputs,
          'dry-run': { description: 'Do nothing. `true` or `false`.', required: false, default: 'false' },
          'new-input': { description: 'Something new.', required: false },
        },
      }),
    );
    const flags = parseFlags(['--dry-run', '--registries', 'a', '--registries', 'b', '--new-input', 'x'], specs);
    expect(flags.get('dry-run')).toBe('true');
    expect(flags.get('registries')).toBe('a\nb');
    expect(flags.get('new-input')).toBe('x');
    expect(specs.find(({ name }) => name === 'new-input')).toMatchObject({ half: 'github', list: false });
    expect(helpText(specs)).toContain('  --dry-run\n');
    // A switch takes no value, so its help does not ask for one.
    expect(helpText(specs)).not.toContain('`true` or `false`');
  });

  it('a new input that takes a list must be declared one, or the build fails', () => {
    expect(() =>
      inputEntries({ inputs: { ...inputs, hosts: { description: 'Hosts, one per line.', required: false } } }),
    ).toThrow(/input "hosts" says it takes one value per line; add it to LIST_INPUTS/);
  });

  it('refuses a single-value flag given twice, an unknown flag and a stray argument', () => {
    expect(() => parseFlags(['--aws-region', 'a', '--aws-region', 'b'])).toThrow(UsageError);
    expect(() => parseFlags(['--github-token', 'x'])).toThrow(/Unknown option '--github-token'/);
    expect(() => parseFlags(['octo/app'])).toThrow(/Unexpected argument 'octo\/app'/);
  });
});

describe("parseConfig's messages, naming flags", () => {
  const flags = new Set(['aws-region', 'role-to-assume', 'role-session-name', 'environment', 'secret-name']);

  it('renders each input placeholder as its flag, and nothing else: plain words and other names stay', () => {
    expect(
      formatFlagProblem(
        {
          input: 'role-session-name',
          problem: 'it only applies when {role-to-assume} is set, not with aws-cn, role-to-assume or the environment',
          fix: 'Set AWS_REGION in the {environment}, or {role-to-assume}; {unknown} stays',
        },
        'GH_TOKEN',
        flags,
      ),
    ).toBe(
      '--role-session-name: it only applies when --role-to-assume is set, not with aws-cn, role-to-assume or the environment. Set AWS_REGION in the --environment, or --role-to-assume; unknown stays',
    );
  });

  it('names the environment variable for the GitHub token', () => {
    expect(
      formatFlagProblem(
        { input: 'github-token', problem: 'it is empty', fix: 'Set {github-token}.' },
        'GH_TOKEN or GITHUB_TOKEN',
        flags,
      ),
    ).toBe('Environment variable GH_TOKEN or GITHUB_TOKEN: it is empty. Set GH_TOKEN or GITHUB_TOKEN.');
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
    const plan = readCommandLine(parseFlags(['--dotenv-file', 'a.env']), env, flagSpecs());
    expect(plan.secrets).toEqual(expect.arrayContaining([env.AWS_SECRET_ACCESS_KEY, env.AWS_SESSION_TOKEN]));
    expect(plan.secrets).not.toContain(env.AWS_ACCESS_KEY_ID);
  });
});

describe('an empty value is a usage error, never the default', () => {
  it('refuses every empty or blank value at once, each with what leaving the flag out means', () => {
    const parse = () =>
      parseFlags([
        '--gitlab-environment-scope',
        '',
        '--gitlab-variable',
        ' ',
        '--web-identity-token-env',
        '',
        '--repositories',
        'octo/app',
        '--repositories',
        '',
      ]);
    expect(parse).toThrow(UsageError);
    expect(parse).toThrow(
      [
        '--repositories: the value given is empty. Give a value, or leave --repositories out.',
        '--web-identity-token-env: the value given is empty. Give a value, or leave --web-identity-token-env out.',
        '--gitlab-variable: the value given is empty. Give a value, or leave --gitlab-variable out for its default (DOCKER_AUTH_CONFIG).',
        '--gitlab-environment-scope: the value given is empty. Give a value, or leave --gitlab-environment-scope out for its default (*).',
      ].join('\n'),
    );
  });
});

describe('a token pasted where its variable belongs', () => {
  it('is refused without being printed, and no message names it as a variable', () => {
    const token = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJwcm9qZWN0In0.c2lnbmF0dXJl';
    const plan = () =>
      readCommandLine(
        parseFlags([
          '--aws-region',
          'eu-west-1',
          '--role-to-assume',
          'arn:aws:iam::123456789012:role/ecr-pull',
          '--web-identity-token-env',
          token,
          '--dotenv-file',
          'a.env',
        ]),
        {},
        flagSpecs(),
      );
    expect(plan).toThrow(
      /^--web-identity-token-env: the value given is not the name of an environment variable\. Give the variable's name/,
    );
    expect(plan).not.toThrow(/eyJ/);
  });
});
