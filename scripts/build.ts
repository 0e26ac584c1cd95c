/**
 * Builds dist/ from src/: the inputs table generated from action.yml (scripts/inputs-table.ts, into
 * src/config/inputs.ts), a clean folder, ncc's minified bundles, then the chunks that ncc leaves
 * unminified (the AWS SDK, loaded only by runs that fetch a password) minified with terser. Two
 * bundles: the action (`src/index.ts` into dist/index.js) and the command (`src/cli/main.ts` into
 * dist/cli/index.js, the package's `bin`, its flags from the generated inputs table).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const dist = join(root, 'dist');
const bin = (name: string) => join(root, 'node_modules', '.bin', name);

execFileSync(process.execPath, [join(root, 'scripts', 'inputs-table.ts')], { stdio: 'inherit' });
rmSync(dist, { recursive: true, force: true });
for (const [entry, out] of [
  ['index.ts', dist],
  ['cli/main.ts', join(dist, 'cli')],
] as const) {
  execFileSync(bin('ncc'), ['build', join(root, 'src', entry), '-o', out, '--minify', '--license', 'licenses.txt'], {
    stdio: 'inherit',
  });
  for (const chunk of readdirSync(out).filter((name) => /^\d+\.index\.js$/.test(name))) {
    const file = join(out, chunk);
    execFileSync(bin('terser'), [file, '--module', '--compress', '--mangle', '--output', file], { stdio: 'inherit' });
  }
}
