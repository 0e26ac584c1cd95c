import { FakeServer, json, type Reply } from './server.ts';

/**
 * GitLab's REST API for project and group CI/CD variables (`/api/v4/projects/:id/variables` and
 * `/api/v4/groups/:id/variables`: GET, PUT, POST and DELETE of one variable), as the GitLab sink uses it.
 * Sources, beside each behaviour below: GitLab's docs ("Project-level CI/CD variables API",
 * "Group-level Variables API", "GitLab CI/CD variables") and its source (lib/api/ci/variables.rb,
 * lib/api/group_variables.rb, lib/api/helpers.rb, app/models/concerns/ci/maskable.rb,
 * lib/gitlab/auth/auth_finders.rb and lib/api/api_guard.rb).
 *
 * Found by numeric id or URL-encoded full path. Tokens carry scopes (`api`, `read_api`) and may be
 * expired or revoked (`addToken`); members have roles (`grant(token, holder, 'maintainer')`). It
 * answers as GitLab does, each answer cited beside it from GitLab's docs and source: 401
 * `{"message":"401 Unauthorized"}` (or `invalid_token` for an expired or revoked token), 403
 * `insufficient_scope` for a token without `api`, 404 `Project Not Found` / `Group Not Found` for what
 * the token cannot see, 403 `Forbidden` below Maintainer (Owner for groups), 404 `Variable Not Found`
 * for a key and scope with no variable, 400 `{"message":{"value":["is invalid"]}}` for a value it
 * cannot mask (the rule for raw values, or the older Base64-only rule with `maskRules =
 * 'base64-only'`), and `has already been taken` for a second variable of one key and scope. Group
 * environment scopes are kept only for `premium` groups, as on GitLab Free they are dropped (and the
 * variable stored for `*`). `variable(holder, key, scope)` reads what was stored.
 * `startFakes({ gitlab: true })` starts it with the others and sets `CI_API_V4_URL`.
 *
 * Hidden variables (GitLab 17.4 and later; docs "GitLab CI/CD variables", "Hide a CI/CD variable", and
 * the APIs' `masked_and_hidden`): made hidden on creation only (POST `masked_and_hidden: true`, which
 * also masks), never shown again (Entities::Ci::Variable presents `Ci::VariableValue#evaluate`, nil
 * for a hidden variable: `"value": null`), and GitLab refuses to change `masked` on them
 * (app/models/concerns/ci/hidable_variable.rb, validate_masked_and_hidden_on_update: a 400 with
 * `{"message":{"base":["Updating masked attribute is not allowed on updates for hidden variables."]}}`,
 * render_validation_error!). The `ci_hidden_variables` feature flag is taken as on, as on GitLab.com.
 */

/** A member's role (GitLab's access levels that matter here). */
export type GitLabRole = 'owner' | 'maintainer' | 'developer' | 'reporter' | 'guest';
/** Personal, project and group access token scopes: `api` reads and writes, `read_api` only reads. */
export type GitLabScope = 'api' | 'read_api';

export interface GitLabToken {
  scopes: GitLabScope[];
  expired?: boolean;
  revoked?: boolean;
}

/** One stored variable, as GitLab's Entities::Ci::Variable presents it. */
export interface GitLabVariable {
  key: string;
  value: string;
  variable_type: 'env_var' | 'file';
  protected: boolean;
  masked: boolean;
  hidden: boolean;
  raw: boolean;
  environment_scope: string;
  description: string | null;
}

export interface GitLabHolder {
  kind: 'project' | 'group';
  id: number;
  /** Full path, such as `group/sub/project`. */
  path: string;
  visibility: 'private' | 'internal' | 'public';
  /** Group environment scopes are a Premium feature: on Free, GitLab drops `environment_scope` (EE's filter_variable_parameters). */
  premium: boolean;
  members: Map<string, GitLabRole>;
  variables: GitLabVariable[];
}

/**
 * Ci::Maskable (GitLab 17.x and later): a masked value that is expanded must match REGEX, Base64's
 * alphabet plus `@ : . ~` (and `_ - =`), 8 or more; a masked raw value MASK_AND_RAW_REGEX, 8 or more
 * characters with no whitespace. `base64-only` is a GitLab from before the raw rule (REGEX for every
 * masked value; docs then: "Characters from the Base64 alphabet (RFC4648)", "The @, :, ., or ~ characters").
 */
const MASK_REGEX = /^[a-zA-Z0-9_+=/@:.~-]{8,}$/;
const MASK_AND_RAW_REGEX = /^\S{8,}$/;
/** Ci::HasVariable: keys of letters, digits and `_`, at most 255. */
const KEY = /^[a-zA-Z0-9_]{1,255}$/;

export class FakeGitLab {
  readonly server: FakeServer;
  readonly tokens = new Map<string, GitLabToken>();
  readonly holders: GitLabHolder[] = [];
  /** Which masking rule this GitLab applies (see MASK_REGEX). */
  maskRules: 'raw-aware' | 'base64-only' = 'raw-aware';
  private nextId = 100;

  constructor() {
    this.server = new FakeServer((request) => this.handle(request.method, request.url, request.headers, request.body));
  }

  /** The API's root, as a job's CI_API_V4_URL gives it. */
  get apiUrl(): string {
    return `${this.server.url}/api/v4`;
  }

  addToken(token: string, options: Partial<GitLabToken> = {}): string {
    this.tokens.set(token, { scopes: ['api'], ...options });
    return token;
  }

  addProject(path: string, options: { visibility?: GitLabHolder['visibility'] } = {}): GitLabHolder {
    return this.add('project', path, options.visibility ?? 'private', false);
  }

  addGroup(path: string, options: { visibility?: GitLabHolder['visibility']; premium?: boolean } = {}): GitLabHolder {
    return this.add('group', path, options.visibility ?? 'private', options.premium ?? false);
  }

  grant(token: string, holder: GitLabHolder, role: GitLabRole): void {
    holder.members.set(token, role);
  }

  /** The stored variable `key` of `holder` for `scope`. */
  variable(holder: GitLabHolder, key: string, scope = '*'): GitLabVariable | undefined {
    return holder.variables.find((v) => v.key === key && v.environment_scope === scope);
  }

  /** Requests that change state. */
  writes() {
    return this.server.requests.filter((r) => r.method !== 'GET' && r.method !== 'HEAD');
  }

  private add(
    kind: GitLabHolder['kind'],
    path: string,
    visibility: GitLabHolder['visibility'],
    premium: boolean,
  ): GitLabHolder {
    const holder: GitLabHolder = {
      kind,
      id: this.nextId++,
      path,
      visibility,
      premium,
      members: new Map(),
      variables: [],
    };
    this.holders.push(holder);
    return holder;
  }

  private handle(
    method: string,
    url: URL,
    headers: Record<string, string | string[] | undefined>,
    body: string,
  ): Reply {
    // Grape matches `:id` up to the next `/`, so a path must come URL-encoded (docs: "Namespaced paths").
    const route = /^\/api\/v4\/(projects|groups)\/([^/]+)\/variables(?:\/([^/]+))?$/.exec(url.pathname);
    if (!route) return json(404, { error: '404 Not Found' });
    const [, collection = '', rawId = '', rawKey] = route;
    const kind = collection === 'projects' ? 'project' : 'group';

    // authenticate! (lib/api/helpers.rb and api_guard.rb): the token from PRIVATE-TOKEN (or a Bearer header).
    const bearer = /^bearer (.+)$/i.exec(String(headers['authorization'] ?? ''))?.[1];
    const tokenText = String(headers['private-token'] ?? bearer ?? '');
    const token = this.tokens.get(tokenText);
    // An unknown token: `{"message":"401 Unauthorized"}` (unauthorized!).
    if (!token) return json(401, { message: '401 Unauthorized' });
    // Expired and revoked tokens: api_guard.rb's Rack::OAuth2 Bearer::Unauthorized answers.
    if (token.expired)
      return json(401, {
        error: 'invalid_token',
        error_description: 'Token is expired. You can either do re-authorization or token refresh.',
      });
    if (token.revoked)
      return json(401, {
        error: 'invalid_token',
        error_description: 'Token was revoked. You have to re-authorize from the user.',
      });
    // A token whose scopes do not cover the route (read_api on a write): api_guard.rb's Bearer::Forbidden,
    // quoted in passport-gitlab2#5 and gitlab-monitor#134.
    const allowed = token.scopes.includes('api') || (method === 'GET' && token.scopes.includes('read_api'));
    if (!allowed)
      return json(403, {
        error: 'insufficient_scope',
        error_description: 'The request requires higher privileges than provided by the access token.',
        scope: 'api',
      });

    // user_project / user_group: a holder the token cannot see is "404 Project Not Found" / "404 Group Not Found".
    const id = decodeURIComponent(rawId);
    const holder = this.holders.find(
      (h) => h.kind === kind && (String(h.id) === id || h.path.toLowerCase() === id.toLowerCase()),
    );
    const role = holder?.members.get(tokenText);
    const notFound = kind === 'project' ? '404 Project Not Found' : '404 Group Not Found';
    if (!holder || (holder.visibility === 'private' && !role)) return json(404, { message: notFound });
    // authorize! :admin_build / :admin_cicd_variables: project_policy.rb enables it for Maintainers,
    // group_policy.rb for Owners (docs, "For a group: You must be a group member with the Owner role");
    // below that, forbidden!: `{"message":"403 Forbidden"}`.
    const may = kind === 'project' ? role === 'maintainer' || role === 'owner' : role === 'owner';
    if (!may) return json(403, { message: '403 Forbidden' });

    const params = { ...Object.fromEntries(url.searchParams), ...parseBody(headers, body) };
    const scopeFilter = params['filter[environment_scope]'] ?? filterOf(params['filter']);
    const key = rawKey === undefined ? undefined : decodeURIComponent(rawKey);
    const variableNotFound = kind === 'project' ? '404 Variable Not Found' : '404 GroupVariable Not Found';

    if (key !== undefined && (method === 'GET' || method === 'PUT')) {
      // find_variable (VariablesFinder): by key, narrowed by filter[environment_scope]; several → 409.
      const found = holder.variables.filter(
        (v) => v.key === key && (scopeFilter === undefined || v.environment_scope === scopeFilter),
      );
      if (found.length > 1)
        return json(409, {
          message: "There are multiple variables with provided parameters. Please use 'filter[environment_scope]'",
        });
      // A group's PUT whose filter matched nothing (or that has none) updates the first variable of the
      // key whatever its scope: lib/api/group_variables.rb passes Ci::ChangeVariableService a nil
      // variable, and the service then finds one with `find_by!(key:)`; GET and projects answer 404.
      const variable =
        found[0] ?? (kind === 'group' && method === 'PUT' ? holder.variables.find((v) => v.key === key) : undefined);
      if (!variable) return json(404, { message: variableNotFound });
      if (method === 'GET') return json(200, presented(variable));
      const updated = { ...variable, ...this.settings(holder, params, variable) };
      const problems = this.validate(holder, updated, variable);
      if (problems) return json(400, { message: problems });
      Object.assign(variable, updated);
      return json(200, presented(variable));
    }
    if (key !== undefined && method === 'DELETE') {
      // DELETE ':id/variables/:key' (lib/api/ci/variables.rb, lib/api/group_variables.rb): find_variable
      // with filter[environment_scope] (several → 409, none → 404), then 204 No Content (no_content!,
      // destroy_conditionally!).
      const found = holder.variables.filter(
        (v) => v.key === key && (scopeFilter === undefined || v.environment_scope === scopeFilter),
      );
      if (found.length > 1)
        return json(409, {
          message: "There are multiple variables with provided parameters. Please use 'filter[environment_scope]'",
        });
      const [variable] = found;
      if (!variable) return json(404, { message: variableNotFound });
      holder.variables.splice(holder.variables.indexOf(variable), 1);
      return { status: 204 };
    }
    if (key === undefined && method === 'POST') {
      const created: GitLabVariable = {
        key: text(params['key'] ?? ''),
        value: '',
        variable_type: 'env_var',
        protected: false,
        masked: false,
        hidden: false,
        raw: false,
        environment_scope: '*',
        description: null,
        ...this.settings(holder, params),
      };
      // `requires :key` and `requires :value` (Grape): a missing parameter is "<name> is missing".
      if (params['key'] === undefined) return json(400, { error: 'key is missing' });
      if (params['value'] === undefined) return json(400, { error: 'value is missing' });
      const problems = this.validate(holder, created);
      if (problems) return json(400, { message: problems });
      holder.variables.push(created);
      return json(201, presented(created));
    }
    return json(405, { message: '405 Method Not Allowed' });
  }

  /** The attributes a PUT or POST sets; environment_scope dropped for a group without Premium. */
  private settings(holder: GitLabHolder, params: Record<string, unknown>, current?: GitLabVariable) {
    const settings: Partial<GitLabVariable> = {};
    if (params['value'] !== undefined) settings.value = text(params['value']);
    for (const flag of ['protected', 'masked', 'raw'] as const)
      if (params[flag] !== undefined) settings[flag] = params[flag] === true || params[flag] === 'true';
    if (params['variable_type'] === 'file' || params['variable_type'] === 'env_var')
      settings.variable_type = params['variable_type'];
    if (params['environment_scope'] !== undefined && (holder.kind === 'project' || holder.premium))
      settings.environment_scope = text(params['environment_scope']);
    if (current === undefined && params['description'] !== undefined)
      settings.description = text(params['description']);
    // `masked_and_hidden` is a POST parameter only (the APIs' docs: "Create a variable"): hidden and masked.
    if (current === undefined && (params['masked_and_hidden'] === true || params['masked_and_hidden'] === 'true')) {
      settings.masked = true;
      settings.hidden = true;
    }
    return settings;
  }

  /** The record errors GitLab renders as `{"message": {"<field>": ["..."]}}` (render_validation_error!). */
  private validate(
    holder: GitLabHolder,
    variable: GitLabVariable,
    current?: GitLabVariable,
  ): Record<string, string[]> | undefined {
    const problems: Record<string, string[]> = {};
    if (!KEY.test(variable.key)) problems['key'] = ["can contain only letters, digits and '_'."];
    // Docs ("Create a variable"): the same key needs another environment_scope, else "has already been taken".
    const twin = holder.variables.find(
      (v) => v !== current && v.key === variable.key && v.environment_scope === variable.environment_scope,
    );
    if (twin) problems['key'] = [`(${variable.key}) has already been taken`];
    // Ci::HidableVariable: `masked` of a hidden variable never changes on an update.
    if (current?.hidden && current.masked !== variable.masked)
      problems['base'] = ['Updating masked attribute is not allowed on updates for hidden variables.'];
    if (variable.masked) {
      const rule = variable.raw && this.maskRules === 'raw-aware' ? MASK_AND_RAW_REGEX : MASK_REGEX;
      // terraform-provider-gitlab#380 quotes it: `400 {message: {value: [is invalid]}}`.
      if (!rule.test(variable.value)) problems['value'] = ['is invalid'];
    }
    return Object.keys(problems).length > 0 ? problems : undefined;
  }
}

/** What the API shows of a variable (Entities::Ci::Variable): a hidden variable's value is not shown. */
function presented(variable: GitLabVariable): GitLabVariable | (Omit<GitLabVariable, 'value'> & { value: null }) {
  return variable.hidden ? { ...variable, value: null } : { ...variable };
}

/** Grape reads JSON bodies and form bodies alike. */
function parseBody(headers: Record<string, string | string[] | undefined>, body: string): Record<string, unknown> {
  if (!body) return {};
  const type = String(headers['content-type'] ?? '');
  if (type.includes('application/json')) return JSON.parse(body) as Record<string, unknown>;
  return Object.fromEntries(new URLSearchParams(body));
}

function filterOf(filter: unknown): string | undefined {
  if (typeof filter !== 'object' || filter === null) return undefined;
  const scope = (filter as { environment_scope?: unknown }).environment_scope;
  return typeof scope === 'string' ? scope : undefined;
}

/** A parameter as Grape coerces it to a String (a JSON number or boolean as its text). */
function text(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
