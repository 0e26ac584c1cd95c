import { describe, expect, it } from '@jest/globals';
import { parseConfig } from '../../src/config/index.ts';
import { registryHosts } from '../../src/aws/registry.ts';
import { dockerConfigJson, SECRET_KINDS, secretNames, secretValues } from '../../src/run/secret-kinds.ts';
import { readActionYml } from '../fakes/action-yml.ts';

const login = {
  registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
  username: 'AWS',
  password: 'pw:with:colons',
  expiresAt: new Date(0),
};

describe('secretValues', () => {
  it('the password alone by default', () => {
    expect(secretValues({ password: 'ECR_PASSWORD' }, login)).toEqual([
      { name: 'ECR_PASSWORD', value: 'pw:with:colons', sensitive: true },
    ]);
  });

  it('username (not masked: it is the word AWS) and docker config when named', () => {
    const values = secretValues({ password: 'P', username: 'U', dockerConfig: 'D' }, login);
    expect(values.map(({ name, sensitive }) => [name, sensitive])).toEqual([
      ['P', true],
      ['U', false],
      ['D', true],
    ]);
    expect(values[1]?.value).toBe('AWS');
    expect(values[2]?.value).toBe(dockerConfigJson([login]));
  });
});

describe('several registries, one password', () => {
  it('the docker config holds one auths entry per registry host, in order, each with the login', () => {
    const hosts = [login.registry, '012345678901.dkr.ecr.eu-west-1.amazonaws.com'];
    const [, docker] = secretValues({ password: 'P', dockerConfig: 'D' }, { ...login, registryHosts: hosts });
    const auth = Buffer.from('AWS:pw:with:colons').toString('base64');
    expect(docker?.value).toBe(JSON.stringify({ auths: { [hosts[0]!]: { auth }, [hosts[1]!]: { auth } } }));
  });

  it('registryHosts: the login host first, then each account in aws-region and its partition, once', () => {
    const spec = { type: 'private', accounts: ['012345678901', '123456789012'] } as const;
    expect(registryHosts('123456789012.dkr.ecr.eu-west-1.amazonaws.com', spec, 'eu-west-1')).toEqual([
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
      '012345678901.dkr.ecr.eu-west-1.amazonaws.com',
    ]);
    expect(registryHosts('x.dkr.ecr.cn-north-1.amazonaws.com.cn', spec, 'cn-north-1')).toContain(
      '012345678901.dkr.ecr.cn-north-1.amazonaws.com.cn',
    );
    expect(registryHosts('public.ecr.aws', { type: 'public' }, 'eu-west-1')).toEqual(['public.ecr.aws']);
  });
});

describe('secretNames', () => {
  it('names the secrets in the order they are written, before any value exists', () => {
    expect(secretNames({ password: 'P' })).toEqual(['P']);
    expect(secretNames({ password: 'P', username: 'U', dockerConfig: 'D' })).toEqual(['P', 'U', 'D']);
    expect(secretNames({ password: 'P', dockerConfig: 'D' })).toEqual(['P', 'D']);
  });
});

describe('dockerConfigJson', () => {
  it('is the DOCKER_AUTH_CONFIG format on one line', () => {
    const json = dockerConfigJson([login]);
    expect(json).not.toContain('\n');
    expect(JSON.parse(json)).toEqual({
      auths: { [login.registry]: { auth: Buffer.from('AWS:pw:with:colons').toString('base64') } },
    });
  });

  it('holds several registries', () => {
    const other = { ...login, registry: '210987654321.dkr.ecr.us-east-1.amazonaws.com', password: 'b' };
    expect(Object.keys((JSON.parse(dockerConfigJson([login, other])) as { auths: object }).auths)).toEqual([
      login.registry,
      other.registry,
    ]);
  });
});

describe('SECRET_KINDS: one row per kind, from input to write', () => {
  it('names inputs action.yml declares, with the default action.yml gives', () => {
    const { inputs } = readActionYml();
    expect(SECRET_KINDS.map(({ input, defaultName }) => [input, defaultName])).toEqual(
      SECRET_KINDS.map(({ input }) => [input, inputs[input]?.default]),
    );
    expect(SECRET_KINDS.map(({ input }) => input)).toEqual([
      'secret-name',
      'username-secret-name',
      'docker-config-secret-name',
    ]);
  });

  it("parseConfig reads each kind from its own input, and secretValues writes them in the table's order", () => {
    const inputs: Record<string, string> = {
      'aws-region': 'eu-west-1',
      'github-token': 'ghp_x',
      repositories: 'octo/app',
    };
    for (const { input } of SECRET_KINDS) inputs[input] = `FROM_${input.replace(/-/g, '_').toUpperCase()}`;
    const { secretNames: names } = parseConfig((name) => inputs[name] ?? '', {}, { apiUrl: 'https://api.github.com' });
    expect(secretValues(names, login).map(({ name }) => name)).toEqual(SECRET_KINDS.map(({ input }) => inputs[input]));
  });
});
