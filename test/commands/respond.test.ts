// `respond` on the embedded sandbox (seed-leaks plants the leaks): a leaked token with a recorded env
// file ends with that file holding a new live token and the leaked key gone; one without targets needs
// --revoke-now; the Master key is regenerated and stored in its profile; a member's key is found with
// --all-members; a string that is no live key changes nothing. No output, record or event holds a token.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fingerprint } from '../../src/text/fingerprint.js';
import { everythingUnder } from '../helpers/written.js';
import { run, scriptedPrompter, tempPaths } from '../helpers/harness.js';

const dir = mkdtempSync(join(tmpdir(), 'carto-keys-respond-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The sandbox (or its organization) with seeded leaks; every token and Master key it has had, to grep for. */
async function seeded(org = false) {
  const paths = tempPaths();
  expect((await run(['login', '--sandbox', ...(org ? ['--org'] : [])], { paths })).code).toBe(0);
  const folder = mkdtempSync(join(dir, 'seed-'));
  rmSync(folder, { recursive: true });
  const r = await run(['sandbox', 'seed-leaks', folder], { paths });
  expect(r.code, r.stderr).toBe(0);
  const state = JSON.parse(readFileSync(join(paths.data, org ? 'sandbox-org.json' : 'sandbox.json'), 'utf8'));
  const secrets = new Set<string>();
  const collect = () => {
    const s = JSON.parse(readFileSync(join(paths.data, org ? 'sandbox-org.json' : 'sandbox.json'), 'utf8'));
    for (const u of s.users) for (const k of u.keys) if (k.type !== 'default') secrets.add(k.token);
  };
  collect();
  const tokenOf = (name: string, user = org ? 'alice' : 'demo') =>
    JSON.parse(readFileSync(join(paths.data, org ? 'sandbox-org.json' : 'sandbox.json'), 'utf8')).users.find((u: { username: string }) => u.username === user).keys.find((k: { name: string }) => k.name === name)?.token as string | undefined;
  return { paths, folder, state, secrets, collect, tokenOf, cleanup: () => paths.cleanup() };
}

function incidents(stateDir: string): Record<string, unknown>[] {
  const d = join(stateDir, 'incidents');
  return readdirSync(d).sort().map((f) => {
    expect(statSync(join(d, f)).mode & 0o777).toBe(0o600);
    return JSON.parse(readFileSync(join(d, f), 'utf8'));
  });
}

// Tokens go after `--`: a URL-safe token may start with a dash.
describe('respond', () => {
  it('a leaked token with a recorded env file: rotated into it, the leaked key deleted at once, the incident recorded, the event sent', async () => {
    const s = await seeded();
    try {
      const leaked = s.tokenOf('leaked-app')!;
      const deployFile = join(s.folder, 'deploy', 'app.env');
      const events = join(dir, 'events.json');
      const r = await run(['respond', '--yes', '--notify-cmd', `cat > '${events}'`, '--', leaked], { paths: s.paths });
      expect(r.code, r.stderr).toBe(0);
      s.collect();
      expect(s.tokenOf('leaked-app')).toBeUndefined();
      const now = readFileSync(deployFile, 'utf8').trim().replace(/^CARTO_API_KEY=/, '');
      expect(now).not.toBe(leaked);
      const state = JSON.parse(readFileSync(join(s.paths.data, 'sandbox.json'), 'utf8'));
      const successor = state.users[0].keys.find((k: { token: string }) => k.token === now);
      expect(successor.name).toMatch(/^leaked-app-r\d{8}/);
      const [incident] = incidents(s.paths.config);
      expect(incident).toMatchObject({ key: 'leaked-app', member: null, type: 'regular', fingerprint: fingerprint(leaked), targets: [{ kind: 'env-file', path: deployFile, variable: 'CARTO_API_KEY' }] });
      expect((incident!.actions as { action: string; outcome: string }[]).map((a) => `${a.action} ${a.outcome}`)).toEqual(['rotate done']);
      const event = JSON.parse(readFileSync(events, 'utf8'));
      expect(event).toMatchObject({ event: 'respond', outcome: 'success', exitCode: 0, keys: [{ name: 'leaked-app', type: 'regular', fingerprint: fingerprint(leaked) }] });
      const written = everythingUnder(s.paths.root) + readFileSync(events, 'utf8');
      for (const secret of s.secrets) {
        expect(r.stdout + r.stderr).not.toContain(secret);
        // The sandbox's own state and the profile hold tokens by design; the records, journals and event do not.
        expect(everythingUnder(join(s.paths.config, 'incidents')) + readFileSync(events, 'utf8')).not.toContain(secret);
      }
      expect(written.length).toBeGreaterThan(0);
    } finally {
      s.cleanup();
    }
  });

  it('a key with no recorded target: exit 2 naming --revoke-now and rotate; --revoke-now revokes it; on a terminal a prompt says what breaks', async () => {
    const s = await seeded();
    try {
      const history = s.tokenOf('history-app')!;
      const refused = await run(['respond', '--yes', '--', history], { paths: s.paths });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('pass --revoke-now to revoke it at once');
      expect(refused.stderr).toContain('carto-keys rotate history-app --deploy-env-file <file> --delete-old --yes');
      expect(s.tokenOf('history-app')).toBe(history);
      const prompter = scriptedPrompter([{ confirm: false, match: /every app using this key breaks/ }]);
      const declined = await run(['respond', 'history-app'], { paths: s.paths, tty: true, prompter });
      expect(declined.code).toBe(3);
      expect(s.tokenOf('history-app')).toBe(history);
      const r = await run(['respond', '--revoke-now', '--', history], { paths: s.paths });
      expect(r.code, r.stderr).toBe(0);
      expect(s.tokenOf('history-app')).toBeUndefined();
      const records = incidents(s.paths.config);
      expect(records.at(-1)).toMatchObject({ key: 'history-app', targets: [], actions: [{ action: 'revoke', outcome: 'done' }] });
      expect(r.stdout + r.stderr + refused.stderr).not.toContain(history);
    } finally {
      s.cleanup();
    }
  });

  it('a string that is no live key (a revoked token, a look-alike, an unknown name): exit 1, nothing changed, no record', async () => {
    const s = await seeded();
    try {
      const env = readFileSync(join(s.folder, 'project', '.env'), 'utf8');
      const revoked = /OLD_KEY=(\S+)/.exec(env)![1]!;
      const lookAlike = /NOT_A_KEY=(\S+)/.exec(env)![1]!;
      const before = JSON.stringify(JSON.parse(readFileSync(join(s.paths.data, 'sandbox.json'), 'utf8')).users[0].keys.map((k: { name: string }) => k.name));
      for (const given of [revoked, lookAlike, 'no-such-key']) {
        const r = await run(['respond', '--yes', '--revoke-now', '--', given], { paths: s.paths });
        expect(r.code, given).toBe(1);
        expect(r.stderr.split('\n')[0]).toBe('Error: not a live key: nothing to do.');
        expect(r.stderr).not.toContain(revoked);
        expect(r.stderr).not.toContain(lookAlike);
      }
      expect(JSON.stringify(JSON.parse(readFileSync(join(s.paths.data, 'sandbox.json'), 'utf8')).users[0].keys.map((k: { name: string }) => k.name))).toBe(before);
      expect(() => readdirSync(join(s.paths.config, 'incidents'))).toThrow();
    } finally {
      s.cleanup();
    }
  });

  it('the Master key (by name): regenerated, the new one stored in the profile that used it', async () => {
    const s = await seeded();
    try {
      const config = () => JSON.parse(readFileSync(join(s.paths.config, 'config.json'), 'utf8'));
      const old = config().profiles.sandbox.masterKey as string;
      // The Master key itself on a command line is refused before anything is sent (it is named by name).
      const typed = await run(['respond', '--yes', '--', old], { paths: s.paths });
      expect(typed.code).toBe(2);
      expect(config().profiles.sandbox.masterKey).toBe(old);
      const r = await run(['respond', 'Master', '--yes'], { paths: s.paths });
      expect(r.code, r.stderr).toBe(0);
      const now = config().profiles.sandbox.masterKey as string;
      expect(now).not.toBe(old);
      expect(s.tokenOf('Master')).toBe(now);
      expect((await run(['status'], { paths: s.paths })).code).toBe(0);
      expect(incidents(s.paths.config)[0]).toMatchObject({ key: 'Master', type: 'master', fingerprint: fingerprint(old), actions: [{ action: 'regenerate', outcome: 'done' }] });
      expect(r.stdout + r.stderr).not.toContain(old);
      expect(r.stdout + r.stderr).not.toContain(now);
      expect(everythingUnder(join(s.paths.config, 'incidents'))).not.toContain(now);
    } finally {
      s.cleanup();
    }
  });

  it("a member's leaked token, found with --all-members (an admin's), revoked as that member's", async () => {
    const s = await seeded(true);
    try {
      const bobs = s.tokenOf('bob-dashboard', 'bob')!;
      const own = await run(['respond', '--revoke-now', '--', bobs], { paths: s.paths });
      expect(own.code).toBe(1);
      const r = await run(['respond', '--all-members', '--revoke-now', '--json', '--', bobs], { paths: s.paths });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ key: 'bob-dashboard', member: 'bob', fingerprint: fingerprint(bobs), actions: [{ action: 'revoke', outcome: 'done' }] });
      expect(s.tokenOf('bob-dashboard', 'bob')).toBeUndefined();
      expect(r.stdout + r.stderr + own.stderr).not.toContain(bobs);
    } finally {
      s.cleanup();
    }
  });
});
