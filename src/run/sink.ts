import type { EcrLogin } from '../aws/ecr.ts';
import type { DueAtTarget, SecretResult } from './results.ts';

/**
 * The ECR login as the sinks get it: with every registry host its docker config names, the login's
 * own first, and when GetAuthorizationToken was asked for (`performance.now()`): the password was
 * minted after that, so its life at any later moment is at least ECR's 12 hours less the time since.
 */
export type SinkLogin = EcrLogin & { registryHosts: readonly string[]; requestedAt: number };

/**
 * Where a run writes the ECR login: GitHub secrets, a dotenv file, a GitLab CI/CD variable. A sink is
 * a list of destinations (targets); the engine asks each for its reads that need no password, mints
 * one password once some destination is ready for it, hands it to each, and reports every result in
 * one table. A dry run goes the same way (the same reads, at the same fan-out width, the same decisions) and
 * asks each prepared destination what it would write instead of writing it. A new sink is one module
 * that returns this.
 */
export interface Sink {
  /** Every value due at every destination before anything is read: what the report shows if the run stops early. */
  dueAtTargets: DueAtTarget[];
  /** For a dry run's report: what a real run's writes need that reading cannot prove (permissions), before `prepare` knows more. */
  unchecked: string[];
  /** Whether the AWS side waits until `onDue` is called (GitHub with max-age); otherwise it starts at once. */
  waitsForDue: boolean;
  /** What the writes need loaded, started while the ECR request is in flight (libsodium for GitHub). */
  whileLoginInFlight?: () => void;
  /**
   * Which destinations there are (GitHub resolves repository patterns first; a failure there rejects,
   * written for the user), then their reads that need no password, one promise per destination; none
   * of those rejects (a failed read is a failed result). `onDue` is called as soon as something that
   * needs a password is known to be due. In a dry run (`dryRun`) nothing is created or written while
   * preparing (a missing environment is only said to be created), and what proves access is read even
   * where nothing is due (GitHub's public keys).
   */
  prepare: (options: { now: Date; onDue: () => void; dryRun: boolean }) => Promise<Destinations>;
}

/** A sink's destinations once known: what is due at each (replacing the first list), notes for the report, their reads. */
export interface Destinations {
  dueAtTargets: DueAtTarget[];
  /** Lines for the report above the table, such as what each repository pattern matched. */
  notes: string[];
  /** The sink's `unchecked`, for the destinations now known (the repositories the patterns matched). */
  unchecked: string[];
  preparing: Promise<PreparedDestination>[];
}

/** One destination after its reads: what it still has to write, and how. */
export interface PreparedDestination {
  /** What is due and what is already known (skipped, failed reads): what the report uses if the login fails. */
  afterReads: DueAtTarget;
  /** Something is due and can be written (for GitHub: the public key is in hand). */
  ready: boolean;
  /** Something due needs the password (the username alone needs none). */
  needsPassword: boolean;
  /**
   * Writes what is due with the login (undefined when no destination needed a password); every
   * secret's result. `freshLogin` gives a login asked for less than LOGIN_REUSE_MS ago (minting
   * again when the last is older), for a destination whose writes go on for minutes (a fan-out).
   */
  write: (login: SinkLogin | undefined, freshLogin?: () => Promise<SinkLogin | undefined>) => Promise<SecretResult[]>;
  /** A dry run's results instead of the writes: what is known (skipped, failed), and each due value `planned`, with the settings its write would send. */
  dryRunResults: () => SecretResult[];
  /** Called once the destination is done, written or not (GitHub: its place in the fan-out frees for the next target). */
  release?: () => void;
}

/** One value's result at a destination, as the report shows it. */
export type ResultOf = (secret: string, status: SecretResult['status'], detail?: string) => SecretResult;

/**
 * A sink of one destination that needs no reads (a file, a CI/CD variable): always due, always
 * ready, always in need of the password, so the AWS side starts at once. `write` gets the login and
 * the way to word each value's result; a run that made no login fails every value, as a bug.
 */
export function oneDestinationSink(
  target: DueAtTarget['target'],
  names: readonly string[],
  write: (login: SinkLogin, result: ResultOf) => Promise<SecretResult[]>,
): Sink {
  const due: DueAtTarget = { target, due: names.map((name) => ({ name })), results: [] };
  const result: ResultOf = (secret, status, detail) => ({
    target: target.label,
    secret,
    status,
    takesEffect: target.takesEffect,
    ...(detail ? { detail } : {}),
  });
  const destination: PreparedDestination = {
    afterReads: due,
    ready: true,
    needsPassword: true,
    write: async (login) =>
      login
        ? write(login, result)
        : names.map((name) => result(name, 'failed', 'no ECR login was made; please report this bug')),
    // Never planned: what it writes is the password itself, so a dry run (which asks AWS nothing) has
    // nothing to show; the command refuses --dry-run beside such a sink before any request.
    dryRunResults: () =>
      names.map((name) =>
        result(
          name,
          'failed',
          'a dry run cannot plan it without a password (--dry-run applies to GitHub secrets only); please report this bug',
        ),
      ),
  };
  return {
    dueAtTargets: [due],
    unchecked: [],
    waitsForDue: false,
    prepare: ({ onDue }) => {
      onDue();
      return Promise.resolve({
        dueAtTargets: [due],
        notes: [],
        unchecked: [],
        preparing: [Promise.resolve(destination)],
      });
    },
  };
}
