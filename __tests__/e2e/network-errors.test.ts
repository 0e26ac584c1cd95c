/**
 * Network failures named as such, never blamed on the service: a refused connection to GitHub, ECR or
 * STS, and plain HTTP where https:// was given.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { Fakes } from '../fakes/index.ts';
import { refusedPort } from '../fakes/refused-port.ts';
import { count, REPO, run, setUp } from './helpers.ts';

let fakes: Fakes & { roleArn: string };
beforeEach(async () => (fakes = await setUp()));
afterEach(async () => fakes.stop());

const oidc = () => ({ 'role-to-assume': fakes.roleArn });

describe('network failures are named as such, not blamed on the service', () => {
  it('github-api-url refuses connections: "could not reach 127.0.0.1:<port>: connection refused"', async () => {
    const port = await refusedPort();
    const result = await run(fakes, { ...oidc(), 'github-api-url': `http://127.0.0.1:${port}` });

    expect(result.exitCode).toBe(1);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toContain(`could not reach 127.0.0.1:${port}: connection refused`);
    expect(result.errors[0]).toContain('github-api-url');
    expect(result.errors[0]).not.toMatch(/GitHub answered|ECONNREFUSED/);
    expect(result.summary).toMatch(
      /\| octo\/app \| `ECR_PASSWORD` \| failed \| .*could not reach 127\.0\.0\.1:\d+: connection refused/,
    );
    expect(result.outputs['secrets-written']).toBe('[]');
  }, 60_000);

  it('AWS_ENDPOINT_URL_ECR refuses connections: named with the endpoint, nothing written', async () => {
    const port = await refusedPort();
    const result = await run(fakes, oidc(), { AWS_ENDPOINT_URL_ECR: `http://127.0.0.1:${port}` });

    expect(result.exitCode).toBe(1);
    expect(result.errors[0]).toContain(`could not reach 127.0.0.1:${port}: connection refused`);
    expect(result.errors[0]).toContain('ecr:GetAuthorizationToken');
    expect(result.errors[0]).toContain('AWS_ENDPOINT_URL_ECR');
    expect(result.errors[0]).not.toMatch(/AWS said|ECONNREFUSED/);
    // The credentials came through: only ECR was out of reach.
    expect(count(fakes, 'sts')).toBe(1);
    expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD')).toBeUndefined();
    expect(JSON.parse(result.outputs['secrets-failed'] ?? '[]')).toHaveLength(1);
  });

  it('AWS_ENDPOINT_URL_STS refuses connections: the OIDC role cannot be assumed, and the message says why', async () => {
    const port = await refusedPort();
    const result = await run(fakes, oidc(), { AWS_ENDPOINT_URL_STS: `http://127.0.0.1:${port}` });

    expect(result.exitCode).toBe(1);
    expect(result.errors[0]).toContain(`could not reach 127.0.0.1:${port}: connection refused`);
    expect(result.errors[0]).toContain('sts:AssumeRoleWithWebIdentity');
    expect(result.errors[0]).not.toMatch(/trust policy|AWS said/);
    expect(count(fakes, 'ecr')).toBe(0);
  });

  it('github-api-url speaks plain HTTP where https:// was given: a TLS failure, named as such', async () => {
    const url = new URL(fakes.github.server.url);
    const result = await run(fakes, { ...oidc(), 'github-api-url': `https://${url.host}` });

    expect(result.exitCode).toBe(1);
    expect(result.errors[0]).toContain(`could not reach ${url.host}: TLS handshake failed`);
    expect(result.errors[0]).not.toContain('GitHub answered');
  }, 60_000);
});
