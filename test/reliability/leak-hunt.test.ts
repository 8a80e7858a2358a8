// The leak hunt (issue 11), the one place that greps everything carto-keys writes for the Master key
// and members' keys. Every command, in both storage modes, plain and with --debug --json, succeeding
// and failing, over HTTP against the sandbox served in-process and a local listener standing for
// "another host"; then stdout, stderr, every file under HOME (config, cache and data folders, rotation
// journals, the deployment registry, deploy targets, a deploy command's environment dump, a notify
// command's event), everything the listener received and every URL the sandbox was asked for are
// searched for every Master key the account has had, plain and as a Basic credential. In file mode the
// key rests only in config.json (0600 in a 0700 folder) until logout; in keychain mode nowhere on disk.
// Besides: the Master key is never on the command line `ps` shows (a real process), and an admin's
// runs hold no other member's key.
//
// To extend it, add a line to STEPS: the command line, the exit code(s) it must end with, and
// optionally stdin, environment or a check of the result. In arguments and environment values, `{dir}`
// is the run's HOME, `{url}` the sandbox's base URL, `{master}` the current Master key, `{first}` the
// account's first one, `{new}` the grace rotation's new key, and an environment value `listener` the
// recording listener's base URL.

import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { masterKeyOf } from '../../src/sandbox/embedded.js';
import { BIN, cliEnv, tempHome, type CliResult, type Home } from '../helpers/e2e.js';
import { cliInProcess } from '../helpers/in-process.js';
import { keyringUnavailable, workerKeyring, type KeyringSession } from '../helpers/keyring.js';
import { recorder, type Recorder } from '../helpers/recorder.js';
import { serveInProcess, useServedHome, type InProcessSandbox, type OrgUser } from '../helpers/served.js';
import { filesUnder } from '../helpers/written.js';

interface Step {
  args: string[];
  expect: number | number[];
  input?: string;
  /** Environment beyond HOME. */
  env?: Record<string, string>;
  /** Run once, as written (no --debug --json variant): steps that change state for the next ones. */
  once?: boolean;
  /** More to check of the result (each variant). */
  check?: (r: CliResult) => void;
}

const WRONG_KEY = 'f'.repeat(40);
/** The grace rotation's new key, for the steps after it (`{new}`). */
let successor = '';
const DEAD = 'http://127.0.0.1:9/user/demo';

/** Every command line the hunt runs, in order, after `login --with-key --storage <mode> --debug`. */
const STEPS: Step[] = [
  { args: ['status'], expect: 0 },
  { args: ['list'], expect: 0 },
  { args: ['list', '--reveal'], expect: 0 },
  { args: ['show', 'Master'], expect: 0 },
  { args: ['show', 'Master', '--reveal'], expect: [0, 2] },
  { args: ['show', 'Master', '--token'], expect: [0, 2] },
  { args: ['show', 'nope'], expect: 1 },
  { args: ['profile', 'list'], expect: 0 },
  // A wrong key is refused (exit 4) without being echoed, and stores nothing.
  { args: ['login', '--base-url', '{url}', '--with-key'], input: WRONG_KEY, expect: 4 },
  // The network fails: the messages name the host, never the key.
  { args: ['list'], env: { CARTO_KEYS_BASE_URL: DEAD, CARTO_KEYS_MASTER_KEY: '{master}' }, expect: 1 },
  { args: ['status'], env: { CARTO_KEYS_BASE_URL: DEAD, CARTO_KEYS_MASTER_KEY: '{master}' }, expect: 1 },
  { args: ['create', '--name', 'app', '--api', 'sql', '--table', 'world_population'], expect: 0, once: true },
  { args: ['create', '--name', 'app', '--api', 'sql'], expect: 1 },
  { args: ['create', '--name', 'bad', '--api', 'sql', '--table', 'no_such_table'], expect: 1 },
  { args: ['show', 'app', '--reveal'], expect: 0 },
  { args: ['clone', 'app', '--name', 'app2', '--add-api', 'maps'], expect: 0, once: true },
  { args: ['clone', 'app', '--dry-run'], expect: 0 },
  { args: ['clone', 'nope'], expect: 1 },
  { args: ['regenerate', 'app2', '--yes'], expect: 0 },
  { args: ['regenerate', 'nope', '--yes'], expect: 1 },
  {
    args: ['rotate', 'app', '--yes', '--keep-old', '--deploy-env-file', '{dir}/deploy/.env:CARTO_API_KEY', '--deploy-cmd', 'env > "$HOME/deploy/child-env.txt"'],
    expect: 0,
    once: true,
  },
  // The lifecycle: a grace rotation with a notifier, where, retire before the deadline, rollback. The
  // registry and the event are searched with the rest.
  {
    args: ['rotate', 'app2', '--yes', '--json', '--grace', '24h', '--deploy-env-file', '{dir}/deploy/app2.env', '--notify-cmd', 'cat > "$HOME/deploy/event.json"'],
    expect: 0,
    once: true,
    check: (r) => void (successor = (JSON.parse(r.stdout) as { new: string }).new),
  },
  { args: ['where', '{new}'], expect: 0 },
  { args: ['retire', '--yes'], expect: 0 },
  { args: ['rotate', '--rollback', '{new}', '--yes'], expect: 0, once: true },
  { args: ['revoke', 'app2', '--yes'], expect: 0, once: true },
  { args: ['revoke', 'nope', '--yes'], expect: 1 },
  { args: ['revoke', 'Master', '--yes'], expect: 2 },
  // Keys as code and the audit: their outputs name keys (escaped) and read files (bounded).
  { args: ['export', '-o', '{dir}/carto-keys.yaml', '--force'], expect: 0 },
  { args: ['plan', '-f', '{dir}/carto-keys.yaml'], expect: 0 },
  { args: ['audit', '--scan', '{dir}/deploy/.env'], expect: [0, 7] },
  // The Master key typed as a file name, a flag value or a --notify-cmd: refused before parsing (in
  // keychain mode by the profile's recorded keyCheck), never echoed, never run through sh.
  { args: ['plan', '-f', '{master}'], expect: 2 },
  { args: ['rotate', '--rollback', '{master}'], expect: 2 },
  { args: ['rotate', 'app', '--yes', '--deploy-cmd', 'true', '--notify-cmd', '{master}'], expect: 2 },
  // No option takes the key as a value, and a key typed as one is not echoed.
  { args: ['login', '--base-url', '{url}', '--with-key', '{master}'], expect: 2, once: true },
  { args: ['login', '--base-url', '{url}', '--master-key={master}'], expect: 2, once: true },
  { args: ['login', '--base-url', '{url}', '--key', '{master}'], expect: 2, once: true },
  { args: ['login', '--base-url', '{url}', '--token={master}', '--json'], expect: 2, once: true },
  { args: ['{master}'], expect: 2, once: true },
  { args: ['list', '--api-key={master}'], expect: 2, once: true },
  // A proxy is never used for the loopback sandbox: the listener, standing as the proxy, receives nothing.
  { args: ['list'], env: { HTTP_PROXY: 'listener', HTTPS_PROXY: 'listener' }, expect: 0 },
  // HOME holds the Master key (config.json, in file mode) and the deployed token: found, by fingerprint only.
  { args: ['scan', '{dir}', '--fail-on-find'], expect: [0, 7] },
  { args: ['audit', '--scan', '{dir}'], expect: 0 },
  { args: ['respond', 'nope', '--yes'], expect: 1 },
  { args: ['respond', '{master}', '--yes'], expect: 2 },
  // The Master key typed where a name goes: refused before anything is sent.
  { args: ['show', '--', '{master}'], expect: 2 },
  // Another account named by the environment, with the key from the profile: nothing sent there.
  { args: ['list'], env: { CARTO_KEYS_BASE_URL: 'listener' }, expect: 4 },
  { args: ['status'], env: { CARTO_KEYS_USERNAME: 'evil' }, expect: 4 },
  // Clear text to a host off this machine: refused.
  { args: ['list'], env: { CARTO_KEYS_BASE_URL: 'http://192.0.2.2:8080/user/demo', CARTO_KEYS_MASTER_KEY: '{master}' }, expect: 2 },
  // regenerate Master stores the new key and prints neither.
  {
    args: ['regenerate', 'Master', '--yes', '--debug', '--json'],
    expect: 0,
    once: true,
    check: (r) => expect(JSON.parse(r.stdout)).toMatchObject({ name: 'Master', stored: true, profile: 'default' }),
  },
  { args: ['status'], expect: 0 },
  { args: ['show', 'Master'], expect: 0 },
  // The old key is rejected (exit 4) without being echoed.
  { args: ['list'], env: { CARTO_KEYS_MASTER_KEY: '{first}' }, expect: 4 },
  // With the key in the environment there is no profile to store a new one: refused unless asked to print.
  { args: ['regenerate', 'Master', '--yes'], env: { CARTO_KEYS_MASTER_KEY: '{master}', CARTO_KEYS_BASE_URL: '{url}' }, expect: 2 },
  { args: ['logout'], expect: 0, once: true },
  { args: ['status'], expect: 4 },
];

const keyring = keyringUnavailable();
const MODES: { storage: 'file' | 'keychain'; skip?: string }[] = [
  { storage: 'file' },
  { storage: 'keychain', ...(keyring !== undefined && { skip: keyring }) },
];

let listener: Recorder;
beforeAll(async () => {
  // It answers like a server that is not CARTO (an HTML 404), quoting nothing back.
  listener = await recorder((_req, res) => res.writeHead(404, { 'content-type': 'text/html' }).end('<html>not here</html>'));
});
afterAll(async () => {
  await listener?.close();
});

const mode = (p: string): number => statSync(p).mode & 0o777;

/** Each secret as it could leak: itself, any case, and as the Basic credential of `username`. */
function expectNoSecret(texts: { what: string; text: string }[], secrets: string[], username = 'demo'): void {
  for (const key of secrets) {
    for (const { what, text } of texts) {
      expect(text.includes(key) || text.toLowerCase().includes(key.toLowerCase()), `a Master key in ${what}`).toBe(false);
      expect(text.includes(Buffer.from(`${username}:${key}`).toString('base64')), `a Basic credential in ${what}`).toBe(false);
    }
  }
}

for (const m of MODES) {
  describe.skipIf(m.skip !== undefined)(`leak hunt, key in the ${m.storage}${m.skip ? ` (skipped: ${m.skip})` : ''}`, () => {
    let home: Home;
    let server: InProcessSandbox;
    let session: KeyringSession | undefined;
    let configDir: string;
    let configFile: string;
    const masters: string[] = [];
    const written: { what: string; text: string }[] = [];

    beforeAll(async () => {
      home = tempHome();
      // Its own account: regenerate Master changes the key.
      server = await serveInProcess();
      if (m.storage === 'keychain') session = await workerKeyring();
      masters.push(server.masterKey);
      configDir = join(home.dir, '.config', 'carto-keys');
      configFile = join(configDir, 'config.json');
    });
    afterAll(async () => {
      await server?.stop();
      home?.cleanup();
    });

    function currentMaster(): string | undefined {
      if (m.storage === 'file') {
        if (!existsSync(configFile)) return undefined;
        return JSON.parse(readFileSync(configFile, 'utf8')).profiles.default?.masterKey;
      }
      return /secret = (\S+)/.exec(session!.search())?.[1];
    }

    async function ck(args: string[], opts: { env?: Record<string, string>; input?: string } = {}): Promise<CliResult> {
      const r = await cliInProcess(args, { env: { ...home.env, ...opts.env }, ...(opts.input !== undefined && { input: opts.input }) });
      written.push({ what: `$ carto-keys ${args.join(' ')}`, text: r.stdout + r.stderr });
      return r;
    }

    it('a config folder and file found looser (0755, 0644) are tightened to 0700 and 0600, by a command that only reads them too', async () => {
      mkdirSync(configDir, { recursive: true });
      chmodSync(configDir, 0o755);
      writeFileSync(configFile, '{"profiles": {}}\n');
      chmodSync(configFile, 0o644);
      // A command that only reads the config tightens it too: the key may already be inside.
      expect((await ck(['profile', 'list', '--debug'])).code).toBe(0);
      expect(mode(configDir)).toBe(0o700);
      expect(mode(configFile)).toBe(0o600);
      chmodSync(configDir, 0o755);
      chmodSync(configFile, 0o644);
      const login = await ck(['login', '--base-url', server.baseUrl, '--with-key', '--storage', m.storage, '--debug'], { input: `${server.masterKey}\n` });
      expect(login.code, login.stderr).toBe(0);
      expect(mode(configDir)).toBe(0o700);
      expect(mode(configFile)).toBe(0o600);
      expect(currentMaster()).toBe(server.masterKey);
    });

    it('runs every step with the expected exit code', { timeout: 60_000 }, async () => {
      mkdirSync(join(home.dir, 'deploy'), { recursive: true });
      const fill = (s: string) =>
        s
          .replace('{dir}', home.dir)
          .replace('{url}', server.baseUrl)
          .replace('{master}', masters[masters.length - 1]!)
          .replace('{first}', masters[0]!)
          .replace('{new}', successor)
          .replace(/^listener$/, `${listener.origin}/user/demo`);
      for (const step of STEPS) {
        const variants = step.once ? [[]] : [[], ['--debug', '--json']];
        for (const extra of variants) {
          const args = [...step.args.map(fill), ...extra];
          const stepEnv = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, fill(v)]));
          const r = await ck(args, { env: stepEnv, ...(step.input !== undefined && { input: step.input }) });
          const label = `$ ${Object.entries(step.env ?? {}).map(([k, v]) => `${k}=${v} `).join('')}carto-keys ${[...step.args, ...extra].join(' ')}`;
          const wanted = Array.isArray(step.expect) ? step.expect : [step.expect];
          expect(wanted, `${label}\n${r.stdout}${r.stderr}`).toContain(r.code);
          step.check?.(r);
        }
        // Every key the account has had, as the server has it; and after each step that changes
        // state, the store holds none but the account's current one.
        const account = masterKeyOf(server.state);
        if (!masters.includes(account)) masters.push(account);
        if (step.once) {
          const stored = currentMaster();
          if (stored !== undefined) expect(stored, `the stored key after ${step.args.join(' ')}`).toBe(account);
        }
      }
      expect(masters.length, 'regenerate Master changed the key').toBe(2);
      expect(masters[1]).toMatch(/^[0-9a-f]{40}$/);
    });

    it('no Master key in any output, in any file (config.json after logout included), at the listener, or in any URL', () => {
      const files = filesUnder(home.dir).filter((f) => !f.includes(`${join('.local', 'share', 'keyrings')}`));
      // Not vacuous: the deploy targets, the child's environment dump, the event, the registry and the
      // name cache exist; requests were traced.
      for (const end of [join('deploy', '.env'), 'child-env.txt', 'event.json', 'deployments.json']) expect(files.some((f) => f.endsWith(end)), end).toBe(true);
      expect(files.some((f) => f.includes(join('.cache', 'carto-keys')))).toBe(true);
      const transcript = written.map((w) => w.text).join('\n');
      const traced = [...transcript.matchAll(/→ (?:GET|POST|DELETE) (\S+)/g)].map((x) => x[1]!);
      expect(traced.length).toBeGreaterThan(20);
      expectNoSecret(
        [
          ...written,
          ...files.map((f) => ({ what: f, text: readFileSync(f, 'latin1') })),
          { what: 'the listener', text: listener.text() },
          ...server.requests.map((r) => ({ what: `the URL ${r.url}`, text: r.url })),
        ],
        masters,
      );
      // The trace redacts secrets, so a key in a URL would show as *** there: no URL carries one.
      for (const url of traced) {
        expect(url).not.toMatch(/\*\*\*|[?&]api_key=|@/);
        expect(new URL(url).username + new URL(url).password).toBe('');
      }
      // The key travels only in the Authorization header, to the sandbox.
      expect(server.requests.length).toBeGreaterThan(20);
      expect(server.requests.filter((r) => r.url.includes('/api/')).every((r) => r.authorization?.startsWith('Basic '))).toBe(true);
      // The config stays private; logout took the key out of it.
      expect(mode(configFile)).toBe(0o600);
      expect(mode(configDir)).toBe(0o700);
    });
  });
}

describe('the Master key on the command line', () => {
  it('login --with-key reads the key from stdin: it is never in the argv that ps shows (a real process)', async () => {
    const server = await serveInProcess();
    const home = tempHome();
    try {
      const child = spawn(process.execPath, [BIN, 'login', '--base-url', server.baseUrl, '--with-key', '--json', '--debug'], { env: cliEnv(home.env), stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      // While it waits for stdin (which stays open until the key is written below), its argv is what
      // anyone on the machine can read. 'spawn' comes once the exec succeeded: the argv is final then.
      await once(child, 'spawn');
      const cmdline = existsSync('/proc/self/cmdline')
        ? readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0')
        : execFileSync('ps', ['-o', 'args=', '-p', String(child.pid)], { encoding: 'utf8' }).trim().split(/\s+/);
      expect(cmdline).toContain('--with-key');
      expect(cmdline.join(' ')).not.toContain(server.masterKey);
      child.stdin.end(server.masterKey);
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(code, out).toBe(0);
      expect(out).not.toContain(server.masterKey);
    } finally {
      await server.stop();
      home.cleanup();
    }
  });
});

describe("members' keys", () => {
  const w = useServedHome({ org: true });

  it("no output of an admin's commands, --debug included, and no file carto-keys wrote holds another member's key", async () => {
    const { home } = w;
    const users: Record<string, OrgUser> = Object.fromEntries(w.sb.users.map((u) => [u.username, u]));
    // A stored profile, so the config, caches and journals are all on disk.
    const login = await cliInProcess(['login', '--base-url', users['alice']!.baseUrl, '--with-key'], { env: home.env, input: users['alice']!.masterKey });
    expect(login.code, login.stderr).toBe(0);
    const outputs: { what: string; text: string }[] = [];
    for (const args of [
      ['org', 'members'],
      ['org', 'members', '--json', '--debug'],
      ['list', '--all-members', '--debug'],
      ['list', '--all-members', '--json', '--reveal'],
      ['list', '--user', 'bob', '--debug', '--reveal'],
      ['show', 'Master', '--user', 'bob', '--json', '--debug'],
      ['show', 'Master', '--user', 'bob', '--reveal'],
      ['create', '--user', 'dave', '--name', 'probe', '--api', 'sql', '--debug'],
      ['clone', 'probe', '--user', 'dave', '--name', 'probe-2', '--json'],
      ['rotate', 'probe', '--user', 'dave', '--keep-old', '--yes', '--debug'],
      ['revoke', 'probe', 'probe-2', '--user', 'dave', '--yes', '--debug'],
      ['regenerate', 'dave-dashboard', '--user', 'dave', '--yes', '--debug'],
      ['audit', '--all-members', '--json', '--debug'],
      ['org', 'members', '--org', 'zeta', '--debug'],
      ['status', '--json'],
    ]) {
      const r = await cliInProcess(args, { env: { ...home.env, CARTO_KEYS_ORG: 'acme' } });
      outputs.push({ what: `$ carto-keys ${args.join(' ')} → ${r.code}`, text: r.stdout + r.stderr });
    }
    const all = outputs.map((o) => o.text).join('\n');
    // The commands did run (a test of nothing would pass too).
    expect(all).toContain('dave-dashboard');
    expect(all).toContain('[debug]');
    const files = filesUnder(home.dir);
    expect(files.length).toBeGreaterThan(2);
    const others = Object.values(users).filter((u) => u.username !== 'alice');
    for (const u of others) {
      expectNoSecret([...outputs, ...files.map((f) => ({ what: f, text: readFileSync(f, 'latin1') }))], [u.masterKey], u.username);
    }
    // alice's own key: in her profile, and nowhere in output (the Master key is never printed).
    expectNoSecret(outputs, [users['alice']!.masterKey], 'alice');
  });
});
