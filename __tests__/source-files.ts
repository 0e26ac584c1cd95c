import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's `src/`, whose files the tests read as text (messages, inputs, helpers). */
export const SRC = resolve(fileURLToPath(import.meta.url), '../../src');

/** Every `.ts` file under `dir` (the action's `src/` by default), at any depth. */
export function sourceFiles(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}
