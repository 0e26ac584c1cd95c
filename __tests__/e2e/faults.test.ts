/**
 * Faults of every service survived or reported, nothing lost: GitHub's 5xx, resets and rate limits, AWS
 * faults, and the OIDC token endpoint's (a stalled token endpoint among them).
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { ecrError, stsError } from '../fakes/aws.ts';
import { secondaryRateLimit } from '../fakes/github.ts';
import type { Fakes } from '../fakes/index.ts';
import { json } from '../fakes/server.ts';
import { count, githubCalls, REPO, run, setUp } from './helpers.ts';

let fakes: Fakes & { roleArn: string };
beforeEach(async () => (fakes = await setUp()));
afterEach(async () => fakes.stop());

const oidc = () => ({ 'role-to-assume': fakes.roleArn });
const isPut = ({ method }: { method: string }) => method === 'PUT';
const isPublicKey = ({ method, url }: { method: string; url: string }) =>
  method === 'GET' && url.endsWith('/public-key');
const expectWrittenCorrectly = () =>
  expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD')?.plaintext).toBe(fakes.aws.lastLogin?.password);

describe('GitHub faults are survived, and nothing is lost', () => {
  it('a burst of 502 and 503 on the public key', async () => {
    fakes.github.server.inject({ match: isPublicKey, reply: { status: 502, body: 'Bad Gateway' } });
    fakes.github.server.inject({ match: isPublicKey, reply: json(503, { message: 'Service Unavailable' }) });
    const result = await run(fakes, oidc());

    expect(result.exitCode).toBe(0);
    expect(githubCalls(fakes).filter((call) => call.endsWith('public-key'))).toHaveLength(3);
    expectWrittenCorrectly();
  });

  it('5xx that outlasts the retries: a clear failure, and no success reported', async () => {
    fakes.github.server.inject({ match: isPut, times: 10, reply: { status: 502, body: 'Bad Gateway' } });
    const result = await run(fakes, oidc());

    expect(result.exitCode).toBe(1);
    expect(result.errors[0]).toMatch(
      /write secret ECR_PASSWORD to octo\/app: GitHub answered 502.*retries did not help/,
    );
    expect(githubCalls(fakes).filter((call) => call.startsWith('PUT'))).toHaveLength(4);
    expect(result.outputs['secrets-written']).toBe('[]');
    expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD')).toBeUndefined();
  }, 40_000);

  it('a connection reset in the middle of the PUT', async () => {
    fakes.github.server.inject({ match: isPut, reset: true });
    const result = await run(fakes, oidc());

    expect(result.exitCode).toBe(0);
    expect(fakes.github.server.requests.filter(isPut).map((r) => r.status)).toEqual([0, 201]);
    expectWrittenCorrectly();
  });

  it('an answer slower than the 10 s request timeout is dropped and asked again', async () => {
    fakes.github.server.inject({ match: isPublicKey, delayMs: 12_000 });
    const result = await run(fakes, oidc());

    expect(result.exitCode).toBe(0);
    expect(githubCalls(fakes).filter((call) => call.endsWith('public-key'))).toHaveLength(2);
    expectWrittenCorrectly();
  }, 40_000);

  it('429 with retry-after: waited out by the throttling plugin alone, one retry', async () => {
    // GitHub sends 429 only for rate limits, with a message saying so (docs, "Rate limits for the REST API").
    fakes.github.server.inject({
      match: isPut,
      reply: secondaryRateLimit(429),
    });
    const result = await run(fakes, oidc());

    expect(result.exitCode).toBe(0);
    expect(fakes.github.server.requests.filter(isPut).map((r) => r.status)).toEqual([429, 201]);
    expectWrittenCorrectly();
  });

  it('secondary rate limit (403 with retry-after): waited out, with a warning', async () => {
    fakes.github.server.inject({
      match: isPut,
      reply: secondaryRateLimit(403),
    });
    const result = await run(fakes, oidc());

    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/::warning::GitHub's secondary rate limit slowed PUT .*retrying in 1s/);
    expect(fakes.github.server.requests.filter(isPut).map((r) => r.status)).toEqual([403, 201]);
    expectWrittenCorrectly();
  });

  it('primary rate limit used up, resetting in a second: waited out', async () => {
    const reset = String(Math.ceil(Date.now() / 1000) + 1);
    fakes.github.server.inject({
      match: isPublicKey,
      reply: json(
        403,
        { message: 'API rate limit exceeded for user ID 1.' },
        { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset },
      ),
    });
    const result = await run(fakes, oidc());

    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("::warning::GitHub's rate limit for github-token is used up");
    expectWrittenCorrectly();
  });
});

describe('AWS faults', () => {
  it('ECR throttling is retried by the SDK', async () => {
    fakes.aws.ecr.inject({ match: () => true, times: 2, reply: ecrError(400, 'ThrottlingException', 'Rate exceeded') });
    const result = await run(fakes, oidc());

    expect(result.exitCode).toBe(0);
    expect(count(fakes, 'ecr')).toBe(3);
    expectWrittenCorrectly();
  });

  it('an answer ECR should never give: a clear failure, no secret written, nothing leaked', async () => {
    fakes.aws.ecr.inject({
      match: () => true,
      reply: {
        status: 200,
        headers: { 'content-type': 'application/x-amz-json-1.1' },
        body: '{"authorizationData":[]}',
      },
    });
    const result = await run(fakes, oidc());

    expect(result.exitCode).toBe(1);
    expect(result.errors).toEqual([
      'ECR password not written: 1 of 1 secrets could not be written (0 written):\n- octo/app ECR_PASSWORD: ECR answered GetAuthorizationToken without a token; try again.',
    ]);
    // GitHub is read first (issue 8, item 7); nothing is written.
    expect(fakes.github.writes()).toHaveLength(0);
  });

  it('ECR 500 then success', async () => {
    fakes.aws.ecr.inject({ match: () => true, reply: ecrError(500, 'ServerException', 'internal error') });
    const result = await run(fakes, oidc());

    expect(result.exitCode).toBe(0);
    expect(count(fakes, 'ecr')).toBe(2);
    expectWrittenCorrectly();
  });

  it("STS IDPCommunicationError (a passing failure to reach GitHub's keys) is retried", async () => {
    fakes.aws.sts.inject({
      match: () => true,
      reply: stsError(400, 'IDPCommunicationError', "Couldn't retrieve verification key from your identity provider"),
    });
    const result = await run(fakes, oidc());

    expect(result.exitCode).toBe(0);
    expect(count(fakes, 'sts')).toBe(2);
    expectWrittenCorrectly();
  });

  it('a connection reset on STS is retried', async () => {
    fakes.aws.sts.inject({ match: () => true, reset: true });
    const result = await run(fakes, oidc());

    expect(result.exitCode).toBe(0);
    expect(count(fakes, 'sts')).toBe(2);
    expectWrittenCorrectly();
  });

  it('an OIDC token for the wrong audience: a clear error, one STS call, no retry storm', async () => {
    const result = await run(fakes, { ...oidc(), audience: 'api://wrong' });

    expect(result.exitCode).toBe(1);
    expect(result.errors[0]).toMatch(/AWS refused the GitHub OIDC token.*InvalidIdentityToken.*"api:\/\/wrong"/);
    expect(count(fakes, 'sts')).toBe(1);
    // GitHub is read first (issue 8, item 7); nothing is written.
    expect(fakes.github.writes()).toHaveLength(0);
  });

  it('an expired OIDC token: a clear error, one STS call', async () => {
    fakes.oidc.lifetimeSeconds = -60;
    const result = await run(fakes, oidc());

    expect(result.exitCode).toBe(1);
    expect(result.errors[0]).toMatch(/OIDC token expired.*Re-run the job/);
    expect(count(fakes, 'sts')).toBe(1);
    // GitHub is read first (issue 8, item 7); nothing is written.
    expect(fakes.github.writes()).toHaveLength(0);
  });
});

describe('OIDC token endpoint faults', () => {
  const tokenRequests = () => fakes.oidc.server.requests;
  // GitHub is read before AWS (issue 8, item 7): reads are allowed, writes are not.
  const nothingAfterOidc = () =>
    expect([count(fakes, 'sts'), count(fakes, 'ecr'), fakes.github.writes().length]).toEqual([0, 0, 0]);

  it('a token endpoint that never answers: a clear error after 4 attempts of 10 s, and no STS, ECR or GitHub write', async () => {
    fakes.oidc.stalls = 100;
    const result = await run(fakes, oidc());

    expect(result.exitCode).toBe(1);
    expect(result.errors).toEqual([
      expect.stringMatching(
        /\n- octo\/app ECR_PASSWORD: Could not get a GitHub OIDC token for audience "sts\.amazonaws\.com": could not reach 127\.0\.0\.1:\d+: timed out after 10 s \(4 attempts\)\./,
      ),
    ]);
    expect(tokenRequests()).toHaveLength(4);
    nothingAfterOidc();
  }, 80_000);

  it('an answer slower than the 10 s timeout is dropped and asked again', async () => {
    fakes.oidc.stalls = 1;
    const result = await run(fakes, oidc());

    expect(result.exitCode).toBe(0);
    expect(tokenRequests().map((r) => r.status)).toEqual([0, 200]);
    expectWrittenCorrectly();
  });

  it('a passing 503 then 502 is retried, and the secret written', async () => {
    fakes.oidc.server.inject({ match: () => true, reply: json(503, { message: 'Service Unavailable' }) });
    fakes.oidc.server.inject({ match: () => true, reply: { status: 502, body: 'Bad Gateway' } });
    const result = await run(fakes, oidc());

    expect(result.exitCode).toBe(0);
    expect(tokenRequests().map((r) => r.status)).toEqual([503, 502, 200]);
    expectWrittenCorrectly();
  });

  it('a refused request token (401) is not retried, and says what to check', async () => {
    const result = await run(fakes, oidc(), { ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'runtime-stale' });

    expect(result.exitCode).toBe(1);
    expect(result.errors[0]).toMatch(
      /Could not get a GitHub OIDC token .*refused this job's request \(401\).*id-token: write/,
    );
    expect(tokenRequests()).toHaveLength(1);
    nothingAfterOidc();
  });
});
