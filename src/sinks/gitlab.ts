import { errorMessage } from '../errors.ts';
import { writeGitLabVariable, type GitLabOwnerKind } from '../gitlab/variables.ts';
import { loginDockerConfig } from '../secrets.ts';
import { oneDestinationSink, type Sink } from './sink.ts';

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
