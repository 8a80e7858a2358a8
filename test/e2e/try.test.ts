// `npm run try` (scripts/try.mjs): unattended wherever it runs — piped, and on a real terminal, where
// `create` would otherwise ask for a name — and it ends with the "what next" tour.

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cliEnv, ROOT, tempHome, type Home } from '../helpers/e2e.js';
import { cliInProcess } from '../helpers/in-process.js';
import { describeTty, openTerminal, terminalScript, type Terminal } from '../helpers/terminal.js';

const TRY = join(ROOT, 'scripts', 'try.mjs');

let home: Home;
beforeEach(() => {
  home = tempHome();
});
afterEach(() => home.cleanup());

/** The test's own look at the account, in-process: what is under test is the script and the binary it runs. */
async function regularKeys(): Promise<string[]> {
  const r = await cliInProcess(['list', '--type', 'regular', '--json'], { env: home.env });
  return (JSON.parse(r.stdout) as { name: string }[]).map((k) => k.name);
}

describe('npm run try, piped', () => {
  it('logs in to the sandbox, creates two keys, lists them and shows the tour', async () => {
    const child = spawn(process.execPath, [TRY], { env: cliEnv(home.env), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, out).toBe(0);
    const keys = await regularKeys();
    expect(keys).toHaveLength(2);
    expect(out).toContain('What next?');
    expect(out).toContain(`carto-keys show ${keys[1]}`);
    expect(out).toContain('npm install -g .');
  });
});

describeTty('npm run try on a terminal', () => {
  let term: Terminal | undefined;
  afterEach(() => term?.close());

  it('asks nothing and ends with the tour', async () => {
    term = openTerminal(terminalScript(home.dir, [process.execPath, TRY], home.env), { width: 100, height: 60 });
    const screen = await term.waitFor(/EXIT:\d+/, 1, 30_000);
    expect(screen, screen).toContain('EXIT:0');
    expect(screen).not.toContain('? Name of the new API key');
    expect(screen).toContain('What next?');
    // On a terminal the list is the table, header included.
    expect(screen).toMatch(/^NAME\s+TYPE/m);
    expect(await regularKeys()).toHaveLength(2);
  });
});
