import { CONNECT_TIMEOUT_MS, PROXY_VARIABLES, REQUEST_TIMEOUT_MS } from '../net/failures.ts';
import { USER_AGENT } from '../util/version.ts';

const REQUEST_HANDLER_OPTIONS = {
  connectionTimeout: CONNECT_TIMEOUT_MS,
  requestTimeout: REQUEST_TIMEOUT_MS,
  throwOnRequestTimeout: true,
};

/**
 * Settings shared by the STS and ECR clients. Endpoints come from the SDK's own `AWS_ENDPOINT_URL_*`
 * variables. The SDK ignores the runner's proxy variables; when one is set, requests go through
 * `RunnerProxyAgent`, loaded only then, so runs without a proxy never pay for it.
 */
export async function awsClientConfig(region: string, env: NodeJS.ProcessEnv = process.env) {
  return {
    region,
    customUserAgent: USER_AGENT,
    // The SDK's standard retry mode retries throttling, 5xx, timeouts and network errors only: never AccessDenied.
    maxAttempts: 4,
    requestHandler: hasProxy(env) ? await proxiedRequestHandler() : REQUEST_HANDLER_OPTIONS,
  };
}

/** The variables `@actions/http-client` reads; `no_proxy` alone sends nothing through a proxy. */
function hasProxy(env: NodeJS.ProcessEnv): boolean {
  return PROXY_VARIABLES.some((name) => env[name]);
}

async function proxiedRequestHandler() {
  const [{ NodeHttpHandler }, { RunnerProxyAgent }] = await Promise.all([
    import('@smithy/node-http-handler'),
    import('../net/proxy-agent.ts'),
  ]);
  const agent = new RunnerProxyAgent({ keepAlive: true });
  return new NodeHttpHandler({ ...REQUEST_HANDLER_OPTIONS, httpAgent: agent, httpsAgent: agent });
}
