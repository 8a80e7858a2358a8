// The README's global install from a clone: `npm install` (dependencies, then `prepare` builds dist/),
// then `npm install -g .`, then the `carto-keys` that npm put on the PATH. And the same install
// without the first step, which cannot build and must say what to do instead of a module stack.

import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnv, ROOT, tempHome, type Home } from '../helpers/e2e.js';

const exec = promisify(execFile);
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

let dir: string;
let home: Home;

/** npm with nothing inherited from an outer `npm test` (its npm_config_* would apply to these installs). */
function npmEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  return { ...env, npm_config_cache: join(dir, 'npm-cache'), npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
}

async function run(cmd: string, args: string[], cwd: string, env = npmEnv()): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await exec(cmd, args, { cwd, env });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout, stderr: e.stderr };
  }
}

/** A fresh clone: the files git tracks (as they are in the work tree), no node_modules, no dist/. */
async function freshClone(into: string): Promise<string> {
  const { stdout } = await exec('git', ['ls-files', '-z'], { cwd: ROOT });
  for (const file of stdout.split('\0').filter(Boolean)) {
    if (!existsSync(join(ROOT, file))) continue; // deleted in the work tree, not yet committed
    mkdirSync(dirname(join(into, file)), { recursive: true });
    cpSync(join(ROOT, file), join(into, file));
  }
  return into;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'carto-keys-clone-'));
  home = tempHome();
});

afterAll(() => {
  home?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('global install from a clone (README: npm install, then npm install -g .)', () => {
  it('npm install -g . before npm install: one clear message, not a module stack', async () => {
    const clone = await freshClone(join(dir, 'unbuilt'));
    const r = await run('npm', ['install', '-g', '--prefix', join(dir, 'prefix-unbuilt'), '.'], clone);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('Run `npm install` in this folder first');
    expect(r.stderr).not.toMatch(/ERR_MODULE_NOT_FOUND|at ModuleLoader/);
  }, 120_000);

  it('after npm install, npm install -g . puts a working carto-keys on the PATH', async () => {
    const clone = await freshClone(join(dir, 'clone'));
    // `npm install`, offline: the dependencies this checkout already has, then its prepare script.
    symlinkSync(join(ROOT, 'node_modules'), join(clone, 'node_modules'), 'dir');
    const built = await run('npm', ['run', 'prepare'], clone);
    expect(built.code, built.stderr).toBe(0);
    const prefix = join(dir, 'prefix');
    const installed = await run('npm', ['install', '-g', '--prefix', prefix, '.'], clone);
    expect(installed.code, installed.stderr).toBe(0);

    const bin = join(prefix, 'bin', 'carto-keys');
    const env = cliEnv({ ...home.env, PATH: `${join(prefix, 'bin')}:${process.env.PATH}` });
    const version = await run('carto-keys', ['--version'], home.dir, env);
    expect(version).toMatchObject({ code: 0, stdout: `${VERSION}\n` });
    expect(existsSync(bin)).toBe(true);
    const login = await run('carto-keys', ['login', '--sandbox'], home.dir, env);
    expect(login.code, login.stderr).toBe(0);
    const list = await run('carto-keys', ['list'], home.dir, env);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout.split('\n').map((l) => l.split('\t')[0])).toEqual(['Master', 'Default public', '']);
  }, 120_000);
});
