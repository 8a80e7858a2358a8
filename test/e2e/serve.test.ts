// `sandbox serve` stops by itself: on SIGTERM, and after --max-lifetime if nobody stops it.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BIN, cli, cliEnv, serveSandbox, tempHome } from '../helpers/e2e.js';

describe('sandbox serve', () => {
  it('prints the base URL and the Master key, on 127.0.0.1; stops cleanly on SIGTERM, closing keep-alive connections', async () => {
    const server = await serveSandbox();
    expect(server.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/user\/demo$/);
    expect(server.masterKey).toMatch(/^[0-9a-f]{40}$/);
    expect(server.output()).not.toContain(`${server.masterKey.slice(0, 8)}`.repeat(2));
    const res = await fetch(`${server.baseUrl}/api/v3/api_keys`, { headers: { authorization: `Basic ${Buffer.from(`demo:${server.masterKey}`).toString('base64')}` } });
    expect(res.status).toBe(200);
    const exited = new Promise<number | null>((resolve) => server.process.once('exit', (code) => resolve(code)));
    await server.stop();
    expect(await exited).toBe(0);
  });

  it('--max-lifetime stops it after that many seconds', async () => {
    const home = tempHome();
    try {
      const child = spawn(process.execPath, [BIN, 'sandbox', 'serve', '--port', '0', '--max-lifetime', '1'], { env: cliEnv(home.env), stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
      expect(code).toBe(0);
      expect(err).toContain('--max-lifetime reached');
    } finally {
      home.cleanup();
    }
  });

  it('a port already taken: one line saying so and what to do, exit 1', async () => {
    const first = await serveSandbox();
    const home = tempHome();
    try {
      const r = await cli(['sandbox', 'serve', '--port', String(first.port)], { env: home.env });
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`Error: Port ${first.port} is taken; use --port 0 for any free port.\n`);
      expect(r.stdout).toBe('');
    } finally {
      home.cleanup();
      await first.stop();
    }
  });
});
