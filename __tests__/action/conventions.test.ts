/**
 * Repository conventions that an edit can break without any other test noticing: third-party
 * actions pinned by commit, one node version for the workflows, the runtime and the tests, one
 * dist/ check, the release workflow (its shell steps run as written, the tag move against a local
 * git remote), and Dependabot's groups.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { readActionYml } from '../fakes/action-yml.ts';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const workflowsDir = join(root, '.github', 'workflows');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, string | boolean>;
  env?: Record<string, string>;
}
interface Job {
  needs?: string | string[];
  permissions?: Record<string, string>;
  steps?: Step[];
}
interface Workflow {
  on: unknown;
  permissions?: unknown;
  jobs: Record<string, Job>;
}

const workflowTexts = Object.fromEntries(
  readdirSync(workflowsDir)
    .filter((name) => /\.ya?ml$/.test(name))
    .map((name) => [name, readFileSync(join(workflowsDir, name), 'utf8')]),
);
const workflows = Object.fromEntries(
  Object.entries(workflowTexts).map(([name, text]) => [name, parse(text) as Workflow]),
);
const allSteps = Object.values(workflows).flatMap((workflow) =>
  Object.values(workflow.jobs).flatMap((job) => job.steps ?? []),
);

interface Pin {
  line: number;
  action: string;
  ref: string;
  comment: string | undefined;
}

/** Every `uses:` of a workflow's text that names another repository, with its ref and trailing comment. */
function thirdPartyUses(text: string): Pin[] {
  const pins: Pin[] = [];
  text.split('\n').forEach((line, index) => {
    const match = /^\s*(?:-\s+)?uses:\s*(\S+?)(?:\s+#\s*(.*?))?\s*$/.exec(line);
    const target = match?.[1];
    if (target === undefined || target.startsWith('./') || target.startsWith('docker://')) return;
    const at = target.lastIndexOf('@');
    pins.push({
      line: index + 1,
      action: target.slice(0, at),
      ref: at < 0 ? '' : target.slice(at + 1),
      comment: match?.[2],
    });
  });
  return pins;
}

/** What SECURITY.md asks of users: a full commit SHA, and the release it is in a comment (`# v5.1.0`). */
function pinningMistakes(text: string): string[] {
  return thirdPartyUses(text)
    .filter((pin) => !/^[0-9a-f]{40}$/.test(pin.ref) || !/^v\d+\.\d+\.\d+$/.test(pin.comment ?? ''))
    .map((pin) => `line ${pin.line}: ${pin.action}@${pin.ref}${pin.comment === undefined ? '' : ` # ${pin.comment}`}`);
}

describe('third-party actions are pinned by commit, the release in a comment', () => {
  it('in every workflow', () => {
    for (const [name, text] of Object.entries(workflowTexts)) expect([name, pinningMistakes(text)]).toEqual([name, []]);
    expect(Object.values(workflowTexts).flatMap(thirdPartyUses).length).toBeGreaterThanOrEqual(8);
  });

  it('the check catches a tag, a short SHA and a SHA without its version', () => {
    const sha = 'fbc6f3992d24b796d5a048ff273f7fcc4a7b6c09';
    const steps = [
      '      - uses: actions/checkout@v5',
      `      - uses: actions/checkout@${sha.slice(0, 7)} # v5.1.0`,
      `      - uses: actions/setup-node@${sha}`,
      `        uses: github/codeql-action/init@${sha} # v3`,
      `      - uses: actions/checkout@${sha} # v5.1.0`,
      '      - uses: ./',
    ];
    expect(pinningMistakes(steps.join('\n'))).toEqual([
      'line 1: actions/checkout@v5',
      'line 2: actions/checkout@fbc6f39 # v5.1.0',
      `line 3: actions/setup-node@${sha}`,
      `line 4: github/codeql-action/init@${sha} # v3`,
    ]);
  });

  it('one repository, one commit and one version across the workflows', () => {
    const byRepository = new Map<string, Set<string>>();
    for (const pin of Object.values(workflowTexts).flatMap(thirdPartyUses)) {
      const repository = pin.action.split('/').slice(0, 2).join('/');
      byRepository.set(repository, (byRepository.get(repository) ?? new Set()).add(`${pin.ref} # ${pin.comment}`));
    }
    for (const [repository, pins] of byRepository) expect([repository, pins.size]).toEqual([repository, 1]);
  });
});

describe('one node version', () => {
  it('.node-version, action.yml runs.using and the node devDependency name the same major', () => {
    const nodeVersion = read('.node-version').trim();
    expect(nodeVersion).toMatch(/^\d+$/);
    expect(readActionYml().runs.using).toBe(`node${nodeVersion}`);
    const manifest = JSON.parse(read('package.json')) as { devDependencies: Record<string, string> };
    const devNode = manifest.devDependencies['node'];
    expect(devNode?.replace(/^[\^~]/, '').split('.')[0]).toBe(nodeVersion);
  });

  it('every setup-node step reads .node-version', () => {
    const setupNode = allSteps.filter((step) => step.uses?.startsWith('actions/setup-node@'));
    expect(setupNode.length).toBeGreaterThanOrEqual(3);
    for (const step of setupNode)
      expect(step.with).toEqual(expect.objectContaining({ 'node-version-file': '.node-version' }));
    expect(setupNode.filter((step) => step.with?.['node-version'] !== undefined)).toEqual([]);
  });
});

describe('one dist/ check', () => {
  it('lives in .ci/run, which CI and the release run; no workflow builds dist/ itself', () => {
    const ciRun = read('.ci/run');
    expect(ciRun).toMatch(/npm run build/);
    expect(ciRun).toMatch(/git status --porcelain -- dist/);
    const runs = allSteps.flatMap((step) => (step.run === undefined ? [] : [step.run]));
    expect(runs.filter((run) => /npm run build|\bncc\b|npm test/.test(run))).toEqual([]);
    const runners = Object.entries(workflows).filter(([, workflow]) =>
      Object.values(workflow.jobs).some((job) => job.steps?.some((step) => step.run === 'bash .ci/run')),
    );
    expect(runners.map(([name]) => name).sort()).toEqual(['ci.yml', 'release.yml']);
  });
});

describe('release.yml', () => {
  const release = workflows['release.yml'] as Workflow;
  const { check, 'move-major-tag': move } = release.jobs as { check: Job; 'move-major-tag': Job };
  const step = (job: Job, name: string): Step => {
    const found = job.steps?.find((candidate) => candidate.name === name);
    if (found?.run === undefined) throw new Error(`release.yml has no run step named "${name}"`);
    // Run as written: the test feeds the step's env itself, so the script may hold no expression.
    expect(found.run).not.toMatch(/\$\{\{/);
    return found;
  };
  const versionStep = step(check, 'Refuse pre-releases and tags that are not vMAJOR.MINOR.PATCH');
  const moveStep = step(move, 'Move the major tag to the release');

  let scratch: string;
  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'release-'));
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  /** Runs a step's script as GitHub's default shell does (`bash --noprofile --norc -eo pipefail {0}`). */
  function runStep(script: string, env: Record<string, string>, cwd = scratch) {
    const file = join(scratch, 'step.sh');
    const output = join(scratch, 'output');
    writeFileSync(file, script);
    writeFileSync(output, '');
    writeFileSync(join(scratch, 'summary'), '');
    const result = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', file], {
      cwd,
      encoding: 'utf8',
      env: {
        PATH: process.env['PATH'] ?? '',
        HOME: scratch,
        GITHUB_OUTPUT: output,
        GITHUB_STEP_SUMMARY: join(scratch, 'summary'),
        ...env,
      },
    });
    return { status: result.status, log: result.stdout + result.stderr, output: readFileSync(output, 'utf8') };
  }

  it('runs on published releases only, and only the tag-moving job may write', () => {
    expect(release.on).toEqual({ release: { types: ['published'] } });
    expect(release.permissions).toEqual({});
    expect(check.permissions).toEqual({ contents: 'read' });
    expect(move.permissions).toEqual({ contents: 'write' });
    expect(move.needs).toBe('check');
    const writers = Object.entries(workflows).flatMap(([name, workflow]) => [
      ...(JSON.stringify(workflow.permissions ?? {}).includes('write') ? [`${name} (workflow)`] : []),
      ...Object.entries(workflow.jobs)
        .filter(([, job]) => job.permissions?.['contents'] === 'write')
        .map(([id]) => `${name} ${id}`),
    ]);
    expect(writers).toEqual(['release.yml move-major-tag']);
  });

  it('checks the tagged commit with .ci/run, holding no token; the writing job runs no repository code', () => {
    const checkout = check.steps?.find((candidate) => candidate.uses?.startsWith('actions/checkout@'));
    expect(checkout?.with).toEqual({
      ref: 'refs/tags/${{ github.event.release.tag_name }}',
      'persist-credentials': false,
    });
    // .ci/run, then the commit it tested is recorded: the major tag moves to exactly that commit.
    expect(check.steps?.at(-2)?.run).toBe('bash .ci/run');
    expect(check.steps?.at(-1)?.run).toContain('git rev-parse HEAD');
    expect(move.steps?.filter((candidate) => /\b(npm|npx|node)\b|\.ci\//.test(candidate.run ?? ''))).toEqual([]);
  });

  it.each([
    ['v1.2.3', 'v1'],
    ['v0.1.0', 'v0'],
    ['v12.0.10', 'v12'],
  ])('takes %s, major %s', (tag, major) => {
    const result = runStep(versionStep.run ?? '', { TAG: tag, PRERELEASE: 'false' });
    expect(result).toEqual({ status: 0, log: '', output: `major=${major}\n` });
  });

  it.each([
    'v1.2.3-rc.1',
    'v1.2.3+build.5',
    '1.2.3',
    'v1.2',
    'v01.2.3',
    'V1.2.3',
    'v1.2.3 ',
    'v1.2.3\nv2.0.0',
    'latest',
  ])('refuses the tag %j, naming it, and moves nothing', (tag) => {
    const result = runStep(versionStep.run ?? '', { TAG: tag, PRERELEASE: 'false' });
    expect(result.status).toBe(1);
    expect(result.log).toContain(`::error::The release tag '${tag}' is not vMAJOR.MINOR.PATCH`);
    expect(result.output).toBe('');
  });

  it('refuses a release marked as a pre-release, whatever its tag', () => {
    const result = runStep(versionStep.run ?? '', { TAG: 'v2.0.0', PRERELEASE: 'true' });
    expect(result.status).toBe(1);
    expect(result.log).toContain('::error::v2.0.0 is a pre-release');
    expect(result.output).toBe('');
  });

  describe('moving the major tag, against a local remote', () => {
    let origin: string;
    let commits: string[];
    const git = (cwd: string, ...args: string[]) =>
      execFileSync(
        'git',
        ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'init.defaultBranch=main', ...args],
        { cwd, encoding: 'utf8' },
      ).trim();
    const remoteTag = (name: string) => git(scratch, '--git-dir', origin, 'rev-parse', `refs/tags/${name}^{commit}`);

    beforeAll(() => {
      origin = join(scratch, 'origin.git');
      git(scratch, 'init', '--quiet', '--bare', origin);
      const work = join(scratch, 'work');
      git(scratch, 'init', '--quiet', work);
      commits = [1, 2, 3].map((n) => {
        git(work, 'commit', '--quiet', '--allow-empty', '-m', `commit ${n}`);
        return git(work, 'rev-parse', 'HEAD');
      });
      // v1.9.0 then v1.10.0 (a lexical sort would pick v1.9.0); v10.0.0 is another major.
      const tags: Array<[string, number]> = [
        ['v1.0.0', 0],
        ['v1', 0],
        ['v1.9.0', 1],
        ['v1.10.0', 2],
        ['v10.0.0', 2],
      ];
      for (const [name, index] of tags) git(work, 'tag', '--annotate', '-m', name, name, commits[index] ?? '');
      git(work, 'push', '--quiet', origin, 'main', '--tags');
    });

    /** A checkout of the release tag, as actions/checkout makes it. */
    function checkoutAt(tag: string): string {
      const dir = mkdtempSync(join(scratch, 'checkout-'));
      git(scratch, 'clone', '--quiet', origin, dir);
      git(dir, 'checkout', '--quiet', '--detach', `refs/tags/${tag}`);
      return dir;
    }

    it('moves v1 to the newest release of v1 (v1.10.0 after v1.9.0)', () => {
      expect(remoteTag('v1')).toBe(commits[0]);
      const result = runStep(
        moveStep.run ?? '',
        { TAG: 'v1.10.0', MAJOR: 'v1', COMMIT: commits[2] ?? '' },
        checkoutAt('v1.10.0'),
      );
      expect(result.log).toContain(`v1 now points to v1.10.0 (${commits[2]})`);
      expect(result.status).toBe(0);
      expect(remoteTag('v1')).toBe(commits[2]);
      expect(remoteTag('v10.0.0')).toBe(commits[2]);
      expect(readFileSync(join(scratch, 'summary'), 'utf8')).toContain('v1 now points to v1.10.0');
    });

    it('leaves v1 where it is for a release older than the newest v1', () => {
      const result = runStep(
        moveStep.run ?? '',
        { TAG: 'v1.9.0', MAJOR: 'v1', COMMIT: commits[1] ?? '' },
        checkoutAt('v1.9.0'),
      );
      expect(result.status).toBe(1);
      expect(result.log).toContain('::error::v1.9.0 is older than v1.10.0, so v1 stays where it is');
      expect(remoteTag('v1')).toBe(commits[2]);
    });
  });
});

describe('Dependabot', () => {
  interface Update {
    'package-ecosystem': string;
    directory: string;
    groups?: Record<string, { patterns?: string[]; 'dependency-type'?: string }>;
    ignore?: Array<{ 'dependency-name': string; 'update-types'?: string[] }>;
  }
  const config = parse(read('.github/dependabot.yml')) as { version: number; updates: Update[] };
  const npm = config.updates.find((update) => update['package-ecosystem'] === 'npm');
  const manifest = JSON.parse(read('package.json')) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  const matches = (pattern: string, name: string) =>
    new RegExp(
      `^${pattern
        .split('*')
        .map((part) => part.replace(/[.+?^${}()|[\]\\/@-]/g, '\\$&'))
        .join('.*')}$`,
    ).test(name);
  /** The group Dependabot puts a dependency in: the first whose rules match it. */
  const groupOf = (name: string, development: boolean) =>
    Object.entries(npm?.groups ?? {}).find(
      ([, group]) =>
        (group.patterns === undefined || group.patterns.some((pattern) => matches(pattern, name))) &&
        (group['dependency-type'] === undefined ||
          group['dependency-type'] === (development ? 'development' : 'production')),
    )?.[0];

  it('updates npm packages and GitHub Actions, from the root', () => {
    expect(config.version).toBe(2);
    expect(config.updates.map((update) => [update['package-ecosystem'], update.directory])).toEqual([
      ['npm', '/'],
      ['github-actions', '/'],
    ]);
  });

  it('groups each family of packages, the development tools together', () => {
    const families: Array<[RegExp, string]> = [
      [/^@(aws-sdk|smithy)\//, 'aws-sdk'],
      [/^@octokit\//, 'octokit'],
      [/^@actions\//, 'actions-toolkit'],
      [/^(agent-base|https?-proxy-agent)$/, 'proxy-agents'],
    ];
    const all = [
      ...Object.keys(manifest.dependencies).map((name) => [name, false] as const),
      ...Object.keys(manifest.devDependencies).map((name) => [name, true] as const),
    ];
    for (const [name, development] of all) {
      const family = families.find(([pattern]) => pattern.test(name))?.[1];
      const expected = family ?? (development ? 'dev-tooling' : undefined);
      expect([name, groupOf(name, development)]).toEqual([name, expected]);
    }
    // No group is left matching nothing.
    for (const group of Object.keys(npm?.groups ?? {}))
      expect(all.some(([name, development]) => groupOf(name, development) === group)).toBe(true);
  });

  it('never proposes a node major: the runtime follows runs.using', () => {
    expect(npm?.ignore).toEqual(
      expect.arrayContaining([{ 'dependency-name': 'node', 'update-types': ['version-update:semver-major'] }]),
    );
  });
});
