import sodium from 'libsodium-wrappers';
import { FakeServer, json, type Reply } from './server.ts';

await sodium.ready;

/** One stored secret, with the plaintext the fake decrypted with its private key. */
export interface StoredSecret {
  plaintext: string;
  encryptedValue: string;
  keyId: string;
  createdAt: Date;
  updatedAt: Date;
  visibility?: string;
  selectedRepositoryIds?: number[];
}

/** A holder of secrets with its own key pair: a repository, an environment or an organisation. */
class SecretStore {
  keyId = '';
  keyPair = sodium.crypto_box_keypair();
  readonly secrets = new Map<string, StoredSecret>();

  constructor() {
    this.rotateKey();
  }

  rotateKey(): void {
    this.keyPair = sodium.crypto_box_keypair();
    this.keyId = String(Math.floor(Math.random() * 1e18));
  }

  publicKey() {
    return { key_id: this.keyId, key: sodium.to_base64(this.keyPair.publicKey, sodium.base64_variants.ORIGINAL) };
  }

  get(name: string): StoredSecret | undefined {
    return this.secrets.get(name.toUpperCase());
  }
}

interface Repository {
  id: number;
  owner: string;
  name: string;
  store: SecretStore;
  environments: Map<string, SecretStore>;
}

export type TokenAccess = 'write' | 'read-only';

const ENCRYPTED_VALUE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * GitHub's REST API for Actions secrets, as far as the action uses it: real X25519 key pairs per
 * repository, environment and organisation; every PUT is opened with the private key and stored.
 */
export class FakeGitHub {
  readonly tokens = new Map<string, TokenAccess>();
  readonly repositories = new Map<string, Repository>();
  readonly organizations = new Map<string, SecretStore>();
  readonly server: FakeServer;
  /** Organisations that enforce SAML single sign-on, for which no token here is authorised. */
  readonly samlEnforced = new Set<string>();
  /**
   * Secret lists that never end: every page links to a next one and has no `total_count` (the
   * answer issue 8 saw). Real GitHub ends its Link chain on the last page; this is a fault mode.
   */
  endlessLists = false;
  /** Old `owner/name` of renamed repositories, to their current one. */
  readonly renamed = new Map<string, string>();
  /** Off unless `enforcePoints` turns it on: the secondary rate limit in points (see `PointsLimit`). */
  private pointsLimit: PointsLimit | undefined;
  /** Points of the requests answered within the limit, with when they arrived (`performance.now()`). */
  private spent: { at: number; points: number }[] = [];
  /** Requests refused for going over the points limit. */
  refusals = 0;
  private nextId = 1000;

  constructor() {
    this.server = new FakeServer((request) => this.handle(request.method, request.url, request.headers, request.body));
  }

  /**
   * GitHub's REST secondary rate limit in points (docs, "Rate limits for the REST API": "No more than
   * 900 points per minute are allowed for REST API endpoints"; GET, HEAD and OPTIONS 1 point, POST,
   * PATCH, PUT and DELETE 5; a GraphQL query without a mutation 1, counted here in the same budget). A request that would take
   * the points of the last window past the limit is refused as GitHub refuses it: 403 (or 429) with
   * `retry-after` and GitHub's message (`secondaryRateLimit`), and counted in `refusals`.
   *
   * The window slides: GitHub does not say whether its minute is fixed or sliding, and a sliding
   * window refuses everything a fixed one would (any fixed window's points up to now lie within the
   * sliding window ending now), so a client that meets it meets either. Refused requests are not
   * counted: GitHub does not say they are, and `retry-after` then tells exactly when the request fits.
   *
   * `timeScale` shortens the window (and scales `retry-after` back into GitHub's seconds) for tests
   * and benchmarks that run the action's clock as many times faster (`__tests__/fakes/time-scale.mjs`).
   */
  enforcePoints(limit: Partial<PointsLimit> = {}): void {
    this.pointsLimit = { points: 900, windowMs: 60_000, timeScale: 1, status: 403, ...limit };
    this.spent = [];
    this.refusals = 0;
  }

  /** The points limit's answer to a request arriving now: undefined when it fits (and is counted). */
  private overPoints(method: string, pathname: string): Reply | undefined {
    const limit = this.pointsLimit;
    if (!limit) return undefined;
    const now = performance.now();
    const windowMs = limit.windowMs / limit.timeScale;
    while (this.spent.length > 0 && (this.spent[0]?.at ?? 0) <= now - windowMs) this.spent.shift();
    const read = ['GET', 'HEAD', 'OPTIONS'].includes(method) || pathname.endsWith('/graphql');
    const points = read ? 1 : 5;
    let inWindow = this.spent.reduce((sum, entry) => sum + entry.points, 0);
    if (inWindow + points <= limit.points) {
      this.spent.push({ at: now, points });
      return undefined;
    }
    this.refusals++;
    // When enough of the window's points have left it for this request to fit.
    let fitsAt = now;
    for (const entry of this.spent) {
      inWindow -= entry.points;
      fitsAt = entry.at + windowMs;
      if (inWindow + points <= limit.points) break;
    }
    const seconds = Math.max(1, Math.ceil(((fitsAt - now) * limit.timeScale) / 1000));
    return secondaryRateLimit(limit.status, seconds);
  }

  addToken(token: string, access: TokenAccess = 'write'): string {
    this.tokens.set(token, access);
    return token;
  }

  addRepository(fullName: string, environments: string[] = []): Repository {
    const [owner = '', name = ''] = fullName.split('/');
    const repository: Repository = {
      id: this.nextId++,
      owner,
      name,
      store: new SecretStore(),
      environments: new Map(),
    };
    for (const environment of environments) repository.environments.set(environment.toLowerCase(), new SecretStore());
    this.repositories.set(fullName.toLowerCase(), repository);
    return repository;
  }

  addOrganization(org: string): SecretStore {
    const store = new SecretStore();
    this.organizations.set(org.toLowerCase(), store);
    return store;
  }

  repositorySecret(fullName: string, name: string): StoredSecret | undefined {
    return this.repositories.get(fullName.toLowerCase())?.store.get(name);
  }

  environmentSecret(fullName: string, environment: string, name: string): StoredSecret | undefined {
    return this.repositories.get(fullName.toLowerCase())?.environments.get(environment.toLowerCase())?.get(name);
  }

  organizationSecret(org: string, name: string): StoredSecret | undefined {
    return this.organizations.get(org.toLowerCase())?.get(name);
  }

  /** Stores a secret as if written earlier, for max-age tests; organisation secrets with their visibility. */
  seed(
    store: SecretStore,
    name: string,
    plaintext: string,
    updatedAt: Date,
    settings: Pick<StoredSecret, 'visibility' | 'selectedRepositoryIds'> = {},
  ): void {
    store.secrets.set(name.toUpperCase(), {
      plaintext,
      encryptedValue: '',
      keyId: store.keyId,
      createdAt: updatedAt,
      updatedAt,
      ...settings,
    });
  }

  /** Requests that change state (a GraphQL query only reads). */
  writes() {
    return this.server.requests.filter((r) => r.method !== 'GET' && r.method !== 'HEAD' && !r.url.endsWith('/graphql'));
  }

  private handle(
    method: string,
    url: URL,
    headers: Record<string, string | string[] | undefined>,
    body: string,
  ): Reply {
    const token = /^(?:token|bearer) (.+)$/i.exec(String(headers['authorization'] ?? ''))?.[1];
    const access = token ? this.tokens.get(token) : undefined;
    if (!access)
      return json(401, {
        message: 'Bad credentials',
        documentation_url: 'https://docs.github.com/rest',
        status: '401',
      });

    // GitHub Enterprise Server serves REST under /api/v3 and GraphQL at /api/graphql.
    const pathname = url.pathname.replace(/^\/api\/v3(?=\/)/, '').replace(/^\/api\/graphql$/, '/graphql');
    const overLimit = this.overPoints(method, pathname);
    if (overLimit) return overLimit;
    if (method === 'POST' && pathname === '/graphql') return this.graphql(body);
    const path = pathname.split('/').slice(1).map(decodeURIComponent);
    const [root, owner = '', name = ''] = path;
    if ((root === 'orgs' || root === 'repos') && this.samlEnforced.has(owner.toLowerCase())) return samlRefusal(owner);
    const current = root === 'repos' ? this.renamed.get(`${owner}/${name}`.toLowerCase()) : undefined;
    if (current) {
      // GitHub redirects requests for a renamed repository on the same host: 301 for reads, 307 for
      // other methods (GitHub changelog, "Repository redirects are coming", 2015). GitHub's Location
      // names the repository by id (/repositories/{id}/...); this one by its new name, so that the
      // contract check can still match the redirected request.
      const location = new URL(url);
      location.pathname = url.pathname.replace(`/repos/${owner}/${name}`, `/repos/${current}`);
      return json(
        method === 'GET' ? 301 : 307,
        { message: 'Moved Permanently', url: location.href, documentation_url: 'https://docs.github.com/rest' },
        { location: location.href },
      );
    }
    const route = this.route(method, path);
    if (!route) return notFound();
    if (route.secrets && access === 'read-only') {
      return json(403, {
        message: 'Resource not accessible by integration',
        documentation_url: 'https://docs.github.com/rest/actions/secrets',
        status: '403',
      });
    }
    return route.answer(url, body);
  }

  private graphql(body: string): Reply {
    const { query, variables = {} } = JSON.parse(body) as { query: string; variables?: Record<string, string> };
    const fields = [...query.matchAll(REPOSITORY_FIELD)];
    const shape = query
      .replace(REPOSITORY_FIELD, '')
      .replace(/\$\w+: String!/g, '')
      .replace(/[\s,]/g, '');
    if (fields.length === 0 || shape !== 'query(){}')
      return json(200, { errors: [{ message: `the fake does not answer this query: ${query}` }] });
    const data: Record<string, { databaseId: number } | null> = {};
    const errors: { type: string; path: string[]; message: string; extensions?: Record<string, unknown> }[] = [];
    for (const [, alias = '', ownerVariable = '', nameVariable = ''] of fields) {
      const fullName = `${variables[ownerVariable]}/${variables[nameVariable]}`;
      if (this.samlEnforced.has(String(variables[ownerVariable]).toLowerCase())) {
        // GitHub's answer for an SSO-protected organisation: a null field and a FORBIDDEN error (seen in
        // jasperapp/jasper#187 and fwouts/prmonitor#1042).
        data[alias] = null;
        errors.push({ type: 'FORBIDDEN', path: [alias], extensions: { saml_failure: true }, message: SAML_MESSAGE });
        continue;
      }
      const repository = this.repositories.get(fullName.toLowerCase());
      data[alias] = repository ? { databaseId: repository.id } : null;
      if (!repository)
        errors.push({
          type: 'NOT_FOUND',
          path: [alias],
          message: `Could not resolve to a Repository with the name '${fullName}'.`,
        });
    }
    return json(200, errors.length > 0 ? { data, errors } : { data });
  }

  private route(
    method: string,
    path: string[],
  ): { secrets: boolean; answer: (url: URL, body: string) => Reply } | undefined {
    const [root, owner = '', name = '', ...rest] = path;
    if (root === 'repos') {
      const repository = this.repositories.get(`${owner}/${name}`.toLowerCase());
      if (!repository) return undefined;
      if (method === 'GET' && rest.length === 0) {
        return {
          secrets: false,
          answer: () =>
            json(200, {
              id: repository.id,
              name: repository.name,
              full_name: `${repository.owner}/${repository.name}`,
              owner: { login: repository.owner },
            }),
        };
      }
      if (rest[0] === 'actions' && rest[1] === 'secrets')
        return this.secretRoutes(method, repository.store, rest.slice(2));
      if (rest[0] === 'environments' && rest[2] === 'secrets') {
        const store = repository.environments.get((rest[1] ?? '').toLowerCase());
        return store ? this.secretRoutes(method, store, rest.slice(3)) : undefined;
      }
      return undefined;
    }
    if (root === 'orgs' && name === 'actions' && rest[0] === 'secrets') {
      const store = this.organizations.get(owner.toLowerCase());
      return store ? this.secretRoutes(method, store, rest.slice(1), true) : undefined;
    }
    return undefined;
  }

  /** `secrets`, `secrets/public-key` and `secrets/{name}` under one store. */
  private secretRoutes(method: string, store: SecretStore, rest: string[], organization = false) {
    const answer = (fn: (url: URL, body: string) => Reply) => ({ secrets: true, answer: fn });
    if (method === 'GET' && rest.length === 0) {
      return answer((url) => {
        const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 30), 100);
        const page = Number(url.searchParams.get('page') ?? 1);
        const all = [...store.secrets.entries()].sort(([a], [b]) => a.localeCompare(b));
        const secrets = all.slice((page - 1) * perPage, page * perPage).map(([secretName, s]) => ({
          name: secretName,
          created_at: s.createdAt.toISOString(),
          updated_at: s.updatedAt.toISOString(),
          ...(organization ? { visibility: s.visibility } : {}),
          ...(organization && s.visibility === 'selected'
            ? { selected_repositories_url: `${url.origin}${url.pathname}/${secretName}/repositories` }
            : {}),
        }));
        // Like GitHub, a Link header points to the next page while there is one.
        const next = new URL(url);
        next.searchParams.set('page', String(page + 1));
        if (this.endlessLists) return json(200, { secrets }, { link: `<${next.href}>; rel="next"` });
        const link = page * perPage < all.length ? { link: `<${next.href}>; rel="next"` } : {};
        return json(200, { total_count: all.length, secrets }, link);
      });
    }
    if (method === 'GET' && rest.length === 1 && rest[0] === 'public-key')
      return answer(() => json(200, store.publicKey()));
    if (method === 'GET' && rest.length === 1) {
      // "Get an organization secret" (and its repository and environment twins): metadata, never the value.
      return answer((url) => {
        const stored = store.get(rest[0] ?? '');
        if (!stored) return notFound();
        const name = (rest[0] ?? '').toUpperCase();
        return json(200, {
          name,
          created_at: stored.createdAt.toISOString(),
          updated_at: stored.updatedAt.toISOString(),
          ...(organization ? { visibility: stored.visibility } : {}),
          ...(organization && stored.visibility === 'selected'
            ? { selected_repositories_url: `${url.origin}${url.pathname}/repositories` }
            : {}),
        });
      });
    }
    if (organization && method === 'GET' && rest.length === 2 && rest[1] === 'repositories') {
      // "List selected repositories for an organization secret": `{ total_count, repositories }`, paginated.
      return answer((url) => {
        const stored = store.get(rest[0] ?? '');
        if (!stored) return notFound();
        const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 30), 100);
        const page = Number(url.searchParams.get('page') ?? 1);
        // The action asks only for a secret whose visibility is selected; for others the list is empty.
        const ids = stored.visibility === 'selected' ? (stored.selectedRepositoryIds ?? []) : [];
        const byId = new Map([...this.repositories.values()].map((repository) => [repository.id, repository]));
        const repositories = ids.slice((page - 1) * perPage, page * perPage).map((id) => {
          const repository = byId.get(id);
          return {
            id,
            name: repository?.name ?? `repo-${id}`,
            full_name: `${repository?.owner ?? 'unknown'}/${repository?.name ?? `repo-${id}`}`,
            private: true,
          };
        });
        const next = new URL(url);
        next.searchParams.set('page', String(page + 1));
        const link = page * perPage < ids.length ? { link: `<${next.href}>; rel="next"` } : {};
        return json(200, { total_count: ids.length, repositories }, link);
      });
    }
    if (method === 'PUT' && rest.length === 1 && rest[0] !== 'public-key') {
      return answer((_url, body) => this.put(store, rest[0] ?? '', body, organization));
    }
    return undefined;
  }

  private put(store: SecretStore, name: string, body: string, organization: boolean): Reply {
    let data: Record<string, unknown>;
    try {
      data = JSON.parse(body) as Record<string, unknown>;
    } catch {
      return json(400, { message: 'Problems parsing JSON' });
    }
    const { encrypted_value: encryptedValue, key_id: keyId, visibility, selected_repository_ids: selected } = data;
    if (typeof encryptedValue !== 'string' || !ENCRYPTED_VALUE.test(encryptedValue) || typeof keyId !== 'string') {
      return json(422, { message: 'Invalid request.\n\nencrypted_value or key_id is invalid.' });
    }
    if (keyId !== store.keyId)
      return json(422, { message: 'Invalid request.\n\nkey_id does not match the current public key.' });
    if (organization && !['all', 'private', 'selected'].includes(String(visibility))) {
      return json(422, { message: 'Invalid request.\n\nvisibility is not one of all, private, selected.' });
    }
    let plaintext: string;
    try {
      const opened = sodium.crypto_box_seal_open(
        sodium.from_base64(encryptedValue, sodium.base64_variants.ORIGINAL),
        store.keyPair.publicKey,
        store.keyPair.privateKey,
      );
      plaintext = sodium.to_string(opened);
    } catch {
      return json(422, { message: 'Invalid request.\n\nencrypted_value could not be decrypted.' });
    }
    const existing = store.get(name);
    const now = new Date();
    store.secrets.set(name.toUpperCase(), {
      plaintext,
      encryptedValue,
      keyId,
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
      ...(organization ? { visibility: String(visibility) } : {}),
      ...(visibility === 'selected' && Array.isArray(selected) ? { selectedRepositoryIds: selected as number[] } : {}),
    });
    return existing ? { status: 204 } : json(201, {});
  }
}

/** GitHub's secondary rate limit in points, as `enforcePoints` sets it. */
export interface PointsLimit {
  /** Points allowed within one window: 900 on github.com. */
  points: number;
  /** The window, in GitHub's time: a minute. */
  windowMs: number;
  /** How many times faster than real time the action's clock runs: the real window is `windowMs / timeScale`. */
  timeScale: number;
  /** GitHub answers a secondary limit with 403 or 429. */
  status: 403 | 429;
}

/** `alias: repository(owner: $o, name: $n) { databaseId }` fields: the only GraphQL the action sends. */
const REPOSITORY_FIELD = /(\w+): repository\(owner: \$(\w+), name: \$(\w+)\) \{ databaseId \}/g;

/**
 * GitHub's answer to a request over its secondary rate limit: 403 or 429, its message, and how long
 * to wait (docs, "Rate limits for the REST API").
 */
export function secondaryRateLimit(status: 403 | 429, retryAfterSeconds = 1): Reply {
  return json(
    status,
    { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.' },
    { 'retry-after': String(retryAfterSeconds) },
  );
}

/** GitHub's words when an organisation's SAML single sign-on refuses a token not authorised for it. */
export const SAML_MESSAGE =
  'Resource protected by organization SAML enforcement. You must grant your Personal Access token access to this organization.';

/** The REST answer for an SSO-protected organisation: 403, GitHub's message, and the `x-github-sso` header with the authorisation link. */
function samlRefusal(org: string): Reply {
  return json(
    403,
    {
      message: SAML_MESSAGE,
      documentation_url:
        'https://docs.github.com/articles/authenticating-to-a-github-organization-with-saml-single-sign-on/',
    },
    { 'x-github-sso': `required; url=https://github.com/orgs/${org}/sso?authorization_request=FAKE` },
  );
}

function notFound(): Reply {
  return json(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' });
}
