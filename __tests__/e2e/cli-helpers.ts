import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from '@jest/globals';
import type { Fakes } from '../fakes/index.ts';
import { makeIdToken } from '../fakes/oidc.ts';
import { runCommand, type CommandRun } from '../fakes/run-command.ts';
import { issuedSecrets, setUp } from './helpers.ts';

/**
 * What the command's end-to-end files (`cli-*.test.ts`) share: the fakes with GitLab and a role that
 * trusts GitLab's tokens, the command's environment, a run of the bundled command that checks nothing
 * leaked, and readers of what it left (the dotenv file, the requests STS received).
 *
 * The command (`dist/cli/index.js`, package.json's `bin`) runs as a user runs it, on node 24 in a
 * fresh folder with an environment built from scratch (`fakes/run-command.ts`), against the same fakes
 * as the action; every run's stdout and stderr are scanned for every secret the fakes issued or the
 * command was given (`issuedSecrets` in `helpers.ts`).
 */

/** What GitLab puts in an `id_tokens` token (docs "OpenID Connect (OIDC) Authentication Using ID Tokens": iss, aud, sub project_path:...). */
export const GITLAB_ISSUER = 'https://gitlab.com';
export const GITLAB_SUBJECT = 'project_path:group/app:ref_type:branch:ref:main';

/** `setUp`'s fakes, with the fake GitLab, and `gitlabRoleArn`: a role whose trust takes GitLab's tokens for group/app. */
export type CommandFakes = Fakes & { roleArn: string; gitlabRoleArn: string };

export async function setUpCommand(): Promise<CommandFakes> {
  const fakes = await setUp({ gitlab: true });
  const gitlabRoleArn = fakes.aws.addRole('gitlab-ecr-pull', { audience: GITLAB_ISSUER, subject: GITLAB_SUBJECT });
  return { ...fakes, gitlabRoleArn };
}

/** A GitLab-like web identity token (issuer https://gitlab.com, subject group/app on main), claims overridable. */
export function gitlabToken(claims: Record<string, unknown> = {}): string {
  return makeIdToken({ iss: GITLAB_ISSUER, aud: GITLAB_ISSUER, sub: GITLAB_SUBJECT, ...claims });
}

/** The variables of a dotenv file the command wrote, in the file's order. */
export function dotenvValues(run: CommandRun, file = 'auth.env'): Map<string, string> {
  const text = readFileSync(join(run.dir, file), 'utf8');
  return new Map(
    text
      .split('\n')
      .filter(Boolean)
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

/**
 * The helpers that need the fakes of the test running now: a file keeps its fakes in a variable its
 * `beforeEach` sets, and passes a reader of it (`commandHelpers(() => fakes)`).
 */
export function commandHelpers(current: () => Fakes) {
  /** The command's environment: the AWS endpoints of the fakes, never the runner's OIDC settings. */
  function commandEnv(extra: Record<string, string> = {}): Record<string, string> {
    const fakes = current();
    return {
      AWS_ENDPOINT_URL_STS: fakes.env['AWS_ENDPOINT_URL_STS'] ?? '',
      AWS_ENDPOINT_URL_ECR: fakes.env['AWS_ENDPOINT_URL_ECR'] ?? '',
      ...extra,
    };
  }

  /** Runs the command and checks that no secret the fakes issued or the command was given shows on stdout or stderr. */
  async function command(
    args: string[],
    env: Record<string, string>,
    given: string[] = [],
    dir?: string,
  ): Promise<CommandRun> {
    const run = await runCommand(args, env, dir);
    const visible = `${run.stdout}\n${run.stderr}`;
    for (const secret of issuedSecrets(
      current(),
      given.filter((value) => value.length >= 8),
    ))
      expect(visible.includes(secret) ? `leaked: ${secret.slice(0, 6)}...` : 'not leaked').toBe('not leaked');
    return run;
  }

  /** The parameters of each request of one `Action` the fake STS received, in order. */
  function stsRequests(action: string): URLSearchParams[] {
    return current()
      .aws.sts.requests.map(({ body }) => new URLSearchParams(body))
      .filter((params) => params.get('Action') === action);
  }

  return { commandEnv, command, stsRequests };
}
