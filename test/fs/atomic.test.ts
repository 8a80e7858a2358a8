// writeFileAtomic: the one helper every file carto-keys writes goes through.

import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/fs/atomic.js';

const root = mkdtempSync(join(tmpdir(), 'carto-keys-atomic-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => {
  const dir = join(root, String(n++));
  mkdirSync(dir);
  return dir;
};
const posix = process.platform !== 'win32';

describe('writeFileAtomic', () => {
  it('writes exactly the bytes given, over any old content, and leaves no temporary file', () => {
    const dir = fresh();
    const file = join(dir, 'f');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), (bytes) => {
        writeFileAtomic(file, bytes, { mode: 0o600 });
        expect(Buffer.compare(readFileSync(file), Buffer.from(bytes))).toBe(0);
        expect(readdirSync(dir)).toEqual(['f']);
      }),
      { numRuns: 50 },
    );
  });

  it.runIf(posix)('gives the file exactly the mode asked for, whatever the umask lets through', () => {
    const dir = fresh();
    for (const mode of [0o600, 0o640, 0o664, 0o644]) {
      writeFileAtomic(join(dir, 'f'), 'x', { mode });
      expect(statSync(join(dir, 'f')).mode & 0o777).toBe(mode);
    }
  });

  it.runIf(posix)('replaces a planted symlink instead of writing through it', () => {
    const dir = fresh();
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'untouched\n', { mode: 0o644 });
    const file = join(dir, 'config.json');
    symlinkSync(victim, file);
    writeFileAtomic(file, '{"secret":1}\n', { mode: 0o600 });
    expect(lstatSync(file).isSymbolicLink()).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe('{"secret":1}\n');
    expect(readFileSync(victim, 'utf8')).toBe('untouched\n');
    expect(statSync(victim).mode & 0o777).toBe(0o644);
  });

  it('on failure throws, leaves the target as it was and removes its temporary file', () => {
    const dir = fresh();
    const target = join(dir, 'a-folder');
    mkdirSync(target);
    writeFileSync(join(target, 'inside'), 'kept');
    expect(() => writeFileAtomic(target, 'data', { mode: 0o600 })).toThrow();
    expect(readdirSync(dir)).toEqual(['a-folder']);
    expect(readFileSync(join(target, 'inside'), 'utf8')).toBe('kept');
  });

  it('exclusive: creates a new file, refuses (EEXIST) to replace a file or a link, and leaves no temporary file', () => {
    const dir = fresh();
    const file = join(dir, 'keys.yaml');
    writeFileAtomic(file, 'one\n', { mode: 0o644, exclusive: true });
    expect(readFileSync(file, 'utf8')).toBe('one\n');
    expect(() => writeFileAtomic(file, 'two\n', { mode: 0o644, exclusive: true })).toThrow(/EEXIST/);
    expect(readFileSync(file, 'utf8')).toBe('one\n');
    if (posix) {
      symlinkSync(join(dir, 'nowhere'), join(dir, 'link'));
      expect(() => writeFileAtomic(join(dir, 'link'), 'x', { mode: 0o644, exclusive: true })).toThrow(/EEXIST/);
    }
    expect(readdirSync(dir).sort()).toEqual(posix ? ['keys.yaml', 'link'] : ['keys.yaml']);
  });

  it('fails in a folder that does not exist (callers create their folders, with their modes)', () => {
    expect(() => writeFileAtomic(join(root, 'missing', 'f'), 'x', { mode: 0o600 })).toThrow(/ENOENT/);
  });
});
