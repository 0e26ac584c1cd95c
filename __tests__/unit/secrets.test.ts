import { describe, expect, it } from '@jest/globals';
import { dockerConfigJson, secretNames, secretValues } from '../../src/secrets.ts';

const login = { registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com', username: 'AWS', password: 'pw:with:colons', expiresAt: new Date(0) };

describe('secretValues', () => {
  it('the password alone by default', () => {
    expect(secretValues({ password: 'ECR_PASSWORD' }, login)).toEqual([{ name: 'ECR_PASSWORD', value: 'pw:with:colons', sensitive: true }]);
  });

  it('username (not masked: it is the word AWS) and docker config when named', () => {
    const values = secretValues({ password: 'P', username: 'U', dockerConfig: 'D' }, login);
    expect(values.map(({ name, sensitive }) => [name, sensitive])).toEqual([['P', true], ['U', false], ['D', true]]);
    expect(values[1]?.value).toBe('AWS');
    expect(values[2]?.value).toBe(dockerConfigJson([login]));
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
    expect(JSON.parse(json)).toEqual({ auths: { [login.registry]: { auth: Buffer.from('AWS:pw:with:colons').toString('base64') } } });
  });

  it('holds several registries', () => {
    const other = { ...login, registry: '210987654321.dkr.ecr.us-east-1.amazonaws.com', password: 'b' };
    expect(Object.keys((JSON.parse(dockerConfigJson([login, other])) as { auths: object }).auths)).toEqual([login.registry, other.registry]);
  });
});
