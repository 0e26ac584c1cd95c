import type { RegistrySpec } from '../aws/registry.ts';
import type { GitHubSettings } from '../github/settings.ts';
import type { SecretNames } from '../run/secret-kinds.ts';
import { parseAuth, parseRegion, parseRegistry, parseVerifyImages, type AwsConfig } from './aws.ts';
import { parseGitHub, parseSecretType, withApp } from './github.ts';
import {
  ConfigError,
  inputChecker,
  parseBoolean,
  type InputReader,
  type Read,
  type Report,
  type RunContext,
} from './problems.ts';
import { parseMaxAge, parseSecretNames, parseWriteInterval } from './secrets.ts';
import { parseTargets } from './targets.ts';

/**
 * The inputs into one typed config, composed from its parts: aws.ts (region, identity, registry,
 * images to check), github.ts (token, API URL, secret type) with targets.ts (repositories,
 * environments, organisation, patterns, visibility), secrets.ts (names, max-age, write interval).
 * Every problem of every part is collected, so that one run shows them all.
 */

export type { AwsConfig } from './aws.ts';
export { GITHUB_TOKEN_INPUT } from './github.ts';
export {
  ConfigError,
  formatProblem,
  renderInputNames,
  splitList,
  type InputProblem,
  type InputReader,
  type RunContext,
} from './problems.ts';
export { secretNameProblem } from './secrets.ts';
export { parseRepositoryName } from './targets.ts';
export { isLoopback } from './checks.ts';

/** A run that writes GitHub secrets: the AWS side, the GitHub sink's settings, and whether it is a dry run. */
export interface Config extends AwsConfig, GitHubSettings {
  /** Plan only: resolve targets, read their keys and decide what is due; no AWS call, no write (`dry-run`). */
  dryRun: boolean;
}

/**
 * Reads and checks every input once. All mistakes are collected, so one run shows them all;
 * nothing here touches the network. Each part reports its own mistakes, and any mistake means no
 * Config, so a part's value is only used when nothing was reported.
 */
export function parseConfig(getInput: InputReader, env: NodeJS.ProcessEnv, context: RunContext): Config {
  const { problems, read, report } = inputChecker(getInput);

  const region = parseRegion(read('aws-region'), env, report);
  const auth = parseAuth(read, context, region, report);
  const github = parseGitHub(read, context, report);
  const secretApp = parseSecretType(read, report);
  const selected = parseTargets(read, context, report);
  const secretNames = parseSecretNames(read, report);
  const maxAgeMs = parseMaxAge(read('max-age'), report);
  const registry = parseRegistry(read, region, report);
  if (registry) checkRegistriesNamed(read, registry, secretNames, report);
  const dryRun = parseBoolean(read, 'dry-run', report);
  const writeIntervalMs = parseWriteInterval(read('write-interval'), github?.apiUrl, report);
  const verifyImages = parseVerifyImages(read('verify-images'), report);

  if (problems.length > 0 || !region || !github || !selected || !registry) {
    throw new ConfigError(problems);
  }
  const targets = withApp(selected.targets, secretApp);
  const repositorySelection = selected.repositorySelection && {
    ...selected.repositorySelection,
    ...(secretApp === 'actions' ? {} : { app: secretApp }),
  };
  return {
    region,
    auth,
    verifyImages,
    github,
    targets,
    ...(repositorySelection ? { repositorySelection } : {}),
    secretNames,
    ...(maxAgeMs === undefined ? {} : { maxAgeMs }),
    registry,
    dryRun,
    writeIntervalMs,
  };
}

/**
 * The AWS inputs alone (aws.ts: `aws-region`, the credential inputs, the registry and the images to
 * check), checked as `parseConfig` checks them: for a front door whose run writes no GitHub secret
 * (the command with only a dotenv file or GitLab).
 */
export function parseAwsConfig(getInput: InputReader, env: NodeJS.ProcessEnv, context: RunContext): AwsConfig {
  const { problems, read, report } = inputChecker(getInput);
  const region = parseRegion(read('aws-region'), env, report);
  const auth = parseAuth(read, context, region, report);
  const registry = parseRegistry(read, region, report);
  const verifyImages = parseVerifyImages(read('verify-images'), report);
  if (problems.length > 0 || !region || !registry) throw new ConfigError(problems);
  return { region, auth, registry, verifyImages };
}

/**
 * `registries` with GitHub secrets: the other accounts only shape the docker-config secret. The
 * password (and username) secrets are the same for every registry: the list would change nothing written.
 */
function checkRegistriesNamed(read: Read, registry: RegistrySpec, secretNames: SecretNames, report: Report): void {
  if (registry.type === 'private' && read('registries') && !secretNames.dockerConfig)
    report(
      'registries',
      'it only shapes the docker-config secret, and {docker-config-secret-name} is not set',
      'Set {docker-config-secret-name} (such as DOCKER_AUTH_CONFIG), or remove {registries}: the password secret already opens every registry the identity may pull from.',
    );
}
