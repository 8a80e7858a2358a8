// What only the single-file binary has to prove (vitest.binary.config.ts runs this file with the
// process-level tests, against build/carto-keys-<os>-<arch>): it runs with no Node.js anywhere; the
// environment and the current folder cannot add code or options to it (NODE_OPTIONS, a .env file);
// its keychain module is written to a private cache folder under its hash, and written again when
// that file is damaged.

import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, constants, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, CLI, cliEnv, ROOT, tempHome, type CliResult, type Home } from '../helpers/e2e.js';

const BINARY = CLI[0];
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

let home: Home;

beforeAll(() => {
  if (CLI.length !== 1) throw new Error('test/binary/ runs against the single-file binary: npm run build:binary, then vitest --config vitest.binary.config.ts');
  home = tempHome();
});
afterAll(() => home?.cleanup());

/** Runs `binary args` in `cwd` with exactly `env` (stdout: a pipe read here, or the given fd). */
function run(binary: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, out: 'pipe' | number = 'pipe'): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { cwd, env, stdio: ['ignore', out, 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

describe('the binary alone', () => {
  it('matches its .sha256 file', () => {
    const [digest, name] = readFileSync(`${BINARY}.sha256`, 'utf8').trim().split(/\s+/);
    expect(name).toBe(BINARY.replace(/^.*\//, ''));
    expect(createHash('sha256').update(readFileSync(BINARY)).digest('hex')).toBe(digest);
  });

  it('runs from a folder of its own with no Node.js on the PATH: version, help, completion, sandbox', async () => {
    const bin = join(home.dir, 'only-bin');
    mkdirSync(bin, { recursive: true });
    copyFileSync(BINARY, join(bin, 'carto-keys'));
    const own = join(bin, 'carto-keys');
    const env = { ...home.env, PATH: bin, NO_COLOR: '1', LANG: 'C.UTF-8' };
    expect(await run(own, ['--version'], home.dir, env)).toMatchObject({ code: 0, stdout: `${VERSION}\n` });
    const help = await run(own, ['--help'], home.dir, env);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: carto-keys/);
    const complete = await run(own, ['__complete', 'rev'], home.dir, env);
    expect(complete.stdout).toContain('revoke');
    const login = await run(own, ['login', '--sandbox'], home.dir, env);
    expect(login.code, login.stderr).toBe(0);
    const list = await run(own, ['list'], home.dir, env);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout.split('\n').map((l) => l.split('\t')[0])).toEqual(['Master', 'Default public', '']);
  });

  it('--version into a pipe whose reader is gone: exits 0 and says nothing (it writes with fs.writeSync)', async () => {
    const fifo = join(home.dir, 'closed-pipe');
    execFileSync('mkfifo', [fifo]);
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const writer = openSync(fifo, constants.O_WRONLY);
    closeSync(reader);
    try {
      const r = await run(BINARY, ['--version'], home.dir, cliEnv(home.env), writer);
      expect({ code: r.code, signal: r.signal, stderr: r.stderr }).toEqual({ code: 0, signal: null, stderr: '' });
    } finally {
      closeSync(writer);
    }
  });
});

describe('nothing from the environment or the current folder adds code or options', () => {
  let dir: string;
  let marker: string;
  let inject: string;

  beforeAll(async () => {
    dir = join(home.dir, 'project');
    mkdirSync(dir, { recursive: true });
    marker = join(home.dir, 'injected');
    inject = join(home.dir, 'inject.cjs');
    writeFileSync(inject, `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'ran'); process.stdout.write('INJECTED\\n');\n`);
    writeFileSync(join(home.dir, 'inject.mjs'), `import { writeFileSync } from 'node:fs'; writeFileSync(${JSON.stringify(marker)}, 'ran');\n`);
    const login = await cli(['login', '--sandbox'], { env: home.env });
    expect(login.code, login.stderr).toBe(0);
  });

  const commands = [['--version'], ['--help'], ['__complete', 'show', ''], ['list'], ['status']];

  it('NODE_OPTIONS=--require / --import / --inspect: same output, nothing run', async () => {
    for (const args of commands) {
      const plain = await cli(args, { env: home.env });
      for (const opts of [`--require ${inject}`, `--import ${join(home.dir, 'inject.mjs')}`, '--inspect=127.0.0.1:0', '--max-old-space-size=1']) {
        const r = await cli(args, { env: { ...home.env, NODE_OPTIONS: opts } });
        expect({ args, opts, code: r.code, stdout: r.stdout }).toEqual({ args, opts, code: plain.code, stdout: plain.stdout });
        expect(r.stderr).not.toMatch(/Debugger listening|INJECTED/);
      }
    }
    expect(existsSync(marker)).toBe(false);
  });

  it('a .env in the current folder changes nothing (not loaded, not even its NODE_OPTIONS)', async () => {
    const env = cliEnv(home.env);
    const before = await Promise.all(commands.map((args) => run(BINARY, args, dir, env)));
    writeFileSync(
      join(dir, '.env'),
      [`NODE_OPTIONS=--require ${inject}`, 'CARTO_KEYS_PROFILE=nobody', 'CARTO_KEYS_BASE_URL=http://127.0.0.1:9', 'CARTO_KEYS_MASTER_KEY=from-dotenv'].join('\n') + '\n',
    );
    const after = await Promise.all(commands.map((args) => run(BINARY, args, dir, env)));
    expect(after.map((r) => [r.code, r.stdout])).toEqual(before.map((r) => [r.code, r.stdout]));
    expect(after[3]!.stdout).toContain('Default public');
    expect(existsSync(marker)).toBe(false);
  });
});

describe('the keychain module', () => {
  const cacheDir = () => join(home.env.XDG_CACHE_HOME!, 'carto-keys', 'native');

  /** A keychain login with no D-Bus session: the module loads, then says there is no session to talk to. */
  async function keychainLogin(): Promise<CliResult> {
    const r = await cli(['login', '--sandbox', '--profile', 'kc', '--storage', 'keychain'], { env: home.env });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/no D-Bus session/);
    expect(r.stderr).not.toMatch(/not installed/);
    return r;
  }

  it('is written once to a 0700 cache folder, named by the SHA-256 it has', async () => {
    await keychainLogin();
    expect(statSync(cacheDir()).mode & 0o777).toBe(0o700);
    const files = readdirSync(cacheDir());
    expect(files).toHaveLength(1);
    const file = join(cacheDir(), files[0]!);
    expect(statSync(file).mode & 0o077).toBe(0);
    const hash = /-([0-9a-f]{64})\.node$/.exec(files[0]!)?.[1];
    expect(createHash('sha256').update(readFileSync(file)).digest('hex')).toBe(hash);
    const written = statSync(file).mtimeMs;
    await keychainLogin();
    expect(statSync(file).mtimeMs).toBe(written);
  });

  it('a damaged copy is written again before it is loaded', async () => {
    const file = join(cacheDir(), readdirSync(cacheDir())[0]!);
    const good = readFileSync(file);
    writeFileSync(file, good.subarray(0, good.length >> 1));
    await keychainLogin();
    expect(readFileSync(file).equals(good)).toBe(true);
  });
});
