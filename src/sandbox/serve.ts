// `sandbox serve`: the handler behind a small node:http adapter, on 127.0.0.1 only (the emulator
// prints its Master key; it must not be reachable from the network). Fault injection lives here.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FaultQueue, parseFaults, type SandboxFault } from './faults.js';
import type { SandboxHandler } from './handler.js';
import { emptyReply, errorReply, JSON_CONTENT_TYPE, jsonReply, railsServerErrorPage } from './responses.js';

export interface SandboxServerOptions {
  handler: SandboxHandler;
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: '127.0.0.1';
  faults?: SandboxFault[];
}

export interface SandboxServer {
  /** `http://127.0.0.1:{port}`, no trailing slash. */
  url: string;
  port: number;
  host: string;
  /** Stops listening and drops every connection, idle keep-alive and stalled ones included. */
  close(): Promise<void>;
  addFaults(faults: SandboxFault[]): void;
  clearFaults(): void;
  pendingFaults(): SandboxFault[];
}

const ADMIN_PREFIX = '/__sandbox/';
const HOST = '127.0.0.1';

export async function startSandboxServer(opts: SandboxServerOptions): Promise<SandboxServer> {
  const faults = new FaultQueue();
  if (opts.faults) faults.add(parseFaults(opts.faults));
  const server = createServer((req, res) => {
    serve(req, res).catch(() => {
      // A request the adapter cannot even turn into a Request (say, a Host header that is no host).
      if (res.headersSent) res.destroy();
      else void send(res, emptyReply(400));
    });
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const request = await toRequest(req, server);
    const { pathname } = new URL(request.url);
    if (pathname.startsWith(ADMIN_PREFIX)) return send(res, await admin(request, pathname, faults));
    const fault = faults.take(request.method, pathname);
    if (fault && (fault.when ?? 'before') === 'before') return applyFault(fault, res, undefined);
    const response = await opts.handler(request).catch(() => railsServerErrorPage());
    if (fault) return applyFault(fault, res, response);
    return send(res, response);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${HOST}:${port}`,
    port,
    host: HOST,
    close: () => closeServer(server),
    addFaults: (more) => faults.add(parseFaults(more)),
    clearFaults: () => faults.clear(),
    pendingFaults: () => faults.pending(),
  };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    // server.close() alone waits for keep-alive sockets to time out, and forever for a stall.
    server.closeAllConnections();
  });
}

async function toRequest(req: IncomingMessage, server: Server): Promise<Request> {
  const { port } = server.address() as AddressInfo;
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string);
  const method = req.method ?? 'GET';
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = chunks.length > 0 && method !== 'GET' && method !== 'HEAD' ? Buffer.concat(chunks) : undefined;
  // The Host header is kept so that the subdomain form (demo.localhost:port) works over HTTP too.
  const url = new URL(req.url ?? '/', `http://${req.headers.host ?? `${HOST}:${port}`}`);
  return new Request(url, { method, headers, ...(body && { body }) });
}

async function send(res: ServerResponse, response: Response): Promise<void> {
  const body = Buffer.from(await response.arrayBuffer());
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  headers['content-length'] = String(body.length);
  res.writeHead(response.status, headers);
  res.end(body);
}

async function admin(request: Request, pathname: string, faults: FaultQueue): Promise<Response> {
  if (pathname !== `${ADMIN_PREFIX}faults`) return emptyReply(404);
  if (request.method === 'GET') return jsonReply(200, faults.pending());
  if (request.method === 'DELETE') {
    faults.clear();
    return emptyReply(204);
  }
  if (request.method !== 'POST') return emptyReply(405);
  try {
    faults.add(parseFaults(JSON.parse(await request.text())));
  } catch (e) {
    return errorReply(400, `Bad faults: ${(e as Error).message}`);
  }
  return jsonReply(200, faults.pending());
}

// ---------------------------------------------------------------------------------------------

const NGINX_502 =
  '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>';
/** Valid-looking JSON cut short, for the `before` variant of `truncated` (nothing to cut yet). */
const CANNED_JSON = JSON.stringify({ total: 2, count: 2, result: [{ name: 'Master', type: 'master' }] });

const WRONG_SHAPE = { data: [], message: 'not the shape the contract describes' };

function htmlResponse(status: number, html: string): Response {
  return new Response(html, { status, headers: { 'content-type': 'text/html' } });
}

async function truncated(response: Response | undefined): Promise<Response> {
  const text = response ? await response.text() : '';
  const full = text === '' ? CANNED_JSON : text;
  // A complete HTTP message whose JSON is cut in half: the client's parser, not its socket, fails.
  return new Response(full.slice(0, Math.floor(full.length / 2)), {
    status: response && text !== '' ? response.status : 200,
    headers: { 'content-type': JSON_CONTENT_TYPE },
  });
}

function tooManyRequests(retryAfter: number | undefined): Response {
  const response = errorReply(429, 'You are over platform limits. Please retry later.');
  if (retryAfter !== undefined) response.headers.set('retry-after', String(retryAfter));
  return response;
}

/** `response` is the sandbox's own reply for an `after` fault (its state change already happened). */
async function applyFault(fault: SandboxFault, res: ServerResponse, response: Response | undefined): Promise<void> {
  switch (fault.kind) {
    case 'reset':
      res.socket?.destroy();
      return;
    case 'stall':
      // Never answered: the socket stays open until the client gives up or the server closes.
      return;
    case 'status500':
      return send(res, railsServerErrorPage());
    case 'html502':
      return send(res, htmlResponse(502, NGINX_502));
    case 'status429':
      return send(res, tooManyRequests(fault.retryAfter));
    case 'empty200':
      return send(res, new Response('', { status: 200, headers: { 'content-type': JSON_CONTENT_TYPE } }));
    case 'truncated':
      return send(res, await truncated(response));
    case 'wrongShape':
      // Keeps the sandbox's status (a 201 with a wrong body is the interesting case) unless it had no body.
      return send(res, jsonReply(response && response.status !== 204 ? response.status : 200, WRONG_SHAPE));
  }
}
