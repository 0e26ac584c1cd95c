/**
 * `FakeAws`: one account behind STS (query protocol, XML) and ECR (JSON 1.1), in one region and its
 * partition (role ARNs, DNS suffix, registry host taken from the AWS SDK's own partition data). Roles
 * are added with their trust (`addRole(name, { audience, subject, trustedAccessKeyIds,
 * trustedRoleArns, maxSessionDuration })`); STS checks signatures' key ids, `DurationSeconds` against
 * the model's range, the role's maximum and the one-hour cap on role chaining, with STS's own error
 * messages. ECR issues a password (`logins`, `lastLogin`; each with `issuedAt` and an `expiresAt` 12
 * hours later, or 12h / `timeScale` for a time-scaled run) as long as real ones (2,500 characters;
 * ECR's run to about 2,400 to 2,700, aws/aws-sdk-js-v3#6580, aws/containers-roadmap#1589), so that
 * sizes measured in tests (a docker config of nine registries) are real ones, and records which key
 * signed the request. ECR Public (`ecrPublic`, JSON 1.1, target
 * `SpencerFrontendService.GetAuthorizationToken`) is served whatever the fake's region, and answers
 * only requests whose SigV4 scope says `us-east-1`, as the real API lives there alone: any other
 * region gets SigV4's 403 `InvalidSignatureException` "Credential should be scoped to a valid region,
 * not '<region>'."; it answers one `authorizationData` object (`authorizationToken`, `expiresAt`, no
 * endpoint), records the login in `logins` with registry `public.ecr.aws`, and `bearerTokenDenied`
 * refuses an identity with the `AccessDenied` that names `sts:GetServiceBearerToken`.
 */
import { randomBytes } from 'node:crypto';
// The AWS SDK's own partition data (not the action's copy of it), so that a mistake in the copy shows.
import { partition } from '@aws-sdk/core/client';
import { FakeServer, json, type Reply } from './server.ts';
import { readIdTokenClaims } from './oidc.ts';

export interface IssuedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

/**
 * A role's trust: OIDC tokens with this audience and subject, these static access key ids, or
 * sessions of these roles (role chaining). Its maximum session duration is 3600 s unless set, as
 * IAM's default (IAM API reference, CreateRole MaxSessionDuration: 3600 to 43200, default one hour).
 */
export interface RoleTrust {
  audience?: string;
  subject?: string;
  trustedAccessKeyIds?: string[];
  trustedRoleArns?: string[];
  maxSessionDuration?: number;
}

/** What the fake ECR issued: the test compares every decrypted secret with it. */
export interface IssuedLogin {
  password: string;
  authorizationToken: string;
  registry: string;
  expiresAt: Date;
  /** When it was issued (real time). */
  issuedAt: Date;
  /** The access key id that signed the ECR request: proves which credential path was used. */
  signedWith: string;
}

export const ACCOUNT_ID = '123456789012';
/** ECR's password lifetime: 12 hours. */
export const PASSWORD_LIFETIME_MS = 12 * 3_600_000;

const random = (bytes: number) => randomBytes(bytes).toString('hex').toUpperCase();
/** An ECR password as long as real ones (see handleEcr): 1,875 random bytes are 2,500 base64 characters. */
const ecrPassword = () => randomBytes(1875).toString('base64');

/**
 * One AWS account behind fake STS (query protocol, XML) and ECR (JSON 1.1) endpoints.
 * It knows its static keys, its roles' trust and the temporary credentials it issued.
 */
export class FakeAws {
  readonly staticKeys = new Map<string, string>();
  readonly roles = new Map<string, RoleTrust>();
  /** Temporary credentials by access key id. */
  readonly temporary = new Map<string, IssuedCredentials & { roleArn: string }>();
  readonly logins: IssuedLogin[] = [];
  /**
   * How many times faster than real time the action's clock runs (`fakes/time-scale.mjs`): a
   * password's 12 hours then last 12h / timeScale of real time, as the action sees them pass.
   */
  timeScale = 1;
  /** Identities (access key ids) refused ecr:GetAuthorizationToken. */
  readonly ecrDenied = new Set<string>();
  /** Identities (access key ids) allowed ecr-public:GetAuthorizationToken but not sts:GetServiceBearerToken. */
  readonly bearerTokenDenied = new Set<string>();
  readonly sts: FakeServer;
  readonly ecr: FakeServer;
  /** ECR Public's API, in us-east-1 whatever the fake's region (see `handleEcrPublic`). */
  readonly ecrPublic: FakeServer;

  readonly region: string;
  /** The partition of the region, as in ARNs (`aws`, `aws-cn`, `aws-us-gov`, ...). */
  readonly partition: string;
  readonly dnsSuffix: string;

  constructor(region = 'eu-west-1') {
    this.region = region;
    const { name, dnsSuffix } = partition(region);
    this.partition = name;
    this.dnsSuffix = dnsSuffix;
    this.sts = new FakeServer((request) => this.handleSts(request.body, request.headers));
    this.ecr = new FakeServer((request) => this.handleEcr(request.headers));
    this.ecrPublic = new FakeServer((request) => this.handleEcrPublic(request.headers));
  }

  addStaticKeys(): IssuedCredentials {
    const accessKeyId = `AKIA${random(8)}`;
    const secretAccessKey = randomBytes(30).toString('base64');
    this.staticKeys.set(accessKeyId, secretAccessKey);
    return { accessKeyId, secretAccessKey, sessionToken: '' };
  }

  addRole(name: string, trust: RoleTrust): string {
    const arn = `arn:${this.partition}:iam::${ACCOUNT_ID}:role/${name}`;
    this.roles.set(arn, trust);
    return arn;
  }

  /** New temporary credentials of a role; tests use it for what an earlier step (another action's AssumeRole) left. */
  sessionOf(roleArn: string): IssuedCredentials {
    const credentials = {
      accessKeyId: `ASIA${random(8)}`,
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: randomBytes(60).toString('base64'),
    };
    this.temporary.set(credentials.accessKeyId, { ...credentials, roleArn });
    return credentials;
  }

  /** The registry host of this account in this region: ECR's `proxyEndpoint` without its scheme. */
  get registry(): string {
    return `${ACCOUNT_ID}.dkr.ecr.${this.region}.${this.dnsSuffix}`;
  }

  /** A password's life: ECR's 12 hours (API reference, GetAuthorizationToken: "valid for 12 hours"), scaled by `timeScale`. */
  private lifetime(): { issuedAt: Date; expiresAt: Date } {
    const issuedAt = new Date();
    return { issuedAt, expiresAt: new Date(issuedAt.getTime() + PASSWORD_LIFETIME_MS / this.timeScale) };
  }

  get lastLogin(): IssuedLogin | undefined {
    return this.logins.at(-1);
  }

  /** Every secret value the fakes handed out, for leak scans. */
  secretValues(): string[] {
    return [
      ...this.logins.flatMap((l) => [l.password, l.authorizationToken]),
      ...[...this.temporary.values()].flatMap((c) => [c.secretAccessKey, c.sessionToken]),
      ...this.staticKeys.values(),
    ];
  }

  private handleSts(body: string, headers: Record<string, string | string[] | undefined>): Reply {
    const params = new URLSearchParams(body);
    const action = params.get('Action');
    const roleArn = params.get('RoleArn') ?? '';
    const trust = this.roles.get(roleArn);
    if (action === 'AssumeRoleWithWebIdentity') {
      const durationError = checkDuration(params.get('DurationSeconds'), trust, false);
      if (durationError) return durationError;
      const webIdentityToken = params.get('WebIdentityToken') ?? '';
      // STS API Reference, AssumeRoleWithWebIdentity: WebIdentityToken "Length Constraints: Minimum length
      // of 4. Maximum length of 20000"; a parameter out of its constraints is a 400 ValidationError in
      // STS's XML error shape, worded "1 validation error detected: Value ... at 'webIdentityToken'
      // failed to satisfy constraint: ..." (as quoted in fog/fog-aws#550 for a missing token).
      if (webIdentityToken.length < 4)
        return stsError(
          400,
          'ValidationError',
          `1 validation error detected: Value '${webIdentityToken}' at 'webIdentityToken' failed to satisfy constraint: Member must have length greater than or equal to 4`,
        );
      const claims = readIdTokenClaims(webIdentityToken);
      if (Number(claims['exp']) * 1000 < Date.now())
        return stsError(400, 'ExpiredTokenException', 'Token expired: current date/time is after the exp claim');
      if (trust?.audience !== undefined && trust.audience !== claims['aud'])
        return stsError(400, 'InvalidIdentityToken', 'Incorrect token audience');
      if (!trust || trust.audience === undefined || (trust.subject && trust.subject !== claims['sub'])) {
        return stsError(403, 'AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity');
      }
      return this.issue(action, roleArn, params.get('DurationSeconds'));
    }
    if (action === 'AssumeRole') {
      const signer = signingKeyId(headers);
      // Signed with static keys, or with temporary credentials this fake issued (role chaining).
      const session = signer ? this.temporary.get(signer) : undefined;
      const chained = session !== undefined && session.sessionToken === headers['x-amz-security-token'];
      if (!signer || (!this.staticKeys.has(signer) && !chained))
        return stsError(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
      const durationError = checkDuration(params.get('DurationSeconds'), trust, chained);
      if (durationError) return durationError;
      const caller = chained
        ? session.roleArn.replace(':iam:', ':sts:').replace(':role/', ':assumed-role/') + '/session'
        : `arn:${this.partition}:iam::${ACCOUNT_ID}:user/ci`;
      const trusted = chained
        ? trust?.trustedRoleArns?.includes(session.roleArn)
        : trust?.trustedAccessKeyIds?.includes(signer);
      if (!trusted) {
        return stsError(
          403,
          'AccessDenied',
          `User: ${caller} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
        );
      }
      return this.issue(action, roleArn, params.get('DurationSeconds'));
    }
    return stsError(400, 'InvalidAction', `Could not find operation ${action}`);
  }

  private issue(action: string, roleArn: string, durationSeconds: string | null): Reply {
    const credentials = this.sessionOf(roleArn);
    // The session lasts what was asked, one hour when nothing was (STS API reference, DurationSeconds).
    const expiration = new Date(Date.now() + Number(durationSeconds ?? DEFAULT_DURATION_SECONDS) * 1000).toISOString();
    return {
      status: 200,
      headers: { 'content-type': 'text/xml' },
      body: `<${action}Response xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <${action}Result>
    <Credentials>
      <AccessKeyId>${credentials.accessKeyId}</AccessKeyId>
      <SecretAccessKey>${credentials.secretAccessKey}</SecretAccessKey>
      <SessionToken>${credentials.sessionToken}</SessionToken>
      <Expiration>${expiration}</Expiration>
    </Credentials>
    <AssumedRoleUser><Arn>${roleArn.replace(':iam:', ':sts:').replace(':role/', ':assumed-role/')}/session</Arn><AssumedRoleId>AROA${random(8)}:session</AssumedRoleId></AssumedRoleUser>
  </${action}Result>
  <ResponseMetadata><RequestId>${random(8)}</RequestId></ResponseMetadata>
</${action}Response>`,
    };
  }

  /** The access key id that signed a request, if it is one this account issued (with its session token). */
  private validSigner(headers: Record<string, string | string[] | undefined>): string | undefined {
    const signer = signingKeyId(headers);
    const temporary = signer ? this.temporary.get(signer) : undefined;
    const valid =
      signer &&
      (this.staticKeys.has(signer) || (temporary && temporary.sessionToken === headers['x-amz-security-token']));
    return valid ? signer : undefined;
  }

  /** The principal IAM names in an AccessDenied: the assumed role, or the user the static keys belong to. */
  private principalOf(signer: string): string {
    return this.temporary.get(signer)?.roleArn ?? `arn:${this.partition}:iam::${ACCOUNT_ID}:user/ci`;
  }

  private handleEcr(headers: Record<string, string | string[] | undefined>): Reply {
    if (headers['x-amz-target'] !== 'AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken') {
      return ecrError(400, 'UnknownOperationException', 'unknown operation');
    }
    const signer = this.validSigner(headers);
    if (!signer)
      return ecrError(400, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
    if (this.ecrDenied.has(signer)) {
      return ecrError(
        400,
        'AccessDeniedException',
        `User: ${this.principalOf(signer)} is not authorized to perform: ecr:GetAuthorizationToken on resource: * because no identity-based policy allows the ecr:GetAuthorizationToken action`,
      );
    }
    // Real passwords are long base64 strings, about 2,400 to 2,700 characters (aws/aws-sdk-js-v3#6580,
    // aws/containers-roadmap#1589); this one is 2,500, and it differs every time.
    const password = ecrPassword();
    const authorizationToken = Buffer.from(`AWS:${password}`).toString('base64');
    const registry = this.registry;
    const { issuedAt, expiresAt } = this.lifetime();
    this.logins.push({ password, authorizationToken, registry, expiresAt, issuedAt, signedWith: signer });
    // proxyEndpoint is a URL with its scheme, as the ECR API reference documents it (AuthorizationData:
    // "https://aws_account_id.dkr.ecr.region.amazonaws.com") and the AWS CLI shows it.
    return json(
      200,
      {
        authorizationData: [
          { authorizationToken, expiresAt: expiresAt.getTime() / 1000, proxyEndpoint: `https://${registry}` },
        ],
      },
      { 'content-type': 'application/x-amz-json-1.1' },
    );
  }

  /**
   * ECR Public's GetAuthorizationToken: JSON 1.1 with the target prefix `SpencerFrontendService` (the
   * SDK's model: @aws-sdk/client-ecr-public, `serviceTarget: "SpencerFrontendService"`), answering
   * `authorizationData` as one object `{ authorizationToken, expiresAt }` without a registry endpoint
   * (ECR Public API reference, AuthorizationData). Its API has no region but us-east-1 for this call
   * (`aws ecr-public get-login-password --region us-east-1`); a request signed for another region is
   * refused as SigV4 refuses a wrong credential scope: 403 InvalidSignatureException "Credential
   * should be scoped to a valid region, not '<region>'. " (aws/aws-sdk-ruby#508, aws/aws-sdk-js#4545).
   */
  private handleEcrPublic(headers: Record<string, string | string[] | undefined>): Reply {
    const region = signingRegion(headers);
    if (region !== ECR_PUBLIC_REGION)
      return ecrError(
        403,
        'InvalidSignatureException',
        `Credential should be scoped to a valid region, not '${region}'. `,
      );
    if (headers['x-amz-target'] !== 'SpencerFrontendService.GetAuthorizationToken') {
      return ecrError(400, 'UnknownOperationException', 'unknown operation');
    }
    const signer = this.validSigner(headers);
    if (!signer)
      return ecrError(400, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
    if (this.ecrDenied.has(signer) || this.bearerTokenDenied.has(signer)) {
      // The message names whichever action the policy lacks, as users quote it (fluxcd/pkg#938).
      const action = this.ecrDenied.has(signer) ? 'ecr-public:GetAuthorizationToken' : 'sts:GetServiceBearerToken';
      return ecrError(
        400,
        'AccessDeniedException',
        `User: ${this.principalOf(signer)} is not authorized to perform: ${action} on resource: * because no identity-based policy allows the ${action} action`,
      );
    }
    const password = ecrPassword();
    const authorizationToken = Buffer.from(`AWS:${password}`).toString('base64');
    const { issuedAt, expiresAt } = this.lifetime();
    this.logins.push({
      password,
      authorizationToken,
      registry: PUBLIC_REGISTRY,
      expiresAt,
      issuedAt,
      signedWith: signer,
    });
    return json(
      200,
      { authorizationData: { authorizationToken, expiresAt: expiresAt.getTime() / 1000 } },
      { 'content-type': 'application/x-amz-json-1.1' },
    );
  }
}

/** ECR Public's only API region for GetAuthorizationToken, and its one registry host. */
export const ECR_PUBLIC_REGION = 'us-east-1';
export const PUBLIC_REGISTRY = 'public.ecr.aws';

const DEFAULT_DURATION_SECONDS = 3600;
const ROLE_CHAINING_MAX_SECONDS = 3600;

/**
 * STS's checks of DurationSeconds, with its messages: the model's range (900 to 43200, "1 validation
 * error detected: ..."), the role's maximum session duration, and the one-hour cap on role chaining
 * (STS API reference, AssumeRole DurationSeconds: "if you assume a role using role chaining and
 * provide a DurationSeconds parameter value greater than one hour, the operation fails"; the
 * messages as users report them, e.g. aws/eks-anywhere#9485, kreuzwerker/awsu#27).
 */
function checkDuration(text: string | null, trust: RoleTrust | undefined, chained: boolean): Reply | undefined {
  if (text === null) return undefined;
  const seconds = Number(text);
  if (seconds < 900)
    return stsError(
      400,
      'ValidationError',
      `1 validation error detected: Value '${text}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900`,
    );
  if (seconds > 43200)
    return stsError(
      400,
      'ValidationError',
      `1 validation error detected: Value '${text}' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200`,
    );
  if (chained && seconds > ROLE_CHAINING_MAX_SECONDS)
    return stsError(
      400,
      'ValidationError',
      'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
    );
  if (trust && seconds > (trust.maxSessionDuration ?? DEFAULT_DURATION_SECONDS))
    return stsError(
      400,
      'ValidationError',
      'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
    );
  return undefined;
}

/** The region of a SigV4 credential scope: `Credential=<key id>/<date>/<region>/<service>/aws4_request`. */
function signingRegion(headers: Record<string, string | string[] | undefined>): string | undefined {
  const authorization = String(headers['authorization'] ?? '');
  return /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(authorization)?.[1];
}

/** The access key id from a SigV4 `Authorization` header. */
function signingKeyId(headers: Record<string, string | string[] | undefined>): string | undefined {
  const authorization = String(headers['authorization'] ?? '');
  return /Credential=([^/]+)\//.exec(authorization)?.[1];
}

export function stsError(status: number, code: string, message: string): Reply {
  return {
    status,
    headers: { 'content-type': 'text/xml' },
    body: `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${random(8)}</RequestId></ErrorResponse>`,
  };
}

export function ecrError(status: number, type: string, message: string): Reply {
  return json(
    status,
    { __type: type, message },
    { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': type },
  );
}
