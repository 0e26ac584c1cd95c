/**
 * `startFakes(options)` starts every fake on 127.0.0.1 (OIDC, STS and ECR, ECR Public, GitHub; GitLab
 * with `gitlab: true`, which also sets `CI_API_V4_URL`; HTTPS for those in `https`) and returns them
 * with `env`, the runner's environment pointing at them, and `allRequests()`.
 *
 * The action reaches the fakes only through the settings a user would set: `AWS_ENDPOINT_URL_STS`,
 * `AWS_ENDPOINT_URL_ECR`, `AWS_ENDPOINT_URL_ECR_PUBLIC` (the SDK's name for service id `ECR PUBLIC`),
 * the runner's `ACTIONS_ID_TOKEN_REQUEST_URL` and `ACTIONS_ID_TOKEN_REQUEST_TOKEN`, and the
 * `github-api-url` input (or `GITHUB_API_URL`). There is no test hook in the product code.
 *
 * A fake's behaviour is only worth what its fidelity is. Every status, header, error shape and limit a
 * fake shows is one the real service shows, with the source (API reference, GitHub docs, an issue
 * where users quote the message) in a comment beside it; where no source was found, the comment says
 * it is a guess.
 */
import { FakeAws } from './aws.ts';
import { FakeGitHub } from './github.ts';
import { FakeGitLab } from './gitlab.ts';
import { FakeOidc } from './oidc.ts';
import { createTlsIdentity } from './tls.ts';

export { FakeAws, FakeGitHub, FakeGitLab, FakeOidc };

/** Every fake the action talks to, started on 127.0.0.1. */
export interface Fakes {
  oidc: FakeOidc;
  aws: FakeAws;
  github: FakeGitHub;
  /** GitLab's API, when asked for (`gitlab: true`): the command's GitLab sinks write to it. */
  gitlab?: FakeGitLab;
  /** The runner's environment pointing at the fakes through the SDKs' standard settings. */
  env: Record<string, string>;
  /** Every request any fake received, in order of arrival per fake. */
  allRequests: () => { service: string; method: string; url: string; status: number }[];
  stop: () => Promise<void>;
}

export type Service = 'oidc' | 'sts' | 'ecr' | 'github';

export interface FakesOptions {
  /** The AWS region the fake STS and ECR answer for; its partition sets role ARNs and the registry host. */
  region?: string;
  /**
   * Services that speak HTTPS, as the real ones do, with a certificate from a throwaway CA that the
   * action is told to trust through `NODE_EXTRA_CA_CERTS` (in `env`), as a runner behind a
   * TLS-inspecting proxy or in front of a GHES with a private CA is. The others speak plain HTTP.
   */
  https?: (Service | 'gitlab')[];
  /** Start the fake GitLab API too, named to the run by CI_API_V4_URL as a GitLab job's environment names it. */
  gitlab?: boolean;
}

export async function startFakes({
  region = 'eu-west-1',
  https = [],
  gitlab: withGitLab = false,
}: FakesOptions = {}): Promise<Fakes> {
  const oidc = new FakeOidc();
  const aws = new FakeAws(region);
  const github = new FakeGitHub();
  const gitlab = withGitLab ? new FakeGitLab() : undefined;
  const servers = {
    oidc: oidc.server,
    sts: aws.sts,
    ecr: aws.ecr,
    'ecr-public': aws.ecrPublic,
    github: github.server,
    ...(gitlab ? { gitlab: gitlab.server } : {}),
  };
  const tls = https.length > 0 ? createTlsIdentity() : undefined;
  await Promise.all(
    Object.entries(servers).map(([service, server]) =>
      server.start(tls && https.includes(service as Service | 'gitlab') ? { tls } : {}),
    ),
  );
  return {
    oidc,
    aws,
    github,
    ...(gitlab ? { gitlab } : {}),
    env: {
      ACTIONS_ID_TOKEN_REQUEST_URL: `${oidc.server.url}/token?api-version=2.0`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: oidc.requestToken,
      AWS_ENDPOINT_URL_STS: aws.sts.url,
      AWS_ENDPOINT_URL_ECR: aws.ecr.url,
      // The SDK's variable for service id "ECR PUBLIC": spaces to underscores (@smithy/core's
      // getEndpointUrlConfig; AWS SDKs reference guide, "Service-specific endpoints").
      AWS_ENDPOINT_URL_ECR_PUBLIC: aws.ecrPublic.url,
      GITHUB_API_URL: github.server.url,
      ...(gitlab ? { CI_API_V4_URL: gitlab.apiUrl } : {}),
      ...(tls ? { NODE_EXTRA_CA_CERTS: tls.caFile } : {}),
    },
    allRequests: () =>
      Object.entries(servers).flatMap(([service, server]) =>
        server.requests.map(({ method, url, status }) => ({ service, method, url, status })),
      ),
    stop: async () => {
      await Promise.all(Object.values(servers).map((server) => server.stop()));
      tls?.dispose();
    },
  };
}
