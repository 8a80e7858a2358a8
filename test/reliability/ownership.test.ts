// A config file or folder that belongs to another user (root included) is refused before it is read
// or written; one of ours found readable by others is tightened (secure-dir.ts says why).

import { chmodSync, chownSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { run, tempPaths } from '../helpers/harness.js';
import { MASTER, noNetwork } from '../helpers/sandbox-fetch.js';

const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;
const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

function config(mode: number) {
  const paths = tempPaths();
  cleanups.push(paths.cleanup);
  mkdirSync(paths.config, { recursive: true, mode: 0o700 });
  const file = join(paths.config, 'config.json');
  const profile = { username: 'demo', baseUrl: 'https://demo.carto.com', masterKey: MASTER };
  writeFileSync(file, JSON.stringify({ currentProfile: 'default', profiles: { default: profile } }));
  chmodSync(file, mode);
  return { paths, file };
}

describe('config ownership and mode', () => {
  it('a 0644 config file of ours is tightened to 0600 by any command that reads it', async () => {
    const { paths, file } = config(0o644);
    await run(['status'], { paths, fetch: noNetwork });
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  // Creating a file owned by someone else needs root: CI runs as root (stack.md), a laptop usually not.
  it.skipIf(!isRoot)('a config file owned by another user (or root, for a non-root user) is refused: exit 1, not read, not changed', async () => {
    const { paths, file } = config(0o644);
    chownSync(file, NOBODY, NOBODY);
    for (const argv of [['list'], ['status'], ['login', '--user', 'demo', '--with-key'], ['logout'], ['profile', 'list']]) {
      const r = await run(argv, { paths, fetch: noNetwork, stdin: MASTER });
      expect(r.code, `${argv.join(' ')}: ${r.stdout}${r.stderr}`).toBe(1);
      expect(r.stderr).toMatch(/belongs to another user \(uid 65534\).*refusing to use it/);
      expect(r.stdout + r.stderr).not.toContain(MASTER);
    }
    expect(statSync(file).mode & 0o777).toBe(0o644);
  });

  it.skipIf(!isRoot)('a config folder owned by another user is refused too', async () => {
    const { paths } = config(0o600);
    chownSync(paths.config, NOBODY, NOBODY);
    const r = await run(['status'], { paths, fetch: noNetwork });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/The folder .* belongs to another user/);
  });

  it('cache and data folders found 0777 are tightened to 0700 when carto-keys writes there', async () => {
    const paths = tempPaths();
    cleanups.push(paths.cleanup);
    for (const dir of [paths.cache, paths.data]) {
      mkdirSync(dir, { recursive: true });
      chmodSync(dir, 0o777);
    }
    // The sandbox login writes the embedded sandbox's state (data) and list writes the name cache.
    expect((await run(['login', '--sandbox'], { paths })).code).toBe(0);
    expect((await run(['list'], { paths })).code).toBe(0);
    expect(statSync(paths.data).mode & 0o777).toBe(0o700);
    expect(statSync(paths.cache).mode & 0o777).toBe(0o700);
  });
});
