import { afterEach, expect, it } from '@jest/globals';
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { awsClientConfig } from '../../src/aws/client-config.ts';
import { startSilentProxy } from '../fakes/silent-proxy.ts';

// The AWS SDK behind the runner's proxy (src/net/proxy-agent.ts): a proxy that accepts the connection and
// never answers the tunnel request is a timeout the SDK retries, as it retries its own: each of its four
// attempts made, and a timeout.

let silentProxy: Awaited<ReturnType<typeof startSilentProxy>> | undefined;
const saved = process.env['https_proxy'];
afterEach(async () => {
  if (saved === undefined) delete process.env['https_proxy'];
  else process.env['https_proxy'] = saved;
  await silentProxy?.stop();
});

it('a proxy that never answers the tunnel request: every one of the SDK attempts is made, each a timeout', async () => {
  silentProxy = await startSilentProxy();
  const proxy = silentProxy.url;
  process.env['https_proxy'] = proxy;
  const config = await awsClientConfig('eu-west-1', { https_proxy: proxy });
  const ecr = new ECRClient({
    ...config,
    endpoint: 'https://ecr.example.test',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
  });
  const error = (await ecr.send(new GetAuthorizationTokenCommand({})).catch((thrown: unknown) => thrown)) as {
    name?: string;
    $metadata?: { attempts?: number };
  };
  // Four attempts (the action's maxAttempts), each a connection to the proxy that it left unanswered.
  expect(error.$metadata?.attempts).toBe(config.maxAttempts);
  expect(silentProxy.sockets).toHaveLength(config.maxAttempts);
  expect(error.name).toBe('TimeoutError');
}, 60_000);
