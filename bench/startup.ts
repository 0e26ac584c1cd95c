/**
 * Start-up and latency benchmark. At zero latency, over many runs, the median and spread of
 *   (a) a bare `node -e 0`,
 *   (b) the action from process start to its first outgoing request (to any fake),
 *   (c) a whole single-secret OIDC run against the local fakes,
 *   (d) a whole run with max-age whose secret is still fresh (the step ahead of container jobs, most days),
 * and the ratios (b)/(a), (c)/(a) and (d)/(a), so that figures from noisy machines compare. Also peak RSS.
 *
 * Then (c) in latency modes: every fake answers a fixed delay after each request (a round trip to a
 * distant service), and in `+setup` modes the first request on each new connection pays two more
 * (TCP and TLS set-up). For each mode: the whole run, its floor (see `floorMs`), and whole / floor,
 * then the action's own time on each link of the chain (from an answer to the next request, and from
 * the PUT's answer to the exit): what the run adds to its floor.
 * Runs of all modes are interleaved, round after round, so that the machine's noise spreads evenly.
 *
 *   node bench/startup.ts [runs] [--modes=0,50,100,50+setup,100+setup] [--machine-node]
 *   (npm run bench:startup -- 15)
 *
 * Runs on node 24 (the `node` devDependency, GitHub's runtime); `--machine-node` adds the machine's own node.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakes, type Fakes } from '../__tests__/fakes/index.ts';
import { ACTION_ENTRY, NODE_24, prepareStep, type PreparedStep } from '../__tests__/fakes/run-action.ts';
import type { FakeServer, RecordedRequest } from '../__tests__/fakes/server.ts';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const probe = join(root, 'bench', 'rss-probe.mjs');

/** A latency mode: the delay of every answer, and whether new connections pay TCP + TLS set-up. */
interface Mode {
  label: string;
  latencyMs: number;
  setup: boolean;
}

const ZERO: Mode = { label: '0 ms', latencyMs: 0, setup: false };

function parseArguments(argv: string[]): { runs: number; modes: Mode[]; machineNode: boolean } {
  let runs = 30;
  let modes = '0,50,100,50+setup,100+setup';
  let machineNode = false;
  for (const argument of argv) {
    if (argument.startsWith('--modes=')) modes = argument.slice('--modes='.length);
    else if (argument === '--machine-node') machineNode = true;
    else if (/^\d+$/.test(argument) && Number(argument) > 0) runs = Number(argument);
    else
      throw new Error(
        `unknown argument ${argument}; usage: node bench/startup.ts [runs] [--modes=0,50,100,50+setup,100+setup] [--machine-node]`,
      );
  }
  const parsed = modes.split(',').map((text): Mode => {
    const match = /^(\d+)(\+setup)?$/.exec(text.trim());
    if (!match)
      throw new Error(
        `--modes: "${text}" is not a mode; write a delay in ms, optionally with +setup (e.g. 50 or 50+setup)`,
      );
    const latencyMs = Number(match[1]);
    const setup = Boolean(match[2]) && latencyMs > 0;
    return { label: `${latencyMs} ms${setup ? ' + setup' : ''}`, latencyMs, setup };
  });
  // The zero-latency figures (a) to (d) are always taken: the ratios to a bare node start rest on them.
  const unique = [ZERO, ...parsed].filter(
    (mode, index, all) => all.findIndex((other) => other.label === mode.label) === index,
  );
  return { runs, modes: unique, machineNode };
}

function machineNode(): string {
  const candidates = execFileSync('bash', ['-c', 'which -a node'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  return candidates.find((path) => !path.includes('node_modules')) ?? process.execPath;
}

function spawnTimed(node: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ start: number; end: number }> {
  const start = performance.now();
  const child = spawn(node, args, { env, stdio: 'ignore' });
  return new Promise((done, fail) => {
    child.on('error', fail);
    child.on('close', (code) =>
      code === 0 ? done({ start, end: performance.now() }) : fail(new Error(`${args.join(' ')} exited ${code}`)),
    );
  });
}

const stats = (values: number[]) => {
  const sorted = [...values].sort((x, y) => x - y);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { median: at(0.5), p10: at(0.1), p90: at(0.9) };
};
type Stats = ReturnType<typeof stats>;
const ms = (value: number) => `${value.toFixed(1)} ms`;
const spread = (s: Stats) => `${ms(s.median)} (${s.p10.toFixed(1)} to ${s.p90.toFixed(1)})`;

/** The fakes' servers by service name, as `Fakes.allRequests` names them. */
const servers = (fakes: Fakes): Record<string, FakeServer> => ({
  oidc: fakes.oidc.server,
  sts: fakes.aws.sts,
  ecr: fakes.aws.ecr,
  github: fakes.github.server,
});

function setLatency(fakes: Fakes, mode: Mode): void {
  for (const server of Object.values(servers(fakes))) {
    server.latencyMs = mode.latencyMs;
    // TCP's handshake and TLS 1.3's: one round trip each (see FakeServer).
    server.connectionSetupMs = mode.setup ? 2 * mode.latencyMs : 0;
  }
}

/** The requests each fake received from here on. */
function requestsSince(fakes: Fakes): () => Record<string, RecordedRequest[]> {
  const marks = Object.fromEntries(
    Object.entries(servers(fakes)).map(([name, server]) => [name, server.requests.length]),
  );
  return () =>
    Object.fromEntries(
      Object.entries(servers(fakes)).map(([name, server]) => [name, server.requests.slice(marks[name])]),
    );
}

/**
 * The floor of one single-secret OIDC run: what no ordering of the work can remove.
 *   start to first request (measured in this run: start-up cost before anything can be asked)
 *   + one delay per request on the dependency chain OIDC token -> STS AssumeRoleWithWebIdentity ->
 *     ECR GetAuthorizationToken -> GitHub PUT: 4 delays. The public-key GET (and, with max-age, the
 *     list) needs nothing from AWS, so it can be in flight meanwhile and is not on the chain.
 *   + where set-up is modelled, 2 delays for each new connection on the chain: the OIDC, STS and ECR
 *     hosts are each asked once, so each is a new connection (3 x 2 delays); the PUT goes to the
 *     GitHub host whose connection the public-key GET opened, so it pays set-up only when that
 *     connection was not kept alive (as the fake saw it in this run).
 * 50 ms per request: first + 200 ms; with set-up, first + 200 + 300 ms (+ 100 if the PUT reconnected).
 */
function floorMs(mode: Mode, firstRequestMs: number, put: RecordedRequest): number {
  const chainRequests = 4;
  const newConnectionsOnChain = 3 + (put.newConnection ? 1 : 0);
  return (
    firstRequestMs + chainRequests * mode.latencyMs + (mode.setup ? newConnectionsOnChain * 2 * mode.latencyMs : 0)
  );
}

interface ModeResult {
  whole: number[];
  firstRequest: number[];
  floor: number[];
  rss: number[];
  /** Runs whose PUT came on a new GitHub connection (keep-alive did not hold). */
  putReconnected: number;
  /** Per run, the action's own time on the chain: from each answer to the next request, and from the PUT's answer to exit. */
  gaps: Record<ChainGap, number[]>;
}

/** The links of the chain where the action, not a service, holds the run: answer in hand, next request not yet sent. */
const CHAIN_GAPS = ['OIDC -> STS', 'STS -> ECR', 'ECR -> PUT', 'PUT -> exit'] as const;
type ChainGap = (typeof CHAIN_GAPS)[number];
const emptyGaps = (): Record<ChainGap, number[]> =>
  Object.fromEntries(CHAIN_GAPS.map((gap) => [gap, []])) as unknown as Record<ChainGap, number[]>;

/** When a fake sent its answer to a request (see FakeServer: latency, plus set-up on a new connection). */
function answeredAt(mode: Mode, request: RecordedRequest): number {
  return request.receivedAt + mode.latencyMs + (mode.setup && request.newConnection ? 2 * mode.latencyMs : 0);
}

async function measure(node: string, runs: number, modes: Mode[]) {
  const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
  const bare: number[] = [];
  const skip: number[] = [];
  const skipRss: number[] = [];
  const results = new Map<Mode, ModeResult>(
    modes.map((mode) => [
      mode,
      { whole: [], firstRequest: [], floor: [], rss: [], putReconnected: 0, gaps: emptyGaps() },
    ]),
  );
  const fakes = await startFakes();
  const scratch = mkdtempSync(join(tmpdir(), 'bench-'));
  const rssFile = join(scratch, 'rss');
  const steps: PreparedStep[] = [];
  const readRss = () => Number(readFileSync(rssFile, 'utf8')) / 1024;
  try {
    fakes.github.addToken('bench-token');
    fakes.github.addRepository('octo/app');
    const roleArn = fakes.aws.addRole('ecr-pull', { audience: 'sts.amazonaws.com', subject: fakes.oidc.subject });
    // The step's environment as the runner builds it from action.yml (as the end-to-end tests run it).
    const inputs = {
      'role-to-assume': roleArn,
      'aws-region': 'eu-west-1',
      'github-token': 'bench-token',
      'github-api-url': fakes.github.server.url,
    };
    const env = { ...fakes.env, BENCH_RSS_FILE: rssFile };
    const write = prepareStep(inputs, env);
    const fresh = prepareStep({ ...inputs, 'max-age': '6h' }, env);
    steps.push(write, fresh);
    const start = (step: PreparedStep) => {
      writeFileSync(step.outputFile, '');
      writeFileSync(step.summaryFile, '');
      return spawnTimed(node, ['--import', probe, ACTION_ENTRY], step.env);
    };

    const wholeRun = async (mode: Mode) => {
      setLatency(fakes, mode);
      const since = requestsSince(fakes);
      const run = await start(write);
      const seen = since();
      const arrivals = Object.values(seen).flatMap((requests) => requests.map((request) => request.receivedAt));
      const put = seen['github']?.find((request) => request.method === 'PUT');
      const written = fakes.aws.lastLogin?.password;
      // (c) must have done the whole job: asked each service on the chain and written the password it got.
      if (
        !seen['oidc']?.length ||
        !seen['sts']?.length ||
        !seen['ecr']?.length ||
        !put ||
        !written ||
        fakes.github.repositorySecret('octo/app', 'ECR_PASSWORD')?.plaintext !== written
      ) {
        throw new Error(`the run in mode ${mode.label} did not go OIDC -> STS -> ECR -> PUT and write the password`);
      }
      const result = results.get(mode) as ModeResult;
      const firstRequestMs = Math.min(...arrivals) - run.start;
      result.whole.push(run.end - run.start);
      result.firstRequest.push(firstRequestMs);
      result.floor.push(floorMs(mode, firstRequestMs, put));
      result.rss.push(readRss());
      if (put.newConnection) result.putReconnected++;
      const [oidc, sts, ecr] = (['oidc', 'sts', 'ecr'] as const).map((name) => seen[name]?.[0] as RecordedRequest) as [
        RecordedRequest,
        RecordedRequest,
        RecordedRequest,
      ];
      result.gaps['OIDC -> STS'].push(sts.receivedAt - answeredAt(mode, oidc));
      result.gaps['STS -> ECR'].push(ecr.receivedAt - answeredAt(mode, sts));
      result.gaps['ECR -> PUT'].push(put.receivedAt - answeredAt(mode, ecr));
      result.gaps['PUT -> exit'].push(run.end - answeredAt(mode, put));
    };
    const bareStart = async () => {
      const run = await spawnTimed(node, ['-e', '0'], { PATH: process.env['PATH'] });
      bare.push(run.end - run.start);
    };
    const freshRun = async () => {
      setLatency(fakes, ZERO);
      const writes = fakes.github.writes().length;
      const run = await start(fresh);
      // The secret was written by an earlier (c), so this run lists, finds it fresh, and writes nothing.
      if (fakes.github.writes().length !== writes)
        throw new Error('the max-age run wrote a secret that was still fresh');
      skip.push(run.end - run.start);
      skipRss.push(readRss());
    };

    // The first (c) writes the secret that (d) then finds fresh; the warm-up runs are not counted.
    await wholeRun(ZERO);
    await freshRun();
    for (const result of results.values())
      Object.assign(result, { whole: [], firstRequest: [], floor: [], rss: [], putReconnected: 0, gaps: emptyGaps() });
    skip.length = 0;
    skipRss.length = 0;

    const tasks = [bareStart, freshRun, ...modes.map((mode) => () => wholeRun(mode))];
    for (let round = 0; round < runs; round++) {
      // Each round in another order, so that no mode always follows the slowest one.
      for (let i = 0; i < tasks.length; i++) await (tasks[(i + round) % tasks.length] as () => Promise<void>)();
    }
  } finally {
    await fakes.stop();
    for (const step of steps) step.remove();
    rmSync(scratch, { recursive: true, force: true });
  }
  return { version, bare: stats(bare), skip: stats(skip), skipRss: stats(skipRss), modes: results };
}

/** The targets for whole / floor (node 24): none at zero latency, where the floor is start-up alone. */
const target = (mode: Mode) => (mode.latencyMs === 0 ? '' : mode.setup ? '<= 1.20' : '<= 1.15');

const { runs, modes, machineNode: alsoMachineNode } = parseArguments(process.argv.slice(2));
const cpu = cpus();
console.log(
  `start-up: ${runs} runs per figure, interleaved; ${cpu.length} x ${cpu[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GB; load ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
console.log(
  'single-secret OIDC run against local fakes (dist/index.js, environment from action.yml as the runner builds it)',
);
for (const node of alsoMachineNode ? [NODE_24, machineNode()] : [NODE_24]) {
  const r = await measure(node, runs, modes);
  const zero = r.modes.get(modes[0] as Mode) as ModeResult;
  const first = stats(zero.firstRequest);
  const whole = stats(zero.whole);
  const rss = stats(zero.rss);
  const toBare = (s: Stats) => (s.median / r.bare.median).toFixed(2);
  console.log(`\nnode ${r.version} (${node})`);
  console.log('zero latency:');
  console.log(`  (a) node -e 0              median ${ms(r.bare.median)}  p10-p90 ${ms(r.bare.p10)}-${ms(r.bare.p90)}`);
  console.log(
    `  (b) start to first request median ${ms(first.median)}  p10-p90 ${ms(first.p10)}-${ms(first.p90)}  (b)/(a) ${toBare(first)}`,
  );
  console.log(
    `  (c) whole run              median ${ms(whole.median)}  p10-p90 ${ms(whole.p10)}-${ms(whole.p90)}  (c)/(a) ${toBare(whole)}`,
  );
  console.log(`  peak RSS of (c)            median ${rss.median.toFixed(1)} MB  p90 ${rss.p90.toFixed(1)} MB`);
  console.log(
    `  (d) max-age, still fresh   median ${ms(r.skip.median)}  p10-p90 ${ms(r.skip.p10)}-${ms(r.skip.p90)}  (d)/(a) ${toBare(r.skip)}`,
  );
  console.log(
    `  peak RSS of (d)            median ${r.skipRss.median.toFixed(1)} MB  p90 ${r.skipRss.p90.toFixed(1)} MB`,
  );
  console.log(
    'latency modes, (c) single-secret run: median (p10 to p90); floor = start to first request + chain delays + set-up:',
  );
  console.log(
    `  ${'mode'.padEnd(16)}${'whole run'.padEnd(30)}${'first request'.padEnd(16)}${'floor'.padEnd(12)}${'whole/floor'.padEnd(13)}${'target'.padEnd(9)}PUT reconnected`,
  );
  for (const mode of modes) {
    const result = r.modes.get(mode) as ModeResult;
    const w = stats(result.whole);
    const floor = stats(result.floor);
    console.log(
      `  ${mode.label.padEnd(16)}${spread(w).padEnd(30)}${ms(stats(result.firstRequest).median).padEnd(16)}${ms(floor.median).padEnd(12)}` +
        `${(w.median / floor.median).toFixed(2).padEnd(13)}${target(mode).padEnd(9)}${result.putReconnected}/${result.whole.length}`,
    );
  }
  console.log(
    "the action's time on the chain, medians: from an answer to the next request (OIDC -> STS, STS -> ECR, ECR -> PUT), and from the PUT's answer to the exit:",
  );
  for (const mode of modes) {
    const result = r.modes.get(mode) as ModeResult;
    const gaps = CHAIN_GAPS.map((gap) => `${gap} ${ms(stats(result.gaps[gap]).median)}`);
    const sum = CHAIN_GAPS.reduce((total, gap) => total + stats(result.gaps[gap]).median, 0);
    console.log(`  ${mode.label.padEnd(16)}${gaps.join(', ')}; in all ${ms(sum)}`);
  }
}
console.log(
  `\nload at the end: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
