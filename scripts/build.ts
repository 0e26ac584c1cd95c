/**
 * Builds dist/ from src/: a clean folder, ncc's minified bundle, then the chunks that ncc leaves
 * unminified (the AWS SDK, loaded only by runs that fetch a password) minified with terser.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const dist = join(root, 'dist');
const bin = (name: string) => join(root, 'node_modules', '.bin', name);

rmSync(dist, { recursive: true, force: true });
execFileSync(
  bin('ncc'),
  ['build', join(root, 'src', 'index.ts'), '-o', dist, '--minify', '--license', 'licenses.txt'],
  { stdio: 'inherit' },
);
for (const chunk of readdirSync(dist).filter((name) => /^\d+\.index\.js$/.test(name))) {
  const file = join(dist, chunk);
  execFileSync(bin('terser'), [file, '--module', '--compress', '--mangle', '--output', file], { stdio: 'inherit' });
}
