import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a fake received, as the tests inspect it. */
export interface RecordedRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** Status the fake answered with; 0 when it reset the connection. */
  status: number;
  /** `performance.now()` when the request arrived, for the start-up benchmark. */
  receivedAt: number;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/** A fault to inject: answer the next `times` matching requests with it instead of the real answer. */
export interface Fault {
  match: (request: { method: string; url: string; body: string }) => boolean;
  times?: number;
  /** A reply, a dropped connection, or a delay before the real answer. */
  reply?: Reply;
  reset?: boolean;
  delayMs?: number;
  /** Holds the answer until this settles: a service slow to answer, timed against what another fake has seen. */
  until?: () => Promise<unknown>;
}

export type Handler = (request: { method: string; url: URL; headers: IncomingMessage['headers']; body: string }) => Reply | Promise<Reply>;

/** A loopback HTTP server that records every request and can inject faults. */
export class FakeServer {
  readonly requests: RecordedRequest[] = [];
  private faults: (Fault & { remaining: number })[] = [];
  private server = createServer((req, res) => void this.handle(req, res));
  private handler: Handler;
  url = '';

  constructor(handler: Handler) {
    this.handler = handler;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  inject(fault: Fault): void {
    this.faults.push({ ...fault, remaining: fault.times ?? 1 });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const receivedAt = performance.now();
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const record: RecordedRequest = { method, url, headers: req.headers, body, status: 0, receivedAt };
    this.requests.push(record);

    const fault = this.faults.find((f) => f.remaining > 0 && f.match({ method, url, body }));
    if (fault) fault.remaining--;
    if (fault?.reset) {
      req.socket.destroy();
      return;
    }
    if (fault?.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    if (fault?.until) await fault.until();
    if (res.destroyed) return;

    let reply: Reply;
    try {
      // The Host header, as a real service sees it (a proxied request names the service, not 127.0.0.1).
      const base = req.headers.host ? `http://${req.headers.host}` : this.url;
      reply = fault?.reply ?? (await this.handler({ method, url: new URL(url, base), headers: req.headers, body }));
    } catch (error) {
      reply = { status: 500, body: JSON.stringify({ message: `fake failed: ${(error as Error).message}` }) };
    }
    record.status = reply.status;
    res.writeHead(reply.status, reply.headers ?? {});
    res.end(reply.body ?? '');
  }
}

export const json = (status: number, data: unknown, headers: Record<string, string> = {}): Reply => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  body: JSON.stringify(data),
});
