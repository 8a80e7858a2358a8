// The Master key, through the built binary: every command with --debug, with --json, succeeding and
// failing, including `login --with-key` and `regenerate Master`. The old and the new Master key must
// appear in no output and in no file under HOME except config.json (0600 in a 0700 folder, tightened
// if found looser), never in a request URL, and never on a command line (`ps` shows argv to everyone).

import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cli, cliEnv, serveSandbox, tempHome, type CliResult, type Home, type ServedSandbox } from '../helpers/e2e.js';

let server: ServedSandbox;
let home: Home;
let configDir: string;
let configFile: string;
/** Every run's output, labelled, for the leak checks. */
const runs: { args: string[]; r: CliResult }[] = [];
/** Every Master key the account has had during the test. */
const masters: string[] = [];

async function ck(args: string[], opts: { input?: string; env?: Record<string, string>; expect?: number } = {}): Promise<CliResult> {
  const r = await cli(args, { env: { ...home.env, ...opts.env }, ...(opts.input !== undefined && { input: opts.input }) });
  runs.push({ args, r });
  if (opts.expect !== undefined) expect(r.code, `$ carto-keys ${args.join(' ')}\n${r.stdout}${r.stderr}`).toBe(opts.expect);
  return r;
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

const mode = (p: string): number => statSync(p).mode & 0o777;
const storedKey = (): string | undefined => JSON.parse(readFileSync(configFile, 'utf8')).profiles?.default?.masterKey;

beforeAll(async () => {
  server = await serveSandbox();
  home = tempHome();
  configDir = join(home.dir, '.config', 'carto-keys');
  configFile = join(configDir, 'config.json');
  masters.push(server.masterKey);
});

afterAll(async () => {
  await server?.stop();
  home?.cleanup();
});

describe('the Master key never leaks (built binary, --debug)', () => {
  it('a config folder and file found looser (0755, 0644) are tightened to 0700 and 0600', async () => {
    mkdirSync(configDir, { recursive: true });
    chmodSync(configDir, 0o755);
    writeFileSync(configFile, '{"profiles": {}}\n');
    chmodSync(configFile, 0o644);
    // A command that only reads the config tightens it too: the key may already be inside.
    await ck(['profile', 'list', '--debug'], { expect: 0 });
    expect(mode(configDir)).toBe(0o700);
    expect(mode(configFile)).toBe(0o600);

    chmodSync(configDir, 0o755);
    chmodSync(configFile, 0o644);
    await ck(['login', '--base-url', server.baseUrl, '--with-key', '--debug'], { input: `${server.masterKey}\n`, expect: 0 });
    expect(mode(configDir)).toBe(0o700);
    expect(mode(configFile)).toBe(0o600);
    expect(storedKey()).toBe(server.masterKey);
  });

  it('login --with-key reads the key from stdin: it is never on the command line that ps shows', async () => {
    const child = spawn(process.execPath, [BIN, 'login', '--base-url', server.baseUrl, '--with-key', '--json', '--debug'], {
      env: cliEnv(home.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
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
    runs.push({ args: ['login', '--with-key', '--json', '(spawned)'], r: { code, signal: null, stdout: out, stderr: '' } });
    expect(code, out).toBe(0);
  });

  it('no option takes the key as a value, and a key typed as one is not echoed', async () => {
    const key = server.masterKey;
    for (const args of [
      ['login', '--base-url', server.baseUrl, '--with-key', key],
      ['login', '--base-url', server.baseUrl, `--master-key=${key}`],
      ['login', '--base-url', server.baseUrl, '--key', key],
      ['login', '--base-url', server.baseUrl, `--token=${key}`, '--json'],
      [key],
      ['list', `--api-key=${key}`],
    ]) {
      const r = await ck(args, { expect: 2 });
      expect(r.stdout + r.stderr).not.toContain(key);
    }
  });

  it('every command, succeeding and failing, with --debug and with --json', { timeout: 90_000 }, async () => {
    const dead = 'http://127.0.0.1:9/user/demo';
    const wrong = 'f'.repeat(40);
    await ck(['login', '--base-url', server.baseUrl, '--with-key', '--debug', '--json'], { input: wrong, expect: 4 });
    // The commands that change nothing, at once (each is its own process).
    await Promise.all([
      ck(['status', '--debug'], { expect: 0 }),
      ck(['status', '--json', '--debug'], { expect: 0 }),
      ck(['list', '--debug'], { expect: 0 }),
      ck(['list', '--json', '--reveal', '--debug'], { expect: 0 }),
      ck(['show', 'Master', '--debug'], { expect: 0 }),
      ck(['show', 'Master', '--json', '--debug'], { expect: 0 }),
      ck(['show', 'Master', '--reveal', '--debug'], { expect: 0 }),
      ck(['show', 'Master', '--token', '--json', '--debug'], { expect: 2 }),
      ck(['show', 'nope', '--debug'], { expect: 1 }),
      ck(['profile', 'list', '--json', '--debug'], { expect: 0 }),
      ck(['profile', 'list', '--debug'], { expect: 0 }),
      // The network fails: the messages name the host, never the key.
      ck(['list', '--debug'], { env: { CARTO_KEYS_BASE_URL: dead, CARTO_KEYS_MASTER_KEY: server.masterKey }, expect: 1 }),
      ck(['status', '--debug', '--json'], { env: { CARTO_KEYS_BASE_URL: dead, CARTO_KEYS_MASTER_KEY: server.masterKey }, expect: 1 }),
    ]);
    await ck(['create', '--name', 'app', '--api', 'sql', '--table', 'world_population', '--debug', '--json'], { expect: 0 });
    await ck(['create', '--name', 'app', '--api', 'sql', '--debug'], { expect: 1 });
    await ck(['create', '--name', 'bad', '--api', 'sql', '--table', 'no_such_table', '--debug', '--json'], { expect: 1 });
    await ck(['clone', 'app', '--name', 'app2', '--add-api', 'maps', '--debug'], { expect: 0 });
    await ck(['clone', 'app', '--dry-run', '--json', '--debug'], { expect: 0 });
    await ck(['clone', 'nope', '--debug', '--json'], { expect: 1 });
    await ck(['regenerate', 'app', '--yes', '--debug', '--json'], { expect: 0 });
    await ck(['regenerate', 'nope', '--yes', '--debug'], { expect: 1 });
    await ck(['revoke', 'app2', '--yes', '--debug', '--json'], { expect: 0 });
    await ck(['revoke', 'nope', '--yes', '--debug'], { expect: 1 });
    await ck(['revoke', 'Master', '--yes', '--debug'], { expect: 2 });
  });

  it('regenerate Master stores the new key and prints neither', { timeout: 30_000 }, async () => {
    const old = server.masterKey;
    const r = await ck(['regenerate', 'Master', '--yes', '--debug', '--json'], { expect: 0 });
    const fresh = storedKey()!;
    expect(fresh).toMatch(/^[0-9a-f]{40}$/);
    expect(fresh).not.toBe(old);
    masters.push(fresh);
    server.masterKey = fresh;
    expect(JSON.parse(r.stdout)).toMatchObject({ name: 'Master', stored: true, profile: 'default' });
    // The new key works; the old one is rejected (exit 4) without being echoed.
    await ck(['list', '--debug'], { expect: 0 });
    await ck(['list', '--debug', '--json'], { env: { CARTO_KEYS_MASTER_KEY: old }, expect: 4 });
    // With the key in the environment there is no profile to store a new one: refused unless asked to print.
    await ck(['regenerate', 'Master', '--yes', '--debug'], { env: { CARTO_KEYS_MASTER_KEY: fresh, CARTO_KEYS_BASE_URL: server.baseUrl }, expect: 2 });
    await ck(['show', 'Master', '--debug'], { expect: 0 });
    expect(mode(configFile)).toBe(0o600);
    expect(mode(configDir)).toBe(0o700);
  });

  it('no Master key in any output, in any file under HOME but config.json, or in any URL', () => {
    // Only what the CLI wrote: the argv of the runs above carries the key on purpose (refused, not echoed).
    const transcript = runs.map(({ r }) => `${r.stdout}${r.stderr}`).join('\n');
    // The checks below are not vacuous: requests were traced, names were cached.
    const urls = [...transcript.matchAll(/→ (?:GET|POST|DELETE) (\S+)/g)].map((m) => m[1]!);
    expect(urls.length).toBeGreaterThan(20);
    const files = filesUnder(home.dir).filter((f) => f !== configFile);
    expect(files.some((f) => f.includes(join('.cache', 'carto-keys')))).toBe(true);

    for (const key of masters) {
      const basic = Buffer.from(`demo:${key}`).toString('base64');
      for (const secret of [key, basic]) {
        expect(transcript).not.toContain(secret);
        for (const f of files) expect(readFileSync(f, 'latin1'), f).not.toContain(secret);
      }
    }
    // The trace redacts secrets, so a key in a URL would show as *** there: no URL carries one.
    for (const url of urls) {
      expect(url).not.toMatch(/\*\*\*|[?&]api_key=|@/);
      expect(new URL(url).username + new URL(url).password).toBe('');
    }
    // Only the config file holds it.
    expect(readFileSync(configFile, 'utf8')).toContain(masters.at(-1)!);
  });

  it('logout removes the key from the config file', async () => {
    await ck(['logout', '--debug', '--json'], { expect: 0 });
    const text = readFileSync(configFile, 'utf8');
    for (const key of masters) expect(text).not.toContain(key);
    for (const f of filesUnder(home.dir)) for (const key of masters) expect(readFileSync(f, 'latin1'), f).not.toContain(key);
  });
});
