// The node:http adapter of `sandbox serve`, with real connections on 127.0.0.1, and its faults.

import { request as httpRequest, Agent } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { WireListPage } from '../../src/api/types.js';
import {
  createSandboxHandler,
  createSandboxState,
  startSandboxServer,
  type SandboxFault,
  type SandboxServer,
  type SandboxState,
} from '../../src/sandbox/index.js';
import { basic, MASTER } from './harness.js';

let state: SandboxState;
let server: SandboxServer;
let api: string;
const auth = basic(MASTER);

beforeAll(async () => {
  state = createSandboxState({ masterKey: MASTER });
  server = await startSandboxServer({ handler: createSandboxHandler(state), port: 0, host: '127.0.0.1' });
  api = `${server.url}/user/demo/api/v3/api_keys`;
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  server.clearFaults();
});

const keyNames = (): string[] => state.users[0]!.keys.map((k) => k.name);
const list = (): Promise<Response> => fetch(api, { headers: auth });
const create = (name: string): Promise<Response> =>
  fetch(api, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ name, grants: [{ type: 'apis', apis: ['sql'] }] }),
  });

describe('startSandboxServer', () => {
  it('listens on 127.0.0.1 and answers a real request', async () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect(server.host).toBe('127.0.0.1');
    const res = await list();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(((await res.json()) as WireListPage).total).toBeGreaterThanOrEqual(2);
  });

  it('passes the request body and method through', async () => {
    const res = await create('via-http');
    expect(res.status).toBe(201);
    expect(keyNames()).toContain('via-http');
  });

  it('keeps the Host header, so the subdomain form works over HTTP', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port: server.port, path: '/api/v3/api_keys', headers: { ...auth, host: `demo.localhost:${server.port}` } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(200);
  });

  it('answers 204 without a body', async () => {
    await create('to-delete');
    const res = await fetch(`${api}/to-delete`, { method: 'DELETE', headers: auth });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
  });

  it('is not reachable on other interfaces', async () => {
    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal);
    if (!external) return; // no other interface on this machine: nothing to reach
    const error = await new Promise<string>((resolve) => {
      const socket = connect({ host: external.address, port: server.port });
      socket.on('connect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    });
    expect(error).toBe('ECONNREFUSED');
  });

  it('answers 500 when the handler throws', async () => {
    const broken = await startSandboxServer({ handler: () => Promise.reject(new Error('bug')) });
    try {
      const res = await fetch(broken.url);
      expect(res.status).toBe(500);
    } finally {
      await broken.close();
    }
  });

  it('refuses a port in use', async () => {
    await expect(startSandboxServer({ handler: createSandboxHandler(state), port: server.port })).rejects.toThrow(/EADDRINUSE/);
  });
});

describe('close()', () => {
  it('returns at once even with idle keep-alive connections', async () => {
    const s = await startSandboxServer({ handler: createSandboxHandler(createSandboxState({ masterKey: MASTER })) });
    const agent = new Agent({ keepAlive: true });
    await new Promise<void>((resolve, reject) => {
      httpRequest(`${s.url}/user/demo/api/v3/api_keys`, { agent, headers: auth }, (res) => {
        res.resume();
        res.on('end', resolve);
      })
        .on('error', reject)
        .end();
    });
    expect(Object.keys(agent.freeSockets)).toHaveLength(1); // the idle connection is still open
    const started = Date.now();
    await s.close();
    expect(Date.now() - started).toBeLessThan(1000); // not the 5 s keep-alive timeout
    agent.destroy();
    await expect(fetch(s.url)).rejects.toThrow();
  });

  it('returns even while a request is stalled, and that request fails', async () => {
    // Stalled after the sandbox handled it, so the handler says when the request is there.
    const inner = createSandboxHandler(createSandboxState());
    let handled!: () => void;
    const arrived = new Promise<void>((resolve) => (handled = resolve));
    const handler: typeof inner = async (req) => {
      const res = await inner(req);
      handled();
      return res;
    };
    const s = await startSandboxServer({ handler, faults: [{ kind: 'stall', when: 'after' }] });
    const stalled = fetch(`${s.url}/user/demo/api/v3/api_keys`).then(
      () => 'answered',
      () => 'failed',
    );
    await arrived;
    expect(s.pendingFaults()).toEqual([]);
    await s.close();
    expect(await stalled).toBe('failed');
  });
});

describe('faults', () => {
  it('reset (before): the connection drops and nothing changes', async () => {
    server.addFaults([{ kind: 'reset', method: 'POST' }]);
    await expect(create('never')).rejects.toThrow();
    expect(keyNames()).not.toContain('never');
  });

  it('reset (after): the key IS created, but the reply is lost', async () => {
    server.addFaults([{ kind: 'reset', method: 'POST', path: '/api_keys$', when: 'after' }]);
    await expect(create('created-anyway')).rejects.toThrow();
    expect(keyNames()).toContain('created-anyway');
    const retry = await create('created-anyway');
    expect(retry.status).toBe(422); // what a blind retry gets
  });

  it('stall: never answers', async () => {
    server.addFaults([{ kind: 'stall' }]);
    await expect(fetch(api, { headers: auth, signal: AbortSignal.timeout(200) })).rejects.toThrow();
    expect((await list()).status).toBe(200); // used up: the next request is served
  });

  it('status500: a 500 HTML page', async () => {
    server.addFaults([{ kind: 'status500' }]);
    const res = await list();
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
  });

  it('html502: the proxy’s 502 page', async () => {
    server.addFaults([{ kind: 'html502' }]);
    const res = await list();
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toBe('text/html');
    expect(await res.text()).toContain('502 Bad Gateway');
  });

  it('status429: Too Many Requests with Retry-After', async () => {
    server.addFaults([{ kind: 'status429', retryAfter: 2 }]);
    const res = await list();
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('2');
  });

  it('status429 without retryAfter sends no Retry-After', async () => {
    server.addFaults([{ kind: 'status429' }]);
    const res = await list();
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBeNull();
  });

  it('empty200: 200 with an empty body', async () => {
    server.addFaults([{ kind: 'empty200' }]);
    const res = await list();
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
  });

  it('truncated (before): a complete message whose JSON is cut short', async () => {
    server.addFaults([{ kind: 'truncated' }]);
    const res = await list();
    expect(res.status).toBe(200);
    await expect(res.json()).rejects.toThrow(SyntaxError);
  });

  it('truncated (after): the sandbox’s own reply cut in half, its status kept', async () => {
    server.addFaults([{ kind: 'truncated', method: 'POST', when: 'after' }]);
    const res = await create('truncated-create');
    expect(res.status).toBe(201);
    expect(await res.text()).toMatch(/^\{"name":"truncated-create"/);
    expect(keyNames()).toContain('truncated-create');
  });

  it('wrongShape: valid JSON that is not what the contract describes', async () => {
    server.addFaults([{ kind: 'wrongShape' }]);
    const res = await list();
    expect(res.status).toBe(200);
    expect(await res.json()).not.toHaveProperty('total');
  });

  it('applies `times` times, then the sandbox answers again', async () => {
    server.addFaults([{ kind: 'status500', times: 2 }]);
    expect((await list()).status).toBe(500);
    expect((await list()).status).toBe(500);
    expect((await list()).status).toBe(200);
  });

  it('matches only the given method and path', async () => {
    server.addFaults([{ kind: 'status500', method: 'delete', path: '/token/regenerate$' }]);
    expect((await list()).status).toBe(200);
    expect(server.pendingFaults()).toHaveLength(1);
  });

  it('are armed at start-up from the options', async () => {
    const s = await startSandboxServer({ handler: createSandboxHandler(createSandboxState()), faults: [{ kind: 'html502' }] });
    try {
      expect((await fetch(`${s.url}/user/demo/api/v3/api_keys`)).status).toBe(502);
    } finally {
      await s.close();
    }
  });

  it('refuses a malformed fault in the options', async () => {
    const faults = [{ kind: 'explode' }] as unknown as SandboxFault[];
    await expect(startSandboxServer({ handler: createSandboxHandler(state), faults })).rejects.toThrow(/kind must be one of/);
  });
});

describe('the admin endpoint /__sandbox/faults', () => {
  const admin = (method: string, body?: unknown): Promise<Response> =>
    fetch(`${server.url}/__sandbox/faults`, { method, ...(body !== undefined && { body: JSON.stringify(body) }) });

  it('POST arms faults and answers the pending list', async () => {
    const res = await admin('POST', [{ kind: 'status429', retryAfter: 1, times: 2 }]);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([{ kind: 'status429', retryAfter: 1, times: 2 }]);
    expect((await list()).status).toBe(429);
  });

  it('GET lists the pending faults', async () => {
    server.addFaults([{ kind: 'reset', path: 'x' }]);
    expect(await (await admin('GET')).json()).toEqual([{ kind: 'reset', path: 'x', times: 1 }]);
  });

  it('DELETE disarms every fault', async () => {
    await admin('POST', [{ kind: 'status500' }]);
    expect((await admin('DELETE')).status).toBe(204);
    expect((await list()).status).toBe(200);
  });

  it('refuses what is not an array of faults with 400', async () => {
    for (const body of [{ kind: 'reset' }, [{ kind: 'reset', when: 'during' }], [{ kind: 'reset', path: '(' }], [{ kind: 'reset', times: 0 }]]) {
      expect((await admin('POST', body)).status, JSON.stringify(body)).toBe(400);
    }
    expect(server.pendingFaults()).toEqual([]);
  });

  it('is not itself subject to faults', async () => {
    server.addFaults([{ kind: 'status500' }]);
    expect((await admin('GET')).status).toBe(200);
  });

  it('answers 404 for anything else under /__sandbox/', async () => {
    expect((await fetch(`${server.url}/__sandbox/state`)).status).toBe(404);
  });
});
