import { RequestError } from '@octokit/request-error';
import { errorMessage } from '../util/errors.ts';
import {
  hostOf,
  networkFailure,
  REQUEST_TIMEOUT_MS,
  unreachableMessage,
  withoutUrlCredentials,
} from '../net/failures.ts';

export interface GitHubCallContext {
  /** What the action was doing, as a verb phrase: "write secret ECR_PASSWORD to", "read the public key of". */
  doing: string;
  target: string;
  permission: string;
  notFoundHint: string;
  tokenSource: TokenSource;
}

/**
 * The GitHub token as the user set it, for messages. Each front door says where it came from (the
 * action's input, the command's environment variable); the engine only repeats what it is told.
 */
export interface TokenSource {
  /** What the user calls it: `github-token` in the action, the variable that held it (`GH_TOKEN`) in the command. */
  name: string;
  /** How a new token takes its place, ending "Create a new token and ...": "update the secret that holds it". */
  renewal: string;
}

/** What to do when an organisation's SAML single sign-on refuses a token that has not been authorised for it. */
export function samlSsoAdvice(tokenName: string): string {
  return `The organisation enforces SAML single sign-on: authorise ${tokenName} for it (classic token: Settings > Developer settings > Personal access tokens > Configure SSO > Authorize; a GitHub App token needs no authorisation).`;
}

/** Says what went wrong with a GitHub call and what the user must change. Never echoes bodies, tokens or URL credentials. */
export function describeGitHubError(error: unknown, context: GitHubCallContext): string {
  return withoutUrlCredentials(describe(error, context));
}

function describe(error: unknown, context: GitHubCallContext): string {
  // Octokit reports a request that got no answer as status 500: it is not GitHub's fault, say what it was.
  const network =
    error instanceof RequestError && error.response ? undefined : networkFailure(error, REQUEST_TIMEOUT_MS);
  if (network) {
    const url = error instanceof RequestError ? error.request.url : undefined;
    const host = hostOf(url) ?? 'the GitHub API';
    return `Could not ${context.doing} ${context.target}: ${unreachableMessage(host, network, { ...(url ? { url } : {}), settings: '{github-api-url} (GitHub Enterprise Server: https://<host>/api/v3)' })}`;
  }
  if (!(error instanceof RequestError)) {
    return `Could not ${context.doing} ${context.target}: ${errorMessage(error)}`;
  }
  if (!error.response) {
    // No answer at all, for a reason other than the network (a URL fetch refuses, say): not GitHub's doing either.
    return `Could not ${context.doing} ${context.target}: the request to ${hostOf(error.request.url) ?? 'the GitHub API'} failed: ${error.message}. Check {github-api-url}.`;
  }
  const { status } = error;
  const said = `GitHub answered ${status}${githubMessage(error) ? ` "${githubMessage(error)}"` : ''}`;
  const token = context.tokenSource;
  switch (status) {
    case 401:
      return `${token.name} was refused while trying to ${context.doing} ${context.target} (${said}): it is mistyped, expired or revoked. Create a new token and ${token.renewal}.`;
    case 403:
      if (/SAML enforcement/i.test(error.message)) {
        return `${token.name} may not ${context.doing} ${context.target} (${said}). ${samlSsoAdvice(token.name)}`;
      }
      // A repository GitHub disabled or locked (src/github/targets/owner-repositories.ts): no token would be let in.
      if (/Repository access blocked/i.test(error.message)) {
        return `Could not ${context.doing} ${context.target} (${said}): GitHub has blocked this repository (disabled or locked), so no secret can be written there until it is restored. Ask its owner (or GitHub Support), or remove it from repositories.`;
      }
      if (/rate limit/i.test(error.message)) {
        return `GitHub's rate limit stopped the action from trying to ${context.doing} ${context.target} (${said}). Run it again later, or use a GitHub App token, which has a higher limit.`;
      }
      return `${token.name} may not ${context.doing} ${context.target} (${said}). It needs ${context.permission}. The workflow's own GITHUB_TOKEN can never write secrets: pass a fine-grained PAT or a GitHub App token.`;
    case 404:
      return `Could not ${context.doing} ${context.target}: not found, or not visible to ${token.name} (${said}). ${context.notFoundHint}`;
    case 422:
      return `GitHub refused to ${context.doing} ${context.target} (${said}).`;
    default:
      return status >= 500 || status === 429
        ? `Could not ${context.doing} ${context.target}: ${said}, and retries did not help. GitHub may be having trouble; run the job again.`
        : `Could not ${context.doing} ${context.target} (${said}).`;
  }
}

/** GitHub's own `message` field, without the docs link Octokit appends; never the request. */
function githubMessage(error: RequestError): string {
  const data = error.response?.data as { message?: unknown } | undefined;
  const message = typeof data?.message === 'string' ? data.message : error.message.replace(/ - https:\/\/\S+$/, '');
  return withoutSentValues(message, error.request.body);
}

/**
 * GitHub's validation messages quote the values they refuse ("For 'properties/encrypted_value',
 * \"...\" does not match"): whatever long string the request sent is cut out, so that no message
 * repeats a sealed value.
 */
function withoutSentValues(message: string, body: unknown): string {
  let sent: unknown = body;
  if (typeof body === 'string') {
    try {
      sent = JSON.parse(body);
    } catch {
      sent = { body };
    }
  }
  if (typeof sent !== 'object' || sent === null) return message;
  return Object.values(sent)
    .filter((value): value is string => typeof value === 'string' && value.length >= 16)
    .reduce((text, value) => text.split(value).join('[value sent]'), message);
}
