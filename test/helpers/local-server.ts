// Real HTTP servers on 127.0.0.1 for transport tests, closed (keep-alive sockets included) after each test.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterEach } from 'vitest';

export function useLocalServers(): { listen(server: Server): Promise<number> } {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
  return {
    async listen(server) {
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return (server.address() as AddressInfo).port;
    },
  };
}

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago): for ECONNREFUSED. */
export async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/**
 * A CONNECT proxy that tunnels every host to 127.0.0.1:`target`, recording each CONNECT target: a
 * name that resolves nowhere answering proves the request went through the proxy.
 */
export async function proxyTo(listen: (server: Server) => Promise<number>, target: number): Promise<{ port: number; tunnels: string[] }> {
  const tunnels: string[] = [];
  const proxy = createServer();
  proxy.on('connect', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    tunnels.push(req.url ?? '');
    const upstream = connect(target, '127.0.0.1', () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(socket).pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  return { port: await listen(proxy), tunnels };
}

/** A proxy that accepts each connection and closes it at its CONNECT, counting them (a refusing proxy). */
export async function closingProxy(listen: (server: Server) => Promise<number>): Promise<{ port: number; connects(): number }> {
  let connects = 0;
  const proxy = createServer();
  proxy.on('connect', (_req: IncomingMessage, socket: Socket) => {
    connects++;
    socket.destroy();
  });
  return { port: await listen(proxy), connects: () => connects };
}
