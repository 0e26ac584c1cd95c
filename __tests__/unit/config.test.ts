import { describe, expect, it } from '@jest/globals';
import {
  ConfigError,
  parseConfig,
  secretNameProblem,
  splitList,
  type Config,
  type RunContext,
} from '../../src/config/index.ts';
import { dockerConfigJson, MAX_REGISTRY_ACCOUNTS, SECRET_KINDS } from '../../src/run/secret-kinds.ts';
import { seal } from '../../src/github/secrets/seal.ts';
import sodium from 'libsodium-wrappers';

const ENV = {
  GITHUB_REPOSITORY: 'octo/app',
  GITHUB_RUN_ID: '77',
  GITHUB_RUN_ATTEMPT: '2',
  GITHUB_API_URL: 'https://api.github.com',
};
/** The run context as `@actions/github` builds it from the same variables. */
const contextOf = (env: Record<string, string>): RunContext => ({
  apiUrl: env['GITHUB_API_URL'] ?? 'https://api.github.com',
  ...(env['GITHUB_REPOSITORY'] ? { repository: env['GITHUB_REPOSITORY'] } : {}),
  ...(env['GITHUB_RUN_ID'] ? { runId: Number(env['GITHUB_RUN_ID']) } : {}),
  ...(env['GITHUB_RUN_ATTEMPT'] ? { runAttempt: Number(env['GITHUB_RUN_ATTEMPT']) } : {}),
});
const parse = (inputs: Record<string, string>, env: Record<string, string> = ENV): Config =>
  parseConfig((name) => inputs[name] ?? '', env, contextOf(env));
const problems = (inputs: Record<string, string>, env: Record<string, string> = ENV) => {
  try {
    parse(inputs, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => p.input);
    throw error;
  }
  return [];
};
const BASE = { 'aws-region': 'eu-west-1', 'github-token': 'ghp_x' };
const ROLE = 'arn:aws:iam::123456789012:role/ecr-pull';

describe('parseConfig', () => {
  it('OIDC by default when only role-to-assume is set, with defaults from the run', () => {
    const config = parse({ ...BASE, 'role-to-assume': ROLE });
    expect(config.auth).toEqual({
      kind: 'oidc',
      roleArn: ROLE,
      audience: 'sts.amazonaws.com',
      sessionName: 'ecr-secret-refresh-77-2',
      durationSeconds: 900,
    });
    expect(config.targets).toEqual([{ kind: 'repository', owner: 'octo', repo: 'app' }]);
    expect(config.secretNames).toEqual({ password: 'ECR_PASSWORD' });
    expect(config.github).toEqual({
      token: 'ghp_x',
      apiUrl: 'https://api.github.com',
      tokenSource: { name: 'github-token', renewal: 'update the secret that holds it' },
    });
    expect(config.maxAgeMs).toBeUndefined();
  });

  it('picks keys, keys with a role, or the default chain', () => {
    const keys = {
      'aws-access-key-id': 'AKIAABCDEFGHIJKLMNOP',
      'aws-secret-access-key': 's',
      'aws-session-token': 't',
    };
    expect(parse({ ...BASE, ...keys }).auth).toEqual({
      kind: 'access-keys',
      keys: { accessKeyId: 'AKIAABCDEFGHIJKLMNOP', secretAccessKey: 's', sessionToken: 't' },
    });
    expect(parse({ ...BASE, ...keys, 'role-to-assume': ROLE }).auth.kind).toBe('access-keys-and-role');
    expect(parse(BASE).auth).toEqual({ kind: 'default-chain' });
  });

  it('takes the region from AWS_REGION, then AWS_DEFAULT_REGION', () => {
    expect(
      parse({ 'github-token': 'x' }, { ...ENV, AWS_REGION: 'us-east-2', AWS_DEFAULT_REGION: 'us-west-1' }).region,
    ).toBe('us-east-2');
    expect(parse({ 'github-token': 'x' }, { ...ENV, AWS_DEFAULT_REGION: 'us-west-1' }).region).toBe('us-west-1');
    expect(
      parse({ 'github-token': 'x', 'aws-region': 'ap-southeast-2' }, { ...ENV, AWS_REGION: 'us-east-2' }).region,
    ).toBe('ap-southeast-2');
    expect(parse({ ...BASE, 'aws-region': 'us-gov-west-1' }).region).toBe('us-gov-west-1');
  });

  it('lists repositories split on newlines and commas, each as an environment target when one is named', () => {
    const config = parse({ ...BASE, repositories: ' octo/app ,\nocto/api\n\n', environment: 'ecr' });
    expect(config.targets).toEqual([
      { kind: 'environment', owner: 'octo', repo: 'app', environment: 'ecr' },
      { kind: 'environment', owner: 'octo', repo: 'api', environment: 'ecr' },
    ]);
  });

  it('organisation targets with visibility, selected repositories by bare or full name', () => {
    // No visibility given: undefined, so that an existing secret keeps its own (item 1 of issue 8).
    expect(parse({ ...BASE, organization: 'octo' }).targets).toEqual([
      { kind: 'organization', org: 'octo', selectedRepositories: [] },
    ]);
    expect(
      parse({ ...BASE, organization: 'octo', visibility: 'selected', 'selected-repositories': 'app, octo/api' })
        .targets,
    ).toEqual([{ kind: 'organization', org: 'octo', visibility: 'selected', selectedRepositories: ['app', 'api'] }]);
  });

  it('optional secret names and max-age', () => {
    const config = parse({
      ...BASE,
      'secret-name': 'REG_PASS',
      'username-secret-name': 'REG_USER',
      'docker-config-secret-name': 'DOCKER_AUTH_CONFIG',
      'max-age': '1h30m',
    });
    expect(config.secretNames).toEqual({
      password: 'REG_PASS',
      username: 'REG_USER',
      dockerConfig: 'DOCKER_AUTH_CONFIG',
    });
    expect(config.maxAgeMs).toBe(5_400_000);
  });

  it('drops a trailing slash from github-api-url and falls back to GITHUB_API_URL', () => {
    expect(parse({ ...BASE, 'github-api-url': 'https://ghe.example.com/api/v3/' }).github.apiUrl).toBe(
      'https://ghe.example.com/api/v3',
    );
    expect(parse(BASE, { ...ENV, GITHUB_API_URL: 'https://ghe.example.com/api/v3' }).github.apiUrl).toBe(
      'https://ghe.example.com/api/v3',
    );
  });

  it('needs a repository when GITHUB_REPOSITORY is not set', () => {
    expect(problems(BASE, {})).toEqual(['repositories']);
  });

  it('accepts the regions of every AWS partition, and refuses what is no region code', () => {
    const accepted = [
      'us-east-1',
      'eu-west-1',
      'ap-southeast-7',
      'mx-central-1',
      'cn-north-1',
      'cn-northwest-1',
      'us-gov-west-1',
      'us-gov-east-1',
      'eusc-de-east-1',
      'us-iso-east-1',
      'us-isob-east-1',
      'eu-isoe-west-1',
      'us-isof-south-1',
    ];
    for (const region of accepted) expect([region, problems({ ...BASE, 'aws-region': region })]).toEqual([region, []]);
    for (const region of [
      'eu-west',
      'EU-WEST-1',
      'eu-WEST-1',
      'eu_west_1',
      'moon-1',
      'aws-global',
      'xx-east-1',
      'us-east-1x',
      'cn-north',
    ]) {
      expect([region, problems({ ...BASE, 'aws-region': region })]).toEqual([region, ['aws-region']]);
    }
  });

  it('accepts role ARNs of every partition, in the partition of the region', () => {
    const cases: [string, string][] = [
      ['cn-north-1', 'arn:aws-cn:iam::123456789012:role/ecr-pull'],
      ['us-gov-west-1', 'arn:aws-us-gov:iam::123456789012:role/ecr-pull'],
      ['us-iso-east-1', 'arn:aws-iso:iam::123456789012:role/ecr-pull'],
      ['us-isob-east-1', 'arn:aws-iso-b:iam::123456789012:role/ecr-pull'],
      ['eu-isoe-west-1', 'arn:aws-iso-e:iam::123456789012:role/ecr-pull'],
      ['us-isof-south-1', 'arn:aws-iso-f:iam::123456789012:role/ecr-pull'],
      ['eusc-de-east-1', 'arn:aws-eusc:iam::123456789012:role/path/ecr-pull'],
    ];
    for (const [region, roleArn] of cases) {
      expect(parse({ ...BASE, 'aws-region': region, 'role-to-assume': roleArn }).auth).toMatchObject({
        kind: 'oidc',
        roleArn,
      });
    }
    expect(problems({ ...BASE, 'role-to-assume': 'arn:aws-moon:iam::123456789012:role/ecr-pull' })).toEqual([
      'role-to-assume',
    ]);
  });

  it('refuses a role of another partition than the region, naming both inputs', () => {
    const message = () => {
      try {
        parse({ ...BASE, 'aws-region': 'cn-north-1', 'role-to-assume': ROLE });
      } catch (error) {
        return (error as Error).message;
      }
      return '';
    };
    expect(message()).toMatch(/^Input 'role-to-assume': .*partition aws, .*aws-region cn-north-1 .*partition aws-cn/);
    expect(
      problems({ ...BASE, 'aws-region': 'us-gov-west-1', 'role-to-assume': 'arn:aws-cn:iam::123456789012:role/x' }),
    ).toEqual(['role-to-assume']);
  });

  it('role-duration-seconds: decimal digits only, and at most an hour when keys with a session token assume the role', () => {
    expect(parse({ ...BASE, 'role-to-assume': ROLE, 'role-duration-seconds': '43200' }).auth).toMatchObject({
      durationSeconds: 43200,
    });
    for (const text of ['0x384', '1e3', '900.0', '+900', '9e2', '１２００']) {
      expect([text, problems({ ...BASE, 'role-to-assume': ROLE, 'role-duration-seconds': text })]).toEqual([
        text,
        ['role-duration-seconds'],
      ]);
    }
    const temporaryKeys = {
      'aws-access-key-id': 'ASIAABCDEFGHIJKLMNOP',
      'aws-secret-access-key': 's',
      'aws-session-token': 't',
      'role-to-assume': ROLE,
    };
    expect(parse({ ...BASE, ...temporaryKeys, 'role-duration-seconds': '3600' }).auth).toMatchObject({
      kind: 'access-keys-and-role',
      durationSeconds: 3600,
    });
    expect(problems({ ...BASE, ...temporaryKeys, 'role-duration-seconds': '3601' })).toEqual(['role-duration-seconds']);
    // Long-term keys (no session token) are no role chaining: the role's own maximum applies.
    const { 'aws-session-token': _, ...longTermKeys } = temporaryKeys;
    expect(parse({ ...BASE, ...longTermKeys, 'role-duration-seconds': '43200' }).auth).toMatchObject({
      durationSeconds: 43200,
    });
  });

  it('accepts owners of Enterprise Managed Users and refuses names with more than one slash', () => {
    expect(parse({ ...BASE, repositories: 'alice_acme/app, octo-org/web' }).targets).toEqual([
      { kind: 'repository', owner: 'alice_acme', repo: 'app' },
      { kind: 'repository', owner: 'octo-org', repo: 'web' },
    ]);
    for (const repositories of [
      'octo/app/extra',
      '_acme/app',
      'alice_/app',
      'alice_acme_x/app',
      `${'a'.repeat(40)}/app`,
      'octo/',
    ]) {
      expect([repositories, problems({ ...BASE, repositories })]).toEqual([repositories, ['repositories']]);
    }
  });

  it('refuses a repositories list that names no repository', () => {
    for (const repositories of [',', ' , \n', '\n,\n,'])
      expect(problems({ ...BASE, repositories })).toEqual(['repositories']);
  });

  it('selected-repositories: every part counts, and each repository once whatever its case', () => {
    const org = { ...BASE, organization: 'octo', visibility: 'selected' };
    for (const selected of ['octo/app/extra', 'api, API', 'api, octo/API', 'octo/api, OCTO/api']) {
      expect([selected, problems({ ...org, 'selected-repositories': selected })]).toEqual([
        selected,
        ['selected-repositories'],
      ]);
    }
  });

  it('selected-repositories: patterns on the organisation’s names, with repository-topics; allow-repository-removal with selected only', () => {
    const org = { ...BASE, organization: 'octo', visibility: 'selected' };
    expect(
      parse({
        ...org,
        'selected-repositories': 'svc-*, OCTO/web-?, api',
        'repository-topics': 'ECR',
        'allow-repository-removal': 'true',
      }).targets,
    ).toEqual([
      {
        kind: 'organization',
        org: 'octo',
        visibility: 'selected',
        selectedRepositories: ['api'],
        selectedPatterns: [
          { text: 'svc-*', owner: 'octo', name: 'svc-*' },
          { text: 'OCTO/web-?', owner: 'octo', name: 'web-?' },
        ],
        topics: ['ecr'],
        allowRepositoryRemoval: true,
      },
    ]);
    // Another owner's pattern, `**`, a pattern twice, topics without a pattern: each named.
    for (const selected of ['other/svc-*', 'svc-**', 'svc-*, SVC-*', 'octo/a/*'])
      expect([selected, problems({ ...org, 'selected-repositories': selected })]).toEqual([
        selected,
        ['selected-repositories'],
      ]);
    expect(problems({ ...org, 'selected-repositories': 'api', 'repository-topics': 'ecr' })).toEqual([
      'repository-topics',
    ]);
    expect(problems({ ...BASE, 'allow-repository-removal': 'true' })).toEqual(['allow-repository-removal']);
    expect(problems({ ...BASE, organization: 'octo', 'allow-repository-removal': 'true' })).toEqual([
      'allow-repository-removal',
    ]);
    expect(problems({ ...org, 'selected-repositories': 'api', 'allow-repository-removal': 'yes' })).toEqual([
      'allow-repository-removal',
    ]);
  });

  it('refuses environment names that URL parsing would resolve to another path', () => {
    for (const environment of ['.', '..']) expect(problems({ ...BASE, environment })).toEqual(['environment']);
    expect(parse({ ...BASE, environment: 'prod/eu ...' }).targets).toEqual([
      { kind: 'environment', owner: 'octo', repo: 'app', environment: 'prod/eu ...' },
    ]);
    expect(parse({ ...BASE, environment: '...' }).targets).toHaveLength(1);
  });

  it('max-age: up to 11h, so that a skipped secret keeps at least an hour of life', () => {
    expect(parse({ ...BASE, 'max-age': '11h' }).maxAgeMs).toBe(11 * 3_600_000);
    for (const maxAge of ['11h1s', '11h30m', '12h', '1d'])
      expect(problems({ ...BASE, 'max-age': maxAge })).toEqual(['max-age']);
  });

  it('github-api-url: https, or http to a loopback host; no credentials, query or fragment', () => {
    for (const url of [
      'https://ghe.example.com/api/v3',
      'http://127.0.0.1:8080',
      'http://127.1.2.3',
      'http://localhost:3000/api/v3',
      'http://[::1]:4000',
    ]) {
      expect([url, problems({ ...BASE, 'github-api-url': url })]).toEqual([url, []]);
    }
    expect(parse({ ...BASE, 'github-api-url': 'HTTPS://GHE.example.com/api/v3/' }).github.apiUrl).toBe(
      'https://ghe.example.com/api/v3',
    );
    for (const url of [
      'http://ghe.example.com/api/v3',
      'http://127.0.0.1.example.com',
      'ftp://example.com',
      'https://ghe.example.com/api/v3?per_page=1',
      'https://ghe.example.com/api/v3?',
      'https://ghe.example.com/#x',
      'not a url',
    ]) {
      expect([url, problems({ ...BASE, 'github-api-url': url })]).toEqual([url, ['github-api-url']]);
    }
    // The runner's own URL is held to the same rules.
    expect(problems(BASE, { ...ENV, GITHUB_API_URL: 'http://ghe.example.com/api/v3' })).toEqual(['github-api-url']);
  });

  it('github-api-url with credentials: refused, and the message never shows them', () => {
    for (const url of [
      'https://mona:hunter2secret@ghe.example.com/api/v3',
      'https://hunter2secret@ghe.example.com',
      'https://mona:hunter2#secret@ghe.example.com',
      'https://mona:hun/ter2secret@ghe.example.com',
    ]) {
      let message = '';
      try {
        parse({ ...BASE, 'github-api-url': url });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/^Input 'github-api-url': /);
      expect(message).not.toMatch(/hunter2|ter2secret/);
    }
  });

  it('collects every problem in one error', () => {
    expect(
      problems({ 'github-token': '', 'aws-region': 'nowhere', 'secret-name': 'GITHUB_X', visibility: 'all' }),
    ).toEqual(['aws-region', 'github-token', 'visibility', 'secret-name']);
  });
});

describe('secret names: every kind in secrets.ts is checked under its own input', () => {
  it.each(SECRET_KINDS.map(({ input }) => [input]))('%s: a name GitHub refuses', (input) => {
    expect(problems({ ...BASE, [input]: '1X' })).toEqual([input]);
  });

  it.each(SECRET_KINDS.slice(1).map(({ input }) => [input]))(
    '%s: the name of a kind before it, in any case',
    (input) => {
      expect(problems({ ...BASE, [SECRET_KINDS[0]?.input ?? '']: 'SAME', [input]: 'same' })).toEqual([input]);
    },
  );

  it('a kind with no default name is written only when its input names it', () => {
    expect(SECRET_KINDS.filter(({ defaultName }) => defaultName === undefined).map(({ kind }) => kind)).toEqual([
      'username',
      'dockerConfig',
    ]);
    expect(parse(BASE).secretNames).toEqual({ password: 'ECR_PASSWORD' });
  });
});

describe('secretNameProblem follows GitHub naming rules', () => {
  it.each(['ECR_PASSWORD', '_X', 'a1', 'x'.repeat(255)])('accepts %s', (name) =>
    expect(secretNameProblem(name)).toBeUndefined(),
  );
  it.each(['1A', 'A-B', 'A B', 'GITHUB_X', 'Github_x', '', 'x'.repeat(256)])('refuses %s', (name) =>
    expect(secretNameProblem(name)).toBeDefined(),
  );
});

describe('splitList', () => {
  it('splits on commas and newlines, trims, drops empties', () =>
    expect(splitList('a, b\n\nc,')).toEqual(['a', 'b', 'c']));
});

describe('secret-type: which app receives the secrets', () => {
  it('actions by default (as action.yml gives it, or empty): the targets are as before', () => {
    expect(parse({ ...BASE }).targets).toEqual([{ kind: 'repository', owner: 'octo', repo: 'app' }]);
    expect(parse({ ...BASE, 'secret-type': 'actions', environment: 'ecr' }).targets).toEqual([
      { kind: 'environment', owner: 'octo', repo: 'app', environment: 'ecr' },
    ]);
  });

  it('dependabot or codespaces, in any case, on every repository and organisation target', () => {
    expect(parse({ ...BASE, 'secret-type': 'Dependabot', repositories: 'octo/app, octo/api' }).targets).toEqual([
      { kind: 'repository', owner: 'octo', repo: 'app', app: 'dependabot' },
      { kind: 'repository', owner: 'octo', repo: 'api', app: 'dependabot' },
    ]);
    expect(
      parse({
        ...BASE,
        'secret-type': ' CODESPACES ',
        organization: 'octo',
        visibility: 'selected',
        'selected-repositories': 'app',
      }).targets,
    ).toEqual([
      { kind: 'organization', org: 'octo', visibility: 'selected', selectedRepositories: ['app'], app: 'codespaces' },
    ]);
  });

  it('refuses an unknown app, naming the choices', () => {
    expect(() => parse({ ...BASE, 'secret-type': 'npm' })).toThrow(
      `Input 'secret-type': "npm" is not one of actions, dependabot, codespaces. Use actions (the default), dependabot or codespaces.`,
    );
  });

  it.each(['dependabot', 'codespaces'])(
    'refuses environment with %s: environments hold Actions secrets only',
    (app) => {
      expect(problems({ ...BASE, 'secret-type': app, environment: 'ecr' })).toEqual(['environment']);
      expect(() => parse({ ...BASE, 'secret-type': app, environment: 'ecr' })).toThrow(
        `Input 'environment': environments hold GitHub Actions secrets only, and secret-type is ${app}. Remove environment to write ${app} secrets of the repositories, or remove secret-type to write environment secrets.`,
      );
    },
  );
});

describe('registry-type and registries', () => {
  it('private with no other registries by default; public when asked, in any case', () => {
    expect(parse(BASE).registry).toEqual({ type: 'private', accounts: [] });
    expect(parse({ ...BASE, 'registry-type': 'Public' }).registry).toEqual({ type: 'public' });
    expect(parse({ ...BASE, 'aws-region': 'us-west-2', 'registry-type': 'public' }).registry).toEqual({
      type: 'public',
    });
  });

  it('account ids as text, leading zeros kept, in their order, commas or lines', () => {
    const config = parse({
      ...BASE,
      'docker-config-secret-name': 'DOCKER_AUTH_CONFIG',
      registries: ' 012345678901,\n210987654321 \n\n000000000001',
    });
    expect(config.registry).toEqual({ type: 'private', accounts: ['012345678901', '210987654321', '000000000001'] });
  });

  it('refuses ids that are not 12 digits, duplicates, public with registries or outside aws, and a list without a docker config', () => {
    const docker = { ...BASE, 'docker-config-secret-name': 'D' };
    expect(problems({ ...docker, registries: '12345678901' })).toEqual(['registries']);
    expect(problems({ ...docker, registries: '1234567890123' })).toEqual(['registries']);
    expect(problems({ ...docker, registries: '１２３４５６７８９０１２' })).toEqual(['registries']);
    expect(problems({ ...docker, registries: '123456789012,123456789012' })).toEqual(['registries']);
    expect(problems({ ...BASE, registries: '123456789012' })).toEqual(['registries']);
    expect(problems({ ...docker, 'registry-type': 'public', registries: '123456789012' })).toEqual(['registries']);
    expect(problems({ ...BASE, 'registry-type': 'both' })).toEqual(['registry-type']);
    expect(problems({ ...BASE, 'aws-region': 'cn-north-1', 'registry-type': 'public' })).toEqual(['registry-type']);
    expect(problems({ ...BASE, 'aws-region': 'us-gov-east-1', 'registry-type': 'public' })).toEqual(['registry-type']);
  });
});

describe('registries: at most as many accounts as fit in one GitHub secret', () => {
  const ids = (n: number) => Array.from({ length: n }, (_, i) => String(210987654300 + i)).join('\n');
  const docker = { ...BASE, 'docker-config-secret-name': 'DOCKER_AUTH_CONFIG' };

  it('eight accepted; nine refused, naming the limit and the fix', () => {
    expect(MAX_REGISTRY_ACCOUNTS).toBe(8);
    expect(parse({ ...docker, registries: ids(8) }).registry).toMatchObject({ type: 'private' });
    expect(() => parse({ ...docker, registries: ids(9) })).toThrow(
      "Input 'registries': it lists 9 accounts, and at most 8 fit: each adds an entry of up to 3.8 KB to the docker config (an ECR password runs to 2,700 characters), and GitHub refuses a secret over 48 KB. List at most 8 accounts; for more, add a step per group of accounts, each with its own docker-config-secret-name.",
    );
  });

  it('the limit holds with a 2,800-character password and the longest hosts, measured sealed and in base64', async () => {
    await sodium.ready;
    const { publicKey } = sodium.crypto_box_keypair();
    const key = sodium.to_base64(publicKey, sodium.base64_variants.ORIGINAL);
    const password = 'p'.repeat(2800);
    // A China host is among the longest: cn-northwest-1 and amazonaws.com.cn.
    const logins = (n: number) =>
      Array.from({ length: n }, (_, i) => ({
        registry: `${210987654300 + i}.dkr.ecr.cn-northwest-1.amazonaws.com.cn`,
        username: 'AWS',
        password,
      }));
    const sealed = async (n: number) => (await seal(dockerConfigJson(logins(n)), key)).length;
    expect(await sealed(MAX_REGISTRY_ACCOUNTS + 1)).toBeLessThanOrEqual(48 * 1024);
    // One account more would not fit: the limit is no lower than it must be.
    expect(await sealed(MAX_REGISTRY_ACCOUNTS + 2)).toBeGreaterThan(48 * 1024);
  });
});

describe('repository patterns and repository-topics', () => {
  it('parses patterns apart from names: names stay targets, patterns a selection with the topics in lower case', () => {
    const config = parse({
      ...BASE,
      repositories: 'octo/app\nacme/svc-*, acme/*\nacme/app-?',
      'repository-topics': 'ECR\nteam-a, ecr',
    });
    expect(config.targets).toEqual([{ kind: 'repository', owner: 'octo', repo: 'app' }]);
    expect(config.repositorySelection).toEqual({
      patterns: [
        { text: 'acme/svc-*', owner: 'acme', name: 'svc-*' },
        { text: 'acme/*', owner: 'acme', name: '*' },
        { text: 'acme/app-?', owner: 'acme', name: 'app-?' },
      ],
      topics: ['ecr', 'team-a'],
    });
    expect(parse({ ...BASE, repositories: 'acme/*', environment: 'prod' })).toMatchObject({
      targets: [],
      repositorySelection: { patterns: [{ text: 'acme/*' }], topics: [], environment: 'prod' },
    });
    expect(parse({ ...BASE, repositories: 'octo/app' }).repositorySelection).toBeUndefined();
  });

  it('refuses globs in the owner, **, other wildcards, a pattern twice, and topics without a pattern or with organization', () => {
    expect(problems({ ...BASE, repositories: '*/app' })).toEqual(['repositories']);
    expect(problems({ ...BASE, repositories: 'ac?me/app' })).toEqual(['repositories']);
    expect(problems({ ...BASE, repositories: 'acme/**' })).toEqual(['repositories']);
    expect(problems({ ...BASE, repositories: 'acme/[ab]*' })).toEqual(['repositories']);
    expect(problems({ ...BASE, repositories: 'acme/svc-*\nAcme/SVC-*' })).toEqual(['repositories']);
    expect(problems({ ...BASE, repositories: 'octo/app', 'repository-topics': 'ecr' })).toEqual(['repository-topics']);
    expect(problems({ ...BASE, 'repository-topics': 'ecr' })).toEqual(['repository-topics']);
    expect(problems({ ...BASE, organization: 'acme', 'repository-topics': 'ecr' })).toEqual(['repository-topics']);
    expect(problems({ ...BASE, repositories: 'acme/*', 'repository-topics': 'a b, -x, ok' })).toEqual([
      'repository-topics',
      'repository-topics',
    ]);
    expect(problems({ ...BASE, repositories: 'acme/*', 'repository-topics': 'x'.repeat(51) })).toEqual([
      'repository-topics',
    ]);
  });
});
