// The README's one-command installs from source, on a fresh clone of this work tree (its files as
// they are now, committed into a temporary repository): `npm install -g .` inside the clone, and
// `npm install -g git+file://<repository>`, each into an empty prefix, with nothing installed first.
// Both run `prepare` without the devDependencies (scripts/build.mjs installs them itself), and the
// git install goes through npm's inner install that inherits --global (npm/cli#8440).

import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnv, ROOT, tempHome, type Home } from '../helpers/e2e.js';

const exec = promisify(execFile);
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

let dir: string;
let repo: string;
const homes: Home[] = [];

/**
 * npm with nothing inherited from an outer `npm test` (its npm_config_* would apply to these
 * installs), preferring the packages already in the npm cache (CI ran `npm install` first).
 */
function npmEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  return { ...env, npm_config_prefer_offline: 'true', npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
}

async function run(cmd: string, args: string[], cwd: string, env = npmEnv()): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await exec(cmd, args, { cwd, env, maxBuffer: 16 << 20 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout, stderr: e.stderr };
  }
}

/** A repository holding the files git tracks here, as they are in the work tree (no node_modules, no dist/). */
async function repository(into: string): Promise<string> {
  const { stdout } = await exec('git', ['ls-files', '-z'], { cwd: ROOT });
  for (const file of stdout.split('\0').filter(Boolean)) {
    if (!existsSync(join(ROOT, file))) continue; // deleted in the work tree, not yet committed
    mkdirSync(dirname(join(into, file)), { recursive: true });
    cpSync(join(ROOT, file), join(into, file));
  }
  const git = (...args: string[]) => exec('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: into });
  await git('init', '-q');
  await git('add', '-A');
  await git('commit', '-q', '-m', 'work tree');
  return into;
}

/**
 * What npm printed on stderr, as the README shows it: with npm 11, only its allowScripts warning about
 * carto-keys's own build (the `prepare` script); nothing with an older npm.
 */
function expectOnlyTheReadmeWarning(stderr: string): void {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) return;
  expect(lines.every((l) => l.startsWith('npm warn install-scripts')), stderr).toBe(true);
  expect(stderr).toContain(`carto-keys@${VERSION} (prepare: node scripts/build.mjs)`);
}

/** `carto-keys` from the prefix's bin/: its version, then a sandbox login and a listing, in a HOME of its own. */
async function works(prefix: string): Promise<void> {
  const home = tempHome();
  homes.push(home);
  const env = cliEnv({ ...home.env, PATH: `${join(prefix, 'bin')}:${process.env.PATH}` });
  const version = await run('carto-keys', ['--version'], home.dir, env);
  expect(version).toMatchObject({ code: 0, stdout: `${VERSION}\n` });
  const login = await run('carto-keys', ['login', '--sandbox'], home.dir, env);
  expect(login.code, login.stderr).toBe(0);
  const list = await run('carto-keys', ['list'], home.dir, env);
  expect(list.code, list.stderr).toBe(0);
  expect(list.stdout.split('\n').map((l) => l.split('\t')[0])).toEqual(['Master', 'Default public', '']);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'carto-keys-clone-'));
  repo = await repository(join(dir, 'repo'));
}, 60_000);

afterAll(() => {
  for (const h of homes) h.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// The two installs share nothing (each its own prefix, clone and HOME): they run side by side.
describe.concurrent('one-command installs from source (README)', () => {
  it('npm install -g . in a fresh clone, before any npm install', async () => {
    const clone = join(dir, 'clone');
    await exec('git', ['clone', '-q', repo, clone]);
    const prefix = join(dir, 'prefix-folder');
    const installed = await run('npm', ['install', '-g', '--prefix', prefix, '.'], clone);
    expect(installed.code, installed.stderr).toBe(0);
    expectOnlyTheReadmeWarning(installed.stderr);
    await works(prefix);
  }, 240_000);

  it('npm install -g git+file://…: a folder of its own, with the keychain module', async () => {
    const prefix = join(dir, 'prefix-git');
    const installed = await run('npm', ['install', '-g', '--prefix', prefix, `git+file://${repo}`], dir);
    expect(installed.code, installed.stderr).toBe(0);
    expectOnlyTheReadmeWarning(installed.stderr);
    const pkg = join(prefix, 'lib', 'node_modules', 'carto-keys');
    // Not a link into npm's temporary clone (deleted once the install ends): the package itself.
    expect(existsSync(join(pkg, 'dist', 'program.cjs'))).toBe(true);
    expect(existsSync(join(pkg, 'node_modules', '@napi-rs', 'keyring', 'package.json'))).toBe(true);
    await works(prefix);
  }, 240_000);
});
