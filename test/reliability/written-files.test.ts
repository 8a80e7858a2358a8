// Files carto-keys writes go through one atomic helper: a symlink planted where it writes is replaced,
// never written through, and the files come out 0600 in 0700 folders.

import { lstatSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { profileNamesPath } from '../helpers/names-cache.js';
import { run, tempPaths } from '../helpers/harness.js';
import { BASE_URL, MASTER, testSandbox } from '../helpers/sandbox-fetch.js';

let p: ReturnType<typeof tempPaths>;
afterEach(() => p?.cleanup());

const VICTIM = JSON.stringify({ profiles: { other: { username: 'demo', baseUrl: BASE_URL } } });

describe.runIf(process.platform !== 'win32')('files written through planted symlinks', () => {
  it('config.json: the update reads what the link points to, then replaces the link; the other file is unchanged', async () => {
    p = tempPaths();
    const sb = testSandbox();
    mkdirSync(p.config, { recursive: true, mode: 0o700 });
    const victim = join(p.root, 'victim.json');
    writeFileSync(victim, VICTIM, { mode: 0o644 });
    const config = join(p.config, 'config.json');
    symlinkSync(victim, config);
    const r = await run(['login', '--base-url', BASE_URL, '--with-key'], { stdin: MASTER, paths: p, fetch: sb.fetch });
    expect(r.code, r.stderr).toBe(0);
    expect(lstatSync(config).isSymbolicLink()).toBe(false);
    expect(statSync(config).mode & 0o777).toBe(0o600);
    expect(Object.keys(JSON.parse(readFileSync(config, 'utf8')).profiles).sort()).toEqual(['default', 'other']);
    expect(readFileSync(victim, 'utf8')).toBe(VICTIM);
  });

  it('the key-name cache: replaced, not written through', async () => {
    p = tempPaths();
    const sb = testSandbox();
    const login = await run(['login', '--base-url', BASE_URL, '--with-key'], { stdin: MASTER, paths: p, fetch: sb.fetch });
    expect(login.code, login.stderr).toBe(0);
    mkdirSync(p.cache, { recursive: true, mode: 0o700 });
    const victim = join(p.root, 'victim.txt');
    writeFileSync(victim, 'do not touch\n');
    symlinkSync(victim, profileNamesPath(p));
    const r = await run(['list', '--json'], { paths: p, fetch: sb.fetch });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(victim, 'utf8')).toBe('do not touch\n');
    const cache = profileNamesPath(p);
    expect(lstatSync(cache).isSymbolicLink()).toBe(false);
    expect(JSON.parse(readFileSync(cache, 'utf8')).names).toEqual(['Default public', 'Master']);
  });
});
