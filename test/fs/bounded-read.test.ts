// The one reader of files carto-keys is given or keeps: regular files only, never blocking on a FIFO,
// never more than a limit (a device or a file that grows is cut off one byte past it).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { BoundedReadError, readRegularFile, type ReadRefusal } from '../../src/fs/bounded-read.js';

const dir = mkdtempSync(join(tmpdir(), 'carto-keys-read-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function refusal(path: string, limit = 1024): ReadRefusal {
  try {
    readRegularFile(path, limit);
  } catch (err) {
    if (err instanceof BoundedReadError) return err.refusal;
    throw err;
  }
  throw new Error(`${path} was read`);
}

describe('readRegularFile', () => {
  it('reads a regular file, through a symlink too', () => {
    writeFileSync(join(dir, 'a'), 'hello');
    symlinkSync(join(dir, 'a'), join(dir, 'a-link'));
    expect(readRegularFile(join(dir, 'a'), 5).toString()).toBe('hello');
    expect(readRegularFile(join(dir, 'a-link'), 5).toString()).toBe('hello');
  });

  it('refuses a FIFO at once (no writer needed), a directory, a device and a symlink to one', () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    mkdirSync(join(dir, 'sub'));
    symlinkSync('/dev/zero', join(dir, 'zero-link'));
    expect(refusal(fifo)).toEqual({ reason: 'not-regular', kind: 'a FIFO' });
    expect(refusal(join(dir, 'sub'))).toEqual({ reason: 'not-regular', kind: 'a directory' });
    expect(refusal('/dev/zero')).toEqual({ reason: 'not-regular', kind: 'a device' });
    expect(refusal(join(dir, 'zero-link'))).toEqual({ reason: 'not-regular', kind: 'a device' });
  });

  it('a missing file, or a path through a file, is missing', () => {
    expect(refusal(join(dir, 'nope'))).toEqual({ reason: 'missing' });
    expect(refusal(join(dir, 'a', 'under'))).toEqual({ reason: 'missing' });
  });

  it('a size over the limit is refused from stat; a file that reports no size (/proc) is cut one byte past it', () => {
    writeFileSync(join(dir, 'big'), 'x'.repeat(1025));
    expect(refusal(join(dir, 'big'), 1024)).toEqual({ reason: 'too-large', limit: 1024, size: 1025 });
    expect(readRegularFile(join(dir, 'big'), 1025)).toHaveLength(1025);
    // /proc/self/status is a regular file of size 0 whose text is longer than 16 bytes.
    expect(refusal('/proc/self/status', 16)).toEqual({ reason: 'too-large', limit: 16 });
  });

  it('any content under the limit reads back byte for byte', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200_000 }), (bytes) => {
        const path = join(dir, 'any');
        writeFileSync(path, bytes);
        expect(readRegularFile(path, 200_000).equals(Buffer.from(bytes))).toBe(true);
      }),
      { numRuns: 40 },
    );
  });
});
