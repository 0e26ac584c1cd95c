import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { Fakes } from '../fakes/index.ts';
import { FakeProxy, type ProxiedRequest } from '../fakes/proxy.ts';
import type { FakeServer } from '../fakes/server.ts';
import { REPO, run, setUp } from './helpers.ts';

/**
 * A self-hosted runner that reaches the internet only through a proxy. Every service gets a name
 * that only the proxy resolves (`.test` is reserved and never resolves, RFC 6761), so a request that
 * bypasses the proxy cannot reach its fake at all.
 */
const NAMES = ['oidc.test', 'sts.aws.test', 'ecr.aws.test', 'github.test'];

let fakes: Fakes & { roleArn: string };
let proxy: FakeProxy;
beforeEach(async () => {
  fakes = await setUp();
  proxy = await new FakeProxy(NAMES).start();
});
afterEach(async () => {
  await proxy.stop();
  await fakes.stop();
});

const port = (server: FakeServer) => new URL(server.url).port;
const on = (name: string, server: FakeServer) => `http://${name}:${port(server)}`;

/** The runner's variables pointing every service at its `.test` name. */
function namedServices() {
  return {
    env: {
      ACTIONS_ID_TOKEN_REQUEST_URL: `${on('oidc.test', fakes.oidc.server)}/token?api-version=2.0`,
      AWS_ENDPOINT_URL_STS: on('sts.aws.test', fakes.aws.sts),
      AWS_ENDPOINT_URL_ECR: on('ecr.aws.test', fakes.aws.ecr),
    },
    inputs: { 'role-to-assume': fakes.roleArn, 'github-api-url': on('github.test', fakes.github.server) },
  };
}

/** What each fake received, as `service METHOD path`, keyed by the port it listens on. */
function receivedByFakes(): string[] {
  return fakes.allRequests().map(({ service, method, url }) => `${service} ${method} ${url}`);
}

function forwardedByProxy(requests: ProxiedRequest[] = proxy.requests): string[] {
  const services = new Map([
    [port(fakes.oidc.server), 'oidc'],
    [port(fakes.aws.sts), 'sts'],
    [port(fakes.aws.ecr), 'ecr'],
    [port(fakes.github.server), 'github'],
  ]);
  return requests.map(({ host, method, path }) => `${services.get(host.split(':').at(-1) ?? '')} ${method} ${path}`);
}

const sorted = (lines: string[]) => [...lines].sort();

describe('behind a proxy', () => {
  it('lower-case https_proxy / http_proxy: every request, OIDC, STS, ECR, GitHub REST and GraphQL, goes through it', async () => {
    fakes.github.addOrganization('octo-org');
    fakes.github.addRepository('octo-org/api');
    fakes.github.addRepository('octo-org/web');
    const { env, inputs } = namedServices();
    const result = await run(
      fakes,
      { ...inputs, organization: 'octo-org', visibility: 'selected', 'selected-repositories': 'api\nweb' },
      { ...env, https_proxy: proxy.url, http_proxy: proxy.url },
    );

    expect(result.exitCode).toBe(0);
    const stored = fakes.github.organizationSecret('octo-org', 'ECR_PASSWORD');
    expect(stored?.plaintext).toBe(fakes.aws.lastLogin?.password);
    expect(stored?.selectedRepositoryIds).toHaveLength(2);
    // Each service was asked, GraphQL included, and each request the fakes saw is one the proxy forwarded.
    expect(new Set(fakes.allRequests().map((r) => r.service))).toEqual(new Set(['oidc', 'sts', 'ecr', 'github']));
    expect(fakes.github.server.requests.some((r) => r.url.endsWith('/graphql'))).toBe(true);
    expect(sorted(forwardedByProxy())).toEqual(sorted(receivedByFakes()));
    // And each fake was addressed by its name, as a real service would be.
    for (const { service, host } of allHosts()) expect(`${service} ${host}`).toMatch(/^\w+ [\w.]+\.test:\d+$/);
  });

  it('upper-case HTTPS_PROXY / HTTP_PROXY: a repository secret, every request through the proxy', async () => {
    const { env, inputs } = namedServices();
    const result = await run(fakes, inputs, { ...env, HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url });

    expect(result.exitCode).toBe(0);
    expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD')?.plaintext).toBe(fakes.aws.lastLogin?.password);
    expect(receivedByFakes()).toHaveLength(5);
    expect(sorted(forwardedByProxy())).toEqual(sorted(receivedByFakes()));
  });

  it('without the proxy variables, names only the proxy knows cannot be reached: the routing above is real', async () => {
    const { env, inputs } = namedServices();
    const result = await run(fakes, inputs, env);

    expect(result.exitCode).toBe(1);
    expect(result.errors[0]).toMatch(/Could not get a GitHub OIDC token.*could not reach oidc\.test:\d+: host name not found/);
    expect(receivedByFakes()).toEqual([]);
    expect(proxy.requests).toEqual([]);
  });

  // `@actions/http-client`, whose rules every request follows, never proxies localhost or 127.*, so the
  // fakes are given as 0.0.0.0 here: it reaches them on Linux, yet is not loopback by those rules and
  // goes through the proxy unless no_proxy names it.
  it('no_proxy with host:port sends that AWS endpoint direct, and the same host on another port still through the proxy', async () => {
    const { env, inputs } = namedServices();
    const sts = `0.0.0.0:${port(fakes.aws.sts)}`;
    const ecr = `0.0.0.0:${port(fakes.aws.ecr)}`;
    const result = await run(fakes, inputs, {
      ...env,
      AWS_ENDPOINT_URL_STS: `http://${sts}`,
      AWS_ENDPOINT_URL_ECR: `http://${ecr}`,
      https_proxy: proxy.url,
      http_proxy: proxy.url,
      no_proxy: `${ecr}, .internal`,
    });

    expect(result.exitCode).toBe(0);
    expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD')?.plaintext).toBe(fakes.aws.lastLogin?.password);
    expect(fakes.aws.ecr.requests).toHaveLength(1);
    expect(proxy.requestsTo('0.0.0.0').map((r) => r.host)).toEqual([sts]);
    expect(sorted(forwardedByProxy())).toEqual(sorted(receivedByFakes().filter((line) => !line.startsWith('ecr '))));
  });

  it('no_proxy=* sends everything direct', async () => {
    const direct = (server: FakeServer) => `http://0.0.0.0:${port(server)}`;
    const result = await run(fakes, { 'role-to-assume': fakes.roleArn, 'github-api-url': direct(fakes.github.server) }, {
      ACTIONS_ID_TOKEN_REQUEST_URL: `${direct(fakes.oidc.server)}/token?api-version=2.0`,
      AWS_ENDPOINT_URL_STS: direct(fakes.aws.sts),
      AWS_ENDPOINT_URL_ECR: direct(fakes.aws.ecr),
      HTTPS_PROXY: proxy.url,
      HTTP_PROXY: proxy.url,
      NO_PROXY: '*',
    });

    expect(result.exitCode).toBe(0);
    expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD')?.plaintext).toBe(fakes.aws.lastLogin?.password);
    expect(receivedByFakes()).toHaveLength(5);
    expect(proxy.requests).toEqual([]);
    expect(proxy.tunnels).toEqual([]);
  });
});

/** The Host header of every request the fakes received. */
function allHosts(): { service: string; host: string }[] {
  const servers = { oidc: fakes.oidc.server, sts: fakes.aws.sts, ecr: fakes.aws.ecr, github: fakes.github.server };
  return Object.entries(servers).flatMap(([service, server]) => server.requests.map((r) => ({ service, host: String(r.headers.host) })));
}
