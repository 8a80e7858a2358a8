// The fault smoke on the built binary: the few cases only a real process shows — the bundle's
// transports (and its CONNECT tunnel behind a proxy), real back-off sleeps, CARTO_KEYS_TIMEOUT_MS read
// from the environment, a process that exits while a stalled socket is still open, the exit code and
// stderr as a shell sees them: a reset retried after a real back-off, directly and through a proxy's
// tunnel, and a stall cut by CARTO_KEYS_TIMEOUT_MS. A few more cases (a recovered create, a cut-off
// reply, retries run out, a lost Master key) run in-process here, for what they check beyond the
// matrix. Each case has its own sandbox, served from the test process (the same server `sandbox serve`
// runs). The whole matrix (every command × every fault, instant back-offs) runs in-process:
// test/reliability/faults.test.ts.

import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SandboxFault } from '../../src/sandbox/faults.js';
import { cli, tempHome, type CliResult } from '../helpers/e2e.js';
import { cliInProcess } from '../helpers/in-process.js';
import { serveInProcess, type InProcessSandbox } from '../helpers/served.js';
import { proxyTo } from '../helpers/local-server.js';

const TIMEOUT_MS = 2000;

function basic(s: InProcessSandbox, token = s.masterKey): string {
  return `Basic ${Buffer.from(`${s.username}:${token}`).toString('base64')}`;
}

async function keysOn(s: InProcessSandbox): Promise<Map<string, string>> {
  const res = await fetch(`${s.baseUrl}/api/v3/api_keys?per_page=1000`, { headers: { authorization: basic(s) } });
  expect(res.status).toBe(200);
  return new Map(((await res.json()) as { result: { name: string; token: string }[] }).result.map((k) => [k.name, k.token]));
}

async function createOn(s: InProcessSandbox, name: string): Promise<void> {
  const res = await fetch(`${s.baseUrl}/api/v3/api_keys`, {
    method: 'POST',
    headers: { authorization: basic(s), 'content-type': 'application/json' },
    body: JSON.stringify({ name, grants: [{ type: 'apis', apis: ['sql'] }] }),
  });
  expect(res.status, await res.text()).toBe(201);
}

async function faults(s: InProcessSandbox, method: 'GET' | 'POST', list?: SandboxFault[]): Promise<SandboxFault[]> {
  const res = await fetch(`${new URL(s.baseUrl).origin}/__sandbox/faults`, { method, ...(list && { body: JSON.stringify(list) }) });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as SandboxFault[];
}

/** One clear message: `Error: …` and at most one hint line, no stack trace. */
function expectCleanFailure(r: CliResult): void {
  expect(r.stderr).not.toMatch(/\n\s+at |Unexpected error|this is a bug/);
  const lines = r.stderr.slice(r.stderr.indexOf('Error: ')).trim().split('\n');
  expect(r.stderr, r.stderr).toContain('Error: ');
  expect(lines.length, r.stderr).toBeLessThanOrEqual(2);
}

/** A fresh server, a key "app", the fault armed; the CLI run with the Master key from the environment. */
async function withFault(
  fault: SandboxFault,
  args: string[],
  check: (r: CliResult, s: InProcessSandbox, before: Map<string, string>) => Promise<void>,
  /** More environment for the CLI, once the server runs. */
  extraEnv: (s: InProcessSandbox) => Promise<Record<string, string>> = async () => ({}),
  /** The built binary, or the same CLI in-process (instant back-offs) where no process is needed. */
  runner: typeof cli = cli,
): Promise<void> {
  const home = tempHome();
  const s = await serveInProcess();
  try {
    await createOn(s, 'app');
    const before = await keysOn(s);
    await faults(s, 'POST', [fault]);
    const r = await runner(args, {
      env: { ...home.env, CARTO_KEYS_BASE_URL: s.baseUrl, CARTO_KEYS_MASTER_KEY: s.masterKey, CARTO_KEYS_TIMEOUT_MS: String(TIMEOUT_MS), ...(await extraEnv(s)) },
    });
    // Every injected fault was hit: otherwise the case proved nothing.
    expect(await faults(s, 'GET'), 'faults left unused').toEqual([]);
    expect(r.stdout + r.stderr).not.toContain(s.masterKey);
    await check(r, s, before);
  } finally {
    await s.stop();
    home.cleanup();
  }
}

const COLLECTION = '/api/v3/api_keys/?$';

describe.concurrent('faults on the built binary (real sockets, real back-offs), and a few in-process', () => {
  it('list × connection reset → retried after a real back-off: exit 0', () =>
    withFault({ method: 'GET', path: COLLECTION, kind: 'reset' }, ['list'], async (r) => {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^Master\t[\s\S]*\napp\t/);
      expect(r.stderr).toBe('');
    }));

  it('create × reset after the key was made → the retry recognises it: exit 0, one key, "recovered"', () =>
    withFault(
      { method: 'POST', path: COLLECTION, kind: 'reset', when: 'after' },
      ['create', '--name', 'made', '--api', 'sql'],
      async (r, s, before) => {
        expect(r.code, r.stderr).toBe(0);
        expect(r.stderr).toMatch(/the key was created but the reply was lost or unreadable; recovered it/i);
        const after = await keysOn(s);
        expect([...after.keys()]).toEqual([...before.keys(), 'made']);
        expect(r.stdout).toMatch(/Token +\S{22}\n/);
        expect(r.stdout).toContain(after.get('made')!);
      },
      undefined,
      cliInProcess,
    ));

  it('regenerate × stall → CARTO_KEYS_TIMEOUT_MS from the environment, not retried, exits with the socket still open: exit 1, token unchanged', () =>
    withFault({ method: 'POST', path: '/app/token/regenerate$', kind: 'stall' }, ['regenerate', 'app', '--yes'], async (r, s, before) => {
      expect(r.code, r.stderr).toBe(1);
      expectCleanFailure(r);
      expect(r.stderr).toMatch(/did not answer within 2 s[\s\S]*token has not changed/);
      expect((await keysOn(s)).get('app')).toBe(before.get('app'));
    }));

  it('show × a 200 whose JSON is cut short → exit 1, one clear message', () =>
    withFault(
      { method: 'GET', path: '/api/v3/api_keys/app$', kind: 'truncated' },
      ['show', 'app'],
      async (r) => {
        expect(r.code, r.stderr).toBe(1);
        expectCleanFailure(r);
        expect(r.stderr).toMatch(/answered 200 with truncated or invalid JSON/);
      },
      undefined,
      cliInProcess,
    ));

  it('create × a proxy\'s HTML 502, four times → the retries run out: exit 1, "may have been created anyway", no key', () =>
    withFault(
      { method: 'POST', path: COLLECTION, kind: 'html502', times: 4 },
      ['create', '--name', 'made', '--api', 'sql'],
      async (r, s, before) => {
        expect(r.code, r.stderr).toBe(1);
        expectCleanFailure(r);
        expect(r.stderr).toMatch(/HTML page instead of the Auth API[\s\S]*may have been created anyway/);
        expect([...(await keysOn(s)).keys()]).toEqual([...before.keys()]);
      },
      undefined,
      cliInProcess,
    ));

  it('list through HTTP_PROXY (a CONNECT tunnel) × connection reset → retried through the proxy: exit 0', async () => {
    const servers: Server[] = [];
    const listen = async (server: Server): Promise<number> => {
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return (server.address() as AddressInfo).port;
    };
    let tunnels: string[] = [];
    try {
      await withFault(
        { method: 'GET', path: COLLECTION, kind: 'reset' },
        ['list'],
        async (r, s) => {
          expect(r.code, r.stderr).toBe(0);
          expect(r.stdout).toMatch(/^Master\t[\s\S]*\napp\t/);
          // Both attempts went through the proxy: the reset killed the first tunnel.
          expect(tunnels).toEqual([`carto.test:${s.port}`, `carto.test:${s.port}`]);
        },
        async (s) => {
          const proxy = await proxyTo(listen, s.port);
          tunnels = proxy.tunnels;
          // A loopback address never goes through a proxy: a name that resolves nowhere does, and
          // only the proxy can reach it.
          return {
            HTTP_PROXY: `http://127.0.0.1:${proxy.port}`,
            CARTO_KEYS_ALLOW_HTTP: '1',
            CARTO_KEYS_BASE_URL: s.baseUrl.replace('127.0.0.1', 'carto.test'),
          };
        },
      );
    } finally {
      for (const server of servers) {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    }
  });

  it('regenerate Master × reset after the change → exit 1 saying the new key was lost and how to recover; the stored key untouched', async () => {
    const home = tempHome();
    const stateFile = join(home.dir, 'state.json');
    const s = await serveInProcess({ stateFile });
    try {
      const env = { ...home.env, CARTO_KEYS_TIMEOUT_MS: String(TIMEOUT_MS) };
      const login = await cliInProcess(['login', '--base-url', s.baseUrl, '--with-key'], { env, input: s.masterKey });
      expect(login.code, login.stderr).toBe(0);
      await faults(s, 'POST', [{ method: 'POST', path: '/Master/token/regenerate$', kind: 'reset', when: 'after' }]);
      const r = await cliInProcess(['regenerate', 'Master', '--yes'], { env });
      expect(await faults(s, 'GET')).toEqual([]);
      expect(r.code, r.stderr).toBe(1);
      expectCleanFailure(r);
      expect(r.stderr).toMatch(/Master key was regenerated, but the reply with the new key was lost[\s\S]*dashboard[\s\S]*carto-keys login/);
      const state = JSON.parse(readFileSync(stateFile, 'utf8')) as { users: { keys: { type: string; token: string }[] }[] };
      const now = state.users[0]!.keys.find((key) => key.type === 'master')!.token;
      const stored = JSON.parse(readFileSync(join(home.dir, '.config', 'carto-keys', 'config.json'), 'utf8')).profiles.default.masterKey;
      for (const secret of [s.masterKey, now]) expect(r.stdout + r.stderr).not.toContain(secret);
      expect(now).not.toBe(s.masterKey);
      expect(stored).toBe(s.masterKey);
    } finally {
      await s.stop();
      home.cleanup();
    }
  });
});
