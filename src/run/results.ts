/**
 * The words a run and its sinks share about outcomes: what became of each secret at each
 * destination, and what a destination is expected to receive before anything is read. Every sink
 * returns these, the engine gathers them and the report renders them.
 */

/** `planned`: a dry run found the secret due, and a real run would write it. */
export type SecretStatus = 'created' | 'updated' | 'skipped' | 'failed' | 'planned';

/** What happened to one secret at one target. */
export interface SecretResult {
  target: string;
  secret: string;
  status: SecretStatus;
  /** For `failed`: what went wrong and what to do; for `skipped`: why; for a write: a warning, such as a widened visibility. */
  detail?: string;
  takesEffect: string;
  /** For `planned`: the fields its write would send beside the sealed value (an organisation secret's visibility). */
  settings?: Record<string, unknown>;
}

/**
 * The secrets due at one destination (a target), and the results already known there (skipped,
 * failed reads). Before any read every secret is due; after a destination's reads it says what is
 * still to write (GitHub's `PreparedTarget` is one). What the report shows if the run stops early.
 */
export interface DueAtTarget {
  target: { label: string; takesEffect: string };
  due: readonly { name: string }[];
  results: readonly SecretResult[];
}
