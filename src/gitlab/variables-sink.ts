import { errorMessage } from '../util/errors.ts';
import type { RegistrySpec } from '../aws/registry.ts';
import { GITLAB_VALUE_MAX_CHARS, writeGitLabVariable, type GitLabOwnerKind } from './variables.ts';
import { loginDockerConfig, registryAccountsWithin } from '../run/secret-kinds.ts';
import { oneDestinationSink, type Sink } from '../run/sink.ts';

export interface GitLabSettings {
  apiUrl: string;
  token: string;
  /** The environment variable the token came from, for messages. */
  tokenSource: string;
  owner: { kind: GitLabOwnerKind; id: string };
  /** The variable that receives the docker config, such as DOCKER_AUTH_CONFIG. */
  variable: string;
  /** Undefined when neither --gitlab-protected nor --no-gitlab-protected is given. */
  protected?: boolean;
  environmentScope: string;
}

/**
 * A GitLab CI/CD variable of a project or group holding the docker config (gitlab/variables.ts:
 * created or updated, masked where GitLab allows it, with the reason in the report where not).
 */
export function gitlabSink(settings: GitLabSettings, setSecret: (value: string) => void): Sink {
  const { owner, variable, environmentScope } = settings;
  const scope = environmentScope === '*' ? '' : ` (environment scope ${environmentScope})`;
  const target = {
    label: `GitLab ${owner.kind} ${owner.id}${scope}`,
    takesEffect: `the jobs of ${owner.kind === 'project' ? 'the project' : "the group's projects"} started after the write`,
  };
  return oneDestinationSink(target, [variable], async (login, result) => {
    const value = loginDockerConfig(login);
    setSecret(value);
    try {
      const written = await writeGitLabVariable({ ...settings, key: variable, value, sensitive: true });
      // GitLab creates a variable unprotected unless told: every pipeline, of any branch, may then read it.
      const unprotected =
        written.status === 'created' && settings.protected !== true
          ? 'created unprotected: pipelines of every branch can read it (--gitlab-protected makes it protected)'
          : undefined;
      const note = [written.note, unprotected].filter(Boolean).join('; ');
      return [result(variable, written.status, note || undefined)];
    } catch (error) {
      return [result(variable, 'failed', errorMessage(error))];
    }
  });
}

/**
 * Accounts beside the login's own registry whose docker config fits GitLab's 10,000 characters for a
 * value whatever ECR answers (run/secret-kinds.ts has the arithmetic): 1. Two registries take about 6.8 KB,
 * three about 10.3 KB with passwords of a typical 2,500 characters.
 */
export const MAX_GITLAB_REGISTRY_ACCOUNTS = registryAccountsWithin(GITLAB_VALUE_MAX_CHARS);

/**
 * Why the docker config of `registry` may not fit in a GitLab variable, checked before any AWS request
 * as `registries` is for GitHub's 48 KB (config/aws.ts); undefined when it fits.
 */
export function gitlabRegistriesProblem(registry: RegistrySpec): string | undefined {
  const accounts = registry.type === 'private' ? registry.accounts.length : 0;
  if (accounts <= MAX_GITLAB_REGISTRY_ACCOUNTS) return undefined;
  return `--registries: it lists ${accounts} accounts, and the docker config of a GitLab CI/CD variable fits at most ${MAX_GITLAB_REGISTRY_ACCOUNTS} beside the login's own registry: each adds an entry of up to 3.8 KB (an ECR password runs to 2,700 characters), and GitLab takes values of at most ${GITLAB_VALUE_MAX_CHARS} characters. List at most ${MAX_GITLAB_REGISTRY_ACCOUNTS}, or write the GitLab variable in a run of its own, without --registries.`;
}
