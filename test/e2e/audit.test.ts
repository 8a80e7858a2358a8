// `carto-keys audit`, the built binary, against `sandbox serve` seeded (through its state file) with one
// key per rule — an old one included, which no create call could make.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprint } from '../../src/config/settings.js';
import { createSandboxState, makeKey, type SandboxGrants } from '../../src/sandbox/state.js';
import { cli, serveSandbox, tempHome, type Home, type ServedSandbox } from '../helpers/e2e.js';

let server: ServedSandbox;
let home: Home;
let envFile: string;

const TOKENS = {
  app: 'AppAppAppAppAppAppApp0',
  creator: 'CreatorCreatorCreator0',
  old: 'OldOldOldOldOldOldOld0',
  twinA: 'TwinATwinATwinATwinA00',
  twinB: 'TwinBTwinBTwinBTwinB00',
  viewer: 'ViewerViewerViewerVie0',
  leaked: 'LeakedLeakedLeakedLea0',
};

beforeAll(async () => {
  home = tempHome();
  const now = new Date();
  const state = createSandboxState({ now: () => now });
  const at = (daysAgo: number) => new Date(now.getTime() - daysAgo * 86_400_000).toISOString();
  const add = (name: string, token: string, grants: Partial<SandboxGrants>, daysAgo = 1) =>
    state.users[0]!.keys.push(makeKey({ name, type: 'regular', token, createdAt: at(daysAgo), updatedAt: at(daysAgo) }, grants));
  const read = (table: string) => [{ schema: 'public', name: table, permissions: ['select'] }];
  add('app', TOKENS.app, { apis: ['sql'], tables: [{ schema: 'public', name: 'liked_cities', permissions: ['insert', 'select'] }] });
  add('creator', TOKENS.creator, { apis: ['sql'], schemas: [{ name: 'public', permissions: ['create'] }] });
  add('old', TOKENS.old, { apis: ['sql', 'maps'], tables: read('national_incomes') }, 400);
  add('twin-a', TOKENS.twinA, { apis: ['sql'], tables: read('world_population') }, 3);
  add('twin-b', TOKENS.twinB, { apis: ['sql'], tables: read('world_population') }, 2);
  add('viewer', TOKENS.viewer, { apis: ['maps'] });
  add('leaked', TOKENS.leaked, { apis: ['sql'], tables: read('national_incomes') });
  const stateFile = join(home.dir, 'state.json');
  writeFileSync(stateFile, JSON.stringify(state), { mode: 0o600 });
  server = await serveSandbox(['--state', stateFile]);
  envFile = join(home.dir, 'deploy.env');
  writeFileSync(envFile, `# deploy settings\nCARTO_API_KEY=${TOKENS.leaked}\nCARTO_KEYS_MASTER_KEY=${server.masterKey}\nPUBLIC=default_public\n`);
});

afterAll(async () => {
  await server?.stop();
  home?.cleanup();
});

function audit(args: string[]) {
  return cli(['audit', ...args], { env: { ...home.env, CARTO_KEYS_BASE_URL: server.baseUrl, CARTO_KEYS_MASTER_KEY: server.masterKey } });
}

describe('audit against sandbox serve', () => {
  it('--json: one finding per rule, with its fix; --fail-on high exits 7; no secret anywhere in the output', async () => {
    const r = await audit(['--json', '--max-age', '90d', '--scan', envFile, '--fail-on', 'high']);
    expect(r.code, r.stderr).toBe(7);
    const doc = JSON.parse(r.stdout);
    expect(doc.findings.map((f: { severity: string; rule: string; key: string | null }) => `${f.severity} ${f.rule} ${f.key}`)).toEqual([
      'high master-key-in-file Master',
      'high table-write app',
      'medium token-in-file leaked',
      'medium schema-create creator',
      'medium max-age old',
      'low identical-grants twin-a',
      'low default-public-only viewer',
      'info never-deployed null',
    ]);
    const fixes = Object.fromEntries(doc.findings.map((f: { rule: string; fix: string | null }) => [f.rule, f.fix]));
    expect(fixes).toEqual({
      'master-key-in-file': 'carto-keys regenerate Master',
      'table-write': 'carto-keys rotate app --remove-table public.liked_cities:insert --keep-old --yes',
      'token-in-file': 'carto-keys rotate leaked --keep-old --yes',
      'schema-create': 'carto-keys rotate creator --remove-schema public --keep-old --yes',
      'max-age': 'carto-keys rotate old --keep-old --yes',
      'identical-grants': 'carto-keys revoke twin-a',
      'default-public-only': 'carto-keys revoke viewer',
      'never-deployed': null,
    });
    const master = doc.findings[0];
    expect(master).toMatchObject({ file: envFile, line: 3, fingerprint: fingerprint(server.masterKey), member: 'demo' });
    expect(doc.findings[2]).toMatchObject({ file: envFile, line: 2, fingerprint: fingerprint(TOKENS.leaked) });
    expect(doc.findings[4].reason).toBe('created 400d ago, older than --max-age 90d');
    expect(doc.summary).toMatchObject({ keys: 9, findings: 8, failOn: 'high', failed: true, maxAge: '90d', scanned: [envFile] });
    for (const secret of [server.masterKey, ...Object.values(TOKENS)]) expect(r.stdout + r.stderr).not.toContain(secret);
  });

  it('piped: tab-separated, one finding a line; exit 0 without --fail-on, and with a level nothing reaches', async () => {
    const r = await audit([]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.replace(/\n$/, '').split('\n');
    expect(lines.map((l) => l.split('\t').slice(0, 2).join(' '))).toEqual([
      'high table-write',
      'medium schema-create',
      'low identical-grants',
      'low default-public-only',
      'info never-deployed',
    ]);
    expect(r.stderr).toBe('5 findings in 9 keys: 1 high, 1 medium, 2 low, 1 info.\n');
    const stateScan = await audit(['--fail-on', 'high', '--scan', join(home.dir, 'state.json')]);
    // The state file holds every token: the scan finds them all, the Master key among them (high).
    expect(stateScan.code).toBe(7);
    expect(stateScan.stdout).not.toContain(server.masterKey);
  });

  it('a FIFO given to --scan is refused at once (exit 2) instead of waiting for a writer', async () => {
    const fifo = join(home.dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const r = await audit(['--scan', fifo]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`Error: --scan ${fifo}: a FIFO; only files and folders are scanned.\n`);
  });

  it('show: a regular key says it also reads every public dataset', async () => {
    const env = { ...home.env, CARTO_KEYS_BASE_URL: server.baseUrl, CARTO_KEYS_MASTER_KEY: server.masterKey };
    const human = await cli(['show', 'viewer'], { env });
    expect(human.stdout).toMatch(/^Also reads\s+every public dataset, through the Default public key$/m);
    expect(JSON.parse((await cli(['show', 'viewer', '--json'], { env })).stdout).inheritsDefaultPublic).toBe(true);
  });
});

describe('the fixes fix', () => {
  it('each grant fix runs as printed (issue 21: rotate fixes lacked a deploy target and --yes); then revoking the kept keys clears the findings', async () => {
    const env = { ...home.env, CARTO_KEYS_BASE_URL: server.baseUrl, CARTO_KEYS_MASTER_KEY: server.masterKey };
    const before = JSON.parse((await audit(['--json'])).stdout) as { findings: { rule: string; key: string; fix: string | null }[] };
    const fixes = before.findings.filter((f) => ['table-write', 'schema-create', 'identical-grants', 'default-public-only'].includes(f.rule));
    expect(fixes.map((f) => f.rule)).toEqual(['table-write', 'schema-create', 'identical-grants', 'default-public-only']);
    const kept: string[] = [];
    for (const f of fixes) {
      const words = f.fix!.split(' ');
      expect(words[0]).toBe('carto-keys');
      // A rotate fix asks nothing: exactly as printed. revoke confirms on a terminal; here --yes answers.
      const r = await cli([...words.slice(1), ...(words[1] === 'revoke' ? ['--yes'] : [])], { env });
      expect(r.code, `${f.fix}: ${r.stderr}`).toBe(0);
      // Never deployed, so nothing got the new token: the old key is kept, and the rotation says how to revoke it.
      if (words[1] === 'rotate') {
        expect(r.stderr).toContain(`carto-keys revoke ${f.key}`);
        kept.push(f.key);
      }
    }
    const revoked = await cli(['revoke', ...kept, '--yes'], { env });
    expect(revoked.code, revoked.stderr).toBe(0);
    const after = JSON.parse((await audit(['--json'])).stdout) as { findings: { rule: string; key: string }[] };
    expect(after.findings.filter((f) => ['table-write', 'schema-create', 'identical-grants'].includes(f.rule))).toEqual([]);
    expect(after.findings.filter((f) => f.rule === 'default-public-only').map((f) => f.key)).toEqual([
      // Without its schema, the creator's successor grants only what Default public gives: the audit says so.
      expect.stringMatching(/^creator-r\d{8}/),
    ]);
  });
});

describe('audit --all-members against sandbox serve --org', () => {
  it("an admin audits every member; a fix for bob's key names bob", async () => {
    const org = await serveSandbox(['--org']);
    const orgHome = tempHome();
    try {
      const users = Object.fromEntries((org as unknown as { users: { username: string; baseUrl: string; masterKey: string }[] }).users.map((u) => [u.username, u]));
      const env = { ...orgHome.env, CARTO_KEYS_BASE_URL: users['alice']!.baseUrl, CARTO_KEYS_MASTER_KEY: users['alice']!.masterKey, CARTO_KEYS_ORG: 'acme' };
      const created = await cli(['create', '--user', 'bob', '--name', 'bob-writer', '--api', 'sql', '--table', 'sales:select,insert'], { env });
      expect(created.code, created.stderr).toBe(0);
      const r = await cli(['audit', '--all-members', '--json', '--fail-on', 'high'], { env });
      expect(r.code, r.stderr).toBe(7);
      const doc = JSON.parse(r.stdout);
      expect(doc.findings[0]).toMatchObject({
        rule: 'table-write',
        member: 'bob',
        key: 'bob-writer',
        fix: 'carto-keys rotate bob-writer --user bob --remove-table bob.sales:insert --keep-old --yes',
      });
      expect(doc.summary.organization).toEqual({ name: 'acme', members: 4, failedMembers: [] });
      expect(new Set(doc.findings.map((f: { member: string | null }) => f.member))).toContain('bob');
      for (const u of Object.values(users)) expect(r.stdout + r.stderr).not.toContain(u.masterKey);
    } finally {
      await org.stop();
      orgHome.cleanup();
    }
  });
});
