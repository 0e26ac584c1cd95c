import { USER_AGENT } from '../version.ts';

/** Settings shared by the STS and ECR clients. Endpoints come from the SDK's own `AWS_ENDPOINT_URL_*` variables. */
export function awsClientConfig(region: string) {
  return {
    region,
    customUserAgent: USER_AGENT,
    // The SDK's standard retry mode retries throttling, 5xx and network errors only: never AccessDenied.
    maxAttempts: 4,
  };
}
