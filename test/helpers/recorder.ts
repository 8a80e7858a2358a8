// A local listener that records everything it receives (request line, headers, body, CONNECT
// tunnels): a stand-in for "another host" in tests that prove what carto-keys must never send there.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface Received {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface Recorder {
  port: number;
  origin: string;
  received: Received[];
  /** Every byte received as text, for "the key never arrived" greps. */
  text(): string;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 port 0; `answer` replies to each request (default: 404 with an empty body). */
export async function recorder(answer?: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<Recorder> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      if (answer) answer(req, res, body);
      else res.writeHead(404).end();
    });
  });
  server.on('connect', (req: IncomingMessage, socket: Socket) => {
    received.push({ method: 'CONNECT', url: req.url ?? '', headers: req.headers, body: '' });
    socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    received,
    text: () => received.map((r) => `${r.method} ${r.url}\n${JSON.stringify(r.headers)}\n${r.body}`).join('\n'),
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
