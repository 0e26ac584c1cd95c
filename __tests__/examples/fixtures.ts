import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PolicyDocument } from './policy.ts';
import { sourceFiles } from '../source-files.ts';

export const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
export const EXAMPLES = join(ROOT, 'examples');

/** The four trust scopes, each with its own trust-policy JSON under examples/iam/. */
export const SCOPES = ['organization', 'repository', 'branch', 'environment'] as const;
export type Scope = (typeof SCOPES)[number];

/** The values the JSON examples are written for; the templates, given the same, must produce the same documents. */
export const ACCOUNT = { partition: 'aws', region: 'eu-west-1', accountId: '123456789012' };
export const VALUES = {
  org: 'octo-org',
  repository: 'app',
  branch: 'main',
  environment: 'ecr',
  ecrRepository: 'build-env',
};
export const ECR_REPOSITORY_ARN = `arn:aws:ecr:eu-west-1:123456789012:repository/${VALUES.ecrRepository}`;

export function iamJson(name: string): PolicyDocument {
  return JSON.parse(readFileSync(join(EXAMPLES, 'iam', name), 'utf8')) as PolicyDocument;
}

/**
 * What the action's source says it asks of AWS: the IAM actions it names (`'sts:AssumeRole'`, as the
 * error messages and AwsCallContext give them), the AWS SDK commands it sends (`new XCommand(`), and
 * the default OIDC audience.
 */
export function actionSource(): { namedActions: string[]; commands: string[]; defaultAudience: string | undefined } {
  const text = sourceFiles(join(ROOT, 'src'))
    .map((file) => readFileSync(file, 'utf8'))
    .join('\n');
  const namedActions = [
    ...new Set([...text.matchAll(/'((?:sts|ecr|ecr-public):[A-Za-z]+)'/g)].map(([, action]) => action ?? '')),
  ].sort();
  const commands = [
    ...new Set([...text.matchAll(/new\s+(?:[\w.]+\.)?(\w+)Command\(/g)].map(([, command]) => command ?? '')),
  ].sort();
  const defaultAudience = /DEFAULT_AUDIENCE\s*=\s*'([^']+)'/.exec(text)?.[1];
  return { namedActions, commands, defaultAudience };
}
