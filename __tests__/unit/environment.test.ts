import { describe, expect, it } from '@jest/globals';
import { envUrlForMessages, runnerEnvironmentProblems } from '../../src/net/environment.ts';

/**
 * The runner's proxy variables and GITHUB_API_URL, checked before anything reads them into URLs
 * (src/net/environment.ts): which values `@actions/http-client` could not use, and how a value is shown.
 */
describe('envUrlForMessages: never a password, a user name or a query', () => {
  it.each([
    ['://ci-bot:S3cret@proxy.corp:3128', '://***@proxy.corp:3128'],
    ['http://ghp_T0ken:x-oauth-basic@proxy.corp:3128', 'http://***@proxy.corp:3128'],
    ['http://user:pa/ss@w@rd@proxy.corp:3128', 'http://***@proxy.corp:3128'],
    ['http://user:S3cret', 'http://***'],
    ['user:S3cret@proxy.corp', '***@proxy.corp'],
    ['https://ghe.corp/api/v3?access_token=ghp_T0ken', 'https://ghe.corp/api/v3?…'],
    ['http://user:S3cret#x@proxy.corp', 'http://***'],
    ['proxy.corp:3128', 'proxy.corp:3128'],
    ['http://proxy.corp:3128/', 'http://proxy.corp:3128/'],
  ])('%s -> %s', (value, shown) => {
    expect(envUrlForMessages(value)).toBe(shown);
  });
});

describe('runnerEnvironmentProblems', () => {
  it('takes what @actions/http-client takes: an http(s) URL, or host:port with http:// understood', () => {
    expect(
      runnerEnvironmentProblems({
        https_proxy: 'http://user:p%40ss@proxy.corp:3128',
        HTTPS_PROXY: 'https://proxy.corp',
        http_proxy: '10.0.0.1:3128',
        HTTP_PROXY: '',
        no_proxy: '://anything, at all',
        GITHUB_API_URL: 'https://ghe.corp/api/v3',
        GITHUB_SERVER_URL: '://not a url',
      }),
    ).toEqual([]);
  });

  it('names each variable it cannot use, with what is wrong', () => {
    const problems = runnerEnvironmentProblems({
      https_proxy: '://u:S3cret@proxy.corp:3128',
      HTTPS_PROXY: 'proxy.corp:3128',
      http_proxy: 'socks5://u:S3cret@proxy.corp:1080',
      HTTP_PROXY: 'http://u:S3cret%zz@proxy.corp',
      GITHUB_API_URL: '://ghe.corp?access_token=S3cret',
    });
    expect(problems.map((problem) => problem.replace(/\. Set .*$/, ''))).toEqual([
      'could not use the proxy "://***@proxy.corp:3128" (https_proxy): it is not a URL',
      'could not use the proxy "proxy.corp:3128" (HTTPS_PROXY): it does not start with http:// or https:// (a value such as proxy.example.com:3128 reads as a URL of scheme proxy.example.com:)',
      'could not use the proxy "socks5://***@proxy.corp:1080" (http_proxy): it is a socks5: URL, and only http:// and https:// proxies are supported',
      'could not use the proxy "http://***@proxy.corp" (HTTP_PROXY): its user name or password holds a % that is not percent-encoding (write % as %25)',
      'GITHUB_API_URL "://ghe.corp?…" is not a URL',
    ]);
    expect(problems.join('\n')).not.toContain('S3cret');
  });
});
