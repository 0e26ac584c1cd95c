/** How the action gets its AWS identity; config.ts picks one from which inputs are set. */
export type AwsAuth =
  | { kind: 'oidc'; roleArn: string; audience: string; sessionName: string; durationSeconds: number }
  | { kind: 'access-keys'; keys: AccessKeys }
  | { kind: 'access-keys-and-role'; keys: AccessKeys; roleArn: string; sessionName: string; durationSeconds: number }
  | { kind: 'default-chain' };

export interface AccessKeys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}
