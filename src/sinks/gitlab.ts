import { errorMessage } from '../errors.ts';
import type { SecretResult } from '../github/writer.ts';
import { writeGitLabVariable, type GitLabOwnerKind } from '../gitlab/variables.ts';
import { dockerConfigJson } from '../secrets.ts';
import { alwaysDue, type Sink } from './sink.ts';

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
  const plan = { target, due: [{ name: variable }], results: [] };
  const result = (status: SecretResult['status'], detail?: string): SecretResult => ({
    target: target.label,
    secret: variable,
    status,
    takesEffect: target.takesEffect,
    ...(detail ? { detail } : {}),
  });
  return {
    plans: [plan],
    waitsForDue: false,
    prepare: ({ onDue }) => {
      onDue();
      return alwaysDue(plan, async (login) => {
        if (!login) return [result('failed', 'no ECR login was made; please report this bug')];
        const value = dockerConfigJson(login.registryHosts.map((registry) => ({ ...login, registry })));
        setSecret(value);
        try {
          const written = await writeGitLabVariable({ ...settings, key: variable, value, sensitive: true });
          return [result(written.status, written.note)];
        } catch (error) {
          return [result('failed', errorMessage(error))];
        }
      });
    },
  };
}
