// The release workflow's last step on the real Linux binary: scripts/release-manifests.mjs writes
// SHA256SUMS (which `sha256sum -c` accepts) and a Homebrew formula naming the binary and its hash,
// and no Scoop manifest without a Windows binary.

import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { CLI, ROOT } from '../helpers/e2e.js';

const exec = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'carto-keys-release-bin-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('SHA256SUMS, the formula and no Scoop manifest, from the Linux binary', async () => {
  const name = basename(CLI[0]);
  copyFileSync(CLI[0], join(dir, name));
  const base = 'https://github.com/OWNER/carto-keys/releases/download/v0.0.1';
  await exec(process.execPath, [join(ROOT, 'scripts', 'release-manifests.mjs'), '--dir', dir, '--version', 'v0.0.1', '--base-url', base, '--homepage', 'https://github.com/OWNER/carto-keys']);
  const checked = await exec('sha256sum', ['-c', 'SHA256SUMS'], { cwd: dir });
  expect(checked.stdout).toBe(`${name}: OK\n`);
  const digest = readFileSync(`${CLI[0]}.sha256`, 'utf8').split(/\s+/)[0];
  const rb = readFileSync(join(dir, 'carto-keys.rb'), 'utf8');
  expect(rb).toContain(`url "${base}/${name}"\n      sha256 "${digest}"`);
  expect(existsSync(join(dir, 'carto-keys.json'))).toBe(false);
});
