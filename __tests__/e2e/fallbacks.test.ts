/**
 * Inputs left out, as most users leave them: the fallbacks serve.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { Fakes } from '../fakes/index.ts';
import { githubCalls, REPO, run, setUp } from './helpers.ts';

let fakes: Fakes & { roleArn: string };
beforeEach(async () => (fakes = await setUp()));
afterEach(async () => fakes.stop());

/** The region in the credential scope of the signed ECR request: `Credential=<key id>/<date>/<region>/ecr/aws4_request`. */
const ecrSigningRegion = () =>
  /Credential=[^/]+\/\d{8}\/([^/]+)\/ecr\//.exec(String(fakes.aws.ecr.requests[0]?.headers['authorization']))?.[1];

describe('inputs left out, as most users leave them: the fallbacks serve', () => {
  it('no aws-region: AWS_REGION serves, ahead of AWS_DEFAULT_REGION', async () => {
    const result = await run(
      fakes,
      { 'role-to-assume': fakes.roleArn, 'aws-region': undefined },
      { AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'us-east-1' },
    );

    expect(result.errors).toEqual([]);
    expect(result.exitCode).toBe(0);
    expect(ecrSigningRegion()).toBe('eu-west-1');
    expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD')?.plaintext).toBe(fakes.aws.lastLogin?.password);
  });

  it('no aws-region and no AWS_REGION: AWS_DEFAULT_REGION serves', async () => {
    const result = await run(
      fakes,
      { 'role-to-assume': fakes.roleArn, 'aws-region': undefined },
      { AWS_DEFAULT_REGION: 'eu-west-1' },
    );

    expect(result.exitCode).toBe(0);
    expect(ecrSigningRegion()).toBe('eu-west-1');
    expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD')?.plaintext).toBe(fakes.aws.lastLogin?.password);
  });

  it("no github-api-url: action.yml's default ${{ github.api_url }} is the runner's GITHUB_API_URL", async () => {
    // GITHUB_API_URL (fakes.env) points at the fake GitHub; the server URL leads nowhere, so a default read from anything else fails.
    const result = await run(
      fakes,
      { 'role-to-assume': fakes.roleArn, 'github-api-url': undefined },
      { GITHUB_SERVER_URL: 'http://127.0.0.1:9' },
    );

    expect(result.errors).toEqual([]);
    expect(result.exitCode).toBe(0);
    expect(githubCalls(fakes)).toEqual([
      'GET /repos/octo/app/actions/secrets/public-key',
      'PUT /repos/octo/app/actions/secrets/ECR_PASSWORD',
    ]);
    expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD')?.plaintext).toBe(fakes.aws.lastLogin?.password);
  });

  it('neither: a step with only role-to-assume and github-token writes the secret', async () => {
    const result = await run(
      fakes,
      { 'role-to-assume': fakes.roleArn, 'aws-region': undefined, 'github-api-url': undefined },
      { AWS_REGION: 'eu-west-1' },
    );

    expect(result.exitCode).toBe(0);
    expect(fakes.github.repositorySecret(REPO, 'ECR_PASSWORD')?.plaintext).toBe(fakes.aws.lastLogin?.password);
  });
});
