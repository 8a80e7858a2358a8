// Regenerating another member's Master key on a real terminal (tmux): the member's username must be
// typed, and anything else changes nothing.

import { expect, it } from 'vitest';
import { CLI } from '../helpers/e2e.js';
import type { OrgUser } from '../helpers/served.js';
import { describeTty, servedTerminal, terminalScript, type Terminal } from '../helpers/terminal.js';

describeTty("regenerate another member's Master key on a terminal (tmux)", () => {
  /** The organization, a HOME and a terminal of one test's own, stopped and removed when it ends: the two run at once. */
  async function world(onTestFinished: (fn: () => Promise<void>) => void) {
    const { sb, home, open } = await servedTerminal(onTestFinished, { org: true });
    const users: Record<string, OrgUser> = Object.fromEntries(sb.users.map((u) => [u.username, u]));
    const asAlice = () => ({ ...home.env, CARTO_KEYS_BASE_URL: users['alice']!.baseUrl, CARTO_KEYS_MASTER_KEY: users['alice']!.masterKey });
    const daveWorks = async (token: string) =>
      (await fetch(`${users['dave']!.baseUrl}/api/v3/api_keys`, { headers: { Authorization: `Basic ${Buffer.from(`dave:${token}`).toString('base64')}` } })).status === 200;
    const regenerateDave = (): Terminal =>
      open(terminalScript(home.dir, [...CLI, 'regenerate', 'Master', '--user', 'dave'], asAlice()), { width: 120, height: 30 });
    return { users, daveWorks, regenerateDave };
  }

  it.concurrent('asks for the username typed, and regenerates only when it matches', async ({ onTestFinished }) => {
    const { users, daveWorks, regenerateDave } = await world(onTestFinished);
    const term = regenerateDave();
    await term.waitFor(/Type the username "dave" to regenerate their Master key/);
    term.type('dave');
    term.keys('Enter');
    const screen = await term.waitFor(/EXIT:\d+/);
    expect(screen).toContain('EXIT:0');
    expect(screen).toContain('Regenerated the Master key of dave');
    expect(await daveWorks(users['dave']!.masterKey)).toBe(false);
  });

  it.concurrent('cancels (exit 3) on another name, with the key unchanged', async ({ onTestFinished }) => {
    const { users, daveWorks, regenerateDave } = await world(onTestFinished);
    const term = regenerateDave();
    await term.waitFor(/Type the username "dave"/);
    term.type('bob');
    term.keys('Enter');
    const screen = await term.waitFor(/EXIT:\d+/);
    expect(screen).toContain('EXIT:3');
    expect(await daveWorks(users['dave']!.masterKey)).toBe(true);
  });
});
