import { connect } from 'node:net';

/**
 * A loopback port that refuses connections, for tests of "connection refused".
 *
 * Why not "listen on port 0, close, reuse the number": jest runs test files in parallel, and the
 * next fake that listens on port 0 in another worker may be handed that same number, so the
 * "refused" request reaches a live fake instead (CI saw a 403 from another file's fake GitHub).
 * Ports below 1024 are never handed out for port 0 (the kernel picks from the ephemeral range),
 * so a privileged port that is refused now stays refused for the test. Each candidate is checked
 * first; a machine where all of them listen fails loudly instead of testing the wrong thing.
 */
export async function refusedPort(): Promise<number> {
  for (const port of [1, 9, 13, 17, 19]) {
    if (await refuses(port)) return port;
  }
  throw new Error('refusedPort: every candidate privileged port on 127.0.0.1 accepts connections');
}

function refuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}
