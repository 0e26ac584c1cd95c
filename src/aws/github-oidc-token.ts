import { request } from 'undici';
import { REQUEST_TIMEOUT_MS } from '../net/failures.ts';
import { retryingDispatcher, unansweredAfterRetries } from '../net/retrying-dispatcher.ts';
import { USER_AGENT } from '../util/version.ts';

/**
 * Asks the runner's token service for a GitHub OIDC token, as `core.getIDToken` does (same URL with
 * `audience`, same bearer, the token masked), but with what core's client lacks: a deadline for each
 * attempt (a hung endpoint would otherwise hold the job until its own timeout) and retries for
 * timeouts and network errors as well as 429 and 5xx, by undici's RetryAgent.
 * The connection goes where `@actions/http-client` sends it for this URL, as in core: through the
 * runner's `https_proxy` / `http_proxy` unless `no_proxy` (or a loopback host) says otherwise.
 */
export async function requestGitHubIdToken(
  audience: string,
  env: NodeJS.ProcessEnv,
  setSecret: (value: string) => void,
  signal?: AbortSignal,
): Promise<string> {
  // Set by the runner for jobs with `permissions: id-token: write`; credentials.ts checks both first.
  const { ACTIONS_ID_TOKEN_REQUEST_URL: endpoint, ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken } = env;
  if (!endpoint || !requestToken)
    throw new Error('this job has no ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN.');
  const url = new URL(endpoint);
  url.searchParams.set('audience', audience);
  const dispatcher = retryingDispatcher(url.href, ['GET']);
  try {
    let answer: Awaited<ReturnType<typeof request>>;
    try {
      answer = await request(url, {
        dispatcher,
        ...(signal ? { signal } : {}),
        headers: { authorization: `Bearer ${requestToken}`, accept: 'application/json', 'user-agent': USER_AGENT },
        headersTimeout: REQUEST_TIMEOUT_MS,
        bodyTimeout: REQUEST_TIMEOUT_MS,
      });
    } catch (error) {
      throw new Error(failureMessage(url.host, url.href, error), { cause: error });
    }
    const body = await answer.body.text().catch(() => '');
    if (answer.statusCode !== 200) throw new Error(refusalMessage(url.host, answer.statusCode));
    const token = tokenFrom(body);
    if (!token) throw new Error(`the token service at ${url.host} answered without a token; re-run the job.`);
    setSecret(token);
    return token;
  } finally {
    // Idle keep-alive sockets would hold the process open after the run.
    await dispatcher.close();
  }
}

function tokenFrom(body: string): string | undefined {
  try {
    const { value } = JSON.parse(body) as { value?: unknown };
    return typeof value === 'string' && value ? value : undefined;
  } catch {
    return undefined;
  }
}

/** An attempt that got no usable answer: a timeout, a network error, or 429/5xx after every retry. */
function failureMessage(host: string, url: string, error: unknown): string {
  return unansweredAfterRetries(host, url, error, {
    answered: (status, attempts) => {
      // Returned here, so the troubleshooting check reads it as this function's message.
      return `the token service at ${host} answered ${status} (${attempts}); GitHub may be having trouble: re-run the job later.`;
    },
    settings: "the runner's ACTIONS_ID_TOKEN_REQUEST_URL",
  });
}

function refusalMessage(host: string, status: number): string {
  if (status === 401 || status === 403) {
    return `the token service at ${host} refused this job's request (${status}); check that the job has 'permissions: id-token: write', and re-run it.`;
  }
  return `the token service at ${host} answered ${status}.`;
}
