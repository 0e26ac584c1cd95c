import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Fakes } from '../fakes/index.ts';
import { runCommand } from '../fakes/run-command.ts';
import type { ActionRun } from '../fakes/run-action.ts';
import { REPO, run, setUp, TOKEN } from './helpers.ts';

/**
 * What runs before any input is read: the runner's proxy variables and GITHUB_API_URL, which libraries
 * read into URLs (`@actions/github` builds its proxy agent for GITHUB_API_URL as its module loads). A
 * value that is no URL once crashed the action and `ecr-secret-refresh --help` alike with a TypeError
 * whose stack quoted the whole value, password included. Now the step fails, and the command exits 2,
 * with a message that names the variable and hides the password; `--help` and `--version` always work.
 */

const PASSWORD = 'Pr0xyS3cret';
/** A self-hosted runner's proxy with its scheme cut short: `new URL` cannot read it, with or without http:// before it. */
const BAD_PROXY = `://ci-bot:${PASSWORD}@proxy.corp:3128`;
const notAUrl = (name: string) =>
  `could not use the proxy "://***@proxy.corp:3128" (${name}): it is not a URL. Set ${name} to the proxy's URL`;
const PROXY_VARIABLES = ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY'];
/** A token pasted into GITHUB_API_URL's query, in a value that is no URL. */
const API_TOKEN = 'ghp_ApiUrlT0kenInTheQuery';
const BAD_API_URL = `://ghe.corp/api/v3?access_token=${API_TOKEN}`;

let fakes: Fakes & { roleArn: string };
beforeAll(async () => (fakes = await setUp()));
afterAll(async () => fakes.stop());

function expectNoStackAndNoSecret(result: { stdout: string; stderr: string }): void {
  const visible = `${result.stdout}\n${result.stderr}`;
  expect(visible).not.toContain(PASSWORD);
  // The user name too: a proxy may take a token there.
  expect(visible).not.toContain('ci-bot');
  expect(visible).not.toContain(API_TOKEN);
  // A stack frame (`    at fn (file:1:2)`), not a line of --help that wraps before "at most".
  expect(visible).not.toMatch(/TypeError|Invalid URL|^\s+at .*:\d+:\d+\)?$/m);
}

describe('the action', () => {
  const inputs = { 'role-to-assume': 'arn:aws:iam::123456789012:role/ecr-pull' };

  /** Runs the action and checks that it failed, in its own words, before asking anything. */
  async function failedBeforeAnyRequest(env: Record<string, string>, actionInputs = inputs): Promise<ActionRun> {
    const seen = fakes.allRequests().length;
    const result = await run(fakes, actionInputs, env);
    expectNoStackAndNoSecret(result);
    expect(result.exitCode).toBe(1);
    expect(fakes.allRequests().length).toBe(seen);
    return result;
  }

  it.each(PROXY_VARIABLES)(
    '%s that is no URL: the step fails naming it, the password hidden, nothing asked',
    async (name) => {
      const result = await failedBeforeAnyRequest({ [name]: BAD_PROXY });
      expect(result.errors).toHaveLength(1);
      expect(result.errors[0]?.startsWith(notAUrl(name))).toBe(true);
    },
  );

  it('a proxy of another scheme (socks5) and one whose password has a bare %: refused by name, hidden', async () => {
    const socks = await failedBeforeAnyRequest({ https_proxy: `socks5://ci-bot:${PASSWORD}@proxy.corp:1080` });
    expect(socks.errors[0]).toMatch(/^could not use the proxy "socks5:\/\/\*\*\*@proxy\.corp:1080" \(https_proxy\)/);
    const percent = await failedBeforeAnyRequest({ HTTPS_PROXY: `http://ci-bot:${PASSWORD}%zz@proxy.corp:3128` });
    expect(percent.errors[0]).toMatch(
      /\(HTTPS_PROXY\): its user name or password holds a % that is not percent-encoding/,
    );
  });

  it('GITHUB_API_URL that is no URL, a token in its query: the step fails naming it, the token hidden', async () => {
    const result = await failedBeforeAnyRequest({ GITHUB_API_URL: BAD_API_URL }, {
      ...inputs,
      'github-api-url': undefined,
    } as never);
    expect(result.errors).toEqual([
      expect.stringMatching(/^GITHUB_API_URL ":\/\/ghe\.corp\/api\/v3\?…" is not a URL\./),
    ]);
  });

  it('GITHUB_API_URL with ?access_token=: refused as github-api-url (its default), the token hidden', async () => {
    const result = await failedBeforeAnyRequest(
      { GITHUB_API_URL: `https://ghe.corp/api/v3?access_token=${API_TOKEN}` },
      { ...inputs, 'github-api-url': undefined } as never,
    );
    expect(result.errors[0]).toMatch(
      /^Input 'github-api-url': "https:\/\/ghe\.corp\/api\/v3\?…" has a query or fragment/,
    );
  });

  it('NO_PROXY, GITHUB_SERVER_URL and GITHUB_GRAPHQL_URL are read as text, never as URLs: the secret is written', async () => {
    const odd = `://ci-bot:${PASSWORD}@proxy.corp:3128`;
    const result = await run(
      fakes,
      { ...inputs, 'role-to-assume': fakes.roleArn },
      { NO_PROXY: odd, no_proxy: odd, GITHUB_SERVER_URL: odd, GITHUB_GRAPHQL_URL: odd },
    );
    expectNoStackAndNoSecret(result);
    expect(result.exitCode).toBe(0);
    expect(fakes.aws.lastLogin?.password).toBeTruthy();
    expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD')?.plaintext).toBe(fakes.aws.lastLogin?.password);
  });
});

describe('the command', () => {
  const usage = ['--aws-region', 'eu-west-1', '--repositories', REPO];
  const commandEnv = () => ({
    AWS_ENDPOINT_URL_STS: fakes.env['AWS_ENDPOINT_URL_STS'] ?? '',
    AWS_ENDPOINT_URL_ECR: fakes.env['AWS_ENDPOINT_URL_ECR'] ?? '',
    GH_TOKEN: TOKEN,
    GITHUB_API_URL: fakes.github.server.url,
  });

  it.each(PROXY_VARIABLES)(
    '%s that is no URL: --help and --version work; a run exits 2 naming it, the password hidden, nothing asked',
    async (name) => {
      const help = await runCommand(['--help'], { [name]: BAD_PROXY });
      expectNoStackAndNoSecret(help);
      expect(help.exitCode).toBe(0);
      expect(help.stdout).toMatch(/^Usage: ecr-secret-refresh/);
      const version = await runCommand(['--version'], { [name]: BAD_PROXY });
      expect(version.exitCode).toBe(0);
      expect(version.stdout).toMatch(/^ecr-secret-refresh \d/);

      const seen = fakes.allRequests().length;
      const result = await runCommand(usage, { ...commandEnv(), [name]: BAD_PROXY });
      expectNoStackAndNoSecret(result);
      expect(result.exitCode).toBe(2);
      expect(result.stderr.startsWith(`error: ${notAUrl(name)}`)).toBe(true);
      expect(result.stdout).toBe('');
      expect(result.files).toEqual([]);
      expect(fakes.allRequests().length).toBe(seen);
    },
  );

  it('GITHUB_API_URL that is no URL: --help works; a run exits 2 naming it, the token hidden, nothing asked', async () => {
    const help = await runCommand(['--help'], { GITHUB_API_URL: BAD_API_URL });
    expectNoStackAndNoSecret(help);
    expect(help.exitCode).toBe(0);
    const seen = fakes.allRequests().length;
    const result = await runCommand(usage, { ...commandEnv(), GITHUB_API_URL: BAD_API_URL });
    expectNoStackAndNoSecret(result);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/^error: GITHUB_API_URL ":\/\/ghe\.corp\/api\/v3\?…" is not a URL\./);
    expect(fakes.allRequests().length).toBe(seen);
  });

  it('NO_PROXY, GITHUB_SERVER_URL and GITHUB_GRAPHQL_URL odd: --help works, never read as URLs', async () => {
    const odd = `://ci-bot:${PASSWORD}@proxy.corp:3128`;
    const help = await runCommand(['--help'], {
      NO_PROXY: odd,
      no_proxy: odd,
      GITHUB_SERVER_URL: odd,
      GITHUB_GRAPHQL_URL: odd,
    });
    expectNoStackAndNoSecret(help);
    expect(help.exitCode).toBe(0);
  });
});
