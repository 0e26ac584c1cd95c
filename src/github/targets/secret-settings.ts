import type { GitHub } from '../client.ts';
import type { TokenSource } from '../errors.ts';

/** What one secret's PUT carries beyond the sealed value, decided from the inputs and what GitHub holds. */
export interface SecretSettings {
  /** Body fields beyond `encrypted_value` and `key_id`. */
  body: Record<string, unknown>;
  /** When runs read the value written here. */
  takesEffect: string;
  /** The stored secret's settings differ from the inputs, so it must be written however fresh it is (max-age) or whatever it holds (the username). */
  differs: boolean;
  /** Something the user must hear about the write, such as a visibility widened by the inputs. */
  warning?: string;
  /**
   * The stored secret is selected, as the inputs want it, and only its repositories differ: a secret
   * otherwise skipped (fresh by max-age, or an unchanging one already stored) gets its list set
   * (`PUT .../secrets/{name}/repositories`), with no new value.
   */
  repositoriesDiffer?: boolean;
  /** Why this secret must not be written at all (a selected list that would shrink too much); it fails with it. */
  refusal?: string;
  /** Said beside the result: the repositories added to and removed from the stored list, by name. */
  note?: string;
}

/** Reads what a kind needs from GitHub, before any password exists, to decide each secret's settings; `tokenSource` names the token in refusals. */
export type SettingsReader = (
  github: GitHub,
  names: readonly string[],
  tokenSource: TokenSource,
) => Promise<Map<string, SecretSettings>>;
