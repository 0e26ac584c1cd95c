import { networkFailure, unreachableMessage, withoutUrlCredentials } from '../net/failures.ts';

/** What the action was doing when AWS said no; used to tell the user what to change. */
export interface AwsCallContext {
  action:
    | 'sts:AssumeRoleWithWebIdentity'
    | 'sts:AssumeRole'
    | 'ecr:GetAuthorizationToken'
    | 'ecr-public:GetAuthorizationToken';
  roleArn?: string;
  audience?: string;
  /** The OIDC token sent; only its (non-secret) claims are read, to show the `sub` the trust policy must match. */
  idToken?: string;
  /** A web identity token from outside GitHub Actions (the command): where it came from, such as `GITLAB_OIDC_TOKEN`. */
  tokenSource?: string;
  /** Who signed sts:AssumeRole when it was not the access keys given (the command: the default credential chain). */
  signer?: string;
  /** The client's region: names the endpoint when a network error does not. */
  region?: string;
}

interface AwsErrorShape {
  name?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  /** Node's socket errors: `hostname` for a failed DNS lookup, `address` and `port` for a refused connection. */
  hostname?: string;
  address?: string;
  port?: number;
}

/** Turns an SDK error into one that says what to do. Never includes request bodies or tokens. */
export function explainAwsError(error: unknown, context: AwsCallContext): Error {
  const { name = 'Error', Code, message = '' } = (error ?? {}) as AwsErrorShape;
  const code = (Code ?? name).replace(/Exception$/, '');
  const said = `AWS said ${code}: ${message}`.trim();
  const role = context.roleArn ? ` role ${context.roleArn}` : '';

  // No HTTP status: AWS never answered, so the cause is the way there (address, DNS, TLS, network), not AWS.
  const network =
    (error as AwsErrorShape | undefined)?.$metadata?.httpStatusCode === undefined ? networkFailure(error) : undefined;
  if (network) {
    return new Error(
      withoutUrlCredentials(
        `${context.action}${role ? ` for${role}` : ''} failed: ${unreachableMessage(
          awsHost(error as AwsErrorShape, context),
          network,
          {
            ...endpointOf(context),
            // ECR Public is reached in us-east-1 whatever aws-region says: the region is no setting to check.
            settings:
              service(context) === 'ECR_PUBLIC'
                ? 'AWS_ENDPOINT_URL_ECR_PUBLIC or AWS_ENDPOINT_URL if set (ECR Public is in us-east-1)'
                : `{aws-region}, AWS_ENDPOINT_URL_${service(context)} or AWS_ENDPOINT_URL if set`,
          },
        )}`,
      ),
    );
  }

  if (context.action === 'sts:AssumeRoleWithWebIdentity' && context.tokenSource) {
    const explained = foreignWebIdentityError(code, said, role, context.tokenSource, idTokenClaims(context.idToken));
    if (explained) return explained;
  }
  if (context.action === 'sts:AssumeRoleWithWebIdentity' && !context.tokenSource) {
    const claims = idTokenClaims(context.idToken);
    const subject = claims.sub ? ` This run's token has sub "${claims.sub}"` : '';
    const audience = ` and aud "${context.audience ?? claims.aud ?? ''}"`;
    switch (code) {
      case 'AccessDenied':
      case 'IDPRejectedClaim':
        return new Error(
          `Could not assume${role} with OIDC (sts:AssumeRoleWithWebIdentity). ${said}. The role's trust policy must allow token.actions.githubusercontent.com, with conditions on token.actions.githubusercontent.com:sub and :aud that match this run.${subject}${subject ? audience : ''}. Also check that the workflow has 'permissions: id-token: write'.`,
        );
      case 'InvalidIdentityToken':
        return new Error(
          `AWS refused the GitHub OIDC token (sts:AssumeRoleWithWebIdentity for${role}). ${said}. Check that the IAM OIDC provider for token.actions.githubusercontent.com exists in the role's account and lists the audience "${context.audience}" (the audience input).`,
        );
      case 'ExpiredToken':
        return new Error(
          `The GitHub OIDC token expired before AWS read it (sts:AssumeRoleWithWebIdentity for${role}). ${said}. Re-run the job.`,
        );
    }
  }
  if (context.action === 'sts:AssumeRole' && code === 'AccessDenied' && context.signer) {
    return new Error(
      `The identity found by ${context.signer} may not assume${role} (sts:AssumeRole). ${said}. Allow sts:AssumeRole on the role in that identity's IAM policy and trust it in the role's trust policy, or give a web identity token (--web-identity-token-env, or AWS_WEB_IDENTITY_TOKEN_FILE).`,
    );
  }
  if (context.action === 'sts:AssumeRole' && code === 'AccessDenied') {
    return new Error(
      `The access keys may not assume${role} (sts:AssumeRole). ${said}. Allow sts:AssumeRole on the role in the keys' IAM policy, and trust their user or account in the role's trust policy.`,
    );
  }
  if (context.action.startsWith('sts:') && code === 'ValidationError' && /DurationSeconds/i.test(message)) {
    return new Error(
      `AWS refused the session length asked for${role} (${context.action}). ${said}. Lower {role-duration-seconds} (the default 900 is enough: the action needs the role for seconds), or raise the role's maximum session duration in IAM.`,
    );
  }
  if (context.action === 'ecr:GetAuthorizationToken' && code === 'AccessDenied') {
    return new Error(
      `This AWS identity may not call ecr:GetAuthorizationToken. ${said}. Attach a policy that allows ecr:GetAuthorizationToken on resource "*" to the identity${role ? ` (the assumed${role})` : ''}.`,
    );
  }
  if (context.action === 'ecr-public:GetAuthorizationToken' && code === 'AccessDenied') {
    // ECR Public's token needs a bearer token from STS too: its AccessDenied names whichever is missing
    // ("... is not authorized to perform: sts:GetServiceBearerToken on resource: *", fluxcd/pkg#938).
    return new Error(
      `This AWS identity may not get an ECR Public token. ${said}. Attach a policy that allows both ecr-public:GetAuthorizationToken and sts:GetServiceBearerToken on resource "*" to the identity${role ? ` (the assumed${role})` : ''}.`,
    );
  }
  switch (code) {
    case 'InvalidClientTokenId':
    case 'UnrecognizedClient':
    case 'SignatureDoesNotMatch':
    case 'IncompleteSignature':
      return new Error(
        `AWS did not accept the credentials for ${context.action}. ${said}. Check that the access keys are current and belong together.`,
      );
    case 'ExpiredToken':
      return new Error(
        `The AWS credentials have expired (${context.action}). ${said}. Refresh them in the step that set them, or let this action assume {role-to-assume}.`,
      );
    case 'CredentialsProviderError':
      if (context.signer)
        return new Error(
          `No AWS credentials were found for ${context.action} (${context.signer} found none). Give a web identity token (--role-to-assume with --web-identity-token-env, or AWS_WEB_IDENTITY_TOKEN_FILE with AWS_ROLE_ARN), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or run where an instance or task role is available.`,
        );
      return new Error(
        `No AWS credentials were found for ${context.action}. Set role-to-assume (GitHub OIDC, recommended), or aws-access-key-id and aws-secret-access-key, or configure credentials in an earlier step.`,
      );
  }
  return new Error(`${context.action}${role ? ` for${role}` : ''} failed. ${said}`);
}

/**
 * A refusal of a web identity token from another CI (GitLab's `id_tokens`, any OIDC issuer): what the
 * trust policy must match, from the token's own (non-secret) claims.
 */
function foreignWebIdentityError(
  code: string,
  said: string,
  role: string,
  source: string,
  claims: { sub?: string; aud?: string; iss?: string },
): Error | undefined {
  const shown = [
    claims.iss ? `iss "${claims.iss}"` : '',
    claims.sub ? `sub "${claims.sub}"` : '',
    claims.aud ? `aud "${claims.aud}"` : '',
  ]
    .filter(Boolean)
    .join(', ');
  switch (code) {
    case 'AccessDenied':
    case 'IDPRejectedClaim':
      return new Error(
        `Could not assume${role} with the web identity token from ${source} (sts:AssumeRoleWithWebIdentity). ${said}. The role's trust policy must allow the token's issuer as an IAM OIDC provider, with conditions on its sub and aud that match this token${shown ? ` (${shown})` : ''}.`,
      );
    case 'InvalidIdentityToken':
      return new Error(
        `AWS refused the web identity token from ${source} (sts:AssumeRoleWithWebIdentity for${role}). ${said}. Check that an IAM OIDC provider for the token's issuer exists in the role's account and lists its audience${shown ? ` (${shown})` : ''}.`,
      );
    case 'ExpiredToken':
      return new Error(
        `The web identity token from ${source} expired before AWS read it (sts:AssumeRoleWithWebIdentity for${role}). ${said}. Run the job again, or issue a fresh token.`,
      );
  }
  return undefined;
}

/** The host the SDK tried, when the socket's error names it; else the service and region. */
function awsHost({ hostname, address, port }: AwsErrorShape, context: AwsCallContext): string {
  if (typeof hostname === 'string' && hostname) return hostname;
  if (typeof address === 'string' && address) {
    const host = address.includes(':') ? `[${address}]` : address;
    return typeof port === 'number' ? `${host}:${port}` : host;
  }
  return `${service(context)}${context.region ? ` in ${context.region}` : ''}`;
}

/**
 * The service of an IAM action: its SDK service id as `AWS_ENDPOINT_URL_<id>` spells it (spaces to
 * underscores, upper case: `ECR PUBLIC` -> `ECR_PUBLIC`), and its default host name's first labels.
 */
const SERVICES = {
  sts: { id: 'STS', host: 'sts' },
  ecr: { id: 'ECR', host: 'ecr' },
  'ecr-public': { id: 'ECR_PUBLIC', host: 'api.ecr-public' },
} as const;

function service(context: AwsCallContext): 'STS' | 'ECR' | 'ECR_PUBLIC' {
  return serviceOf(context).id;
}

function serviceOf(context: AwsCallContext): (typeof SERVICES)[keyof typeof SERVICES] {
  return SERVICES[context.action.split(':')[0] as keyof typeof SERVICES];
}

/** The endpoint the SDK sends to, from the same settings it reads, to tell whether the runner's proxy applies. */
function endpointOf(context: AwsCallContext): { url?: string } {
  const configured = process.env[`AWS_ENDPOINT_URL_${service(context)}`] ?? process.env['AWS_ENDPOINT_URL'];
  if (configured) return { url: configured };
  return context.region ? { url: `https://${serviceOf(context).host}.${context.region}.amazonaws.com` } : {};
}

/** The payload claims of a JWT, or {} when it cannot be read. The signature is never used. */
function idTokenClaims(token: string | undefined): { sub?: string; aud?: string; iss?: string } {
  try {
    const payload = token?.split('.')[1];
    if (!payload) return {};
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
      sub?: unknown;
      aud?: unknown;
      iss?: unknown;
    };
    return {
      ...(typeof claims.iss === 'string' ? { iss: claims.iss } : {}),
      ...(typeof claims.sub === 'string' ? { sub: claims.sub } : {}),
      ...(typeof claims.aud === 'string' ? { aud: claims.aud } : {}),
    };
  } catch {
    return {};
  }
}
