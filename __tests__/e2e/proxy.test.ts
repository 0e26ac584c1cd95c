import { afterEach, describe, expect, it } from '@jest/globals';
import type { Fakes, Service } from '../fakes/index.ts';
import { FakeProxy, type ProxiedRequest } from '../fakes/proxy.ts';
import type { FakeServer } from '../fakes/server.ts';
import { REPO, run, setUp } from './helpers.ts';

/**
 * A self-hosted runner that reaches the internet only through a proxy. Every service gets a name
 * that only the proxy resolves (`.test` is reserved and never resolves, RFC 6761), so a request that
 * bypasses the proxy cannot reach its fake at all.
 *
 * GitHub speaks HTTPS, as it does for real (and `github-api-url` must be https:// for any host but
 * loopback); in the first scenario every service does. The proxy cannot read what goes through a TLS
 * tunnel, so "it went through the proxy" is checked by the connection each request came by: its
 * remote port at the fake must be one the proxy opened. Plain-HTTP fakes are compared request by
 * request with what the proxy forwarded as well.
 *
 * Also: `no_proxy`, and a tunnel the proxy refuses (squid's 403) to GitHub and to ECR, reported as the
 * proxy's refusal, not the service's answer.
 */
const NAMES = ['oidc.test', 'sts.aws.test', 'ecr.aws.test', 'github.test'];

let fakes: Fakes & { roleArn: string };
let proxy: FakeProxy;
/** The fakes, with `https` speaking TLS (GitHub unless told otherwise), and the proxy. */
async function start(https: Service[] = ['github']): Promise<void> {
  fakes = await setUp({ https });
  proxy = await new FakeProxy(NAMES).start();
}
afterEach(async () => {
  await proxy.stop();
  await fakes.stop();
});

const port = (server: FakeServer) => new URL(server.url).port;
const on = (name: string, server: FakeServer) => `${new URL(server.url).protocol}//${name}:${port(server)}`;

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

function servers(): Record<Service, FakeServer> {
  return { oidc: fakes.oidc.server, sts: fakes.aws.sts, ecr: fakes.aws.ecr, github: fakes.github.server };
}

/** What the fakes received (the plain-HTTP ones only, with `plain`), as `service METHOD path`. */
function receivedByFakes({ plain = false } = {}): string[] {
  return Object.entries(servers())
    .filter(([, server]) => !plain || server.url.startsWith('http:'))
    .flatMap(([service, server]) => server.requests.map(({ method, url }) => `${service} ${method} ${url}`));
}

/** Requests that came to a fake by a connection the proxy did not open, as `service METHOD path`. */
function notThroughProxy(): string[] {
  return Object.entries(servers()).flatMap(([service, server]) =>
    server.requests
      .filter((r) => !proxy.upstreamPorts.has(r.remotePort))
      .map(({ method, url }) => `${service} ${method} ${url}`),
  );
}

/** The `name:port` of each service that speaks TLS, as a client asks the proxy to CONNECT to it. */
function tlsTargets(names: Partial<Record<Service, string>>): string[] {
  return Object.entries(names)
    .filter(([service]) => servers()[service as Service].url.startsWith('https:'))
    .map(([service, name]) => `${name}:${port(servers()[service as Service])}`);
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
  it('lower-case https_proxy / http_proxy: every request, OIDC, STS, ECR, GitHub REST and GraphQL, all over TLS, goes through it', async () => {
    await start(['oidc', 'sts', 'ecr', 'github']);
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
    expect(notThroughProxy()).toEqual([]);
    // All of it in TLS tunnels, one or more to each service, which the proxy could not read.
    const names = { oidc: 'oidc.test', sts: 'sts.aws.test', ecr: 'ecr.aws.test', github: 'github.test' };
    expect(new Set(proxy.encryptedTunnels)).toEqual(new Set(tlsTargets(names)));
    expect(proxy.tunnels).toHaveLength(proxy.encryptedTunnels.length);
    expect(proxy.requests).toEqual([]);
    // And each fake was addressed by its name, as a real service would be.
    for (const { service, host } of allHosts()) expect(`${service} ${host}`).toMatch(/^\w+ [\w.]+\.test:\d+$/);
  });

  it('a proxy with a user and password, DEBUG=* set: the proxy gets them, and no debug line shows them', async () => {
    await start(['oidc', 'sts', 'ecr', 'github']);
    const { env, inputs } = namedServices();
    // A token as the user name, as some proxies take; the password with characters percent-encoded in the URL.
    const user = 'ghp_proxyUserToken0123456789';
    const password = 'Pr0xy:S3cret@x';
    const withCredentials = proxy.url.replace('://', `://${user}:${encodeURIComponent(password)}@`);
    const result = await run(fakes, inputs, {
      ...env,
      https_proxy: withCredentials,
      http_proxy: withCredentials,
      DEBUG: '*',
    });

    expect(result.exitCode).toBe(0);
    expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD')?.plaintext).toBe(fakes.aws.lastLogin?.password);
    expect(new Set(proxy.credentials)).toEqual(new Set([`${user}:${password}`]));
    // The runner masks what follows ::add-mask::; anywhere else it would be shown.
    const visible = `${result.stdout}\n${result.stderr}`.replace(/^::add-mask::.*$/gm, '');
    for (const secret of [user, password, encodeURIComponent(password)])
      expect(visible.includes(secret) ? `leaked: ${secret.slice(0, 6)}...` : 'not leaked').toBe('not leaked');
  });

  it("a proxy that refuses the tunnel to GitHub (squid's 403 Access Denied) is named as the proxy's refusal, never as GitHub's answer", async () => {
    await start(['github']);
    proxy.denied.add('github.test');
    const { env, inputs } = namedServices();
    const result = await run(fakes, inputs, { ...env, https_proxy: proxy.url, http_proxy: proxy.url });

    expect(result.exitCode).toBe(1);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toContain(
      `could not reach github.test:${port(fakes.github.server)} through the proxy ${new URL(proxy.url).host}: the proxy refused the tunnel (403 Forbidden)`,
    );
    expect(result.errors[0]).toMatch(/lets this runner through to github-api-url.*, or list the host in no_proxy/);
    // Not a token permission problem, not GitHub's trouble, and not squid's page quoted.
    expect(result.errors[0]).not.toMatch(/GitHub answered|may not|permission|Access Denied|<html/);
    // The tunnel was asked for once, refused, and not asked again: a refusal by the proxy's rules is
    // final (a 502 or 503, the host out of the proxy's reach, would be retried); nothing reached GitHub.
    expect(proxy.tunnels.filter((tunnel) => tunnel.startsWith('github.test:'))).toEqual([
      `github.test:${port(fakes.github.server)}`,
    ]);
    expect(fakes.github.server.requests).toEqual([]);
    expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD')).toBeUndefined();
  });

  it('a proxy that refuses the tunnel to ECR: the same words, for AWS, and nothing written', async () => {
    await start(['ecr', 'github']);
    proxy.denied.add('ecr.aws.test');
    const { env, inputs } = namedServices();
    const result = await run(fakes, inputs, { ...env, https_proxy: proxy.url, http_proxy: proxy.url });

    expect(result.exitCode).toBe(1);
    expect(result.errors[0]).toContain('ecr:GetAuthorizationToken');
    expect(result.errors[0]).toContain(
      `could not reach ECR in eu-west-1 through the proxy ${new URL(proxy.url).host}: the proxy refused the tunnel (403 Forbidden)`,
    );
    expect(proxy.tunnels).toContain(`ecr.aws.test:${port(fakes.aws.ecr)}`);
    expect(result.errors[0]).not.toMatch(/AWS said|AccessDenied|<html/);
    expect(fakes.aws.ecr.requests).toEqual([]);
    expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD')).toBeUndefined();
  });

  it('upper-case HTTPS_PROXY / HTTP_PROXY: a repository secret, every request through the proxy, GitHub over TLS and the rest plain', async () => {
    await start(['github']);
    const { env, inputs } = namedServices();
    const result = await run(fakes, inputs, { ...env, HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url });

    expect(result.exitCode).toBe(0);
    expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD')?.plaintext).toBe(fakes.aws.lastLogin?.password);
    expect(receivedByFakes()).toHaveLength(5);
    expect(notThroughProxy()).toEqual([]);
    expect(new Set(proxy.encryptedTunnels)).toEqual(new Set([`github.test:${port(fakes.github.server)}`]));
    // The plain-HTTP requests the proxy could read are exactly those OIDC, STS and ECR received.
    expect(sorted(forwardedByProxy())).toEqual(sorted(receivedByFakes({ plain: true })));
    expect(receivedByFakes({ plain: true })).toHaveLength(3);
  });

  it('without the proxy variables, names only the proxy knows cannot be reached: the routing above is real', async () => {
    await start();
    const { env, inputs } = namedServices();
    const result = await run(fakes, inputs, env);

    expect(result.exitCode).toBe(1);
    // GitHub is read first (which secrets are due), and its name does not resolve: nothing else is asked.
    expect(result.errors[0]).toMatch(
      /Could not read the secrets public key of octo\/app: could not reach github\.test:\d+: host not found/,
    );
    expect(receivedByFakes()).toEqual([]);
    expect(proxy.requests).toEqual([]);
  });

  // `@actions/http-client`, whose rules every request follows, never proxies localhost or 127.*, so the
  // fakes are given as 0.0.0.0 here: it reaches them on Linux, yet is not loopback by those rules and
  // goes through the proxy unless no_proxy names it.
  it('no_proxy with host:port sends that AWS endpoint direct, and the same host on another port still through the proxy', async () => {
    await start();
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
    expect(sorted(forwardedByProxy())).toEqual(
      sorted(receivedByFakes({ plain: true }).filter((line) => !line.startsWith('ecr '))),
    );
    // ECR's request alone came by a connection of its own; GitHub's, over TLS, came through the proxy.
    expect(notThroughProxy()).toEqual(['ecr POST /']);
    expect(fakes.github.server.requests.length).toBeGreaterThan(0);
    expect(proxy.encryptedTunnels).toContain(`github.test:${port(fakes.github.server)}`);
  });

  it('no_proxy=* sends everything direct', async () => {
    await start();
    // GitHub speaks TLS: its certificate names 0.0.0.0 too.
    const direct = (server: FakeServer) => `${new URL(server.url).protocol}//0.0.0.0:${port(server)}`;
    const result = await run(
      fakes,
      { 'role-to-assume': fakes.roleArn, 'github-api-url': direct(fakes.github.server) },
      {
        ACTIONS_ID_TOKEN_REQUEST_URL: `${direct(fakes.oidc.server)}/token?api-version=2.0`,
        AWS_ENDPOINT_URL_STS: direct(fakes.aws.sts),
        AWS_ENDPOINT_URL_ECR: direct(fakes.aws.ecr),
        HTTPS_PROXY: proxy.url,
        HTTP_PROXY: proxy.url,
        NO_PROXY: '*',
      },
    );

    expect(result.exitCode).toBe(0);
    expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD')?.plaintext).toBe(fakes.aws.lastLogin?.password);
    expect(receivedByFakes()).toHaveLength(5);
    expect(proxy.requests).toEqual([]);
    expect(proxy.tunnels).toEqual([]);
    expect(notThroughProxy()).toHaveLength(5);
  });
});

/** The Host header of every request the fakes received. */
function allHosts(): { service: string; host: string }[] {
  return Object.entries(servers()).flatMap(([service, server]) =>
    server.requests.map((r) => ({ service, host: String(r.headers.host) })),
  );
}
