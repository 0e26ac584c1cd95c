import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { ACCOUNT_ID, PUBLIC_REGISTRY, type FakeAws } from './aws.ts';
import { FakeProxy } from './proxy.ts';
import { FakeServer, json, type Reply } from './server.ts';
import { createTlsIdentity } from './tls.ts';

/**
 * ECR's registries (Docker Registry HTTP API V2), beside the fake ECR: the account's private registry
 * and other accounts' in the fake's region, and ECR Public, all on one HTTPS server that tells them
 * apart by the Host header, as the real hosts are reached by name. The action reaches them as it
 * reaches the real ones: the registry host comes from ECR's answer (`proxyEndpoint`) or the image's
 * own reference, and only `startRegistry`'s forward proxy resolves those names, to this server, whose
 * certificate (from a throwaway CA given to the action through NODE_EXTRA_CA_CERTS) names them.
 *
 * Sources for what it answers (each beside its code): the Docker Registry HTTP API V2 / OCI
 * distribution spec for routes and error bodies; users' quotes of ECR's answers in issue threads;
 * where no public evidence was found, the comment says it is a guess.
 *
 * `startRegistry(aws)` starts it with the layer store its blobs redirect to and a `FakeProxy` that
 * alone resolves their real names (`proxy.route`), and gives the env (`https_proxy`,
 * `NODE_EXTRA_CA_CERTS`) under which the action reaches it from ECR's `proxyEndpoint` as it would
 * reach the real one. It takes only passwords the fake ECR issued, unexpired, for its own region;
 * answers 401 with a Basic challenge without them, ECR's 403 `DENIED` naming `ecr:BatchGetImage` or
 * `ecr:GetDownloadUrlForLayer` and the identity- or resource-based policy (`deny(roleArn, action)`),
 * 404 `NAME_UNKNOWN` / `MANIFEST_UNKNOWN`, OCI indexes (arm64 first), a 307 for blobs, and ECR
 * Public's bearer tokens (`/token/`, its HEAD of a blob always 401). `registry.test.ts` drives it with
 * skopeo; `e2e/verify-images` runs the action and the command against it.
 */

export type ImageShape = 'single' | 'index';

interface Repository {
  /** Tag -> manifest digest. */
  tags: Map<string, string>;
  /** Principal ARNs (roles) another account's repository policy allows to pull; unused in the own account. */
  trusts: readonly string[];
}

interface Stored {
  body: string;
  mediaType: string;
}

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
/** ECR Public's CDN for blobs (docker/sbx-releases#525 quotes `d2glxqk2uabbnd.cloudfront.net`). */
export const PUBLIC_BLOB_HOST = 'd2glxqk2uabbnd.cloudfront.net';

const digestOf = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;

export class FakeRegistry {
  readonly server = new FakeServer((request) => this.handle(request));
  /**
   * The layer store blobs redirect to: `prod-<region>-starport-layer-bucket.s3.<region>.amazonaws.com`
   * (ECR user guide, "Amazon ECR interface VPC endpoints"; awsdocs/amazon-ecr-user-guide#24). It serves
   * each blob at the redirect's URL, so that a client that follows it (skopeo) gets it, and one that
   * must not (the action) would succeed if it did: a test proves it was never asked.
   */
  readonly layerStore = new FakeServer(({ url }) => {
    const content = this.blobContents.get(`sha256:${/[a-f0-9]{64}/.exec(url.pathname)?.[0] ?? ''}`);
    return content === undefined ? { status: 404, body: '' } : { status: 200, body: content };
  });
  /** Repositories by `<registry host>/<name>`. */
  readonly repositories = new Map<string, Repository>();
  /** Manifests and blobs by digest, shared by every repository (content-addressed). */
  private readonly manifests = new Map<string, Stored>();
  private readonly blobContents = new Map<string, string>();
  /** IAM actions each principal's own (identity-based) policy lacks, by role ARN. */
  readonly identityDenied = new Map<string, Set<string>>();
  /** ECR Public's bearer tokens handed out, for leak scans. */
  readonly publicTokens: string[] = [];
  private readonly aws: FakeAws;

  constructor(aws: FakeAws) {
    this.aws = aws;
  }

  /** The private registry host of an account in the fake's region. */
  registryOf(account = ACCOUNT_ID): string {
    return `${account}.dkr.ecr.${this.aws.region}.${this.aws.dnsSuffix}`;
  }

  get layerStoreHost(): string {
    return `prod-${this.aws.region}-starport-layer-bucket.s3.${this.aws.region}.amazonaws.com`;
  }

  /** A repository with images by tag, in `registry` (a private registry host, or public.ecr.aws). */
  addRepository(
    name: string,
    {
      registry = this.registryOf(),
      tags = { latest: 'single' },
      trusts = [],
    }: { registry?: string; tags?: Record<string, ImageShape>; trusts?: readonly string[] } = {},
  ): void {
    const repository: Repository = { tags: new Map(), trusts };
    for (const [tag, shape] of Object.entries(tags)) repository.tags.set(tag, this.image(shape));
    this.repositories.set(`${registry}/${name}`, repository);
  }

  /** The manifest (or index) a tag names, as the registry serves it. */
  storedManifest(registry: string, name: string, tag: string): string | undefined {
    const digest = this.repositories.get(`${registry}/${name}`)?.tags.get(tag);
    return digest ? this.manifests.get(digest)?.body : undefined;
  }

  /** A role whose own policy lacks `action` (ecr:BatchGetImage or ecr:GetDownloadUrlForLayer). */
  deny(roleArn: string, action: string): void {
    this.identityDenied.set(roleArn, new Set([...(this.identityDenied.get(roleArn) ?? []), action]));
  }

  private image(shape: ImageShape): string {
    const manifest = (architecture: string) => {
      const config = JSON.stringify({
        architecture,
        os: 'linux',
        rootfs: { type: 'layers', diff_ids: [] },
        id: randomUUID(),
      });
      const configDigest = digestOf(config);
      this.blobContents.set(configDigest, config);
      const body = JSON.stringify({
        schemaVersion: 2,
        mediaType: DOCKER_MANIFEST,
        config: {
          mediaType: 'application/vnd.docker.container.image.v1+json',
          size: config.length,
          digest: configDigest,
        },
        layers: [],
      });
      this.manifests.set(digestOf(body), { body, mediaType: DOCKER_MANIFEST });
      return { digest: digestOf(body), size: body.length };
    };
    if (shape === 'single') return manifest('amd64').digest;
    // An OCI index with arm64 first, so that taking the first entry would be wrong.
    const entries = ['arm64', 'amd64'].map((architecture) => ({
      mediaType: OCI_MANIFEST,
      ...manifest(architecture),
      platform: { os: 'linux', architecture },
    }));
    const body = JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: entries });
    this.manifests.set(digestOf(body), { body, mediaType: OCI_INDEX });
    return digestOf(body);
  }

  private handle({ method, url, headers }: Parameters<ConstructorParameters<typeof FakeServer>[0]>[0]): Reply {
    const host = url.hostname;
    const authorization = String(headers.authorization ?? '');
    if (host === PUBLIC_REGISTRY) return this.handlePublic(method, url, authorization);
    const [, account = ''] = /^(\d{12})\.dkr\.ecr\./.exec(host) ?? [];
    if (!account || host !== this.registryOf(account)) return { status: 404, body: 'no such host' };
    // Without credentials: 401 with a Basic challenge (mayflower/docker-ls#28; services-fidelity.md).
    // The body is a guess in the API's error shape.
    if (!authorization.startsWith('Basic '))
      return registryError(401, 'DENIED', 'Not Authorized', {
        'www-authenticate': `Basic realm="https://${host}/",service="ecr.amazonaws.com"`,
      });
    const [user, password] = Buffer.from(authorization.slice(6), 'base64').toString('utf8').split(/:(.*)/s);
    const login = this.aws.logins.find((issued) => issued.password === password && user === 'AWS');
    // A password opens the registries of its own region (and partition) only: "An authentication token
    // is used to access any Amazon ECR registry that your IAM principal has access to" (ECR user guide,
    // "Private registry authentication"), and users report other regions refused (docker/for-win#5055).
    // The wording is ECR's for a token it does not take (akuity/kargo#3482); its status (403) is a guess.
    if (!login || login.registry === PUBLIC_REGISTRY || !sameRegion(login.registry, host))
      return registryError(403, 'DENIED', 'Your Authorization Token is invalid.');
    // "denied: Your authorization token has expired. Reauthenticate and try again."
    // (awslabs/amazon-ecr-credential-helper#286).
    if (login.expiresAt.getTime() <= Date.now())
      return registryError(403, 'DENIED', 'Your authorization token has expired. Reauthenticate and try again.');
    // The tag list (distribution spec, "Listing Tags"), which skopeo's inspect reads; ECR checks
    // ecr:ListImages for it, which this fake does not model.
    const tags = /^\/v2\/(.+)\/tags\/list$/.exec(url.pathname)?.[1];
    const listed = tags === undefined ? undefined : this.repositories.get(`${host}/${tags}`);
    if (listed) return json(200, { name: tags, tags: [...listed.tags.keys()] });
    const route = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname);
    if (!route) return registryError(404, 'NOT_FOUND', 'not found');
    const [, name = '', kind = '', reference = ''] = route;
    const action = kind === 'manifests' ? 'ecr:BatchGetImage' : 'ecr:GetDownloadUrlForLayer';
    const roleArn = this.aws.temporary.get(login.signedWith)?.roleArn;
    const principal = roleArn
      ? `${roleArn.replace(':iam:', ':sts:').replace(':role/', ':assumed-role/')}/session`
      : `arn:${this.aws.partition}:iam::${ACCOUNT_ID}:user/ci`;
    const resource = `arn:${this.aws.partition}:ecr:${this.aws.region}:${account}:repository/${name}`;
    const denied = (policy: string) =>
      registryError(
        403,
        'DENIED',
        `User: ${principal} is not authorized to perform: ${action} on resource: ${resource} because no ${policy} policy allows the ${action} action`,
      );
    if (roleArn && this.identityDenied.get(roleArn)?.has(action)) return denied('identity-based');
    const repository = this.repositories.get(`${host}/${name}`);
    // "name unknown: The repository with name 'yelb/yelb-ui' does not exist in the registry with id
    // 'v2k0k1b1'" (aws-samples/eks-alb-istio-with-tls#7).
    if (!repository)
      return registryError(
        404,
        'NAME_UNKNOWN',
        `The repository with name '${name}' does not exist in the registry with id '${account}'`,
      );
    // Another account's repository: its repository policy must allow the principal (ECR user guide,
    // "Private repository policies"); the denial names the resource-based policy (bottlerocket-os/bottlerocket-update-operator#157).
    if (account !== ACCOUNT_ID && !(roleArn && repository.trusts.includes(roleArn))) return denied('resource-based');
    return kind === 'manifests' ? this.manifest(repository, reference) : this.blob(method, reference, false);
  }

  /**
   * ECR Public: bearer tokens from `/token/` (`WWW-Authenticate: Bearer
   * realm="https://public.ecr.aws/token/",service="public.ecr.aws",scope="aws"`, helm/helm#12491; the
   * token as `{"token": ...}`, aws/containers-roadmap#2671). Anonymous tokens are handed out too, as
   * the real service does; with Basic credentials, only for a password ECR Public issued and that has
   * not expired (the refusal's status and wording are a guess, from the expired-token message users quote).
   */
  private handlePublic(method: string, url: URL, authorization: string): Reply {
    if (url.pathname === '/token/' || url.pathname === '/token') {
      if (authorization.startsWith('Basic ')) {
        const [, password] = Buffer.from(authorization.slice(6), 'base64').toString('utf8').split(/:(.*)/s);
        const login = this.aws.logins.find(
          (issued) => issued.password === password && issued.registry === PUBLIC_REGISTRY,
        );
        if (!login || login.expiresAt.getTime() <= Date.now())
          return registryError(403, 'DENIED', 'Your authorization token has expired. Reauthenticate and try again.');
      }
      const token = randomBytes(48).toString('base64url');
      this.publicTokens.push(token);
      return json(200, { token });
    }
    const bearer = /^Bearer (.+)$/.exec(authorization)?.[1];
    const challenge = {
      'www-authenticate': 'Bearer realm="https://public.ecr.aws/token/",service="public.ecr.aws",scope="aws"',
    };
    if (!bearer) return registryError(401, 'DENIED', 'Not Authorized', challenge);
    // A token it did not issue, or an expired one, is answered 400 without a challenge
    // (aws/containers-roadmap#2835, 2026); the body is a guess in the API's error shape.
    if (!this.publicTokens.includes(bearer)) return registryError(400, 'DENIED', 'Not Authorized');
    const route = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname);
    if (!route) return registryError(404, 'NOT_FOUND', 'not found');
    const [, name = '', kind = '', reference = ''] = route;
    const repository = this.repositories.get(`${PUBLIC_REGISTRY}/${name}`);
    if (!repository) {
      const [alias = '', ...rest] = name.split('/');
      return registryError(
        404,
        'NAME_UNKNOWN',
        `The repository with name '${rest.join('/')}' does not exist in the registry with id '${alias}'`,
      );
    }
    if (kind === 'manifests') return this.manifest(repository, reference);
    // public.ecr.aws answers every HEAD of a blob with 401 (aws/containers-roadmap#2671,
    // buildbuddy-io/buildbuddy#12710), and a GET with a redirect to its CDN (distribution/distribution#4383).
    if (method === 'HEAD') return registryError(401, 'DENIED', 'Not Authorized', challenge);
    return this.blob(method, reference, true);
  }

  private manifest(repository: Repository, reference: string): Reply {
    const digest = reference.startsWith('sha256:') ? reference : repository.tags.get(reference);
    const stored = digest ? this.manifests.get(digest) : undefined;
    // "manifest unknown: Requested image not found" (nginx/docker-nginx#545, aws-ia/taskcat#872).
    if (!stored) return registryError(404, 'MANIFEST_UNKNOWN', 'Requested image not found');
    // No Docker-Content-Digest: ECR does not always send it (i-am-bee/agentstack#2376).
    return { status: 200, headers: { 'content-type': stored.mediaType }, body: stored.body };
  }

  private blob(_method: string, digest: string, isPublic: boolean): Reply {
    if (!this.blobContents.has(digest)) return registryError(404, 'BLOB_UNKNOWN', 'blob unknown to registry');
    // Blobs answer with a temporary redirect to the layer store (ECR) or the CDN (ECR Public); the
    // signed query is a guess at its shape.
    const location = isPublic
      ? `https://${PUBLIC_BLOB_HOST}/v2/blobs/${digest}?Expires=${Math.floor(Date.now() / 1000) + 600}&Signature=${randomUUID()}`
      : `https://${this.layerStoreHost}/${randomUUID()}/${digest.slice(7)}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=3600&X-Amz-Signature=${randomUUID()}`;
    return { status: 307, headers: { location, 'content-length': '0' }, body: '' };
  }
}

/** The registry API's error body (distribution spec, "Error Codes"), as ECR answers it. */
function registryError(status: number, code: string, message: string, headers: Record<string, string> = {}): Reply {
  return json(status, { errors: [{ code, message }] }, headers);
}

/** Two private registry hosts of one region: `<account>.dkr.ecr.<region>.<suffix>` but for the account. */
function sameRegion(a: string, b: string): boolean {
  return a.replace(/^\d{12}\./, '') === b.replace(/^\d{12}\./, '');
}

/** The registry, its layer store and a proxy that alone resolves their real names, with the env the action needs. */
export interface StartedRegistry {
  registry: FakeRegistry;
  proxy: FakeProxy;
  /** `https_proxy` (the proxy) and `NODE_EXTRA_CA_CERTS` (the CA that signed the registry's certificate). */
  env: Record<string, string>;
  stop: () => Promise<void>;
}

export async function startRegistry(aws: FakeAws): Promise<StartedRegistry> {
  const registry = new FakeRegistry(aws);
  const hosts = [
    `*.dkr.ecr.${aws.region}.${aws.dnsSuffix}`,
    PUBLIC_REGISTRY,
    registry.layerStoreHost,
    PUBLIC_BLOB_HOST,
  ];
  const tls = createTlsIdentity(hosts);
  await registry.server.start({ tls });
  await registry.layerStore.start({ tls });
  const proxy = await new FakeProxy([]).start();
  const port = (server: FakeServer) => Number(new URL(server.url).port);
  proxy.route(`*.dkr.ecr.${aws.region}.${aws.dnsSuffix}`, port(registry.server));
  proxy.route(PUBLIC_REGISTRY, port(registry.server));
  proxy.route(registry.layerStoreHost, port(registry.layerStore));
  proxy.route(PUBLIC_BLOB_HOST, port(registry.layerStore));
  return {
    registry,
    proxy,
    env: { https_proxy: proxy.url, NODE_EXTRA_CA_CERTS: tls.caFile },
    stop: async () => {
      await Promise.all([proxy.stop(), registry.server.stop(), registry.layerStore.stop()]);
      tls.dispose();
    },
  };
}
