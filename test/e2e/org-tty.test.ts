// Regenerating another member's Master key on a real terminal (tmux): the member's username must be
// typed, and anything else changes nothing.

import { afterEach, beforeEach, expect, it } from 'vitest';
import { CLI, tempHome, type Home } from '../helpers/e2e.js';
import { serveInProcess, type InProcessSandbox, type OrgUser } from '../helpers/served.js';
import { describeTty, openTerminal, terminalScript, type Terminal } from '../helpers/terminal.js';

describeTty("regenerate another member's Master key on a terminal (tmux)", () => {
  let sb: InProcessSandbox;
  let users: Record<string, OrgUser>;
  let home: Home;
  let term: Terminal | undefined;
  beforeEach(async () => {
    sb = await serveInProcess({ org: true });
    users = Object.fromEntries(sb.users.map((u) => [u.username, u]));
    home = tempHome();
  });
  afterEach(async () => {
    term?.close();
    term = undefined;
    await sb.stop();
    home.cleanup();
  });

  const asAlice = () => ({ ...home.env, CARTO_KEYS_BASE_URL: users['alice']!.baseUrl, CARTO_KEYS_MASTER_KEY: users['alice']!.masterKey });
  const daveWorks = async (token: string) =>
    (await fetch(`${users['dave']!.baseUrl}/api/v3/api_keys`, { headers: { Authorization: `Basic ${Buffer.from(`dave:${token}`).toString('base64')}` } })).status === 200;

  it('asks for the username typed, and regenerates only when it matches', async () => {
    term = openTerminal(terminalScript(home.dir, [...CLI, 'regenerate', 'Master', '--user', 'dave'], asAlice()), { width: 120, height: 30 });
    await term.waitFor(/Type the username "dave" to regenerate their Master key/);
    term.type('dave');
    term.keys('Enter');
    const screen = await term.waitFor(/EXIT:\d+/);
    expect(screen).toContain('EXIT:0');
    expect(screen).toContain('Regenerated the Master key of dave');
    expect(await daveWorks(users['dave']!.masterKey)).toBe(false);
  });

  it('cancels (exit 3) on another name, with the key unchanged', async () => {
    term = openTerminal(terminalScript(home.dir, [...CLI, 'regenerate', 'Master', '--user', 'dave'], asAlice()), { width: 120, height: 30 });
    await term.waitFor(/Type the username "dave"/);
    term.type('bob');
    term.keys('Enter');
    const screen = await term.waitFor(/EXIT:\d+/);
    expect(screen).toContain('EXIT:3');
    expect(await daveWorks(users['dave']!.masterKey)).toBe(true);
  });
});
