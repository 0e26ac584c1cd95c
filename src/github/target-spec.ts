/** Who may read an organisation secret. */
export type Visibility = 'all' | 'private' | 'selected';

/** Where secrets go, as config.ts reads it from the inputs. Each is one owner of one public key. */
export type TargetSpec =
  | { kind: 'repository'; owner: string; repo: string }
  /** `createIfMissing`: create the environment when the repository lacks it (`create-environment`). */
  | { kind: 'environment'; owner: string; repo: string; environment: string; createIfMissing?: true }
  /** `visibility` undefined: not given, so an existing secret keeps its own and a new one is `private`. */
  | { kind: 'organization'; org: string; visibility?: Visibility; selectedRepositories: string[] };
