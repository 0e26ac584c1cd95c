/**
 * What ECR and ECR Public's GetAuthorizationToken share: a base64 `user:password` token (user `AWS`).
 * Apart from both clients, so that each loads only its own SDK.
 */

/** An answer of ECR (or ECR Public) the action cannot use; its message is written for the user as it stands. */
export class EcrAnswerError extends Error {}

/**
 * The user name and password in a GetAuthorizationToken token, masked (token first) the moment
 * they exist; undefined when the token is not base64 of `user:password`.
 */
export function userAndPassword(
  token: string,
  setSecret: (value: string) => void,
): { username: string; password: string } | undefined {
  setSecret(token);
  const decoded = Buffer.from(token, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const username = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  if (colon < 1 || !password) return undefined;
  setSecret(password);
  return { username, password };
}
