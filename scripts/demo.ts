/**
 * `npm run demo`: the bundled action (dist/index.js) run as the runner runs it, in three scenarios,
 * against local fakes of the OIDC token service, STS, ECR and GitHub on 127.0.0.1 (no AWS account,
 * no network). For each: what the user sees (the step log as the runner shows it, the outputs, the
 * job summary) and the proof: what GitHub stored, opened with the fake's private key, is what ECR issued.
 * Exits non-zero when any proof fails. Build first (`npm run build`).
 */
import { createHash } from 'node:crypto';
import { startFakes, type Fakes } from '../__tests__/fakes/index.ts';
import { runAction, type WithInputs } from '../__tests__/fakes/run-action.ts';
import { renderStepLog, renderSummary } from './runner-view.ts';

const TOKEN = 'github_pat_demo';

interface Proof {
  claim: string;
  holds: boolean;
}

interface Scenario {
  title: string;
  /** The workflow around the step, in a few words. */
  workflow: string;
  /** The runner's variables that differ from a manual run's (run-action.ts), such as the triggering event. */
  env?: Record<string, string>;
  /** Adds what the scenario needs to the fakes; returns the step's `with:` block and the checks to make after the run. */
  setUp: (fakes: Fakes, roleArn: string) => { inputs: WithInputs; prove: (issuedPassword: string) => Proof[] };
}

const SCENARIOS: Scenario[] = [
  {
    title: 'OIDC, repository secret',
    workflow:
      'on: schedule (every 6 hours); permissions: id-token: write; the password goes to this repository (octo/app).',
    env: { GITHUB_EVENT_NAME: 'schedule' },
    setUp: (fakes, roleArn) => {
      fakes.github.addRepository('octo/app');
      return {
        inputs: { 'role-to-assume': roleArn, 'aws-region': 'eu-west-1', 'github-token': TOKEN },
        prove: (password) => [
          storedEquals(
            'octo/app ECR_PASSWORD',
            fakes.github.repositorySecret('octo/app', 'ECR_PASSWORD')?.plaintext,
            password,
          ),
        ],
      };
    },
  },
  {
    title: 'Organisation secret, selected repositories',
    workflow: 'one job for the organisation octo; only octo/api and octo/web may read the secret.',
    setUp: (fakes, roleArn) => {
      fakes.github.addOrganization('octo');
      const ids = ['octo/api', 'octo/web'].map((name) => fakes.github.addRepository(name).id);
      fakes.github.addRepository('octo/other');
      return {
        inputs: {
          'role-to-assume': roleArn,
          'aws-region': 'eu-west-1',
          'github-token': TOKEN,
          organization: 'octo',
          visibility: 'selected',
          'selected-repositories': 'api\nweb',
        },
        prove: (password) => {
          const stored = fakes.github.organizationSecret('octo', 'ECR_PASSWORD');
          return [
            storedEquals('organization octo ECR_PASSWORD', stored?.plaintext, password),
            {
              claim: `visibility is selected, for octo/api and octo/web (ids ${ids.join(', ')}) only`,
              holds: stored?.visibility === 'selected' && sameList(stored.selectedRepositoryIds, ids),
            },
          ];
        },
      };
    },
  },
  {
    title: 'Docker config secret (DOCKER_AUTH_CONFIG)',
    workflow: 'the password, the username and a docker config JSON for container jobs, in octo/app.',
    setUp: (fakes, roleArn) => {
      fakes.github.addRepository('octo/app');
      return {
        inputs: {
          'role-to-assume': roleArn,
          'aws-region': 'eu-west-1',
          'github-token': TOKEN,
          'username-secret-name': 'ECR_USERNAME',
          'docker-config-secret-name': 'DOCKER_AUTH_CONFIG',
        },
        prove: (password) => {
          const stored = (name: string) => fakes.github.repositorySecret('octo/app', name)?.plaintext;
          const registry = fakes.aws.lastLogin?.registry ?? '';
          return [
            storedEquals('octo/app ECR_PASSWORD', stored('ECR_PASSWORD'), password),
            { claim: 'octo/app ECR_USERNAME is AWS', holds: stored('ECR_USERNAME') === 'AWS' },
            {
              claim: `octo/app DOCKER_AUTH_CONFIG logs in to ${registry} as AWS with that password, and to nothing else`,
              holds: dockerConfigLogsIn(stored('DOCKER_AUTH_CONFIG'), registry, password),
            },
          ];
        },
      };
    },
  },
];

let failed = false;
for (const [index, scenario] of SCENARIOS.entries()) {
  failed = !(await runScenario(scenario, index + 1)) || failed;
}
console.log(failed ? '\nSome proof failed: see ✗ above.' : '\nEvery proof holds.');
if (failed) process.exitCode = 1;

async function runScenario(scenario: Scenario, number: number): Promise<boolean> {
  const fakes = await startFakes();
  try {
    fakes.github.addToken(TOKEN);
    const roleArn = fakes.aws.addRole('ecr-pull', { audience: 'sts.amazonaws.com', subject: fakes.oidc.subject });
    const { inputs, prove } = scenario.setUp(fakes, roleArn);
    const run = await runAction(
      { ...inputs, 'github-api-url': fakes.github.server.url },
      { ...fakes.env, ...scenario.env },
    );
    const log = renderStepLog(`${run.stdout}\n${run.stderr}`);

    heading(`${number}. ${scenario.title}`);
    console.log(scenario.workflow);
    section('step log');
    // The runner prints the step's `with:` first; the token comes from a secret there, so it shows as ***.
    console.log('Run ecr-secret-refresh@v1');
    console.log('  with:');
    for (const [name, value] of Object.entries(inputs)) {
      const shown = name === 'github-token' ? '***' : (value ?? '');
      shown.split('\n').forEach((line, i) => console.log(i === 0 ? `    ${name}: ${line}` : `      ${line}`));
    }
    for (const line of log.lines) console.log(line);
    console.log(
      `(${log.hiddenDebugLines} debug lines hidden: shown with step debug logging on; exit code ${run.exitCode})`,
    );
    section('outputs');
    for (const [name, value] of Object.entries(run.outputs)) console.log(`${name} = ${value}`);
    section('job summary');
    for (const line of renderSummary(run.summary)) console.log(line);

    section('proof: what GitHub stored, opened with the private key, against what ECR issued');
    const password = fakes.aws.lastLogin?.password;
    const shownLog = log.lines.join('\n');
    // Every value stored, but the username (`AWS` is no secret, and masking it would hide every "AWS").
    const storedValues = storedSecretValues(fakes).filter((value) => value !== 'AWS');
    const proofs: Proof[] = [
      { claim: 'the step succeeded (exit code 0)', holds: run.exitCode === 0 },
      { claim: 'ECR issued one password', holds: password !== undefined },
      ...(password === undefined ? [] : prove(password)),
      {
        claim:
          'the password and every other secret value were masked before any line could show them: none appears in the step log',
        holds: password !== undefined && ![password, ...storedValues].some((value) => shownLog.includes(value)),
      },
    ];
    for (const { claim, holds } of proofs) console.log(`${holds ? '✓' : '✗'} ${claim}`);
    return proofs.every(({ holds }) => holds);
  } finally {
    await fakes.stop();
  }
}

/** The plaintext of every secret stored anywhere in the fake GitHub. */
function storedSecretValues(fakes: Fakes): string[] {
  const { repositories, organizations } = fakes.github;
  const stores = [...repositories.values()].flatMap(({ store, environments }) => [store, ...environments.values()]);
  return [...stores, ...organizations.values()].flatMap((store) =>
    [...store.secrets.values()].map(({ plaintext }) => plaintext),
  );
}

/** Compares without printing either value: a fingerprint shows that they are the same. */
function storedEquals(what: string, stored: string | undefined, issued: string): Proof {
  const fingerprint = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 12);
  return stored === undefined
    ? { claim: `${what} was stored`, holds: false }
    : {
        claim: `${what} is the password ECR issued (${stored.length} characters, sha256 ${fingerprint(stored)}… = ${fingerprint(issued)}…)`,
        holds: stored === issued,
      };
}

/** `{"auths":{"<registry>":{"auth":"<base64 AWS:password>"}}}` and nothing more. */
function dockerConfigLogsIn(json: string | undefined, registry: string, password: string): boolean {
  try {
    const { auths } = JSON.parse(json ?? '') as { auths?: Record<string, { auth?: string }> };
    const hosts = Object.keys(auths ?? {});
    const auth = auths?.[registry]?.auth ?? '';
    return (
      hosts.length === 1 && hosts[0] === registry && Buffer.from(auth, 'base64').toString('utf8') === `AWS:${password}`
    );
  } catch {
    return false;
  }
}

function sameList(a: readonly number[] | undefined, b: readonly number[]): boolean {
  return a !== undefined && a.length === b.length && a.every((value, i) => value === b[i]);
}

function heading(text: string): void {
  console.log(`\n${'═'.repeat(78)}\n${text}\n${'═'.repeat(78)}`);
}

function section(text: string): void {
  console.log(`\n── ${text} ${'─'.repeat(Math.max(0, 74 - text.length))}`);
}
