/**
 * Start-up benchmark: over many runs, the median and spread of
 *   (a) a bare `node -e 0`,
 *   (b) the action from process start to its first outgoing request,
 *   (c) a whole single-secret OIDC run against the local fakes (no latency),
 *   (d) a whole run with max-age whose secret is still fresh (the step ahead of container jobs, most days),
 * and the ratios (b)/(a), (c)/(a) and (d)/(a), so that figures from noisy machines compare. Also peak RSS.
 * Runs on node 24 (the `node` devDependency, GitHub's runtime) and on the machine's own node.
 *
 *   node bench/startup.ts [runs]      (npm run bench:startup)
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakes } from '../__tests__/fakes/index.ts';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const RUNS = Number(process.argv[2] ?? 30);
const probe = join(root, 'bench', 'rss-probe.mjs');

function machineNode(): string {
  const candidates = execFileSync('bash', ['-c', 'which -a node'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  return candidates.find((path) => !path.includes('node_modules')) ?? process.execPath;
}

function spawnTimed(node: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ start: number; end: number }> {
  const start = performance.now();
  const child = spawn(node, args, { env, stdio: 'ignore' });
  return new Promise((done, fail) => {
    child.on('error', fail);
    child.on('close', (code) => (code === 0 ? done({ start, end: performance.now() }) : fail(new Error(`${args.join(' ')} exited ${code}`))));
  });
}

const stats = (values: number[]) => {
  const sorted = [...values].sort((x, y) => x - y);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { median: at(0.5), p10: at(0.1), p90: at(0.9) };
};
const ms = (value: number) => `${value.toFixed(1)} ms`;

async function measure(node: string) {
  const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
  const bare: number[] = [];
  const firstRequest: number[] = [];
  const whole: number[] = [];
  const rss: number[] = [];
  const skip: number[] = [];
  const skipRss: number[] = [];
  let written: string | undefined;
  const fakes = await startFakes();
  const dir = mkdtempSync(join(tmpdir(), 'bench-'));
  try {
    fakes.github.addToken('bench-token');
    fakes.github.addRepository('octo/app');
    const roleArn = fakes.aws.addRole('ecr-pull', { audience: 'sts.amazonaws.com' });
    const rssFile = join(dir, 'rss');
    const env = {
      PATH: process.env['PATH'],
      HOME: dir,
      GITHUB_OUTPUT: join(dir, 'output'),
      GITHUB_STEP_SUMMARY: join(dir, 'summary'),
      GITHUB_REPOSITORY: 'octo/app',
      AWS_EC2_METADATA_DISABLED: 'true',
      ...fakes.env,
      'INPUT_ROLE-TO-ASSUME': roleArn,
      'INPUT_AWS-REGION': 'eu-west-1',
      'INPUT_GITHUB-TOKEN': 'bench-token',
      'INPUT_GITHUB-API-URL': fakes.github.server.url,
      BENCH_RSS_FILE: rssFile,
    };
    for (let run = 0; run < RUNS; run++) {
      const a = await spawnTimed(node, ['-e', '0'], { PATH: process.env['PATH'] });
      bare.push(a.end - a.start);
      writeFileSync(env.GITHUB_OUTPUT, '');
      writeFileSync(env.GITHUB_STEP_SUMMARY, '');
      const before = fakes.oidc.server.requests.length;
      const c = await spawnTimed(node, ['--import', probe, join(root, 'dist', 'index.js')], env);
      const first = fakes.oidc.server.requests[before];
      if (!first) throw new Error('the action made no request');
      firstRequest.push(first.receivedAt - c.start);
      whole.push(c.end - c.start);
      rss.push(Number(readFileSync(rssFile, 'utf8')) / 1024);
      written = fakes.aws.lastLogin?.password;
      // The secret was written a moment ago, so this run lists, finds it fresh, and writes nothing.
      const d = await spawnTimed(node, ['--import', probe, join(root, 'dist', 'index.js')], { ...env, 'INPUT_MAX-AGE': '6h' });
      skip.push(d.end - d.start);
      skipRss.push(Number(readFileSync(rssFile, 'utf8')) / 1024);
    }
    // (c) wrote the password it got, and (d) left it alone.
    if (!written || fakes.github.repositorySecret('octo/app', 'ECR_PASSWORD')?.plaintext !== written) {
      throw new Error('the benchmarked runs did not write the password as expected');
    }
  } finally {
    await fakes.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return { version, bare: stats(bare), firstRequest: stats(firstRequest), whole: stats(whole), rss: stats(rss), skip: stats(skip), skipRss: stats(skipRss) };
}

console.log(`start-up: ${RUNS} runs per figure; ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}; single-secret OIDC run against local fakes`);
for (const node of [join(root, 'node_modules', '.bin', 'node'), machineNode()]) {
  const r = await measure(node);
  console.log(`\nnode ${r.version} (${node})`);
  console.log(`  (a) node -e 0              median ${ms(r.bare.median)}  p10-p90 ${ms(r.bare.p10)}-${ms(r.bare.p90)}`);
  console.log(`  (b) start to first request median ${ms(r.firstRequest.median)}  p10-p90 ${ms(r.firstRequest.p10)}-${ms(r.firstRequest.p90)}  (b)/(a) ${(r.firstRequest.median / r.bare.median).toFixed(2)}`);
  console.log(`  (c) whole run              median ${ms(r.whole.median)}  p10-p90 ${ms(r.whole.p10)}-${ms(r.whole.p90)}  (c)/(a) ${(r.whole.median / r.bare.median).toFixed(2)}`);
  console.log(`  peak RSS of (c)            median ${r.rss.median.toFixed(1)} MB  p90 ${r.rss.p90.toFixed(1)} MB`);
  console.log(`  (d) max-age, still fresh   median ${ms(r.skip.median)}  p10-p90 ${ms(r.skip.p10)}-${ms(r.skip.p90)}  (d)/(a) ${(r.skip.median / r.bare.median).toFixed(2)}`);
  console.log(`  peak RSS of (d)            median ${r.skipRss.median.toFixed(1)} MB  p90 ${r.skipRss.p90.toFixed(1)} MB`);
}
