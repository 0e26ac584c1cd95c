/** How a run gets its AWS identity; config/aws.ts picks one from which inputs are set (the command adds its own two). */
export type AwsAuth =
  | { kind: 'oidc'; roleArn: string; audience: string; sessionName: string; durationSeconds: number }
  | { kind: 'access-keys'; keys: AccessKeys }
  | { kind: 'access-keys-and-role'; keys: AccessKeys; roleArn: string; sessionName: string; durationSeconds: number }
  // `signer` set by the command: its messages then name flags and environment variables, not the action's inputs.
  | { kind: 'default-chain'; signer?: string }
  // The command's paths (src/cli/): a web identity token from any CI, and a role assumed with the default chain's identity.
  | {
      kind: 'web-identity';
      roleArn: string;
      /** The token itself (masked as soon as it is read), and where it came from, for messages. */
      token: string;
      tokenSource: string;
      sessionName: string;
      durationSeconds: number;
    }
  | { kind: 'default-chain-and-role'; roleArn: string; sessionName: string; durationSeconds: number };

export interface AccessKeys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}
