/** Who may read an organisation secret. */
export type Visibility = 'all' | 'private' | 'selected';

/** Where secrets go, as config.ts reads it from the inputs. Each is one owner of one public key. */
export type TargetSpec =
  | { kind: 'repository'; owner: string; repo: string }
  | { kind: 'environment'; owner: string; repo: string; environment: string }
  /** `visibility` undefined: not given, so an existing secret keeps its own and a new one is `private`. */
  | { kind: 'organization'; org: string; visibility?: Visibility; selectedRepositories: string[] };
