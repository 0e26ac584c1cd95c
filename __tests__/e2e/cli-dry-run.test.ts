import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { Fakes } from '../fakes/index.ts';
import { runCommand } from '../fakes/run-command.ts';
import { issuedSecrets, REPO, setUp, TOKEN } from './helpers.ts';

/**
 * The command's dry run (`--dry-run`) reports its plan as the action's summary does: a headline that
 * says what would be written, each planned secret with the settings its write would send, in text and
 * in JSON; never a real run's outcome ("still fresh", "No secret was older than max-age").
 */

const HOUR = 3_600_000;
let fakes: Fakes & { roleArn: string };
beforeEach(async () => (fakes = await setUp()));
afterEach(async () => fakes.stop());

/** The command against the fake GitHub, the token in GH_TOKEN; no AWS setting at all (a dry run needs none). */
async function dryRun(args: string[]) {
  const run = await runCommand(
    ['--aws-region', 'eu-west-1', '--github-api-url', fakes.github.server.url, '--dry-run', ...args],
    { GH_TOKEN: TOKEN },
  );
  const visible = `${run.stdout}\n${run.stderr}`;
  for (const secret of issuedSecrets(fakes))
    expect(visible.includes(secret) ? `leaked: ${secret.slice(0, 6)}...` : 'not leaked').toBe('not leaked');
  expect(fakes.allRequests().filter(({ service }) => service !== 'github')).toEqual([]);
  expect(fakes.github.writes()).toEqual([]);
  return run;
}

/** An organisation whose secret is stored private, planned with visibility all: a write that widens it. */
function organisationWorld(): void {
  const store = fakes.github.addOrganization('octo-org');
  fakes.github.seed(store, 'ECR_PASSWORD', 'old', new Date(Date.now() - 8 * HOUR), { visibility: 'private' });
}

describe("the command's dry run reports what would be written, with the settings", () => {
  it('text: the plan\'s headline, each secret "would be written" with its visibility, what was not checked', async () => {
    organisationWorld();
    const run = await dryRun(['--organization', 'octo-org', '--visibility', 'all']);

    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/^Dry run: 1 secret would be written\n/);
    expect(run.stdout).toContain('Nothing was written, and AWS was not asked for anything');
    expect(run.stdout).toMatch(
      /^organization octo-org {2}ECR_PASSWORD {2}would be written {2}visibility: all; visibility: all widens secret ECR_PASSWORD of organization octo-org/m,
    );
    expect(run.stdout).toMatch(/^target +secret +plan +notes$/m);
    expect(run.stdout).toContain('\nNot checked without writing, needed by a real run:\n');
    expect(run.stdout).toContain("- Writing the secrets: the organization permission 'Secrets: Read and write'");
    expect(run.stdout).toContain('- ecr:GetAuthorizationToken in eu-west-1 for that identity.');
    expect(run.stdout).not.toMatch(/still fresh|max-age|ECR password/);
    expect(fakes.github.organizationSecret('octo-org', 'ECR_PASSWORD')?.visibility).toBe('private');
  });

  it('JSON: the outcome a real run would have, and each planned secret with its settings', async () => {
    organisationWorld();
    const run = await dryRun(['--organization', 'octo-org', '--visibility', 'all', '--output', 'json']);

    expect(run.exitCode).toBe(0);
    const report = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(report).toEqual({
      dryRun: true,
      outcome: 'would be refreshed',
      results: [
        {
          target: 'organization octo-org',
          secret: 'ECR_PASSWORD',
          status: 'planned',
          settings: { visibility: 'all' },
          detail: expect.stringContaining('visibility: all widens secret ECR_PASSWORD of organization octo-org'),
        },
      ],
      unchecked: [
        expect.stringContaining("organization permission 'Secrets: Read and write'"),
        expect.stringContaining('default credentials'),
        'ecr:GetAuthorizationToken in eu-west-1 for that identity.',
      ],
    });
  });

  it('with --max-age: the fresh secret skipped, the stale one would be written; both reports say so', async () => {
    fakes.github.addRepository('octo/api');
    fakes.github.seed(fakes.github.repositoryStore(REPO)!, 'ECR_PASSWORD', 'fresh', new Date(Date.now() - HOUR));
    fakes.github.seed(
      fakes.github.repositoryStore('octo/api')!,
      'ECR_PASSWORD',
      'old',
      new Date(Date.now() - 8 * HOUR),
    );
    const args = ['--repositories', `${REPO},octo/api`, '--max-age', '5h'];
    const text = await dryRun(args);
    const json = await dryRun([...args, '--output', 'json']);

    expect([text.exitCode, json.exitCode]).toEqual([0, 0]);
    expect(text.stdout).toMatch(/^Dry run: 1 secret would be written \(1 skipped\)\n/);
    expect(text.stdout).toMatch(/^octo\/api {2}ECR_PASSWORD {2}would be written {2}read by /m);
    expect(text.stdout).toMatch(/^octo\/app {2}ECR_PASSWORD {2}skipped +updated .*, younger than max-age$/m);
    const report = JSON.parse(json.stdout) as { outcome: string; results: unknown[] };
    expect(report.outcome).toBe('would be refreshed');
    expect(report.results).toEqual([
      {
        target: REPO,
        secret: 'ECR_PASSWORD',
        status: 'skipped',
        detail: expect.stringMatching(/younger than max-age$/),
      },
      { target: 'octo/api', secret: 'ECR_PASSWORD', status: 'planned', settings: {} },
    ]);
  });

  it('every secret fresh: still fresh in JSON (nothing would be written), and the text says 0 would be', async () => {
    fakes.github.seed(fakes.github.repositoryStore(REPO)!, 'ECR_PASSWORD', 'fresh', new Date(Date.now() - HOUR));
    const args = ['--repositories', REPO, '--max-age', '5h'];
    const text = await dryRun(args);
    const json = await dryRun([...args, '--output', 'json']);

    expect(text.stdout).toMatch(/^Dry run: 0 secrets would be written \(1 skipped\)\n/);
    expect((JSON.parse(json.stdout) as { outcome: string }).outcome).toBe('still fresh');
  });

  it('a target that cannot be read: exit 1, and the JSON outcome says nothing would be written', async () => {
    const run = await dryRun(['--repositories', 'octo/gone', '--output', 'json']);

    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain('error: Dry run: 1 of 1 secrets could not be planned (0 would be written)');
    const report = JSON.parse(run.stdout) as { outcome: string; results: { status: string }[] };
    expect(report.outcome).toBe('would not be written');
    expect(report.results.map(({ status }) => status)).toEqual(['failed']);
  });
});
