import type { AwsCredentialIdentity } from '@aws-sdk/types';
import type { AwsAuth } from './auth.ts';
import { afterRequestsLeave, awaitedLater } from '../util/awaited-later.ts';
import { resolveCredentials } from './credentials.ts';
import type { EcrLogin } from './ecr.ts';
import type { RegistrySpec } from './registry.ts';
import { requestGitHubIdToken } from './github-oidc-token.ts';

/** What the AWS side needs to know: how to authenticate, where, and to which registry (private unless said). */
export interface AwsLoginSettings {
  auth: AwsAuth;
  region: string;
  registry?: RegistrySpec;
}

/** `getEcrLogin` (ecr.ts) or `getEcrPublicLogin` (ecr-public.ts): one signature, one `EcrLogin`. */
type GetLogin = typeof import('./ecr.ts').getEcrLogin;

export interface AwsLoginDeps {
  setSecret: (value: string) => void;
  env: NodeJS.ProcessEnv;
}

/** Credentials this close to their expiry are resolved again before a new login: a request signed with them could reach ECR too late. */
const CREDENTIALS_MARGIN_MS = 60_000;

/**
 * The AWS side of a run, in two steps that the engine (run/engine.ts) starts apart: the credentials (OIDC token and
 * STS, or keys, or the default chain), which need nothing from GitHub and may run beside its reads;
 * and the ECR login, which mints a password and is asked for only once a target is ready to write.
 * Each step starts once, whoever asks first; the ECR code loads while the credentials are in flight.
 */
export class AwsLogin {
  private credentials?: Promise<AwsCredentialIdentity | undefined> | undefined;
  private ecrCode?: Promise<GetLogin>;
  private login?: Promise<EcrLogin>;
  /** Ends the credential requests once no password will be asked for: nothing should wait on them then. */
  private readonly abandon = new AbortController();
  private readonly config: AwsLoginSettings;
  private readonly deps: AwsLoginDeps;

  constructor(config: AwsLoginSettings, deps: AwsLoginDeps) {
    this.config = config;
    this.deps = deps;
  }

  /** Starts the credential step, if not started yet. Its failure surfaces from `ecrLogin`, or nowhere when no password is needed. */
  startCredentials(): void {
    this.started();
  }

  /**
   * The ECR login (GetAuthorizationToken): called once, when some target is ready to write.
   * `whileInFlight` runs once the request has left, to load what the writes need meanwhile.
   */
  ecrLogin(whileInFlight?: () => void): Promise<EcrLogin> {
    this.login ??= this.getEcrLogin(whileInFlight);
    return this.login;
  }

  /**
   * A new ECR login (GetAuthorizationToken again), for writes that would otherwise land too long
   * after the first password was minted (engine.ts). Credentials that expire within a minute (a role
   * session of 900 s in a long fan-out) are resolved again first: ECR would refuse them.
   */
  async ecrLoginAgain(): Promise<EcrLogin> {
    const credentials = await this.credentials;
    const expiration = credentials?.expiration?.getTime();
    if (expiration !== undefined && expiration - Date.now() < CREDENTIALS_MARGIN_MS) this.credentials = undefined;
    this.login = this.getEcrLogin(undefined);
    return this.login;
  }

  /**
   * Waits until whatever was started has ended, however it ended, so that nothing of it outlives the
   * report. Credential requests still in flight when no login was asked for (GitHub refused, nothing
   * was due) are aborted first: their SDK retries would otherwise hold the report back for nothing.
   */
  async settled(): Promise<unknown> {
    if (!this.login) this.abandon.abort();
    return Promise.allSettled([this.credentials, this.ecrCode, this.login]);
  }

  private started() {
    if (!this.credentials || !this.ecrCode) {
      const { auth, region } = this.config;
      const { setSecret, env } = this.deps;
      this.credentials = awaitedLater(
        resolveCredentials(auth, region, {
          getIDToken: (audience) => requestGitHubIdToken(audience, env, setSecret, this.abandon.signal),
          setSecret,
          env,
          signal: this.abandon.signal,
        }),
      );
      // The AWS SDK is loaded only by runs that may need a password (a max-age run with every secret
      // fresh never pays for it), and while the credential requests are in flight.
      this.ecrCode = awaitedLater(afterRequestsLeave().then(() => this.loginCode()));
    }
    return { credentials: this.credentials, ecrCode: this.ecrCode };
  }

  /** Each registry type's SDK client is its own chunk of dist/: a run loads only the one it uses. */
  private async loginCode(): Promise<GetLogin> {
    if (this.config.registry?.type === 'public') return (await import('./ecr-public.ts')).getEcrPublicLogin;
    return (await import('./ecr.ts')).getEcrLogin;
  }

  private async getEcrLogin(whileInFlight: (() => void) | undefined): Promise<EcrLogin> {
    const started = this.started();
    const [credentials, getEcrLogin] = await Promise.all([started.credentials, started.ecrCode]);
    const { auth, region } = this.config;
    const roleArn = 'roleArn' in auth ? auth.roleArn : undefined;
    const signer = auth.kind === 'default-chain' ? auth.signer : undefined;
    const login = awaitedLater(getEcrLogin(region, credentials, this.deps.setSecret, roleArn, signer));
    if (whileInFlight) {
      await afterRequestsLeave();
      whileInFlight();
    }
    return login;
  }
}
