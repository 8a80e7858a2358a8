// The everyday commands on a real terminal (tmux): `list` fits the window's width, the login prompt
// hides the key as it says, and declining a confirmation is not an error.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { CLI } from '../helpers/e2e.js';
import { cliInProcess } from '../helpers/in-process.js';
import { describeTty, servedTerminal, terminalScript, type Terminal } from '../helpers/terminal.js';

describeTty('everyday commands on a terminal (tmux)', () => {
  /** A sandbox, a HOME and a terminal of one test's own, stopped and removed when it ends: the tests run at once. */
  async function world(onTestFinished: (fn: () => Promise<void>) => void) {
    const { sb, home, open } = await servedTerminal(onTestFinished);
    const env = () => ({ ...home.env, CARTO_KEYS_BASE_URL: sb.baseUrl, CARTO_KEYS_MASTER_KEY: sb.masterKey });
    const inTerminal = (args: string[], width: number, extraEnv: Record<string, string> = env()): Terminal =>
      open(terminalScript(home.dir, [...CLI, ...args], extraEnv), { width, height: 40 });
    async function createKeys(): Promise<void> {
      for (const [name, ...flags] of [
        ['web-map-production-eu-west', '--api', 'sql,maps', '--table', 'liked_cities:select,insert', '--table', 'world_population'],
        ['etl-nightly', '--api', 'sql', '--table', 'national_incomes:all', '--schema', 'public'],
      ] as string[][]) {
        const r = await cliInProcess(['create', '--name', name!, ...flags], { env: env() });
        expect(r.code, r.stderr).toBe(0);
      }
    }
    return { sb, home, env, inTerminal, createKeys };
  }

  for (const width of [80, 160]) {
    it.concurrent(`list fits a ${width}-column terminal: one line per key, nothing wrapped`, async ({ onTestFinished }) => {
      const { home, inTerminal, createKeys } = await world(onTestFinished);
      await createKeys();
      const term = inTerminal(['list'], width);
      await term.waitFor(/EXIT:\d+/);
      const rows = term.rows().split('\n');
      const table = rows.slice(rows.findIndex((l) => l.startsWith('NAME')), rows.findIndex((l) => /^\d+ keys/.test(l)));
      // The header and four keys, each on one row of the screen: no row was wrapped onto the next.
      expect(table, term.rows()).toHaveLength(5);
      expect(table.map((l) => l.split(/\s+/)[0])).toEqual(['NAME', 'Master', 'Default', expect.stringMatching(/^web-map-/), 'etl-nightly']);
      for (const line of table) expect([...line].length).toBeLessThanOrEqual(width);
      writeFileSync(join(process.env.CARTO_KEYS_SCREEN_DIR ?? home.dir, `list-${width}.txt`), term.rows());
      if (width === 80) expect(term.screen()).toContain('(shortened to fit: --wide shows everything)');
      else expect(term.screen()).toContain('web-map-production-eu-west  regular');
    });
  }

  it.concurrent('the login prompt hides the key, as it says: nothing echoed, not even asterisks', async ({ onTestFinished }) => {
    const { sb, home, inTerminal } = await world(onTestFinished);
    const term = inTerminal(['login', '--base-url', sb.baseUrl], 100, home.env);
    await term.waitFor(/Master key of demo: \(input hidden\)/);
    term.type(sb.masterKey);
    term.keys('Enter');
    const end = await term.waitFor(/EXIT:\d+/);
    expect(end, end).toContain('EXIT:0');
    expect(end).not.toContain(sb.masterKey);
    expect(end).not.toMatch(/\*{4}/);
  });

  it.concurrent('declining a confirmation: "Nothing was changed.", exit 3, not an error', async ({ onTestFinished }) => {
    const { env, inTerminal, createKeys } = await world(onTestFinished);
    await createKeys();
    const term = inTerminal(['revoke', 'etl-nightly'], 100);
    await term.waitFor(/Revoke API key "etl-nightly"\?/);
    term.type('n');
    term.keys('Enter');
    const end = await term.waitFor(/EXIT:\d+/);
    expect(end, end).toContain('EXIT:3');
    expect(end).toContain('Nothing was changed.');
    expect(end).not.toContain('Error');
    const names = (JSON.parse((await cliInProcess(['list', '--json'], { env: env() })).stdout) as { name: string }[]).map((k) => k.name);
    expect(names).toContain('etl-nightly');
  });
});
