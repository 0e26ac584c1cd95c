import type { TokenSource } from './errors.ts';
import type { RepositorySelection, TargetSpec } from './targets/spec.ts';
import type { SecretNames } from '../run/secret-kinds.ts';

/**
 * What the GitHub sink needs to write secrets, declared here beside it; the config (src/config/)
 * fills it from the inputs or flags, checked.
 */
export interface GitHubSettings {
  /** `tokenSource`: what GitHub's refusals call the token; its input in the action, its variable in the command. */
  github: { token: string; apiUrl: string; tokenSource: TokenSource };
  /** The targets named exactly; with `repositorySelection`, possibly none. */
  targets: TargetSpec[];
  /** Repository patterns (`acme/svc-*`) and topics, resolved by listing each owner's repositories before the run. */
  repositorySelection?: RepositorySelection;
  secretNames: SecretNames;
  /** Skip a secret whose stored `updated_at` is younger than this. */
  maxAgeMs?: number;
  /** The spacing between GitHub writes (`write-interval`). */
  writeIntervalMs: number;
}
