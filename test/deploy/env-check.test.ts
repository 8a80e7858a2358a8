// Whether a recorded env file still holds a key's token: read with the bounds of every file carto-keys
// reads (a FIFO or a device there must not hang a `retire` run from cron), compared by fingerprint.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fingerprint } from '../../src/text/fingerprint.js';
import { describeState, envFileState } from '../../src/deploy/env-check.js';

const dir = mkdtempSync(join(tmpdir(), 'ck-env-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('envFileState', () => {
  const token = 'a1B2c3D4e5F6g7H8i9J0kL';
  const fp = fingerprint(token);

  it('holds, another token, no variable, no file', () => {
    const file = join(dir, 'app.env');
    writeFileSync(file, `OTHER=1\nCARTO_API_KEY=${token}\n`);
    expect(envFileState(file, 'CARTO_API_KEY', fp)).toEqual({ state: 'holds' });
    expect(envFileState(file, 'CARTO_API_KEY', fingerprint('zzzzzzzzzzzzzzzzzzzzzz'))).toEqual({ state: 'other-token' });
    expect(envFileState(file, 'MISSING', fp)).toEqual({ state: 'no-variable' });
    expect(envFileState(join(dir, 'nothing.env'), 'CARTO_API_KEY', fp)).toEqual({ state: 'missing' });
  });

  it('a FIFO, a link to a device, a folder, a file over 1 MiB: unreadable at once, saying why', () => {
    const fifo = join(dir, 'fifo.env');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const device = join(dir, 'device.env');
    symlinkSync('/dev/zero', device);
    const folder = join(dir, 'folder.env');
    mkdirSync(folder);
    const big = join(dir, 'big.env');
    writeFileSync(big, `CARTO_API_KEY=${token}\n${'#'.repeat(1024 * 1024)}\n`);
    const cases: [string, RegExp][] = [
      [fifo, /^a FIFO, not a regular file$/],
      [device, /^a device, not a regular file$/],
      [folder, /^a directory, not a regular file$/],
      [big, /^larger than the 1 MiB/],
    ];
    for (const [file, detail] of cases) {
      const s = envFileState(file, 'CARTO_API_KEY', fp);
      expect(s.state, file).toBe('unreadable');
      expect(s.detail, file).toMatch(detail);
      expect(describeState(s, 'app')).toMatch(/^cannot be read \(/);
    }
  });
});
