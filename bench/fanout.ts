/**
 * Fan-out benchmark: one run of the action over N repositories (100 and 1,000 by default), against
 * a fake GitHub that enforces the REST secondary limit in points (900 a minute, GET 1, PUT 5) and
 * answers every request after 50 ms, with the default write interval (1 s). Prints, per size: wall
 * time, requests made, the pacing floor (writes x write interval), the ratio of the two (target
 * within 1.1), the fake's refusals (target 0), and the action's peak RSS (target under 120 MB).
 *
 * Time-scaled, so that 1,000 writes a second apart end in minutes: GitHub's minute in the fake and
 * the action's clock (`__tests__/fakes/time-scale.mjs`, preloaded) both run `--scale` times faster,
 * which leaves the points rule and the ratio to the floor as they are. The 50 ms latency is real
 * time, not scaled, and so are the process's start and the OIDC, STS and ECR round trips before the
 * first write (printed as "first write"): expressed in GitHub's time they weigh `--scale` times more
 * than on GitHub, so the ratio printed is an upper bound, the more so for small sizes.
 *
 *   node bench/fanout.ts [--sizes=100,1000] [--scale=10] [--latency=50]
 *   (npm run bench:fanout)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakes } from '../__tests__/fakes/index.ts';
import { ACTION_ENTRY, NODE_24, prepareStep } from '../__tests__/fakes/run-action.ts';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const probe = join(root, 'bench', 'rss-probe.mjs');
const timeScale = join(root, '__tests__', 'fakes', 'time-scale.mjs');
const WRITE_INTERVAL_MS = 1_000;

function parseArguments(argv: string[]): { sizes: number[]; scale: number; latencyMs: number } {
  let sizes = [100, 1000];
  let scale = 10;
  let latencyMs = 50;
  for (const argument of argv) {
    const [name, value = ''] = argument.split('=');
    const number = Number(value);
    if (name === '--sizes' && /^\d+(,\d+)*$/.test(value)) sizes = value.split(',').map(Number);
    else if (name === '--scale' && number >= 1) scale = number;
    else if (name === '--latency' && /^\d+$/.test(value)) latencyMs = number;
    else
      throw new Error(
        `unknown argument ${argument}; usage: node bench/fanout.ts [--sizes=100,1000] [--scale=10] [--latency=50]`,
      );
  }
  return { sizes, scale, latencyMs };
}

interface FanOutResult {
  size: number;
  wallMs: number;
  githubRequests: number;
  allRequests: number;
  floorMs: number;
  /** Real time from start to the first write's arrival: start-up and the OIDC, STS and ECR round trips, which no scale shortens. */
  firstWriteMs: number;
  refusals: number;
  rssMb: number;
}

async function fanOut(size: number, scale: number, latencyMs: number): Promise<FanOutResult> {
  const fakes = await startFakes();
  const scratch = mkdtempSync(join(tmpdir(), 'bench-fanout-'));
  const rssFile = join(scratch, 'rss');
  try {
    fakes.github.addToken('bench-token');
    const repositories = Array.from({ length: size }, (_, i) => `bench/svc-${String(i + 1).padStart(4, '0')}`);
    for (const name of repositories) fakes.github.addRepository(name);
    fakes.github.enforcePoints({ timeScale: scale });
    for (const server of [fakes.oidc.server, fakes.aws.sts, fakes.aws.ecr, fakes.github.server])
      server.latencyMs = latencyMs;
    const roleArn = fakes.aws.addRole('ecr-pull', { audience: 'sts.amazonaws.com', subject: fakes.oidc.subject });
    const step = prepareStep(
      {
        'role-to-assume': roleArn,
        'aws-region': 'eu-west-1',
        'github-token': 'bench-token',
        'github-api-url': fakes.github.server.url,
        repositories: repositories.join('\n'),
      },
      { ...fakes.env, BENCH_RSS_FILE: rssFile, TIME_SCALE: String(scale) },
    );
    try {
      const start = performance.now();
      const child = spawn(NODE_24, ['--import', timeScale, '--import', probe, ACTION_ENTRY], {
        env: step.env,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      const code = await new Promise<number | null>((done, fail) => {
        child.on('error', fail);
        child.on('close', done);
      });
      const wallMs = performance.now() - start;
      // A run of more than 4 minutes of writes mints again: any password the fake issued counts.
      const passwords = fakes.aws.logins.map((login) => login.password);
      const written = repositories.filter((name) =>
        passwords.includes(fakes.github.repositorySecret(name, 'ECR_PASSWORD')?.plaintext ?? ''),
      ).length;
      if (code !== 0 || written !== size) {
        writeFileSync(join(tmpdir(), 'bench-fanout-stdout.txt'), stdout);
        throw new Error(
          `the run over ${size} repositories exited ${code} with ${written} secrets written (log in ${tmpdir()}/bench-fanout-stdout.txt)`,
        );
      }
      const firstWrite = fakes.github.server.requests.find((request) => request.method === 'PUT')?.receivedAt ?? start;
      return {
        size,
        firstWriteMs: firstWrite - start,
        // In GitHub's time: what the same run takes against github.com.
        wallMs: wallMs * scale,
        githubRequests: fakes.github.server.requests.length,
        allRequests: fakes.allRequests().length,
        floorMs: size * WRITE_INTERVAL_MS,
        refusals: fakes.github.refusals,
        rssMb: Number(readFileSync(rssFile, 'utf8')) / 1024,
      };
    } finally {
      step.remove();
    }
  } finally {
    await fakes.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

const { sizes, scale, latencyMs } = parseArguments(process.argv.slice(2));
const cpu = cpus();
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
console.log(
  `fan-out: one run per size, ${latencyMs} ms latency per answer (real time), GitHub's minute and the action's clock ${scale}x faster; ` +
    `${cpu.length} x ${cpu[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GB; load ${load()}`,
);
console.log(
  `${'repositories'.padEnd(14)}${'wall (GitHub time)'.padEnd(20)}${'requests (GitHub / all)'.padEnd(25)}${'floor'.padEnd(10)}${'wall/floor'.padEnd(12)}${'refusals'.padEnd(10)}${'peak RSS'.padEnd(10)}first write (real)`,
);
for (const size of sizes) {
  const r = await fanOut(size, scale, latencyMs);
  console.log(
    `${String(r.size).padEnd(14)}${`${(r.wallMs / 1000).toFixed(1)} s`.padEnd(20)}${`${r.githubRequests} / ${r.allRequests}`.padEnd(25)}` +
      `${`${(r.floorMs / 1000).toFixed(0)} s`.padEnd(10)}${(r.wallMs / r.floorMs).toFixed(3).padEnd(12)}${String(r.refusals).padEnd(10)}${`${r.rssMb.toFixed(1)} MB`.padEnd(10)}${(r.firstWriteMs / 1000).toFixed(2)} s`,
  );
}
console.log(`load at the end: ${load()}`);
