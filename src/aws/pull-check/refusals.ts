import type { ImageReference } from './image-reference.ts';

/** One answer of a registry, as the check reads it. */
export interface RegistryAnswer {
  status: number;
  body: string;
  contentType?: string;
}

/** Where the minimal pull policy is, for every message that asks for a permission. */
export const PULL_POLICY = "the minimal pull policy is examples/iam/ecr-pull-policy.json in this action's repository";

/**
 * What a registry's refusal means for the user. ECR answers with the Docker Registry API's error body,
 * `{"errors":[{"code":"DENIED" | "NAME_UNKNOWN" | "MANIFEST_UNKNOWN", "message": ...}]}`; a denial
 * names the IAM action and whose policy lacks it: "User: <arn> is not authorized to perform:
 * ecr:BatchGetImage on resource: arn:aws:ecr:<region>:<account>:repository/<name> because no
 * identity-based policy allows the ecr:BatchGetImage action" (everything2/everything2#2562), "... no
 * resource-based policy allows ..." for another account's repository (bottlerocket-os/
 * bottlerocket-update-operator#157), and ecr:GetDownloadUrlForLayer for the config blob
 * (aws-amplify/amplify-category-api#1255).
 */
export function refusalMessage(answer: RegistryAnswer, image: ImageReference, host: string): string {
  const error = firstError(answer.body);
  const said = error.message ? ` ("${oneLine(error.message)}")` : '';
  const action = /not authorized to perform:? (ecr(?:-public)?:\w+)/.exec(error.message ?? '')?.[1];
  if (answer.status === 404 && error.code === 'NAME_UNKNOWN')
    return `the repository ${image.repository} does not exist in ${host} (NAME_UNKNOWN). Check the repository's name (names are case-sensitive and include any namespace, such as team/app), and the account and region of the registry.`;
  if (answer.status === 404 && (error.code === 'MANIFEST_UNKNOWN' || error.code === 'NOT_FOUND'))
    return `${image.reference.startsWith('sha256:') ? 'the digest' : 'the tag'} ${image.reference} does not exist in ${image.repository} at ${host} (MANIFEST_UNKNOWN). Check the tag, or push the image.`;
  if (action && /resource-based policy/.test(error.message ?? ''))
    return `the repository policy of ${image.repository} in ${host} does not allow this identity ${action}${said}. Another account's repository must trust the identity in its repository policy: add a statement allowing ecr:BatchGetImage and ecr:GetDownloadUrlForLayer to this role's ARN (or its account), and give the identity the same actions in its own policy (${PULL_POLICY}).`;
  if (action)
    return `the identity may not pull ${image.repository}: it lacks ${action}${said}. Allow ecr:BatchGetImage and ecr:GetDownloadUrlForLayer on the repository in the identity's policy (${PULL_POLICY}).`;
  if (answer.status === 401 || answer.status === 403)
    return `${host} did not accept the password (${answer.status}${error.code ? ` ${error.code}` : ''})${said}. The password opens the registries of its own region and partition only, for 12 hours; check that aws-region is the registry's region, and run again.`;
  return `${host} answered ${answer.status}${error.code ? ` ${error.code}` : ''}${said} for ${image.repository}:${image.reference}.`;
}

function firstError(body: string): { code?: string; message?: string } {
  try {
    const error = (JSON.parse(body) as { errors?: { code?: unknown; message?: unknown }[] }).errors?.[0];
    return {
      ...(typeof error?.code === 'string' ? { code: error.code } : {}),
      ...(typeof error?.message === 'string' ? { message: error.message } : {}),
    };
  } catch {
    return {};
  }
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 400 ? `${line.slice(0, 400)}…` : line;
}
