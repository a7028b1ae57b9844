// The cheapest receiver possible: reads each request body and answers 204. The handler benchmarks use it so
// that what they time is the bridge, not a receiver's decoding.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface Sink {
  /** `http://127.0.0.1:<port>/api/v1/write` */
  readonly url: string;
  readonly requests: () => number;
  readonly bytes: () => number;
  close(): Promise<void>;
}

/** Listens on a free loopback port; `close` ends kept-alive connections too, so a benchmark never waits on them. */
export async function listenOnLoopback(
  server: Server | HttpsServer,
): Promise<{ port: number; close: () => Promise<void> }> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return { port, close };
}

export async function startSink(): Promise<Sink> {
  let requests = 0;
  let bytes = 0;
  const server: Server = createServer((req, res) => {
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    req.on('end', () => {
      requests += 1;
      res.writeHead(204).end();
    });
  });
  const { port, close } = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}/api/v1/write`,
    requests: () => requests,
    bytes: () => bytes,
    close,
  };
}
