import { partitionOfRegion } from '../partitions.ts';
import { PUBLIC_REGISTRY_HOST } from '../registry.ts';

/**
 * One image of `verify-images`: `repository[:tag|@digest]` in the registry of the run, or a full
 * reference to a private ECR registry (`<account>.dkr.ecr.<region>.<dns suffix>/<repository>`) or to
 * ECR Public (`public.ecr.aws/<alias>/<repository>`). Pure: no request, no AWS code.
 */
export interface ImageReference {
  /** As the user wrote it, for reports. */
  text: string;
  /** The registry host; undefined for the registry of the run (the login's). */
  host?: string;
  /** The account and region of a private registry host. */
  account?: string;
  region?: string;
  repository: string;
  /** A tag (`latest` unless given) or a digest (`sha256:...`). */
  reference: string;
}

/**
 * The Docker reference grammar (distribution/reference `regexp.go`): path components of lower-case
 * letters and digits joined by `.`, `_`, `__` or dashes; tags of up to 128 word characters, `.` and `-`.
 */
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const REPOSITORY = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const TAG = /^\w[\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const PRIVATE_HOST = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.(.+)$/;

/** Parses one entry, or says what is wrong with it (for `Input 'verify-images': ...`). */
export function parseImageReference(text: string): ImageReference | { problem: string } {
  const at = text.indexOf('@');
  const digest = at === -1 ? undefined : text.slice(at + 1);
  const name = at === -1 ? text : text.slice(0, at);
  const slash = name.indexOf('/');
  const first = slash === -1 ? '' : name.slice(0, slash);
  // As docker reads it: a first component with a dot or a colon (or localhost) is a registry host.
  const host = /[.:]/.test(first) || first === 'localhost' ? first.toLowerCase() : undefined;
  const path = host === undefined ? name : name.slice(slash + 1);
  const colon = path.lastIndexOf(':');
  const tag = colon === -1 ? undefined : path.slice(colon + 1);
  const repository = colon === -1 ? path : path.slice(0, colon);
  if (digest !== undefined && !DIGEST.test(digest))
    return { problem: `"${text}" has a digest that is not sha256:<64 hex digits>` };
  if (tag !== undefined && !TAG.test(tag)) return { problem: `"${text}" has a tag that is not a valid tag` };
  if (!REPOSITORY.test(repository))
    return {
      problem: `"${text}" is not an image reference (repository names are lower-case letters, digits and . _ - separated by /)`,
    };
  const reference = digest ?? tag ?? 'latest';
  if (host === undefined) return { text, repository, reference };
  if (host === PUBLIC_REGISTRY_HOST) {
    if (!repository.includes('/'))
      return {
        problem: `"${text}" names no repository under its registry alias (public.ecr.aws/<alias>/<repository>)`,
      };
    return { text, host, repository, reference };
  }
  const [, account = '', region = '', suffix = ''] = PRIVATE_HOST.exec(host) ?? [];
  if (!account || partitionOfRegion(region)?.dnsSuffix !== suffix)
    return { problem: `"${text}" is not in an ECR registry (the password opens ECR registries only)` };
  return { text, host, account, region, repository, reference };
}

/** The registry host an image is checked at: its own, or the login's. */
export function registryOf(image: ImageReference, loginRegistry: string): string {
  return image.host ?? loginRegistry;
}

/** `public.ecr.aws` or a private registry host. */
export function isPublicHost(host: string): boolean {
  return host === PUBLIC_REGISTRY_HOST;
}
