import { request, type Dispatcher } from 'undici';
import type { EcrLogin } from '../ecr.ts';
import { partitionOfRegion } from '../partitions.ts';
import { errorMessage } from '../../util/errors.ts';
import { REQUEST_TIMEOUT_MS } from '../../net/failures.ts';
import { retryingDispatcher, unansweredAfterRetries } from '../../net/retrying-dispatcher.ts';
import { USER_AGENT } from '../../util/version.ts';
import { isPublicHost, registryOf, type ImageReference } from './image-reference.ts';
import { refusalMessage, PULL_POLICY, type RegistryAnswer } from './refusals.ts';

/*
 * Proof before the pull (`verify-images`): for each image, what a pull asks of the registry, with the
 * password just fetched, through the Docker Registry HTTP API V2 (distribution spec, "Pulling an image"):
 * the manifest (`GET /v2/<name>/manifests/<reference>`, needs `ecr:BatchGetImage`), an index resolved to
 * its linux/amd64 entry, then the config blob (needs `ecr:GetDownloadUrlForLayer`), whose answer is a
 * redirect to the layer store that counts as allowed and is never followed: nothing is downloaded.
 *
 * Requests go as the GitLab and OIDC token requests do (`retrying-dispatcher.ts`): through the runner's
 * proxy as `@actions/http-client` decides it (`https_proxy`, `no_proxy`), a deadline per attempt, and
 * undici's RetryAgent for 429, 5xx, timeouts and dropped connections. Redirects are never followed
 * (undici's `request` follows none): the layer store's URL is signed, and the password must go nowhere else.
 */

/** What a check found: `pull allowed`, or why not, in words that say what to change. */
export interface ImageCheck {
  image: string;
  allowed: boolean;
  result: string;
}

export const PULL_ALLOWED = 'pull allowed';

/** The manifest types a pull accepts (OCI image spec; Docker's image manifest V2 schema 2), indexes first. */
const INDEX_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
];
const MANIFEST_TYPES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];
const ACCEPT = [...INDEX_TYPES, ...MANIFEST_TYPES].join(', ');

interface Session {
  login: EcrLogin;
  region: string;
  dispatchers: Map<string, Dispatcher>;
  /** ECR Public's bearer token, asked for once. */
  publicToken?: Promise<string>;
  /** What no answer may show: the password, its Basic form, ECR Public's token once issued (see `scrub`). */
  secrets: string[];
  /**
   * Hosts that gave no answer (after every retry), with the image being checked then: not asked again
   * in this run, since each image would wait as long again (about 45 s a request for a registry that hangs).
   */
  unanswered: Map<string, string>;
}

/** A request that got no answer from `host` after every attempt. */
class UnansweredError extends Error {
  readonly host: string;
  constructor(message: string, host: string, cause: unknown) {
    super(message, { cause });
    this.host = host;
  }
}

/**
 * Checks every image, one after the other (a handful at most; each is three requests), and never
 * throws: a failure is that image's result. `region` is the one the password was fetched in.
 */
export async function verifyImages(
  images: readonly ImageReference[],
  login: EcrLogin,
  region: string,
  setSecret: (value: string) => void,
): Promise<ImageCheck[]> {
  const basic = Buffer.from(`${login.username}:${login.password}`).toString('base64');
  const session: Session = {
    login,
    region,
    dispatchers: new Map(),
    secrets: [login.password, basic],
    unanswered: new Map(),
  };
  const checks: ImageCheck[] = [];
  try {
    for (const image of images) {
      let result: string;
      try {
        result = await checkImage(image, session, setSecret);
      } catch (error) {
        result = errorMessage(error);
        if (error instanceof UnansweredError && !session.unanswered.has(error.host))
          session.unanswered.set(error.host, image.text);
      }
      // One line, whatever an answer held: a line break from a registry's error would otherwise start a
      // line of the log of its own, which the runner reads as a workflow command (`::add-mask::`, `::warning::`).
      result = scrub(result, session.secrets).replace(/\s+/g, ' ').trim();
      checks.push({ image: image.text, allowed: result === PULL_ALLOWED, result });
    }
  } finally {
    // Idle keep-alive sockets would hold the process open after the run.
    await Promise.all([...session.dispatchers.values()].map((dispatcher) => dispatcher.close()));
  }
  return checks;
}

async function checkImage(
  image: ImageReference,
  session: Session,
  setSecret: (value: string) => void,
): Promise<string> {
  const host = registryOf(image, session.login.registry);
  const mismatch = mismatchMessage(image, host, session);
  if (mismatch) return mismatch;
  const silentFor = session.unanswered.get(host);
  if (silentFor) return noAnswerBeforeMessage(host, silentFor);
  const authorization = isPublicHost(host)
    ? `Bearer ${await (session.publicToken ??= publicToken(session, setSecret))}`
    : `Basic ${Buffer.from(`${session.login.username}:${session.login.password}`).toString('base64')}`;
  const ask = (method: 'GET' | 'HEAD', path: string, accept?: string) =>
    send(session, host, method, `/v2/${image.repository}/${path}`, authorization, accept);

  let manifest = await ask('GET', `manifests/${image.reference}`, ACCEPT);
  if (manifest.status !== 200) return refusalMessage(manifest, image, host);
  let document = parseJson(manifest.body);
  if (isIndex(manifest, document)) {
    const entry = platformEntry(document);
    if (!entry)
      return `the image index has no linux/amd64 entry (and more than one entry), so no manifest was checked. Name the platform's manifest by its digest (${image.repository}@sha256:...).`;
    manifest = await ask('GET', `manifests/${entry}`, MANIFEST_TYPES.join(', '));
    if (manifest.status !== 200) return refusalMessage(manifest, image, host);
    document = parseJson(manifest.body);
  }
  const config = configDigest(document);
  if (!config)
    return `the registry answered a manifest without a config blob; it is not an image a container job can run.`;
  // ECR Public answers 401 to every HEAD of a blob (aws/containers-roadmap#2671), so it is asked with GET,
  // which it answers with a redirect to its CDN: neither is followed, nothing is downloaded.
  const allowed = (answer: RegistryAnswer) => answer.status === 200 || (answer.status >= 300 && answer.status < 400);
  let blob = await ask(isPublicHost(host) ? 'GET' : 'HEAD', `blobs/${config}`);
  if (allowed(blob)) return PULL_ALLOWED;
  // A refused HEAD has no body to say why (RFC 9110, HEAD): the same GET does, and is refused alike, downloading nothing.
  if (!isPublicHost(host)) blob = await ask('GET', `blobs/${config}`);
  return allowed(blob) ? PULL_ALLOWED : refusalMessage(blob, image, host);
}

/**
 * Why the password of this run cannot open the image's registry at all, before asking: ECR Public and
 * a private registry have passwords of their own, and a private registry's password opens the
 * registries of its own region only.
 */
function mismatchMessage(image: ImageReference, host: string, { login, region }: Session): string | undefined {
  const publicLogin = isPublicHost(login.registry);
  if (isPublicHost(host) && !publicLogin)
    return `the password of this run is for ${login.registry}, not ECR Public. Check public images in a run with registry-type: public.`;
  if (!isPublicHost(host) && publicLogin)
    return `the password of this run is for ECR Public (registry-type: public), and ${host} is a private registry. Check it in a run with registry-type: private.`;
  if (image.region && image.region !== region) {
    const here = partitionOfRegion(region)?.id;
    const there = partitionOfRegion(image.region)?.id;
    const where = here === there ? `region ${image.region}` : `region ${image.region} of partition ${there}`;
    return `${host} is in ${where}, and the password is for ${region} (aws-region): an ECR password opens the registries of its own region only. Check it in a run with aws-region: ${image.region}, or list an image of ${region}.`;
  }
  return undefined;
}

/**
 * ECR Public's registry takes a bearer token from its token service, asked with the password
 * (`WWW-Authenticate: Bearer realm="https://public.ecr.aws/token/",service="public.ecr.aws",scope="aws"`,
 * as helm/helm#12491 quotes it). The realm is fixed here rather than read from a challenge: the password
 * is sent to public.ecr.aws only, never to a host an answer names.
 */
async function publicToken(session: Session, setSecret: (value: string) => void): Promise<string> {
  const { username, password } = session.login;
  const answer = await send(
    session,
    session.login.registry,
    'GET',
    '/token/?service=public.ecr.aws&scope=aws',
    `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`,
  );
  const token = (parseJson(answer.body) as { token?: unknown } | undefined)?.token;
  if (answer.status !== 200 || typeof token !== 'string' || !token)
    throw new Error(
      `ECR Public's token service did not accept the password (${answer.status}${refusalText(answer)}). Run again; if it persists, check that the identity may call ecr-public:GetAuthorizationToken and sts:GetServiceBearerToken (${PULL_POLICY}).`,
    );
  setSecret(token);
  session.secrets.push(token);
  return token;
}

function refusalText(answer: RegistryAnswer): string {
  const error = (parseJson(answer.body) as { errors?: { message?: unknown }[] } | undefined)?.errors?.[0];
  return typeof error?.message === 'string' ? `: ${error.message}` : '';
}

async function send(
  session: Session,
  host: string,
  method: 'GET' | 'HEAD',
  path: string,
  authorization: string,
  accept?: string,
): Promise<RegistryAnswer> {
  const url = `https://${host}${path}`;
  let dispatcher = session.dispatchers.get(host);
  if (!dispatcher) {
    dispatcher = retryingDispatcher(url, ['GET', 'HEAD']);
    session.dispatchers.set(host, dispatcher);
  }
  let answer: Awaited<ReturnType<typeof request>>;
  try {
    answer = await request(url, {
      dispatcher,
      method,
      headers: { authorization, 'user-agent': USER_AGENT, ...(accept ? { accept } : {}) },
      headersTimeout: REQUEST_TIMEOUT_MS,
      bodyTimeout: REQUEST_TIMEOUT_MS,
    });
  } catch (error) {
    throw new UnansweredError(unansweredMessage(host, url, error), host, error);
  }
  // A manifest or an error is a few KB and is read; a blob's content never is (a registry answering a
  // blob GET with 200 rather than a redirect would otherwise be downloading it), nor a redirect's.
  const refused = answer.statusCode >= 400;
  const isBlob = path.includes('/blobs/');
  let body = '';
  if (method !== 'HEAD' && (refused || (!isBlob && answer.statusCode < 300))) {
    const limit = !refused && path.includes('/manifests/') ? MANIFEST_LIMIT : OTHER_LIMIT;
    const text = await readAtMost(answer, limit);
    if (text === undefined)
      throw new Error(
        `the registry ${host} answered ${answer.statusCode} with more than ${limit / MIB} MiB for ${path}, more than a registry serves, so it was not read. Check what answers for ${host} on the runner's network (a proxy), and run again.`,
      );
    // Before anything is parsed or cut short: a registry (or a proxy) quoting the Authorization header
    // back would otherwise leave a part of the password in a shortened message, which no mask matches.
    body = scrub(text, session.secrets);
  }
  // dump: up to 1 KB read and dropped, then the connection is closed; never the blob itself.
  else await answer.body.dump({ limit: 1024 });
  const contentType = answer.headers['content-type'];
  return { status: answer.statusCode, body, ...(typeof contentType === 'string' ? { contentType } : {}) };
}

/**
 * The most of an answer that is read, as containers/image bounds its reads (internal/iolimits): a
 * manifest 4 MiB, the most a Docker registry accepts (distribution's manifest handler); a token or
 * an error body 1 MiB. Past that the connection is dropped, so a runaway answer costs no memory.
 */
const MIB = 1024 * 1024;
const MANIFEST_LIMIT = 4 * MIB;
const OTHER_LIMIT = MIB;

/** The body as text, or undefined (and the connection dropped) when it is longer than `limit` bytes. */
async function readAtMost(answer: Dispatcher.ResponseData, limit: number): Promise<string | undefined> {
  const declared = Number(answer.headers['content-length']);
  const chunks: Buffer[] = [];
  let size = 0;
  if (!(declared > limit))
    for await (const chunk of answer.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) break;
      chunks.push(chunk);
    }
  if (declared > limit || size > limit) {
    answer.body.destroy();
    return undefined;
  }
  return Buffer.concat(chunks).toString('utf8');
}

function noAnswerBeforeMessage(host: string, image: string): string {
  return `not asked: ${host} gave no answer for ${image} above, so it was not asked again in this run. Run again once the registry answers.`;
}

/** A request that got no answer: a network failure, a timeout, or 429/5xx on every attempt. */
function unansweredMessage(host: string, url: string, error: unknown): string {
  return unansweredAfterRetries(host, url, error, {
    answered: (status, attempts) => {
      // Returned here, so the troubleshooting check reads it as this function's message.
      return `the registry ${host} answered ${status} (${attempts}); it may be having trouble: run again later.`;
    },
    settings: "the registry host and the runner's network",
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isIndex(answer: RegistryAnswer, document: unknown): document is { manifests?: unknown } {
  const type = answer.contentType?.split(';')[0]?.trim() ?? (document as { mediaType?: unknown })?.mediaType;
  return INDEX_TYPES.includes(String(type)) || Array.isArray((document as { manifests?: unknown })?.manifests);
}

/** The digest of an index's linux/amd64 entry, or of its only entry. */
function platformEntry(index: { manifests?: unknown }): string | undefined {
  const entries = Array.isArray(index.manifests)
    ? (index.manifests as { digest?: unknown; platform?: { os?: unknown; architecture?: unknown } }[])
    : [];
  const chosen =
    entries.find(({ platform }) => platform?.os === 'linux' && platform.architecture === 'amd64') ??
    (entries.length === 1 ? entries[0] : undefined);
  return typeof chosen?.digest === 'string' && /^sha256:[a-f0-9]{64}$/.test(chosen.digest) ? chosen.digest : undefined;
}

function configDigest(manifest: unknown): string | undefined {
  const digest = (manifest as { config?: { digest?: unknown } } | undefined)?.config?.digest;
  return typeof digest === 'string' && /^sha256:[a-f0-9]{64}$/.test(digest) ? digest : undefined;
}

/**
 * Neither the password, its Basic form nor ECR Public's token is ever in a result, whatever a registry
 * or proxy put in an answer: as sent, and as a JSON string may escape it (`\/` for the `/` of base64).
 */
function scrub(text: string, secrets: readonly string[]): string {
  return secrets
    .flatMap((secret) => [secret, secret.replace(/\//g, '\\/')])
    .reduce((clean, secret) => clean.split(secret).join('***'), text);
}
