import { describe, expect, it } from '@jest/globals';
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { RequestError } from '@octokit/request-error';
import { createServer as createHttpServer } from 'node:http';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { awsClientConfig } from '../../src/aws/client-config.ts';
import { explainAwsError } from '../../src/aws/errors.ts';
import { GITHUB_TOKEN_INPUT } from '../../src/config/index.ts';
import { createGitHubClient } from '../../src/github/client.ts';
import { describeGitHubError } from '../../src/github/errors.ts';
import { refusedPort } from '../fakes/refused-port.ts';

const context = {
  doing: 'write secret ECR_PASSWORD to',
  target: 'octo/app',
  permission: "'Secrets: Read and write'",
  notFoundHint: 'Check the name.',
  tokenSource: GITHUB_TOKEN_INPUT,
};
const requestError = (status: number, message: string) =>
  new RequestError(message, status, {
    request: {
      method: 'PUT',
      url: 'https://api.github.com/x',
      headers: { authorization: 'token SECRET_TOKEN' },
      body: '{"encrypted_value":"SEALED"}',
    },
    response: { status, url: '', headers: {}, data: { message } },
  });

// Messages name a setting through its placeholder (`{aws-region}`), which each front door renders:
// `aws-region` in the action (src/action.ts), `--aws-region` in the command (cli/terminal.ts).
describe('describeGitHubError', () => {
  it('401: the token is wrong', () =>
    expect(describeGitHubError(requestError(401, 'Bad credentials'), context)).toMatch(
      /github-token was refused.*mistyped, expired or revoked/,
    ));
  it('403: the permission, the target, and GITHUB_TOKEN', () => {
    const message = describeGitHubError(requestError(403, 'Resource not accessible by integration'), context);
    expect(message).toContain("'Secrets: Read and write'");
    expect(message).toContain('octo/app');
    expect(message).toContain('GITHUB_TOKEN can never write secrets');
  });
  it('403 for a rate limit is not a permission problem', () =>
    expect(describeGitHubError(requestError(403, 'API rate limit exceeded'), context)).toMatch(/rate limit/));
  it('404: not found or not visible, with the hint', () =>
    expect(describeGitHubError(requestError(404, 'Not Found'), context)).toMatch(
      /not found, or not visible.*Check the name\./,
    ));
  it('never repeats a value the request sent, even when GitHub quotes it back', () => {
    // GitHub's validation messages quote the value they refuse: "For 'properties/x', \"...\" does not match ...".
    const sealed = Buffer.alloc(80, 7).toString('base64');
    const quoting = (status: number) =>
      new RequestError(`Invalid request. For 'properties/encrypted_value', "${sealed}" does not match`, status, {
        request: {
          method: 'PUT',
          url: 'https://api.github.com/x',
          headers: { authorization: 'token [REDACTED]' },
          body: { encrypted_value: sealed, key_id: '568250167242549743' },
        },
        response: {
          status,
          url: '',
          headers: {},
          data: {
            message: `Invalid request.\n\nFor 'properties/encrypted_value', "${sealed}" does not match /^[A-Za-z0-9+/=]+$/.`,
          },
        },
      });
    for (const status of [400, 422, 500]) {
      const message = describeGitHubError(quoting(status), context);
      expect(message).not.toContain(sealed);
      expect(message).not.toContain(sealed.slice(0, 40));
      expect(message).toContain("For 'properties/encrypted_value'");
    }
  });
  it("401 in the action's words: the input's name, and the secret that holds the token", () =>
    expect(describeGitHubError(requestError(401, 'Bad credentials'), context)).toBe(
      'github-token was refused while trying to write secret ECR_PASSWORD to octo/app (GitHub answered 401 "Bad credentials"): it is mistyped, expired or revoked. Create a new token and update the secret that holds it.',
    ));
  it('names the token as its front door does: the variable it came from, and where a new one goes', () => {
    const command = { ...context, tokenSource: { name: 'GH_TOKEN', renewal: 'put it in GH_TOKEN' } };
    const saml =
      'Resource protected by organization SAML enforcement. You must grant your Personal Access token access to this organization.';
    const messages = {
      401: describeGitHubError(requestError(401, 'Bad credentials'), command),
      403: describeGitHubError(requestError(403, 'Resource not accessible by integration'), command),
      sso: describeGitHubError(requestError(403, saml), command),
      404: describeGitHubError(requestError(404, 'Not Found'), command),
    };
    expect(messages[401]).toBe(
      'GH_TOKEN was refused while trying to write secret ECR_PASSWORD to octo/app (GitHub answered 401 "Bad credentials"): it is mistyped, expired or revoked. Create a new token and put it in GH_TOKEN.',
    );
    expect(messages[403]).toMatch(/^GH_TOKEN may not write secret ECR_PASSWORD to octo\/app \(GitHub answered 403/);
    expect(messages.sso).toMatch(/^GH_TOKEN may not .*SAML single sign-on: authorise GH_TOKEN for it/);
    expect(messages[404]).toContain('not found, or not visible to GH_TOKEN (GitHub answered 404');
    for (const message of Object.values(messages)) {
      expect(message).not.toContain('github-token');
      expect(message).not.toContain('the secret that holds it');
    }
  });
  it('403 from SAML single sign-on says to authorise the token, not that GITHUB_TOKEN cannot write', () => {
    const message = describeGitHubError(
      requestError(
        403,
        'Resource protected by organization SAML enforcement. You must grant your Personal Access token access to this organization.',
      ),
      context,
    );
    expect(message).toContain('Configure SSO');
    expect(message).not.toContain('GITHUB_TOKEN');
  });
});

describe('explainAwsError', () => {
  const idToken = `e30.${Buffer.from(JSON.stringify({ sub: 'repo:octo/app:environment:prod', aud: 'sts.amazonaws.com' })).toString('base64url')}.sig`;
  it('OIDC AccessDenied names the role, the sub the trust policy must match, and id-token: write', () => {
    const message = explainAwsError(
      { name: 'AccessDenied', message: 'Not authorized' },
      {
        action: 'sts:AssumeRoleWithWebIdentity',
        roleArn: 'arn:aws:iam::1:role/r',
        audience: 'sts.amazonaws.com',
        idToken,
      },
    ).message;
    expect(message).toContain('arn:aws:iam::1:role/r');
    expect(message).toContain('sub "repo:octo/app:environment:prod"');
    expect(message).toContain('id-token: write');
    expect(message).not.toContain(idToken);
  });
  it('InvalidIdentityToken points at the OIDC provider and audience', () => {
    expect(
      explainAwsError(
        { name: 'InvalidIdentityTokenException', message: 'x' },
        { action: 'sts:AssumeRoleWithWebIdentity', audience: 'aud-1' },
      ).message,
    ).toMatch(/OIDC provider.*"aud-1"/);
  });
  it('AssumeRole AccessDenied says what policy to change', () => {
    expect(
      explainAwsError({ name: 'AccessDenied', message: 'x' }, { action: 'sts:AssumeRole', roleArn: 'arn:r' }).message,
    ).toMatch(/may not assume role arn:r.*trust policy/);
  });
  it('ECR AccessDeniedException names ecr:GetAuthorizationToken', () => {
    expect(
      explainAwsError({ name: 'AccessDeniedException', message: 'x' }, { action: 'ecr:GetAuthorizationToken' }).message,
    ).toMatch(/allows ecr:GetAuthorizationToken/);
  });
  it('ECR Public AccessDeniedException names both actions its token needs, whichever AWS named', () => {
    const message = explainAwsError(
      {
        name: 'AccessDeniedException',
        message:
          'User: arn:aws:sts::123456789012:assumed-role/r/s is not authorized to perform: sts:GetServiceBearerToken on resource: *',
      },
      { action: 'ecr-public:GetAuthorizationToken', region: 'us-east-1', roleArn: 'arn:r' },
    ).message;
    expect(message).toMatch(
      /^This AWS identity may not get an ECR Public token\. AWS said AccessDenied: User: .*GetServiceBearerToken/,
    );
    expect(message).toMatch(
      /allows both ecr-public:GetAuthorizationToken and sts:GetServiceBearerToken on resource "\*" to the identity \(the assumed role arn:r\)\.$/,
    );
  });
  it('bad keys', () => {
    expect(
      explainAwsError({ name: 'UnrecognizedClientException', message: 'x' }, { action: 'ecr:GetAuthorizationToken' })
        .message,
    ).toMatch(/access keys are current/);
  });
});

/** A loopback server for real network failures: `hang` (never answers), `reset`, `http` (plain HTTP). Refused connections use `refusedPort`. */
async function loopback(kind: 'hang' | 'reset' | 'http'): Promise<{ port: number; close: () => Promise<void> }> {
  const server =
    kind === 'http'
      ? createHttpServer((_request, response) => response.end('{}'))
      : createServer((socket) => {
          if (kind === 'reset') socket.resetAndDestroy();
          else sockets.push(socket);
        });
  const sockets: Socket[] = [];
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const close = async () => {
    for (const socket of sockets) socket.destroy();
    if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { port, close };
}

/** The error the action's own GitHub client throws for one request, retries off. */
async function githubFailure(apiUrl: string, signal?: AbortSignal): Promise<unknown> {
  const github = await createGitHubClient({
    token: 'SECRET_TOKEN',
    tokenName: GITHUB_TOKEN_INPUT.name,
    apiUrl,
    log: { debug: () => undefined, info: () => undefined, warning: () => undefined },
  });
  try {
    await github.request('GET /repos/{owner}/{repo}/actions/secrets/public-key', {
      owner: 'octo',
      repo: 'app',
      request: { retries: 0, ...(signal ? { signal } : {}) },
    });
  } catch (error) {
    return error;
  }
  throw new Error('the request was expected to fail');
}

/** The error the action's ECR client settings give for one GetAuthorizationToken call, retries off. */
async function ecrFailure(endpoint: string, requestTimeout?: number): Promise<unknown> {
  const settings = await awsClientConfig('eu-west-1');
  const ecr = new ECRClient({
    ...settings,
    endpoint,
    maxAttempts: 1,
    credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'SECRET_KEY' },
    ...(requestTimeout ? { requestHandler: { ...settings.requestHandler, requestTimeout } } : {}),
  });
  try {
    await ecr.send(new GetAuthorizationTokenCommand({}));
  } catch (error) {
    return error;
  }
  throw new Error('the call was expected to fail');
}

/**
 * A socket error as the AWS SDK hands it on: Node's own error for a real connection to the port,
 * with the SDK's `$metadata` (and, for the codes it retries as timeouts, `name: 'TimeoutError'`).
 * Made here rather than by an SDK call because under jest's VM Node's errors fail the SDK's
 * `instanceof Error`, and the SDK wraps them into a bare message; in the action they arrive as they are.
 */
async function sdkSocketError(port: number, decoration: Record<string, unknown> = {}): Promise<unknown> {
  const error = await new Promise<Error>((resolve) =>
    connect(port, '127.0.0.1')
      .on('error', resolve)
      .on('connect', function (this: Socket) {
        this.on('data', () => undefined).write('POST / HTTP/1.1\r\nhost: x\r\n\r\n');
      }),
  );
  return Object.assign(error, { $metadata: { attempts: 4, totalRetryDelay: 300 } }, decoration);
}

describe('network failures, GitHub: "could not reach <host>: <cause>", never "GitHub answered"', () => {
  it('connection refused (a real fetch to a closed port)', async () => {
    const port = await refusedPort();
    const message = describeGitHubError(await githubFailure(`http://127.0.0.1:${port}`), context);
    expect(message).toMatch(
      new RegExp(
        `^Could not write secret ECR_PASSWORD to octo/app: could not reach 127\\.0\\.0\\.1:${port}: connection refused\\. Check \\{github-api-url\\}`,
      ),
    );
    expect(message).not.toMatch(/GitHub answered|ECONNREFUSED|fetch failed/);
  });

  it('a TLS handshake with a server that speaks plain HTTP', async () => {
    const server = await loopback('http');
    try {
      const message = describeGitHubError(await githubFailure(`https://127.0.0.1:${server.port}/api/v3`), context);
      expect(message).toContain(
        `could not reach 127.0.0.1:${server.port}: TLS handshake failed (wrong version number; the address may not speak HTTPS)`,
      );
      expect(message).toContain('NODE_EXTRA_CA_CERTS');
    } finally {
      await server.close();
    }
  });

  it("a server that never answers: the client's deadline, in seconds", async () => {
    const server = await loopback('hang');
    try {
      // The client's own 10 s deadline aborts the same way (AbortSignal.timeout); a shorter one keeps the test quick.
      const message = describeGitHubError(
        await githubFailure(`http://127.0.0.1:${server.port}`, AbortSignal.timeout(200)),
        context,
      );
      expect(message).toContain(`could not reach 127.0.0.1:${server.port}: timed out after 10 s`);
      expect(message).toContain('https_proxy');
    } finally {
      await server.close();
    }
  });

  it('a connection reset', async () => {
    const server = await loopback('reset');
    try {
      expect(describeGitHubError(await githubFailure(`http://127.0.0.1:${server.port}`), context)).toMatch(
        /could not reach 127\.0\.0\.1:\d+: connection (reset|closed before an answer)\./,
      );
    } finally {
      await server.close();
    }
  });

  it('a host DNS does not know (the error shape of fetch and getaddrinfo)', () => {
    const lookup = Object.assign(new Error('getaddrinfo ENOTFOUND ghe.invalid'), {
      errno: -3008,
      code: 'ENOTFOUND',
      syscall: 'getaddrinfo',
      hostname: 'ghe.invalid',
    });
    const error = new RequestError(lookup.message, 500, {
      request: { method: 'GET', url: 'https://ghe.invalid/api/v3/repos/octo/app', headers: {} },
    });
    error.cause = new TypeError('fetch failed', { cause: lookup });
    expect(describeGitHubError(error, context)).toContain(
      'could not reach ghe.invalid: host not found (DNS). Check {github-api-url}',
    );
  });

  it('never prints credentials held in github-api-url', async () => {
    const message = describeGitHubError(await githubFailure('https://robot:hunter2@127.0.0.1:9/api/v3'), context);
    expect(message).toMatch(
      /^Could not write secret ECR_PASSWORD to octo\/app: the request to 127\.0\.0\.1:9 failed: .*credentials.*Check \{github-api-url\}\.$/,
    );
    expect(message).not.toMatch(/hunter2|robot|GitHub answered/);
  });

  it('an answer from GitHub, even a 500, stays an answer', () => {
    expect(describeGitHubError(requestError(500, 'Internal Server Error'), context)).toMatch(
      /GitHub answered 500 "Internal Server Error"/,
    );
  });
});

describe('network failures, AWS: "could not reach <host>: <cause>", never "AWS said"', () => {
  const ecr = { action: 'ecr:GetAuthorizationToken', region: 'eu-west-1' } as const;

  it('connection refused', async () => {
    const port = await refusedPort();
    const message = explainAwsError(await sdkSocketError(port), ecr).message;
    expect(message).toBe(
      `ecr:GetAuthorizationToken failed: could not reach 127.0.0.1:${port}: connection refused. Check {aws-region}, AWS_ENDPOINT_URL_ECR or AWS_ENDPOINT_URL if set, and that this runner can reach that host, directly or through its proxy (https_proxy, no_proxy).`,
    );
  });

  it('ECR Public out of reach: its own endpoint variable, and us-east-1 rather than aws-region', () => {
    const dns = Object.assign(new Error('getaddrinfo ENOTFOUND api.ecr-public.us-east-1.amazonaws.com'), {
      code: 'ENOTFOUND',
      hostname: 'api.ecr-public.us-east-1.amazonaws.com',
      $metadata: {},
    });
    expect(explainAwsError(dns, { action: 'ecr-public:GetAuthorizationToken', region: 'us-east-1' }).message).toBe(
      'ecr-public:GetAuthorizationToken failed: could not reach api.ecr-public.us-east-1.amazonaws.com: host not found (DNS). Check AWS_ENDPOINT_URL_ECR_PUBLIC or AWS_ENDPOINT_URL if set (ECR Public is in us-east-1), and that this runner can reach that host, directly or through its proxy (https_proxy, no_proxy).',
    );
  });

  it('a server that never answers: the request timeout, in seconds, and the service and region', async () => {
    const server = await loopback('hang');
    try {
      const message = explainAwsError(await ecrFailure(`http://127.0.0.1:${server.port}`, 300), ecr).message;
      expect(message).toContain('could not reach ECR in eu-west-1: timed out after 0.3 s. The request was retried.');
    } finally {
      await server.close();
    }
  });

  it('a connection reset (the SDK renames it TimeoutError; the code says what it was)', async () => {
    const server = await loopback('reset');
    try {
      expect(explainAwsError(await sdkSocketError(server.port, { name: 'TimeoutError' }), ecr).message).toMatch(
        /could not reach 127\.0\.0\.1:\d+: connection reset\. The request was retried/,
      );
    } finally {
      await server.close();
    }
  });

  it('a TLS handshake with a server that speaks plain HTTP', async () => {
    const server = await loopback('http');
    try {
      const message = explainAwsError(await ecrFailure(`https://127.0.0.1:${server.port}`), ecr).message;
      expect(message).toContain(
        'could not reach ECR in eu-west-1: TLS handshake failed (wrong version number; the address may not speak HTTPS)',
      );
    } finally {
      await server.close();
    }
  });

  it('STS out of reach on the OIDC path: not blamed on the trust policy', () => {
    const lookup = Object.assign(new Error('getaddrinfo ENOTFOUND sts.eu-west-1.amazonaws.com'), {
      errno: -3008,
      code: 'ENOTFOUND',
      syscall: 'getaddrinfo',
      hostname: 'sts.eu-west-1.amazonaws.com',
      $metadata: { attempts: 4 },
    });
    const message = explainAwsError(lookup, {
      action: 'sts:AssumeRoleWithWebIdentity',
      region: 'eu-west-1',
      roleArn: 'arn:r',
      audience: 'sts.amazonaws.com',
    }).message;
    expect(message).toBe(
      'sts:AssumeRoleWithWebIdentity for role arn:r failed: could not reach sts.eu-west-1.amazonaws.com: host not found (DNS). Check {aws-region}, AWS_ENDPOINT_URL_STS or AWS_ENDPOINT_URL if set, and that this runner can reach that host, directly or through its proxy (https_proxy, no_proxy).',
    );
  });

  it('an answer from AWS stays an answer', () => {
    const denied = { name: 'AccessDeniedException', message: 'no', $metadata: { httpStatusCode: 400 } };
    expect(explainAwsError(denied, ecr).message).toMatch(/AWS said AccessDenied: no/);
  });
});
