/** Who may read an organisation secret. */
export type Visibility = 'all' | 'private' | 'selected';

/**
 * The GitHub apps that keep secrets of their own, each under its own route segment
 * (`/repos/{owner}/{repo}/<app>/secrets`, `/orgs/{org}/<app>/secrets`) with its own public key:
 * the same name in two apps is two secrets.
 */
export const SECRET_APPS = ['actions', 'dependabot', 'codespaces'] as const;
export type SecretApp = (typeof SECRET_APPS)[number];

/** Where secrets go, as config.ts reads it from the inputs. Each is one owner of one public key. */
export type TargetSpec =
  /** `app` undefined: Actions. */
  | { kind: 'repository'; owner: string; repo: string; app?: SecretApp }
  /** Environments hold Actions secrets only. */
  /** `createIfMissing`: create the environment when the repository lacks it (`create-environment`). */
  | { kind: 'environment'; owner: string; repo: string; environment: string; createIfMissing?: true }
  /** `visibility` undefined: not given, so an existing secret keeps its own and a new one is `private`. `app` undefined: Actions. */
  | { kind: 'organization'; org: string; visibility?: Visibility; selectedRepositories: string[]; app?: SecretApp };
