import { createServer, type AddressInfo, type Socket } from 'node:net';

/**
 * A proxy that accepts every connection and never answers: a CONNECT sent to it waits forever, as
 * behind a proxy that hangs. `sockets` holds each connection it accepted; `stop` ends them.
 */
export async function startSilentProxy(): Promise<{ url: string; sockets: Socket[]; stop: () => Promise<void> }> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => sockets.push(socket));
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    sockets,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((closed) => server.close(() => closed()));
    },
  };
}
