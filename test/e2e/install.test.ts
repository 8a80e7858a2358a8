// The package as a user gets it: `npm pack`, then `npm install -g <tarball>` into an empty prefix,
// then the installed `carto-keys` on its own — no repository, no node_modules, no build. Packed with
// its scripts (prepack takes `prepare` out of the tarball's package.json, postpack puts it back), in a
// copy of the work tree, so that the repository's own package.json never changes under other tests.

import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnv, ROOT, tempHome, type Home } from '../helpers/e2e.js';

const run = promisify(execFile);
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

let dir: string;
let prefix: string;
let home: Home;
let installOutput: { stdout: string; stderr: string };

/** npm with nothing inherited from an outer `npm test` (its npm_config_* would apply to this install). */
function npmEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  return { ...env, npm_config_cache: join(dir, 'npm-cache'), npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'carto-keys-install-'));
  prefix = join(dir, 'prefix');
  home = tempHome();
  const copy = join(dir, 'work-tree');
  const { stdout: files } = await run('git', ['ls-files', '-z'], { cwd: ROOT });
  for (const file of files.split('\0').filter(Boolean)) {
    if (!existsSync(join(ROOT, file))) continue; // deleted in the work tree, not yet committed
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    cpSync(join(ROOT, file), join(copy, file));
  }
  symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'), 'dir');
  const packed = await run('npm', ['pack', '--pack-destination', dir], { cwd: copy, env: npmEnv() });
  expect(readFileSync(join(copy, 'package.json'), 'utf8')).toBe(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const tarball = join(dir, packed.stdout.trim().split('\n').pop()!);
  // --offline: the package has no dependencies, so installing it must not need the registry.
  installOutput = await run('npm', ['install', '-g', '--prefix', prefix, '--offline', tarball], { cwd: dir, env: npmEnv() });
}, 120_000);

afterAll(() => {
  home?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function installed(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const bin = join(prefix, 'bin', 'carto-keys');
  try {
    const r = await run(bin, args, { env: cliEnv({ ...home.env, PATH: `${join(prefix, 'bin')}:${process.env.PATH}` }), cwd: home.dir });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('installed from the npm tarball', () => {
  it('npm says nothing a newcomer reads as a failure: no "not yet covered by allowScripts" warning (issue 21)', () => {
    expect(installOutput.stderr).not.toMatch(/allowScripts|install-scripts|npm warn/);
    const manifest = JSON.parse(readFileSync(join(prefix, 'lib', 'node_modules', 'carto-keys', 'package.json'), 'utf8'));
    expect(manifest.scripts.prepare).toBeUndefined();
  });

  it('installs the package alone: no dependencies, no build, no sources', () => {
    const pkgDir = join(prefix, 'lib', 'node_modules', 'carto-keys');
    expect(readdirSync(pkgDir).sort()).toEqual(['LICENSE', 'README.md', 'bin', 'completions', 'dist', 'package.json', 'schema']);
    expect(existsSync(join(pkgDir, 'node_modules'))).toBe(false);
  });

  it('carto-keys --version', async () => {
    const r = await installed(['--version']);
    expect(r).toMatchObject({ code: 0, stdout: `${VERSION}\n` });
  });

  it('carto-keys --help', async () => {
    const r = await installed(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: carto-keys/);
  });

  it('carto-keys login --sandbox && carto-keys list', async () => {
    const login = await installed(['login', '--sandbox']);
    expect(login.code, login.stderr).toBe(0);
    const list = await installed(['list']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout.split('\n').map((l) => l.split('\t')[0])).toEqual(['Master', 'Default public', '']);
  });

  it('shell completion answers from the installed bundle', async () => {
    const r = await installed(['__complete', '']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^list\b/m);
  });
});
