import { randomBytes } from 'node:crypto';
import { FakeServer, json } from './server.ts';

/**
 * The runner's OIDC token endpoint (`ACTIONS_ID_TOKEN_REQUEST_URL`): it checks the request token,
 * answers `?audience=` with a JWT-shaped token carrying `sub` and `aud` (the claims the fake STS
 * checks), records what it issued (`issued`, for leak scans), and can hand out expired tokens
 * (`lifetimeSeconds`) or hang (`stalls`).
 */
export class FakeOidc {
  readonly requestToken = `runtime-${randomBytes(8).toString('hex')}`;
  readonly subject: string;
  /** Every ID token handed out, to check that none leaks. */
  readonly issued: string[] = [];
  readonly server: FakeServer;
  /** Lifetime of the tokens handed out; negative for tokens that have already expired. */
  lifetimeSeconds = 300;
  /**
   * How many of the next token requests to accept and never answer, as a hung token service does
   * (actions/runner#1466: the OIDC endpoint not answering in time).
   */
  stalls = 0;

  constructor(subject = 'repo:octo/app:ref:refs/heads/main') {
    this.subject = subject;
    this.server = new FakeServer(({ url, headers }) => {
      if (this.stalls > 0) {
        this.stalls--;
        // No timer: the connection stays open until the client gives up or the fake stops.
        return new Promise<never>(() => {});
      }
      if (headers.authorization !== `Bearer ${this.requestToken}`) return json(401, { message: 'bad runtime token' });
      const audience = url.searchParams.get('audience') ?? 'api://default';
      const token = makeIdToken(
        { sub: this.subject, aud: audience, iss: 'https://token.actions.githubusercontent.com' },
        this.lifetimeSeconds,
      );
      this.issued.push(token);
      return json(200, { value: token });
    });
  }
}

export function makeIdToken(claims: Record<string, unknown>, lifetimeSeconds = 300): string {
  const part = (data: unknown) => Buffer.from(JSON.stringify(data)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part({ ...claims, iat: now, exp: now + lifetimeSeconds, jti: randomBytes(6).toString('hex') })}.${randomBytes(32).toString('base64url')}`;
}

export function readIdTokenClaims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}
