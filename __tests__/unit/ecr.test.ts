import { describe, expect, it } from '@jest/globals';
import { decodeAuthorizationData, registryHost } from '../../src/aws/ecr.ts';
import { decodePublicAuthorizationData } from '../../src/aws/ecr-public.ts';

const token = Buffer.from('AWS:p4ssw0rd').toString('base64');
const expiresAt = new Date('2030-01-01T12:00:00Z');

describe('decodeAuthorizationData', () => {
  it.each([
    ['https://123456789012.dkr.ecr.eu-west-1.amazonaws.com', '123456789012.dkr.ecr.eu-west-1.amazonaws.com'],
    ['123456789012.dkr.ecr.eu-west-1.amazonaws.com', '123456789012.dkr.ecr.eu-west-1.amazonaws.com'],
    ['https://123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn', '123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn'],
    ['123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn', '123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn'],
    ['https://123456789012.dkr.ecr.us-gov-west-1.amazonaws.com/', '123456789012.dkr.ecr.us-gov-west-1.amazonaws.com'],
  ])('reads the registry host from proxyEndpoint %s', (proxyEndpoint, host) => {
    const masked: string[] = [];
    const login = decodeAuthorizationData({ authorizationToken: token, proxyEndpoint, expiresAt }, (value) =>
      masked.push(value),
    );
    expect(login).toEqual({ registry: host, username: 'AWS', password: 'p4ssw0rd', expiresAt });
    expect(masked).toEqual([token, 'p4ssw0rd']);
  });

  it('refuses an endpoint that is no host, with an error that says so', () => {
    expect(registryHost('https://')).toBeUndefined();
    expect(registryHost('exa mple')).toBeUndefined();
    expect(() =>
      decodeAuthorizationData({ authorizationToken: token, proxyEndpoint: 'https://', expiresAt }, () => {}),
    ).toThrow(/registry endpoint/);
  });

  it('refuses a token that is not user:password', () => {
    const bad = Buffer.from('no-colon').toString('base64');
    expect(() =>
      decodeAuthorizationData({ authorizationToken: bad, proxyEndpoint: 'x.example', expiresAt }, () => {}),
    ).toThrow(/not user:password/);
  });
});

describe('decodePublicAuthorizationData (ECR Public)', () => {
  it('reads one object without a registry endpoint: the registry is public.ecr.aws; token and password masked', () => {
    const masked: string[] = [];
    expect(
      decodePublicAuthorizationData({ authorizationToken: token, expiresAt }, (value) => masked.push(value)),
    ).toEqual({
      registry: 'public.ecr.aws',
      username: 'AWS',
      password: 'p4ssw0rd',
      expiresAt,
    });
    expect(masked).toEqual([token, 'p4ssw0rd']);
  });

  it('refuses an answer without a token or expiry, or with a token that is not user:password', () => {
    expect(() => decodePublicAuthorizationData({ expiresAt }, () => {})).toThrow(
      /^ECR Public answered .* without a token/,
    );
    expect(() => decodePublicAuthorizationData({ authorizationToken: token }, () => {})).toThrow(/without an expiry/);
    const bad = Buffer.from('no-colon').toString('base64');
    expect(() => decodePublicAuthorizationData({ authorizationToken: bad, expiresAt }, () => {})).toThrow(
      /not user:password/,
    );
  });
});
