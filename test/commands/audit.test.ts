// In-process tests of `audit` (and of show's inheritance line) against the emulator.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, beforeAll } from 'vitest';
import { fingerprint } from '../../src/text/fingerprint.js';
import { makeKey, createSandboxState, type SandboxGrants } from '../../src/sandbox/state.js';
import { embeddedFetch } from '../../src/api/http.js';
import { type FetchLike } from '../../src/api/client.js';
import { createSandboxHandler } from '../../src/sandbox/index.js';
import { createOrgSandboxState } from '../../src/sandbox/org.js';
import { run } from '../helpers/harness.js';
import { MASTER, noNetwork, testSandbox } from '../helpers/sandbox-fetch.js';
import { ORG_MASTERS } from '../helpers/org-masters.js';
import { execFileSync } from 'node:child_process';
import { tempHome, type Home } from '../helpers/e2e.js';
import { cliInProcess } from '../helpers/in-process.js';
import { serveInProcess, type InProcessSandbox } from '../helpers/served.js';

const dir = mkdtempSync(join(tmpdir(), 'carto-keys-audit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function account() {
  const sb = testSandbox();
  for (const args of [
    ['--name', 'app', '--api', 'sql', '--table', 'liked_cities:select,insert'],
    ['--name', 'creator', '--api', 'sql', '--schema', 'public'],
    ['--name', 'reader', '--api', 'sql', '--table', 'world_population'],
    ['--name', 'reader-2', '--api', 'sql', '--table', 'world_population'],
    ['--name', 'map viewer', '--api', 'maps'],
  ]) {
    const r = await run(['create', ...args], { env: sb.env, fetch: sb.fetch });
    expect(r.code, r.stderr).toBe(0);
  }
  // "reader" is the older of the two identical keys (created in one second, they would tie on time).
  sb.state.users[0]!.keys.find((k) => k.name === 'reader')!.createdAt = '2026-01-01T00:00:00.000Z';
  sb.state.revision++;
  return sb;
}

describe('audit', () => {
  it('piped: one tab-separated finding a line, no header; exit 0 without --fail-on; a summary on stderr', async () => {
    const sb = await account();
    const r = await run(['audit'], { env: sb.env, fetch: sb.fetch });
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.replace(/\n$/, '').split('\n').map((l) => l.split('\t'));
    expect(rows.every((row) => row.length === 8)).toBe(true);
    expect(rows.map((row) => [row[0], row[1], row[3]])).toEqual([
      ['high', 'table-write', 'app'],
      ['medium', 'schema-create', 'creator'],
      ['low', 'identical-grants', 'reader'],
      ['low', 'default-public-only', 'map viewer'],
      ['info', 'never-deployed', ''],
    ]);
    expect(rows[0]).toEqual([
      'high',
      'table-write',
      'demo',
      'app',
      '',
      '',
      'can change data in public.liked_cities (insert)',
      'carto-keys rotate app --remove-table public.liked_cities:insert --keep-old --yes',
    ]);
    expect(rows[3]![7]).toBe("carto-keys revoke 'map viewer'");
    expect(r.stderr).toBe('5 findings in 7 keys: 1 high, 1 medium, 2 low, 1 info.\n');
  });

  it('on a terminal: grouped by severity, each fix under its finding', async () => {
    const sb = await account();
    const r = await run(['audit'], { env: sb.env, fetch: sb.fetch, tty: true });
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.filter((l) => /^[A-Z]+ \(\d+\)$/.test(l))).toEqual(['HIGH (1)', 'MEDIUM (1)', 'LOW (2)', 'INFO (1)']);
    const at = lines.findIndex((l) => l.startsWith('  table-write'));
    expect(lines[at]).toMatch(/^ {2}table-write +app$/);
    expect(lines[at + 1]).toBe('    can change data in public.liked_cities (insert)');
    // At 80 columns a long fix goes on with ` \` (so that pasted it still runs).
    expect(lines.slice(at + 2, at + 4).join('\n')).toMatch(/^ {4}fix: carto-keys rotate app --remove-table public\.liked_cities:insert \\\n {11}--keep-old --yes$/);
  });

  it('--json: findings with rule, severity, key, member, reason, fix, and a summary', async () => {
    const sb = await account();
    const r = await run(['audit', '--json', '--fail-on', 'medium'], { env: sb.env, fetch: sb.fetch });
    expect(r.code).toBe(7);
    expect(r.stderr).toBe('');
    const doc = JSON.parse(r.stdout);
    expect(doc.findings[1]).toEqual({
      rule: 'schema-create',
      severity: 'medium',
      key: 'creator',
      member: 'demo',
      reason: 'can create tables in schema public',
      fix: 'carto-keys rotate creator --remove-schema public --keep-old --yes',
      file: null,
      line: null,
      fingerprint: null,
    });
    expect(doc.summary).toEqual({
      keys: 7,
      findings: 5,
      bySeverity: { high: 1, medium: 1, low: 2, info: 1 },
      failOn: 'medium',
      failed: true,
      maxAge: null,
      scanned: [],
      deploymentRegistry: false,
    });
  });

  it('--fail-on: exit 7 only when a finding reaches the severity', async () => {
    const sb = testSandbox();
    await run(['create', '--name', 'creator', '--api', 'sql', '--schema', 'public'], { env: sb.env, fetch: sb.fetch });
    const high = await run(['audit', '--fail-on', 'high'], { env: sb.env, fetch: sb.fetch });
    expect(high.code).toBe(0);
    expect(high.stderr).toContain('Nothing at or above --fail-on high.');
    const medium = await run(['audit', '--fail-on', 'medium'], { env: sb.env, fetch: sb.fetch });
    expect(medium.code).toBe(7);
    expect(medium.stderr).toContain('Findings at or above --fail-on medium: exit 7.');
    // The info finding (no deployment registry) never fails a run.
    const clean = testSandbox();
    expect((await run(['audit', '--fail-on', 'low'], { env: clean.env, fetch: clean.fetch })).code).toBe(0);
  });

  it('--max-age reports keys created longer ago, from created_at', async () => {
    const sb = testSandbox();
    await run(['create', '--name', 'old', '--api', 'sql', '--table', 'world_population'], { env: sb.env, fetch: sb.fetch });
    const later = new Date(Date.now() + 91 * 86_400_000);
    const r = await run(['audit', '--max-age', '90d', '--json'], { env: sb.env, fetch: sb.fetch, now: later });
    const doc = JSON.parse(r.stdout);
    expect(doc.findings.filter((f: { rule: string }) => f.rule === 'max-age').map((f: { key: string; reason: string }) => [f.key, f.reason])).toEqual([
      ['old', 'created 91d ago, older than --max-age 90d'],
    ]);
    expect(doc.summary.maxAge).toBe('90d');
  });

  it('--scan: the Master key and live tokens by file and line, never the secret', async () => {
    const sb = await account();
    const env = join(dir, '.env');
    writeFileSync(env, `APP=${sb.token('app')}\n\nCARTO_KEYS_MASTER_KEY=${MASTER}\nPUBLIC=default_public\n`);
    const r = await run(['audit', '--scan', env, '--fail-on', 'high'], { env: sb.env, fetch: sb.fetch });
    expect(r.code).toBe(7);
    const rows = r.stdout.replace(/\n$/, '').split('\n').map((l) => l.split('\t'));
    expect(rows.filter((row) => row[4] !== '').map((row) => [row[0], row[1], row[3], row[4], row[5], row[7]])).toEqual([
      ['high', 'master-key-in-file', 'Master', env, '3', 'carto-keys regenerate Master'],
      ['medium', 'token-in-file', 'app', env, '1', 'carto-keys rotate app --keep-old --yes'],
    ]);
    expect(r.stdout).toContain(fingerprint(MASTER));
    expect(r.stdout + r.stderr).not.toContain(MASTER);
    expect(r.stdout + r.stderr).not.toContain(sb.token('app'));
  });

  it('--scan finds the Master key in a UTF-16 env file, in Authorization: Basic, and inside a longer run (likely)', async () => {
    const sb = testSandbox();
    const ps = join(dir, 'ps.env');
    // What Windows PowerShell 5's `>` writes: UTF-16LE with a byte order mark, CRLF.
    writeFileSync(ps, Buffer.from(`\ufeff# settings\r\nCARTO_KEYS_MASTER_KEY=${MASTER}\r\n`, 'utf16le'));
    const basic = join(dir, 'curl.sh');
    writeFileSync(basic, `curl -H "Authorization: Basic ${Buffer.from(`demo:${MASTER}`).toString('base64')}" https://x\n`);
    const glued = join(dir, 'glued.txt');
    writeFileSync(glued, `key=${MASTER}X\n`);
    const r = await run(['audit', '--json', '--scan', ps, basic, glued], { env: sb.env, fetch: sb.fetch });
    expect(r.code, r.stderr).toBe(0);
    const found = JSON.parse(r.stdout).findings.filter((f: { rule: string }) => f.rule === 'master-key-in-file');
    expect(found.map((f: { file: string; line: number; reason: string }) => [f.file, f.line, f.reason.startsWith('likely: ')])).toEqual([
      [basic, 1, false],
      [glued, 1, true],
      [ps, 2, false],
    ]);
    expect(r.stdout + r.stderr).not.toContain(MASTER);
  });

  it('fixes repeat --profile when the run was given one', async () => {
    const sb = await account();
    const paths = { root: dir, config: join(dir, 'config'), data: join(dir, 'data'), cache: join(dir, 'cache') };
    const login = await run(['login', '--profile', 'acme', '--base-url', sb.env.CARTO_KEYS_BASE_URL!, '--with-key'], { stdin: MASTER, fetch: sb.fetch, paths });
    expect(login.code, login.stderr).toBe(0);
    const r = await run(['--profile', 'acme', 'audit', '--json'], { fetch: sb.fetch, paths });
    expect(JSON.parse(r.stdout).findings[0].fix).toBe('carto-keys rotate app --profile acme --remove-table public.liked_cities:insert --keep-old --yes');
  });

  it('usage errors exit 2 before anything is read or sent', async () => {
    for (const args of [
      ['--fail-on', 'critical'],
      ['--fail-on', 'info'],
      ['--max-age', '90'],
      ['--max-age', '0d'],
      ['--all-members'], // the sandbox URL names no organization: which one is asked before any request
      ['--org', 'acme'],
      ['--scan', join(dir, 'missing.env')],
      ['--scan', '/dev/null'], // a device: only files and folders
    ]) {
      const r = await run(['audit', ...args], { env: testSandbox().env, fetch: noNetwork });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
      expect(r.stdout).toBe('');
    }
    const r = await run(['audit', '--fail-on', 'critical'], { env: testSandbox().env, fetch: noNetwork });
    expect(r.stderr).toContain('Valid severities: low, medium, high');
    const m = await run(['audit', '--all-members'], { env: testSandbox().env, fetch: noNetwork });
    expect(m.stderr).toContain('Which organization?');
    expect((await run(['audit', '--org', 'acme'], { env: testSandbox().env, fetch: noNetwork })).stderr).toContain('--org goes with --all-members');
  });

  it('--help lists the rules, the exit codes and examples', async () => {
    const r = await run(['audit', '--help'], { fetch: noNetwork });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toContain('carto-keys audit --max-age 90d --fail-on high');
    expect(r.stdout).toMatch(/Exit codes: 0 nothing reached --fail-on .*, 7 a finding did/);
  });

  it('key names with control characters stay on one line and are escaped', async () => {
    const sb = testSandbox();
    // carto-keys refuses to create such a name, but CARTO has no rules: one may exist all the same.
    sb.state.users[0]!.keys.push(
      makeKey({ name: 'evil\u001b[2Jname', type: 'regular', token: 'T'.repeat(22), createdAt: new Date().toISOString(), updatedAt: new Date().toISOString() }, { apis: ['maps'] }),
    );
    const r = await run(['audit'], { env: sb.env, fetch: sb.fetch, tty: true });
    expect(r.stdout).not.toContain('\u001b');
    expect(r.stdout).toContain("fix: carto-keys revoke $'evil\\x1b[2Jname'");
    const piped = await run(['audit'], { env: sb.env, fetch: sb.fetch });
    expect(piped.stdout.split('\n')[0]!.split('\t')[3]).toBe('evil\\x1b[2Jname');
  });
});

describe('show: inheritance from the Default public key', () => {
  it('a regular key says in one line that it also reads every public dataset; --json carries it', async () => {
    const sb = await account();
    const r = await run(['show', 'app'], { env: sb.env, fetch: sb.fetch });
    expect(r.stdout.split('\n').filter((l) => l.includes('public dataset'))).toEqual(['Also reads  every public dataset, through the Default public key']);
    expect(JSON.parse((await run(['show', 'app', '--json'], { env: sb.env, fetch: sb.fetch })).stdout).inheritsDefaultPublic).toBe(true);
  });

  it('the built-in keys do not inherit: the Master reads everything, Default public is the source', async () => {
    const sb = testSandbox();
    for (const name of ['Master', 'Default public']) {
      expect((await run(['show', name], { env: sb.env, fetch: sb.fetch })).stdout).not.toContain('public dataset');
      expect(JSON.parse((await run(['show', name, '--json'], { env: sb.env, fetch: sb.fetch })).stdout).inheritsDefaultPublic).toBe(false);
    }
  });
});

describe('audit --all-members', () => {

  /** The sandbox organization (admin alice), with a key that writes for alice and one for bob. */
  function org(opts: { failFor?: string } = {}) {
    const state = createOrgSandboxState({ masterKeys: ORG_MASTERS });
    const at = new Date().toISOString();
    const add = (user: string, name: string, table: string) =>
      state.users
        .find((u) => u.username === user)!
        .keys.push(makeKey({ name, type: 'regular', token: `${user}${name}`.padEnd(22, 'x').slice(0, 22), createdAt: at, updatedAt: at }, {
          apis: ['sql'],
          tables: [{ schema: user, name: table, permissions: ['insert', 'select'] }],
        }));
    add('alice', 'alice-writer', 'stores');
    add('bob', 'bob-writer', 'sales');
    const inner = embeddedFetch(createSandboxHandler(state));
    const fetch: FetchLike = async (url, init) => {
      if (opts.failFor !== undefined && new URL(url).searchParams.get('target_user') === opts.failFor) {
        return { status: 400, headers: { get: () => 'application/json' }, text: async () => '{"errors":"Wrong \'page\' parameter value.","errors_cause":null}' };
      }
      return inner(url, init);
    };
    return { fetch, env: { CARTO_KEYS_BASE_URL: 'https://acme.carto.com/u/alice', CARTO_KEYS_MASTER_KEY: ORG_MASTERS['alice']! } };
  }

  it("audits every member's keys; a fix for another member's key carries --user", async () => {
    const sb = org();
    const envFile = join(dir, 'org.env');
    writeFileSync(envFile, `BOB_MASTER=${ORG_MASTERS['bob']}\n`);
    const r = await run(['audit', '--all-members', '--json', '--scan', envFile], { env: sb.env, fetch: sb.fetch });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    const high = doc.findings.filter((f: { severity: string }) => f.severity === 'high');
    expect(high.map((f: { rule: string; member: string; key: string; fix: string }) => [f.rule, f.member, f.key, f.fix])).toEqual([
      ['master-key-in-file', 'bob', 'Master', 'carto-keys regenerate Master --user bob'],
      ['table-write', 'alice', 'alice-writer', 'carto-keys rotate alice-writer --remove-table alice.stores:insert --keep-old --yes'],
      ['table-write', 'bob', 'bob-writer', 'carto-keys rotate bob-writer --user bob --remove-table bob.sales:insert --keep-old --yes'],
    ]);
    expect(doc.summary.organization).toEqual({ name: 'acme', members: 4, failedMembers: [] });
    for (const secret of Object.values(ORG_MASTERS)) expect(r.stdout + r.stderr).not.toContain(secret);
  });

  it('at 80 columns every line fits, the reason under its key (issue 21: it started at column 59)', async () => {
    const sb = await account();
    await run(['create', '--name', 'sql-world_population-20261207-0001', '--api', 'sql', '--table', 'world_population'], { env: sb.env, fetch: sb.fetch });
    await run(['create', '--name', 'sql-world_population-20261207-0002', '--api', 'sql', '--table', 'world_population'], { env: sb.env, fetch: sb.fetch });
    // The newest of identical keys is kept, and the API gives times to the second: -0001 is made the
    // older, or, created in the same second as -0002 after reader-2's second had passed, it would be
    // the one kept (first by name) and not a finding.
    sb.state.users[0]!.keys.find((k) => k.name === 'sql-world_population-20261207-0001')!.createdAt = '2026-01-02T00:00:00.000Z';
    sb.state.revision++;
    const r = await run(['audit'], { env: { ...sb.env, COLUMNS: '80' }, fetch: sb.fetch, tty: true });
    const lines = r.stdout.trimEnd().split('\n');
    for (const line of lines.filter((l) => !l.includes('fix:'))) expect([...line].length, line).toBeLessThanOrEqual(80);
    for (const line of lines.filter((l) => l.includes('fix:'))) expect(line).toMatch(/^ {4}fix: carto-keys /);
    const reasons = lines.filter((l) => /^ {4}\S/.test(l) && !l.includes('fix:'));
    expect(reasons.length).toBeGreaterThan(4);
    expect(lines.some((l) => /^ {2}identical-grants +sql-world_population-20261207-0001$/.test(l)), r.stdout).toBe(true);
  });

  it('on a terminal: a member column', async () => {
    const sb = org();
    const r = await run(['audit', '--all-members'], { env: sb.env, fetch: sb.fetch, tty: true });
    expect(r.stdout).toMatch(/^ {2}table-write +bob +bob-writer\n {4}can change data in bob\.sales \(insert\)$/m);
  });

  it('a member whose keys cannot be listed: the report of the others, then exit 1 naming them', async () => {
    const sb = org({ failFor: 'bob' });
    const r = await run(['audit', '--all-members', '--json', '--fail-on', 'high'], { env: sb.env, fetch: sb.fetch });
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.findings.some((f: { member: string }) => f.member === 'bob')).toBe(false);
    expect(doc.summary.organization.failedMembers.map((f: { member: string }) => f.member)).toEqual(['bob']);
    expect(r.stderr).toContain('Could not list the keys of 1 of 4 members (bob): the audit above does not cover them.');
  });
});

describe('over HTTP, against the sandbox served in-process', () => {
  // `audit` over HTTP against the sandbox served from the test process, seeded (and saved to a state
  // file, which one case scans) with one key per rule — an old one included, which no create call could
  // make; then each printed fix run as printed.
  let server: InProcessSandbox;
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
    server = await serveInProcess({ state, stateFile });
    envFile = join(home.dir, 'deploy.env');
    writeFileSync(envFile, `# deploy settings\nCARTO_API_KEY=${TOKENS.leaked}\nCARTO_KEYS_MASTER_KEY=${server.masterKey}\nPUBLIC=default_public\n`);
  });

  afterAll(async () => {
    await server?.stop();
    home?.cleanup();
  });

  function audit(args: string[]) {
    return cliInProcess(['audit', ...args], { env: { ...home.env, CARTO_KEYS_BASE_URL: server.baseUrl, CARTO_KEYS_MASTER_KEY: server.masterKey } });
  }

  describe('audit against the served sandbox', () => {
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
        const r = await cliInProcess([...words.slice(1), ...(words[1] === 'revoke' ? ['--yes'] : [])], { env });
        expect(r.code, `${f.fix}: ${r.stderr}`).toBe(0);
        // Never deployed, so nothing got the new token: the old key is kept, and the rotation says how to revoke it.
        if (words[1] === 'rotate') {
          expect(r.stderr).toContain(`carto-keys revoke ${f.key}`);
          kept.push(f.key);
        }
      }
      const revoked = await cliInProcess(['revoke', ...kept, '--yes'], { env });
      expect(revoked.code, revoked.stderr).toBe(0);
      const after = JSON.parse((await audit(['--json'])).stdout) as { findings: { rule: string; key: string }[] };
      expect(after.findings.filter((f) => ['table-write', 'schema-create', 'identical-grants'].includes(f.rule))).toEqual([]);
      expect(after.findings.filter((f) => f.rule === 'default-public-only').map((f) => f.key)).toEqual([
        // Without its schema, the creator's successor grants only what Default public gives: the audit says so.
        expect.stringMatching(/^creator-r\d{8}/),
      ]);
    });
  });

  describe('audit --all-members against the served organization', () => {
    it("an admin audits every member; a fix for bob's key names bob", async () => {
      const org = await serveInProcess({ org: true });
      const orgHome = tempHome();
      try {
        const users = Object.fromEntries(org.users.map((u) => [u.username, u]));
        const env = { ...orgHome.env, CARTO_KEYS_BASE_URL: users['alice']!.baseUrl, CARTO_KEYS_MASTER_KEY: users['alice']!.masterKey, CARTO_KEYS_ORG: 'acme' };
        const created = await cliInProcess(['create', '--user', 'bob', '--name', 'bob-writer', '--api', 'sql', '--table', 'sales:select,insert'], { env });
        expect(created.code, created.stderr).toBe(0);
        const r = await cliInProcess(['audit', '--all-members', '--json', '--fail-on', 'high'], { env });
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
});
