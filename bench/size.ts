/**
 * Bundle size: every file under dist/ and their total, then what each top dependency contributes
 * to the bundle, from a fresh ncc build's module statistics (sizes before minification, so that
 * packages compare; the shipped files are minified).
 *
 *   node bench/size.ts      (npm run bench:size)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const dist = join(root, 'dist');
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1).padStart(8)} KB`;

let total = 0;
console.log('dist/ as committed (the action):');
for (const name of readdirSync(dist).sort()) {
  const stat = statSync(join(dist, name));
  // dist/cli/ is the command's own bundle, which the action never loads: counted apart.
  if (stat.isDirectory()) continue;
  total += stat.size;
  console.log(`  ${kb(stat.size)}  ${name}`);
}
console.log(`  ${kb(total)}  total (${(total / 1_000_000).toFixed(2)} MB; target <= 2.3 MB)`);
const command = readdirSync(join(dist, 'cli')).reduce((sum, name) => sum + statSync(join(dist, 'cli', name)).size, 0);
console.log(`  ${kb(command)}  dist/cli/, the command (ecr-secret-refresh), apart`);

const out = mkdtempSync(join(tmpdir(), 'bench-size-'));
try {
  const statsFile = join(out, 'stats.json');
  execFileSync(
    join(root, 'node_modules', '.bin', 'ncc'),
    ['build', join(root, 'src', 'index.ts'), '-o', join(out, 'dist'), '--stats-out', statsFile],
    { stdio: 'ignore' },
  );
  const stats = JSON.parse(readFileSync(statsFile, 'utf8')) as {
    modules: { name?: string; identifier: string; size: number; modules?: { name: string; size: number }[] }[];
  };
  const byPackage = new Map<string, number>();
  // Concatenated ES modules are listed inside their parent: count each inner module once.
  const leaves = stats.modules.flatMap((m) => m.modules ?? [{ name: m.name ?? m.identifier, size: m.size }]);
  for (const { name, size } of leaves) {
    const owner =
      /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(name)?.[1] ??
      (name.startsWith('webpack/') ? '(webpack runtime)' : '(this action)');
    byPackage.set(owner, (byPackage.get(owner) ?? 0) + size);
  }
  const sum = [...byPackage.values()].reduce((a, b) => a + b, 0);
  console.log('\nsource each package contributes, unminified:');
  for (const [name, size] of [...byPackage.entries()].sort((a, b) => b[1] - a[1]).slice(0, 20)) {
    console.log(`  ${kb(size)}  ${((100 * size) / sum).toFixed(1).padStart(5)} %  ${name}`);
  }
  console.log(`  ${kb(sum)}  total`);
} finally {
  rmSync(out, { recursive: true, force: true });
}
