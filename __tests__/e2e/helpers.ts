import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from '@jest/globals';
import { startFakes, type Fakes, type FakesOptions } from '../fakes/index.ts';
import { ACTION_ENTRY, runAction, undeclaredOutputs, type ActionRun, type WithInputs } from '../fakes/run-action.ts';
import { contractViolations } from '../contract/openapi.ts';
import { graphqlViolations } from '../contract/graphql.ts';

export const TOKEN = 'github_pat_11WRITER';
export const REPO = 'octo/app';

/** The fakes with what most scenarios need: a token that may write, octo/app with environment ecr, an OIDC role. */
export async function setUp(options: FakesOptions = {}): Promise<Fakes & { roleArn: string }> {
  const fakes = await startFakes(options);
  fakes.github.addToken(TOKEN);
  fakes.github.addRepository(REPO, ['ecr']);
  const roleArn = fakes.aws.addRole('ecr-pull', { audience: 'sts.amazonaws.com', subject: fakes.oidc.subject });
  return { ...fakes, roleArn };
}

/**
 * Runs dist/index.js against the fakes, with debug logging on, and checks that nothing leaked,
 * that every output it set is declared in action.yml, and that every GitHub request it made is one
 * GitHub's REST description (or, for GraphQL, its schema) allows. `aws-region`, `github-token` and `github-api-url` are set
 * unless `inputs` says otherwise; give one as `undefined` to leave it out of `with:` entirely, so
 * that action.yml's default (or the action's fallback) serves.
 */
export async function run(fakes: Fakes, inputs: WithInputs, env: Record<string, string> = {}): Promise<ActionRun> {
  const seen = fakes.github.server.requests.length;
  const withInputs = {
    'aws-region': 'eu-west-1',
    'github-token': TOKEN,
    'github-api-url': fakes.github.server.url,
    ...inputs,
  };
  const runEnv: Record<string, string> = { ...fakes.env, RUNNER_DEBUG: '1', ACTIONS_STEP_DEBUG: 'true', ...env };
  const result = await runAction(withInputs, runEnv);
  // The token given, sent or not, and the runner's token for the OIDC endpoint are secrets too.
  const given = [withInputs['github-token'], runEnv['ACTIONS_ID_TOKEN_REQUEST_TOKEN']].filter(
    (value): value is string => typeof value === 'string' && value.length >= 8,
  );
  expectNothingLeaked(result, fakes, given);
  expect(undeclaredOutputs(result)).toEqual([]);
  // GraphQL is outside the REST description: its queries are checked against GitHub's GraphQL schema.
  const requests = fakes.github.server.requests.slice(seen);
  const isGraphql = (request: { url: string }) => /\/graphql$/.test(request.url.split('?')[0] ?? '');
  const rest = requests
    .filter((request) => !isGraphql(request))
    .map((request) => ({ ...request, url: request.url.replace(/^\/api\/v3(?=\/)/, '') }));
  expect(rest.flatMap(contractViolations)).toEqual([]);
  expect(requests.filter(isGraphql).flatMap(graphqlViolations)).toEqual([]);
  return result;
}

/**
 * Every secret value the fakes handed out (ECR password and token, temporary AWS credentials,
 * OIDC tokens, the docker config built from them) and every GitHub token the action was given or
 * sent appears in the output only inside `::add-mask::` commands, which the runner consumes.
 */
export function expectNothingLeaked(result: ActionRun, fakes: Fakes, alsoSecret: readonly string[] = []): void {
  const visible = [
    result.stdout.replace(/^::add-mask::.*$/gm, ''),
    result.stderr,
    result.summary,
    JSON.stringify(result.outputs),
  ].join('\n');
  // Nothing but the runner's own output and summary files is written: no docker config, no temp file.
  expect(result.files).toEqual(['output', 'summary']);
  const secrets = issuedSecrets(fakes, alsoSecret);
  for (const secret of secrets) {
    expect(visible.includes(secret) ? `leaked: ${secret.slice(0, 6)}...` : 'not leaked').toBe('not leaked');
  }
}

/**
 * Every secret value the fakes handed out or were sent: ECR passwords and tokens, temporary and
 * static AWS keys, OIDC tokens, the docker configs built from the logins, GitHub tokens, and `alsoSecret`.
 */
export function issuedSecrets(fakes: Fakes, alsoSecret: readonly string[] = []): string[] {
  return [
    ...fakes.aws.secretValues(),
    ...fakes.oidc.issued,
    ...fakes.aws.logins.map((login) => Buffer.from(`AWS:${login.password}`).toString('base64')),
    ...fakes.aws.logins.map((login) => login.password.slice(0, 40)),
    // The docker-config secret's value, as the action builds it, and as it reads inside a JSON string.
    ...fakes.aws.logins.flatMap((login) => {
      const dockerConfig = JSON.stringify({ auths: { [login.registry]: { auth: login.authorizationToken } } });
      return [dockerConfig, JSON.stringify(dockerConfig).slice(1, -1)];
    }),
    // GitHub tokens: those the fake knows, and any the action sent it (a revoked one included).
    ...fakes.github.tokens.keys(),
    ...fakes.github.server.requests.flatMap(
      ({ headers }) => /^(?:token|bearer) (.+)$/i.exec(String(headers.authorization ?? ''))?.[1] ?? [],
    ),
    fakes.oidc.requestToken,
    ...alsoSecret,
  ];
}

/** Values the action asked the runner to mask. */
export function masked(result: ActionRun): string[] {
  return [...result.stdout.matchAll(/^::add-mask::(.*)$/gm)].map((m) => m[1] ?? '');
}

/** GitHub requests as `METHOD /path` without the query. */
export function githubCalls(fakes: Fakes): string[] {
  return fakes.github.server.requests.map((r) => `${r.method} ${r.url.split('?')[0]}`);
}

export function count(fakes: Fakes, service: string): number {
  return fakes.allRequests().filter((r) => r.service === service).length;
}

/** The bundle's chunks that hold the AWS SDK or libsodium, found by what they contain. */
export function heavyChunks(): string[] {
  const dist = join(ACTION_ENTRY, '..');
  return readdirSync(dist)
    .filter((name) => /^\d+\.index\.js$/.test(name))
    .filter((name) => /@smithy|crypto_box_seal/.test(readFileSync(join(dist, name), 'utf8')));
}

/** The chunk files node loaded, from its own `NODE_DEBUG=esm` trace on stderr. */
export function loadedChunks(stderr: string): string[] {
  return [...new Set([...stderr.matchAll(/Translating \w+ file:\/\/\S*\/(\d+\.index\.js)/g)].map((m) => m[1] ?? ''))];
}
