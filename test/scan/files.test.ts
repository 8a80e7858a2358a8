// Walking and reading what a scan reads: recursively, in name order, `.git` skipped, symlinks never
// followed inside a folder, only regular files read (a FIFO never blocks), files over 10 MiB skipped;
// every skip counted. A path named on the command line must exist and be a file or a folder.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { checkPaths, MAX_FILE_BYTES, noSkips, readBounded, walkFiles } from '../../src/scan/files.js';
import { UsageError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'carto-keys-scan-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function walk(paths: string[]) {
  const skips = noSkips();
  const files: string[] = [];
  walkFiles(paths, skips, (f) => files.push(`${f.path}=${f.bytes.toString('latin1')}`));
  return { files, skips };
}

describe('walkFiles', () => {
  it('reads every regular file below a folder, in name order; skips .git, symlinks, FIFOs and big files, counting them', () => {
    const root = join(dir, 'tree');
    mkdirSync(join(root, 'a', 'b'), { recursive: true });
    mkdirSync(join(root, '.git', 'objects'), { recursive: true });
    mkdirSync(join(root, 'sub', '.git'), { recursive: true });
    writeFileSync(join(root, 'a', 'b', 'deep.env'), 'deep');
    writeFileSync(join(root, 'a', 'top.txt'), 'top');
    writeFileSync(join(root, '.git', 'config'), 'never');
    writeFileSync(join(root, 'sub', '.git', 'HEAD'), 'never either');
    writeFileSync(join(root, 'z.txt'), 'z');
    const outside = join(dir, 'outside.txt');
    writeFileSync(outside, 'outside');
    symlinkSync(outside, join(root, 'link-to-file'));
    symlinkSync('/dev/zero', join(root, 'zero'));
    symlinkSync('..', join(root, 'a', 'up'));
    execFileSync('mkfifo', [join(root, 'fifo')]);
    writeFileSync(join(root, 'big.bin'), '');
    truncateSync(join(root, 'big.bin'), MAX_FILE_BYTES + 1);
    writeFileSync(join(root, 'exactly-10MiB'), '');
    truncateSync(join(root, 'exactly-10MiB'), MAX_FILE_BYTES);
    const { files, skips } = walk([root]);
    expect(files.map((f) => f.split('=')[0])).toEqual([join(root, 'a', 'b', 'deep.env'), join(root, 'a', 'top.txt'), join(root, 'exactly-10MiB'), join(root, 'z.txt')]);
    expect(skips).toEqual({ binary: 0, tooLarge: 1, symlinks: 3, unreadable: 1 });
    expect(MAX_FILE_BYTES).toBe(10 * 1024 * 1024);
  });

  it('follows a symlink named on the command line (the user chose it)', () => {
    const target = join(dir, 'named-target');
    writeFileSync(target, 'named');
    symlinkSync(target, join(dir, 'named-link'));
    expect(walk([join(dir, 'named-link')]).files).toEqual([`${join(dir, 'named-link')}=named`]);
  });

  it('a file it may not read is counted, not fatal', () => {
    if (process.getuid?.() === 0) return; // root reads anything
    const root = join(dir, 'locked');
    mkdirSync(root);
    writeFileSync(join(root, 'secret'), 'x', { mode: 0o000 });
    mkdirSync(join(root, 'closed'));
    chmodSync(join(root, 'closed'), 0o000);
    writeFileSync(join(root, 'open'), 'y');
    const { files, skips } = walk([root]);
    chmodSync(join(root, 'closed'), 0o700);
    expect(files).toEqual([`${join(root, 'open')}=y`]);
    expect(skips.unreadable).toBe(2);
  });

  it('any content reads back byte for byte', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const path = join(dir, 'any');
        writeFileSync(path, bytes);
        expect(readBounded(path, true, noSkips())).toEqual(Buffer.from(bytes));
      }),
      { numRuns: 50 },
    );
  });
});

describe('checkPaths', () => {
  it('refuses a missing path, a FIFO and a device at once, with a usage error', () => {
    const fifo = join(dir, 'named-fifo');
    execFileSync('mkfifo', [fifo]);
    const refusal = (p: string): string => {
      try {
        checkPaths([p]);
      } catch (err) {
        expect(err).toBeInstanceOf(UsageError);
        return (err as Error).message;
      }
      throw new Error(`${p} accepted`);
    };
    expect(refusal(join(dir, 'nope'))).toBe(`scan ${join(dir, 'nope')}: no such file or folder.`);
    expect(refusal(fifo)).toBe(`scan ${fifo}: a FIFO; only files and folders are scanned.`);
    expect(refusal('/dev/zero')).toBe('scan /dev/zero: a device; only files and folders are scanned.');
    expect(() => checkPaths([dir, join(dir, 'any')])).not.toThrow();
  });
});
