import { USER_AGENT } from '../version.ts';

/** How long one AWS request may take before it is dropped and retried. */
const REQUEST_TIMEOUT_MS = 10_000;

/** Settings shared by the STS and ECR clients. Endpoints come from the SDK's own `AWS_ENDPOINT_URL_*` variables. */
export function awsClientConfig(region: string) {
  return {
    region,
    customUserAgent: USER_AGENT,
    // The SDK's standard retry mode retries throttling, 5xx, timeouts and network errors only: never AccessDenied.
    maxAttempts: 4,
    requestHandler: { connectionTimeout: 5_000, requestTimeout: REQUEST_TIMEOUT_MS, throwOnRequestTimeout: true },
  };
}
