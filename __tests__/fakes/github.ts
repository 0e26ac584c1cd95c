/**
 * `FakeGitHub`: the REST routes for Actions secrets of repositories, environments and organisations,
 * and for Dependabot and Codespaces secrets of repositories and organisations, each holder with a real
 * X25519 key pair per app (as GitHub, which keeps each app's secrets apart under its own public key);
 * every PUT is opened with the private key and stored, so a test reads the plaintext
 * (`repositorySecret(repo, name, app)`, `environmentSecret`, `organizationSecret(org, name, app)`;
 * `app` defaults to `actions`, and `repositoryStore` / `organizationStore` give a store to `seed`).
 * Tokens have access `write` or `read-only`, and the apps whose secrets they may touch
 * (`addToken(token, access, apps)`, and `addToken(token, 'write', { administration: false })` makes
 * one without the repository permission Administration. Environments: a repository lacks those not
 * given to `addRepository`, and their secrets routes answer 404 as GitHub's do; `PUT
 * /repos/{owner}/{repo}/environments/{name}` creates one (200 with the environment, as GitHub answers)
 * or refuses a token without Administration with GitHub's 403 "Resource not accessible by
 * integration"; `environments(fullName)` lists them; all by default; another app's routes answer
 * GitHub's 403); `seed` stores a secret as if written earlier (for `max-age`); organisation secrets
 * keep their visibility and selected repositories; lists paginate with `Link` headers; GraphQL answers
 * the query that resolves selected repositories and the owner listing that resolves repository
 * patterns (`repositoryOwner(login:) { repositories(first: 100, after:, ownerAffiliations: [OWNER])
 * }`: pages of 100 with an opaque cursor, `databaseId`, `isArchived`, `isDisabled`, `isLocked` and
 * topics, null for an unknown login, `FORBIDDEN` under SAML), each only in the exact shape the action
 * sends. `addRepository(name, environments, { archived, disabled, locked, topics })` builds owners (a
 * disabled or locked repository's REST routes answer 403 "Repository access blocked"; `addToken(token,
 * 'write', { repositories })` makes a token that sees only those repositories: the others answer 404
 * and are left out of GraphQL answers; `PUT /orgs/{org}/{app}/secrets/{name}/repositories` sets a
 * selected secret's list alone, 409 for another visibility) of hundreds of repositories cheaply: each
 * holder's key pair is made when first asked for. Owners in `samlEnforced` get GitHub's SAML single
 * sign-on refusal, on REST and as GraphQL `FORBIDDEN`; `renamed` repositories answer with GitHub's
 * same-host redirect (301 for reads, 307 for writes); `endlessLists` is a fault mode (lists with no
 * end and no `total_count`). GitHub Enterprise Server paths (`/api/v3`, `/api/graphql`) are served
 * too; `enterpriseServer = true` makes it one, without the Codespaces secret routes (404, as GHES,
 * whose REST descriptions have none). A PUT whose `encrypted_value` is over 48 KB (`SECRET_LIMIT`,
 * GitHub's limit for a secret, taken on the sealed value it receives, the stricter reading) is refused
 * with 422 and stored nowhere. A PUT it cannot open (a value sealed for another key, or a `key_id`
 * gone stale after `rotateKey()`) gets GitHub's 422 "Bad request - validation failed due to an
 * improperly encrypted secret" (`improperlyEncrypted()`).
 *
 * GitHub's points limit (`FakeGitHub.enforcePoints({ timeScale, points, windowMs, status })`): the
 * REST secondary rate limit as GitHub documents it ("Rate limits for the REST API": 900 points a
 * minute; GET, HEAD, OPTIONS 1 point, other methods 5; a GraphQL query counted as 1 in the same
 * budget). A request that would take the last window's points past the limit gets GitHub's
 * secondary-limit answer (403, or 429 if asked, with `retry-after` in seconds until it fits and
 * GitHub's message, from the `secondaryRateLimit` helper) and is counted in `refusals`. The window
 * **slides**: GitHub does not say whether its minute is fixed or sliding, and a sliding window refuses
 * everything a fixed one would (a fixed window's points up to now all lie in the sliding window ending
 * now), so a client that passes it passes either. Refused requests are not counted (GitHub does not
 * say they are; `retry-after` then says exactly when the request fits).
 */
import sodium from 'libsodium-wrappers';
import { FakeServer, json, type Reply } from './server.ts';

/** A key pair as `crypto_box_keypair()` makes it (bytes). */
type KeyPair = { publicKey: Uint8Array; privateKey: Uint8Array; keyType: string };

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

/**
 * A holder of secrets with its own key pair: a repository, an environment or an organisation. The
 * pair is made when first asked for, so that an owner of hundreds of repositories starts at once.
 */
class SecretStore {
  private pair?: { keyId: string; keyPair: KeyPair };
  readonly secrets = new Map<string, StoredSecret>();

  get keyId(): string {
    return this.key().keyId;
  }

  get keyPair(): KeyPair {
    return this.key().keyPair;
  }

  rotateKey(): void {
    this.pair = { keyPair: sodium.crypto_box_keypair(), keyId: String(Math.floor(Math.random() * 1e18)) };
  }

  private key() {
    if (!this.pair) this.rotateKey();
    return this.pair!;
  }

  publicKey() {
    return { key_id: this.keyId, key: sodium.to_base64(this.keyPair.publicKey, sodium.base64_variants.ORIGINAL) };
  }

  get(name: string): StoredSecret | undefined {
    return this.secrets.get(name.toUpperCase());
  }
}

/**
 * The apps that keep secrets apart: GitHub serves each under its own route segment
 * (`/repos/{owner}/{repo}/<app>/secrets`, `/orgs/{org}/<app>/secrets`) with its own public key
 * (REST reference: "Get a repository public key" under Actions, Dependabot and Codespaces each).
 */
export const SECRET_APPS = ['actions', 'dependabot', 'codespaces'] as const;
export type SecretApp = (typeof SECRET_APPS)[number];
/** One store, and one key pair, per app. */
export type AppStores = Record<SecretApp, SecretStore>;

function appStores(): AppStores {
  return { actions: new SecretStore(), dependabot: new SecretStore(), codespaces: new SecretStore() };
}

function isSecretApp(segment: string | undefined): segment is SecretApp {
  return (SECRET_APPS as readonly string[]).includes(segment ?? '');
}

/** Where GitHub's 403 for each app's secrets points (REST reference pages). */
const SECRETS_DOCS: Record<SecretApp, string> = {
  actions: 'https://docs.github.com/rest/actions/secrets',
  dependabot: 'https://docs.github.com/rest/dependabot/secrets',
  codespaces: 'https://docs.github.com/rest/codespaces/repository-secrets',
};

interface Repository {
  id: number;
  owner: string;
  name: string;
  /** The Actions secrets (`apps.actions`). */
  store: SecretStore;
  apps: AppStores;
  environments: Map<string, SecretStore>;
  archived: boolean;
  /** Disabled by GitHub, or locked (for a migration, a transfer, billing): see `blockedRepository`. */
  disabled: boolean;
  locked: boolean;
  /** Lower case, as GitHub stores them. */
  topics: string[];
}

/** How a repository is created beyond its name: archived, disabled, locked, and its topics. */
export interface RepositoryOptions {
  archived?: boolean;
  disabled?: boolean;
  locked?: boolean;
  topics?: string[];
}

export type TokenAccess = 'write' | 'read-only';

/**
 * "Secrets are limited to 48 KB in size" (GitHub docs, "Secrets reference"), without saying whether
 * of the value or of what the API receives; this fake takes the stricter reading and measures the
 * sealed value in base64, `encrypted_value`. GitHub refuses a request body it cannot accept with 422
 * (REST docs, "Troubleshooting the REST API"); its settings page says "Value is too large." of a
 * secret over the limit (game-ci/steam-deploy#77, LimeChain/hashport-validator#500). The API's own
 * wording is not documented: the message here borrows the page's.
 */
export const SECRET_LIMIT = 48 * 1024;

const ENCRYPTED_VALUE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * GitHub's REST API for Actions, Dependabot and Codespaces secrets, as far as the action uses it:
 * real X25519 key pairs per repository, environment and organisation, and per app (each app's
 * secrets are stored apart, under a key of their own); every PUT is opened with the private key and stored.
 */
export class FakeGitHub {
  readonly tokens = new Map<string, TokenAccess>();
  /** The apps whose secrets each token may touch (a fine-grained token or App holds one permission per app); all by default. */
  readonly tokenApps = new Map<string, readonly SecretApp[]>();
  /** Tokens without the repository permission 'Administration: write', which creating an environment needs. */
  readonly withoutAdministration = new Set<string>();
  /**
   * The repositories a token can see, by lower-cased `owner/name`, when it was given only some (a
   * fine-grained token or a GitHub App installation with "Only select repositories"); all when absent.
   * GitHub answers for the others as if they did not exist: 404 on REST, absent from GraphQL lists
   * and NOT_FOUND when named (GitHub docs, "Troubleshooting the REST API": 404 for a resource the
   * token cannot access).
   */
  readonly tokenRepositories = new Map<string, ReadonlySet<string>>();
  readonly repositories = new Map<string, Repository>();
  /** Each organisation's Actions secrets; `organizationApps` holds every app's. */
  readonly organizations = new Map<string, SecretStore>();
  readonly organizationApps = new Map<string, AppStores>();
  readonly server: FakeServer;
  /** Organisations that enforce SAML single sign-on, for which no token here is authorised. */
  readonly samlEnforced = new Set<string>();
  /**
   * Secret lists that never end: every page links to a next one and has no `total_count` (the
   * answer issue 8 saw). Real GitHub ends its Link chain on the last page; this is a fault mode.
   */
  endlessLists = false;
  /**
   * Lists of a selected secret's repositories whose `Link` header is lost (a gateway in front of
   * github-api-url that drops it): the first page alone, with the true `total_count`. A fault mode:
   * GitHub itself links every page to the next ("Using pagination in the REST API").
   */
  linklessLists = false;
  /** Old `owner/name` of renamed repositories, to their current one. */
  readonly renamed = new Map<string, string>();
  /** Users and organisations that exist without any repository (an owner of one is known through it). */
  readonly owners = new Set<string>();
  /** Off unless `enforcePoints` turns it on: the secondary rate limit in points (see `PointsLimit`). */
  private pointsLimit: PointsLimit | undefined;
  /** Points of the requests answered within the limit, with when they arrived (`performance.now()`). */
  private spent: { at: number; points: number }[] = [];
  /** Requests refused for going over the points limit. */
  refusals = 0;
  /**
   * GitHub Enterprise Server: no Codespaces secret routes (none in its REST descriptions,
   * `@octokit/openapi`'s `ghes-3.*.json`), so they answer 404 as any unknown route does.
   */
  enterpriseServer = false;
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

  /**
   * `apps`: the apps whose secrets the token may touch (all by default), as a list or `{ apps }`;
   * `administration: false`: the token may not create environments (it may still write secrets).
   */
  addToken(
    token: string,
    access: TokenAccess = 'write',
    options:
      | readonly SecretApp[]
      | { apps?: readonly SecretApp[]; administration?: boolean; repositories?: readonly string[] } = {},
  ): string {
    // Array.isArray does not narrow a readonly array, hence the cast.
    const {
      apps = SECRET_APPS,
      administration = true,
      repositories,
    } = (Array.isArray(options) ? { apps: options } : options) as {
      apps?: readonly SecretApp[];
      administration?: boolean;
      repositories?: readonly string[];
    };
    this.tokens.set(token, access);
    this.tokenApps.set(token, apps);
    if (!administration) this.withoutAdministration.add(token);
    if (repositories) this.tokenRepositories.set(token, new Set(repositories.map((name) => name.toLowerCase())));
    return token;
  }

  /** Whether a token can see a repository (`owner/name`). */
  private sees(token: string, fullName: string): boolean {
    return this.tokenRepositories.get(token)?.has(fullName.toLowerCase()) ?? true;
  }

  /** The environments a repository holds, by lower-cased name (GitHub's environment names are case-insensitive). */
  environments(fullName: string): string[] {
    return [...(this.repositories.get(fullName.toLowerCase())?.environments.keys() ?? [])];
  }

  addRepository(fullName: string, environments: string[] = [], options: RepositoryOptions = {}): Repository {
    const [owner = '', name = ''] = fullName.split('/');
    const apps = appStores();
    const repository: Repository = {
      id: this.nextId++,
      owner,
      name,
      store: apps.actions,
      apps,
      environments: new Map(),
      archived: options.archived ?? false,
      disabled: options.disabled ?? false,
      locked: options.locked ?? false,
      topics: (options.topics ?? []).map((topic) => topic.toLowerCase()),
    };
    for (const environment of environments) repository.environments.set(environment.toLowerCase(), new SecretStore());
    this.repositories.set(fullName.toLowerCase(), repository);
    return repository;
  }

  /** Adds an organisation with a store per app; returns its Actions store. */
  addOrganization(org: string): SecretStore {
    const apps = appStores();
    this.organizations.set(org.toLowerCase(), apps.actions);
    this.organizationApps.set(org.toLowerCase(), apps);
    return apps.actions;
  }

  /** A repository's store of one app's secrets, for `seed`. */
  repositoryStore(fullName: string, app: SecretApp = 'actions'): SecretStore | undefined {
    return this.repositories.get(fullName.toLowerCase())?.apps[app];
  }

  /** An organisation's store of one app's secrets, for `seed`. */
  organizationStore(org: string, app: SecretApp = 'actions'): SecretStore | undefined {
    return this.organizationApps.get(org.toLowerCase())?.[app];
  }

  repositorySecret(fullName: string, name: string, app: SecretApp = 'actions'): StoredSecret | undefined {
    return this.repositoryStore(fullName, app)?.get(name);
  }

  environmentSecret(fullName: string, environment: string, name: string): StoredSecret | undefined {
    return this.repositories.get(fullName.toLowerCase())?.environments.get(environment.toLowerCase())?.get(name);
  }

  organizationSecret(org: string, name: string, app: SecretApp = 'actions'): StoredSecret | undefined {
    return this.organizationStore(org, app)?.get(name);
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
    if (method === 'POST' && pathname === '/graphql') return this.graphql(body, token ?? '');
    const path = pathname.split('/').slice(1).map(decodeURIComponent);
    const [root, owner = '', name = ''] = path;
    if ((root === 'orgs' || root === 'repos') && this.samlEnforced.has(owner.toLowerCase())) return samlRefusal(owner);
    if (root === 'repos' && !this.sees(token ?? '', `${owner}/${name}`)) return notFound();
    const blocked = root === 'repos' ? this.repositories.get(`${owner}/${name}`.toLowerCase()) : undefined;
    if (blocked?.disabled || blocked?.locked) return blockedRepository();
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
    const environment = this.environmentRoute(method, path, token ?? '', access);
    if (environment) return environment;
    const route = this.route(method, path);
    if (!route || (this.enterpriseServer && route.secrets === 'codespaces')) return notFound();
    const app = route.secrets;
    if (app && (access === 'read-only' || !(this.tokenApps.get(token ?? '') ?? SECRET_APPS).includes(app))) {
      // A token without the permission: GitHub's answer to an App installation token.
      return json(403, {
        message: 'Resource not accessible by integration',
        documentation_url: SECRETS_DOCS[app],
        status: '403',
      });
    }
    return route.answer(url, body);
  }

  private graphql(body: string, token: string): Reply {
    const { query, variables = {} } = JSON.parse(body) as { query: string; variables?: Record<string, string> };
    if (query.includes('repositoryOwner(')) return this.ownerRepositories(query, variables, token);
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
      const found = this.repositories.get(fullName.toLowerCase());
      const repository = found && this.sees(token, fullName) ? found : undefined;
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

  /**
   * `repositoryOwner(login:) { login repositories(first: 100, after:, ownerAffiliations: [OWNER], orderBy: NAME) }`,
   * the one listing query the action sends, answered as GitHub does: null with no error for a login it
   * does not know (GitHub docs, GraphQL reference, "Queries: repositoryOwner"; seen in clients that
   * handle `"repositoryOwner": null`), pages of at most 100 nodes (`first` is 1 to 100: "Rate limits and
   * node limits for the GraphQL API") with an opaque cursor, `isArchived`, and topics as `repositoryTopics`.
   */
  private ownerRepositories(query: string, variables: Record<string, unknown>, token: string): Reply {
    if (query.replace(/\s+/g, ' ').trim() !== OWNER_REPOSITORIES_QUERY)
      return json(200, { errors: [{ message: `the fake does not answer this query: ${query}` }] });
    const login = typeof variables['login'] === 'string' ? variables['login'] : '';
    if (this.samlEnforced.has(login.toLowerCase())) {
      // As for the repository lookup above: a null field and a FORBIDDEN error for an SSO-protected organisation.
      return json(200, {
        data: { repositoryOwner: null },
        errors: [
          { type: 'FORBIDDEN', path: ['repositoryOwner'], extensions: { saml_failure: true }, message: SAML_MESSAGE },
        ],
      });
    }
    const all = [...this.repositories.values()].filter(
      (repository) => repository.owner.toLowerCase() === login.toLowerCase(),
    );
    // The owner is known through any of its repositories; the token lists only those it can see.
    const owned = all
      .filter((repository) => this.sees(token, `${repository.owner}/${repository.name}`))
      .sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()));
    const known = all[0]?.owner ?? [...this.owners].find((owner) => owner.toLowerCase() === login.toLowerCase());
    if (known === undefined) return json(200, { data: { repositoryOwner: null } });
    const cursor = variables['cursor'];
    const start =
      typeof cursor === 'string'
        ? Number(/^cursor:(\d+)$/.exec(Buffer.from(cursor, 'base64').toString())?.[1] ?? NaN)
        : 0;
    if (!Number.isInteger(start))
      return json(200, {
        data: null,
        errors: [
          {
            type: 'INVALID_CURSOR_ARGUMENTS',
            path: ['repositoryOwner', 'repositories'],
            message: `\`${String(cursor)}\` does not appear to be a valid cursor.`,
          },
        ],
      });
    const page = owned.slice(start, start + 100);
    const end = start + page.length;
    return json(200, {
      data: {
        repositoryOwner: {
          login: known,
          repositories: {
            nodes: page.map((repository) => ({
              databaseId: repository.id,
              name: repository.name,
              isArchived: repository.archived,
              isDisabled: repository.disabled,
              isLocked: repository.locked,
              repositoryTopics: { nodes: repository.topics.map((name) => ({ topic: { name } })) },
            })),
            pageInfo: {
              hasNextPage: end < owned.length,
              endCursor: page.length > 0 ? Buffer.from(`cursor:${end}`).toString('base64') : null,
            },
          },
        },
      },
    });
  }

  /** The route's answer, and the app whose secrets it touches (false for a repository's own metadata). */
  private route(
    method: string,
    path: string[],
  ): { secrets: SecretApp | false; answer: (url: URL, body: string) => Reply } | undefined {
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
      const [app] = rest;
      if (isSecretApp(app) && rest[1] === 'secrets')
        return this.secretRoutes(method, app, repository.apps[app], rest.slice(2));
      // Environments hold Actions secrets only (REST reference: "GitHub Actions Secrets", environment secrets).
      if (rest[0] === 'environments' && rest[2] === 'secrets') {
        const store = repository.environments.get((rest[1] ?? '').toLowerCase());
        return store ? this.secretRoutes(method, 'actions', store, rest.slice(3)) : undefined;
      }
      return undefined;
    }
    if (root === 'orgs' && isSecretApp(name) && rest[0] === 'secrets') {
      const store = this.organizationApps.get(owner.toLowerCase())?.[name];
      return store ? this.secretRoutes(method, name, store, rest.slice(1), true) : undefined;
    }
    return undefined;
  }

  /**
   * "Create or update an environment", `PUT /repos/{owner}/{repo}/environments/{environment_name}`:
   * 200 with the environment (GitHub's REST description: its only success status, and the shape of
   * its example), for a new environment and an existing one alike. It needs 'Administration: write':
   * without it GitHub answers 403 "Resource not accessible by integration"
   * (github/rest-api-description#6745). A missing environment's secrets routes answer 404 Not Found,
   * as GitHub does (pulumi/pulumi-github#248: the public key of an environment not yet created).
   */
  private environmentRoute(method: string, path: string[], token: string, access: TokenAccess): Reply | undefined {
    const [root, owner = '', name = '', segment, environmentName = '', ...rest] = path;
    if (method !== 'PUT' || root !== 'repos' || segment !== 'environments' || rest.length > 0) return undefined;
    const repository = this.repositories.get(`${owner}/${name}`.toLowerCase());
    if (!repository) return notFound();
    if (access === 'read-only' || this.withoutAdministration.has(token)) {
      return json(403, {
        message: 'Resource not accessible by integration',
        documentation_url: 'https://docs.github.com/rest/deployments/environments#create-or-update-an-environment',
        status: '403',
      });
    }
    const key = environmentName.toLowerCase();
    if (!repository.environments.has(key)) repository.environments.set(key, new SecretStore());
    const now = new Date().toISOString();
    const url = `https://api.github.com/repos/${repository.owner}/${repository.name}/environments/${encodeURIComponent(environmentName)}`;
    return json(200, {
      id: this.nextId++,
      node_id: 'EN_fake',
      name: environmentName,
      url,
      html_url: `https://github.com/${repository.owner}/${repository.name}/deployments/activity_log?environments_filter=${encodeURIComponent(environmentName)}`,
      created_at: now,
      updated_at: now,
      protection_rules: [],
      deployment_branch_policy: null,
    });
  }

  /** `secrets`, `secrets/public-key` and `secrets/{name}` under one store of one app; the routes are the same for every app. */
  private secretRoutes(method: string, app: SecretApp, store: SecretStore, rest: string[], organization = false) {
    const answer = (fn: (url: URL, body: string) => Reply) => ({ secrets: app, answer: fn });
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
        // Every selected repository is listed, whichever the token can see: GitHub's documentation does
        // not say whether a token given only some repositories gets the others too (a guess). Were
        // GitHub to leave them out, the removal guard (src/github/targets.ts) could not count them.
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
        const link = page * perPage < ids.length && !this.linklessLists ? { link: `<${next.href}>; rel="next"` } : {};
        return json(200, { total_count: ids.length, repositories }, link);
      });
    }
    if (organization && method === 'PUT' && rest.length === 2 && rest[1] === 'repositories') {
      // "Set selected repositories for an organization secret" (Actions, Dependabot, Codespaces alike):
      // 204 with no body; 409 when the secret's visibility is not `selected` (REST reference: "Add
      // selected repository to an organization secret" says 409 for that, and the Codespaces
      // description lists 409 for this route); 404 for a secret that does not exist. Whether GitHub
      // moves the secret's `updated_at` is not documented: the value is not touched, so it is kept here (a guess).
      return answer((_url, body) => {
        const stored = store.get(rest[0] ?? '');
        if (!stored) return notFound();
        if (stored.visibility !== 'selected')
          return json(409, { message: "The secret's visibility is not 'selected'.", status: '409' });
        const ids = (JSON.parse(body) as { selected_repository_ids?: unknown }).selected_repository_ids;
        if (!Array.isArray(ids) || !ids.every((id) => Number.isInteger(id)))
          return json(422, { message: 'Invalid request.\n\nselected_repository_ids is not an array of integers.' });
        stored.selectedRepositoryIds = ids as number[];
        return { status: 204 };
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
    // A value sealed for another key than the current one (a key rotated since it was read) cannot be
    // opened: GitHub's answer is 422 "Bad request - validation failed due to an improperly encrypted
    // secret" (since 2024: integrations/terraform-provider-github#2315, rollthecloudinc/hedge#256).
    // Whether GitHub compares `key_id` itself is not documented (a guess): a stale one is refused alike.
    if (keyId !== store.keyId) return improperlyEncrypted();
    if (encryptedValue.length > SECRET_LIMIT) return json(422, { message: 'Invalid request.\n\nValue is too large.' });
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
      return improperlyEncrypted();
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
      // Dependabot's organisation PUT takes ids as integers or strings (REST description: `anyOf` string, integer).
      ...(visibility === 'selected' && Array.isArray(selected) ? { selectedRepositoryIds: selected.map(Number) } : {}),
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

/**
 * The owner listing query, whitespace collapsed; kept apart from the action's copy so that a change
 * there must be made here too, on purpose.
 */
const OWNER_REPOSITORIES_QUERY =
  'query($login: String!, $cursor: String) { repositoryOwner(login: $login) { login repositories(first: 100, after: $cursor, ownerAffiliations: [OWNER], orderBy: { field: NAME, direction: ASC }) { nodes { databaseId name isArchived isDisabled isLocked repositoryTopics(first: 20) { nodes { topic { name } } } } pageInfo { hasNextPage endCursor } } } }';

/** `alias: repository(owner: $o, name: $n) { databaseId }` fields: the repository lookup the action sends. */
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

/**
 * A repository GitHub has disabled answers REST with 403 "Repository access blocked" and a `block`
 * object (the body quoted in caarlos0/fork-cleaner#99 and octokit/octokit.rb#563, for a repository
 * blocked for its terms of service). A locked one (for a migration) is "completely inaccessible"
 * (github/docs#6862; git says it "is disabled"), but its REST answer is not documented anywhere: that
 * it is the same 403 is a guess.
 */
function blockedRepository(): Reply {
  return json(403, {
    message: 'Repository access blocked',
    block: { reason: 'tos', created_at: '2026-01-01T00:00:00Z', html_url: 'https://github.com/tos' },
  });
}

/**
 * GitHub's 422 for a secret value its private key cannot open, word for word as users quote it
 * (integrations/terraform-provider-github#2315, 2024; rollthecloudinc/hedge#256, 2025, with the body:
 * `message`, `documentation_url`, `status`).
 */
export const IMPROPERLY_ENCRYPTED = 'Bad request - validation failed due to an improperly encrypted secret';

export function improperlyEncrypted(): Reply {
  return json(422, {
    message: IMPROPERLY_ENCRYPTED,
    documentation_url: 'https://docs.github.com/rest/reference/actions#create-or-update-a-repository-secret',
    status: '422',
  });
}

function notFound(): Reply {
  return json(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' });
}
