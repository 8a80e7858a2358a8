// The Master key never goes to another host, nor in clear text (SECURITY.md), on the built binary with its real
// transport: a redirect is an error naming its target and the credential never reaches the other
// origin; plain http:// off this machine is refused before anything is sent unless opted in.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cli, tempHome, type Home } from '../helpers/e2e.js';
import { cliInProcess } from '../helpers/in-process.js';
import { serveInProcess, type InProcessSandbox } from '../helpers/served.js';
import { closingProxy, proxyTo, useLocalServers } from '../helpers/local-server.js';
import { recorder, type Recorder } from '../helpers/recorder.js';

const MASTER = 'f'.repeat(8) + '0123456789abcdef0123456789abcdef';
let home: Home;
let server: InProcessSandbox;
const open: Recorder[] = [];
const { listen } = useLocalServers();

beforeAll(async () => {
  home = tempHome();
  server = await serveInProcess();
});
afterAll(async () => {
  await server?.stop();
  home?.cleanup();
});
afterEach(async () => {
  for (const r of open.splice(0)) await r.close();
});

async function rec(answer?: Parameters<typeof recorder>[0]): Promise<Recorder> {
  const r = await recorder(answer);
  open.push(r);
  return r;
}

describe('redirects', () => {
  for (const status of [301, 302, 303, 307, 308]) {
    it(`a ${status} is an error naming its target; the other origin receives nothing`, async () => {
      const elsewhere = await rec();
      const target = `http://localhost:${elsewhere.port}/user/demo/api/v3/api_keys`;
      const redirector = await rec((_req, res) => res.writeHead(status, { location: target }).end());
      // The built binary for one command; the same transport in-process for the others.
      for (const [run, args] of [
        [cli, ['list']],
        [cliInProcess, ['show', 'app']],
        [cliInProcess, ['create', '--name', 'x', '--api', 'sql']],
        [cliInProcess, ['--debug', 'revoke', 'app', '--yes']],
      ] as const) {
        const r = await run([...args], {
          env: { ...home.env, CARTO_KEYS_MASTER_KEY: MASTER, CARTO_KEYS_BASE_URL: `${redirector.origin}/user/demo` },
        });
        expect(r.code, r.stderr).toBe(1);
        expect(r.stderr).toContain(`redirected (${status}) to ${target}`);
        expect(r.stderr).not.toContain(MASTER);
      }
      expect(redirector.received.length).toBeGreaterThan(0);
      expect(elsewhere.received).toEqual([]);
    });
  }
});

describe('clear text', () => {
  it('http:// to a host that is not loopback: exit 2, nothing sent, the refusal names the opt-in', async () => {
    // Through a proxy that records: had anything been sent, it would have gone there.
    const proxy = await rec();
    const env = {
      ...home.env,
      HTTP_PROXY: proxy.origin,
      HTTPS_PROXY: proxy.origin,
      CARTO_KEYS_MASTER_KEY: MASTER,
      CARTO_KEYS_BASE_URL: 'http://192.0.2.2:8080/user/demo',
    };
    // The built binary for one command; the same checks in-process for the others.
    for (const [run, args] of [
      [cli, ['list']],
      [cliInProcess, ['status']],
      [cliInProcess, ['--json', 'show', 'app']],
      [cliInProcess, ['login', '--base-url', 'http://192.0.2.2:8080/user/demo']],
    ] as const) {
      const r = await run([...args], { env });
      expect(r.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(2);
      expect(r.stdout + r.stderr).toMatch(/plain http:\/\/ to 192\.0\.2\.2:8080/);
      expect(r.stdout + r.stderr).toContain('CARTO_KEYS_ALLOW_HTTP=1');
    }
    expect(proxy.received).toEqual([]);
  });

  it('CARTO_KEYS_ALLOW_HTTP=1 lets it through (here via a tunnel to the sandbox)', async () => {
    const proxy = await proxyTo(listen, server.port);
    const r = await cli(['list', '--json'], {
      env: {
        ...home.env,
        HTTP_PROXY: `http://127.0.0.1:${proxy.port}`,
        CARTO_KEYS_ALLOW_HTTP: '1',
        CARTO_KEYS_MASTER_KEY: server.masterKey,
        CARTO_KEYS_BASE_URL: `http://carto.test:${server.port}/user/${server.username}`,
      },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(proxy.tunnels).toEqual([`carto.test:${server.port}`]);
  });

  it('loopback needs no opt-in: 127.0.0.1 and localhost', async () => {
    for (const host of ['127.0.0.1', 'localhost']) {
      const r = await cli(['status'], {
        env: { ...home.env, CARTO_KEYS_MASTER_KEY: server.masterKey, CARTO_KEYS_BASE_URL: `http://${host}:${server.port}/user/${server.username}` },
      });
      expect(r.code, r.stderr).toBe(0);
    }
  });
});

describe('proxies', () => {
  it('a loopback base URL never goes through HTTP_PROXY: the proxy receives nothing, the sandbox answers', async () => {
    const proxy = await rec();
    for (const host of ['127.0.0.1', 'localhost']) {
      const r = await cli(['list', '--json'], {
        env: {
          ...home.env,
          HTTP_PROXY: proxy.origin,
          HTTPS_PROXY: proxy.origin,
          CARTO_KEYS_MASTER_KEY: server.masterKey,
          CARTO_KEYS_BASE_URL: `http://${host}:${server.port}/user/${server.username}`,
        },
      });
      expect(r.code, r.stderr).toBe(0);
    }
    expect(proxy.received).toEqual([]);
  });

  // In-process (the same transport, back-offs instant): the built binary's tunnel and real back-offs
  // are the fault smoke's proxy case (test/e2e/faults.test.ts).
  it('a proxy that closes every CONNECT: a bounded number of CONNECTs, then exit 1 with one error naming the proxy', async () => {
    const { port, connects } = await closingProxy(listen);
    const r = await cliInProcess(['list'], {
      env: { ...home.env, HTTPS_PROXY: `http://127.0.0.1:${port}`, CARTO_KEYS_MASTER_KEY: MASTER, CARTO_KEYS_BASE_URL: 'https://demo.carto.com' },
    });
    expect(r.signal).toBeNull();
    expect(r.code, r.stderr).toBe(1);
    // The client's attempts (1 + 3 retries), one CONNECT each.
    expect(connects()).toBe(4);
    expect(r.stderr.trim().split('\n')).toEqual([
      `Error: Could not list API keys: the proxy 127.0.0.1:${port} (HTTPS_PROXY) did not open a tunnel to demo.carto.com:443: it closed the connection without answering`,
      'Check the proxy variable named above (or list this host in NO_PROXY), then try again',
    ]);
    expect(r.stderr).not.toContain(MASTER);
  });
});

describe('loopback is the literal localhost, 127.0.0.0/8 and ::1 only', () => {
  it('http://sandbox.localhost is refused like any other host: exit 2, nothing sent', async () => {
    const proxy = await rec();
    const r = await cli(['list'], {
      env: { ...home.env, HTTP_PROXY: proxy.origin, CARTO_KEYS_MASTER_KEY: MASTER, CARTO_KEYS_BASE_URL: `http://sandbox.localhost:${server.port}/user/demo` },
    });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`Refusing to send the key over plain http:// to sandbox.localhost:${server.port}`);
    expect(proxy.received).toEqual([]);
  });
});

describe('certificate checks turned off', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'carto-keys-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-days', '1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('NODE_TLS_REJECT_UNAUTHORIZED=0: a self-signed server receives nothing (exit 2) unless CARTO_KEYS_ALLOW_INSECURE_TLS=1', async () => {
    const seen: string[] = [];
    const tls = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
      res.writeHead(401).end();
    });
    const port = await listen(tls);
    const env = { ...home.env, NODE_TLS_REJECT_UNAUTHORIZED: '0', CARTO_KEYS_MASTER_KEY: MASTER, CARTO_KEYS_BASE_URL: `https://127.0.0.1:${port}/user/demo` };
    for (const args of [['list'], ['status'], ['login', '--base-url', `https://127.0.0.1:${port}/user/demo`]]) {
      const r = await cli(args, { env });
      expect(r.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(2);
      expect(r.stdout + r.stderr).toContain(`Refusing to send the key to 127.0.0.1:${port}: NODE_TLS_REJECT_UNAUTHORIZED=0 turns off certificate checks`);
      expect(r.stdout + r.stderr).toContain('CARTO_KEYS_ALLOW_INSECURE_TLS=1');
    }
    expect(seen).toEqual([]);

    const r = await cli(['list'], { env: { ...env, CARTO_KEYS_ALLOW_INSECURE_TLS: '1' } });
    expect(r.code, r.stderr).toBe(4);
    expect(seen).toHaveLength(1);
  });
});
