import { describe, expect, it } from '@jest/globals';
import { RequestError } from '@octokit/request-error';
import { explainAwsError } from '../../src/aws/errors.ts';
import { describeGitHubError } from '../../src/github/errors.ts';

const context = { doing: 'write secret ECR_PASSWORD to', target: 'octo/app', permission: "'Secrets: Read and write'", notFoundHint: 'Check the name.' };
const requestError = (status: number, message: string) =>
  new RequestError(message, status, {
    request: { method: 'PUT', url: 'https://api.github.com/x', headers: { authorization: 'token SECRET_TOKEN' }, body: '{"encrypted_value":"SEALED"}' },
    response: { status, url: '', headers: {}, data: { message } },
  });

describe('describeGitHubError', () => {
  it('401: the token is wrong', () => expect(describeGitHubError(requestError(401, 'Bad credentials'), context)).toMatch(/github-token was refused.*mistyped, expired or revoked/));
  it('403: the permission, the target, and GITHUB_TOKEN', () => {
    const message = describeGitHubError(requestError(403, 'Resource not accessible by integration'), context);
    expect(message).toContain("'Secrets: Read and write'");
    expect(message).toContain('octo/app');
    expect(message).toContain('GITHUB_TOKEN can never write secrets');
  });
  it('403 for a rate limit is not a permission problem', () => expect(describeGitHubError(requestError(403, 'API rate limit exceeded'), context)).toMatch(/rate limit/));
  it('404: not found or not visible, with the hint', () => expect(describeGitHubError(requestError(404, 'Not Found'), context)).toMatch(/not found, or not visible.*Check the name\./));
  it('never repeats a value the request sent, even when GitHub quotes it back', () => {
    // GitHub's validation messages quote the value they refuse: "For 'properties/x', \"...\" does not match ...".
    const sealed = Buffer.alloc(80, 7).toString('base64');
    const quoting = (status: number) =>
      new RequestError(`Invalid request. For 'properties/encrypted_value', "${sealed}" does not match`, status, {
        request: { method: 'PUT', url: 'https://api.github.com/x', headers: { authorization: 'token [REDACTED]' }, body: { encrypted_value: sealed, key_id: '568250167242549743' } },
        response: { status, url: '', headers: {}, data: { message: `Invalid request.\n\nFor 'properties/encrypted_value', "${sealed}" does not match /^[A-Za-z0-9+/=]+$/.` } },
      });
    for (const status of [400, 422, 500]) {
      const message = describeGitHubError(quoting(status), context);
      expect(message).not.toContain(sealed);
      expect(message).not.toContain(sealed.slice(0, 40));
      expect(message).toContain("For 'properties/encrypted_value'");
    }
  });
  it('403 from SAML single sign-on says to authorise the token, not that GITHUB_TOKEN cannot write', () => {
    const message = describeGitHubError(requestError(403, 'Resource protected by organization SAML enforcement. You must grant your Personal Access token access to this organization.'), context);
    expect(message).toContain('Configure SSO');
    expect(message).not.toContain('GITHUB_TOKEN');
  });
});

describe('explainAwsError', () => {
  const idToken = `e30.${Buffer.from(JSON.stringify({ sub: 'repo:octo/app:environment:prod', aud: 'sts.amazonaws.com' })).toString('base64url')}.sig`;
  it('OIDC AccessDenied names the role, the sub the trust policy must match, and id-token: write', () => {
    const message = explainAwsError({ name: 'AccessDenied', message: 'Not authorized' }, { action: 'sts:AssumeRoleWithWebIdentity', roleArn: 'arn:aws:iam::1:role/r', audience: 'sts.amazonaws.com', idToken }).message;
    expect(message).toContain('arn:aws:iam::1:role/r');
    expect(message).toContain('sub "repo:octo/app:environment:prod"');
    expect(message).toContain('id-token: write');
    expect(message).not.toContain(idToken);
  });
  it('InvalidIdentityToken points at the OIDC provider and audience', () => {
    expect(explainAwsError({ name: 'InvalidIdentityTokenException', message: 'x' }, { action: 'sts:AssumeRoleWithWebIdentity', audience: 'aud-1' }).message).toMatch(/OIDC provider.*"aud-1"/);
  });
  it('AssumeRole AccessDenied says what policy to change', () => {
    expect(explainAwsError({ name: 'AccessDenied', message: 'x' }, { action: 'sts:AssumeRole', roleArn: 'arn:r' }).message).toMatch(/may not assume role arn:r.*trust policy/);
  });
  it('ECR AccessDeniedException names ecr:GetAuthorizationToken', () => {
    expect(explainAwsError({ name: 'AccessDeniedException', message: 'x' }, { action: 'ecr:GetAuthorizationToken' }).message).toMatch(/allows ecr:GetAuthorizationToken/);
  });
  it('bad keys', () => {
    expect(explainAwsError({ name: 'UnrecognizedClientException', message: 'x' }, { action: 'ecr:GetAuthorizationToken' }).message).toMatch(/access keys are current/);
  });
});
