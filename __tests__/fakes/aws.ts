import { randomBytes } from 'node:crypto';
import { FakeServer, json, type Reply } from './server.ts';
import { readIdTokenClaims } from './oidc.ts';

export interface IssuedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

/** A role's trust: OIDC tokens with this audience and subject, or these static access key ids. */
export interface RoleTrust {
  audience?: string;
  subject?: string;
  trustedAccessKeyIds?: string[];
}

/** What the fake ECR issued: the test compares every decrypted secret with it. */
export interface IssuedLogin {
  password: string;
  authorizationToken: string;
  registry: string;
  expiresAt: Date;
  /** The access key id that signed the ECR request: proves which credential path was used. */
  signedWith: string;
}

export const ACCOUNT_ID = '123456789012';

const random = (bytes: number) => randomBytes(bytes).toString('hex').toUpperCase();

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
  /** Identities (access key ids) refused ecr:GetAuthorizationToken. */
  readonly ecrDenied = new Set<string>();
  readonly sts: FakeServer;
  readonly ecr: FakeServer;

  readonly region: string;

  constructor(region = "eu-west-1") {
    this.region = region;
    this.sts = new FakeServer((request) => this.handleSts(request.body, request.headers));
    this.ecr = new FakeServer((request) => this.handleEcr(request.headers));
  }

  addStaticKeys(): IssuedCredentials {
    const accessKeyId = `AKIA${random(8)}`;
    const secretAccessKey = randomBytes(30).toString('base64');
    this.staticKeys.set(accessKeyId, secretAccessKey);
    return { accessKeyId, secretAccessKey, sessionToken: '' };
  }

  addRole(name: string, trust: RoleTrust): string {
    const arn = `arn:aws:iam::${ACCOUNT_ID}:role/${name}`;
    this.roles.set(arn, trust);
    return arn;
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
      const claims = readIdTokenClaims(params.get('WebIdentityToken') ?? '');
      if (Number(claims['exp']) * 1000 < Date.now()) return stsError(400, 'ExpiredTokenException', 'Token expired: current date/time is after the exp claim');
      if (trust?.audience !== undefined && trust.audience !== claims['aud']) return stsError(400, 'InvalidIdentityToken', 'Incorrect token audience');
      if (!trust || trust.audience === undefined || (trust.subject && trust.subject !== claims['sub'])) {
        return stsError(403, 'AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity');
      }
      return this.issue(action, roleArn);
    }
    if (action === 'AssumeRole') {
      const signer = signingKeyId(headers);
      if (!signer || !this.staticKeys.has(signer)) return stsError(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
      if (!trust?.trustedAccessKeyIds?.includes(signer)) {
        return stsError(403, 'AccessDenied', `User: arn:aws:iam::${ACCOUNT_ID}:user/ci is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
      }
      return this.issue(action, roleArn);
    }
    return stsError(400, 'InvalidAction', `Could not find operation ${action}`);
  }

  private issue(action: string, roleArn: string): Reply {
    const credentials = { accessKeyId: `ASIA${random(8)}`, secretAccessKey: randomBytes(30).toString('base64'), sessionToken: randomBytes(60).toString('base64') };
    this.temporary.set(credentials.accessKeyId, { ...credentials, roleArn });
    const expiration = new Date(Date.now() + 900_000).toISOString();
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

  private handleEcr(headers: Record<string, string | string[] | undefined>): Reply {
    if (headers['x-amz-target'] !== 'AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken') {
      return ecrError(400, 'UnknownOperationException', 'unknown operation');
    }
    const signer = signingKeyId(headers);
    const temporary = signer ? this.temporary.get(signer) : undefined;
    const valid = signer && (this.staticKeys.has(signer) || (temporary && temporary.sessionToken === headers['x-amz-security-token']));
    if (!signer || !valid) return ecrError(400, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
    if (this.ecrDenied.has(signer)) {
      return ecrError(400, 'AccessDeniedException', `User: ${temporary?.roleArn ?? 'user/ci'} is not authorized to perform: ecr:GetAuthorizationToken on resource: * because no identity-based policy allows the ecr:GetAuthorizationToken action`);
    }
    // Real passwords are long base64 strings; so is this one, and it differs every time.
    const password = randomBytes(96).toString('base64');
    const authorizationToken = Buffer.from(`AWS:${password}`).toString('base64');
    const registry = `${ACCOUNT_ID}.dkr.ecr.${this.region}.amazonaws.com`;
    const expiresAt = new Date(Math.floor(Date.now() / 1000) * 1000 + 12 * 3_600_000);
    this.logins.push({ password, authorizationToken, registry, expiresAt, signedWith: signer });
    return json(200, {
      authorizationData: [{ authorizationToken, expiresAt: expiresAt.getTime() / 1000, proxyEndpoint: `https://${registry}` }],
    }, { 'content-type': 'application/x-amz-json-1.1' });
  }
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
  return json(status, { __type: type, message }, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': type });
}
