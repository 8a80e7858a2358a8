// Reading --scan files with bounds: regular files only, never blocking on a FIFO, a size limit.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_SCAN_BYTES, readScanFile } from '../../src/audit/scan-file.js';
import { FileError, UsageError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'carto-keys-scan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function refusal(path: string, limit?: number): Promise<Error> {
  try {
    await readScanFile(path, limit);
  } catch (err) {
    return err as Error;
  }
  throw new Error(`${path} was read`);
}

describe('readScanFile', () => {
  it('reads a regular file (through a symlink too) as one character per byte', async () => {
    const path = join(dir, 'env');
    writeFileSync(path, Buffer.from([0x41, 0x3d, 0xff, 0x0a, 0xc3, 0xa9]));
    symlinkSync(path, join(dir, 'link'));
    for (const p of [path, join(dir, 'link')]) {
      const f = await readScanFile(p);
      expect(f.path).toBe(p);
      expect(f.text).toBe('A=\u00ff\n\u00c3\u00a9');
    }
  });

  it('refuses a FIFO at once instead of waiting for a writer', async () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const err = await refusal(fifo);
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toBe(`--scan ${fifo}: a FIFO; only regular files are scanned.`);
  });

  it('refuses a directory and a device, and a missing file, with a usage error', async () => {
    mkdirSync(join(dir, 'sub'));
    expect((await refusal(join(dir, 'sub'))).message).toContain('a directory; only regular files');
    expect((await refusal('/dev/zero')).message).toContain('a device; only regular files');
    const missing = await refusal(join(dir, 'nope'));
    expect(missing).toBeInstanceOf(UsageError);
    expect(missing.message).toBe(`--scan ${join(dir, 'nope')}: no such file.`);
  });

  it('refuses a file over the size limit (8 MiB by default)', async () => {
    const path = join(dir, 'big');
    writeFileSync(path, 'x'.repeat(1025));
    const err = await refusal(path, 1024);
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toContain('1025 bytes, over the');
    expect((await readScanFile(path, 1025)).text.length).toBe(1025);
    expect(MAX_SCAN_BYTES).toBe(8 * 1024 * 1024);
  });

  it('a file it may not read is a file error (exit 1), not a crash', async () => {
    if (process.getuid?.() === 0) return; // root reads anything
    const path = join(dir, 'secret');
    writeFileSync(path, 'x', { mode: 0o000 });
    const err = await refusal(path);
    expect(err).toBeInstanceOf(FileError);
    expect(err.message).toBe(`--scan ${path}: cannot open it (EACCES).`);
  });

  it('any content reads back byte for byte', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (bytes) => {
        const path = join(dir, 'any');
        writeFileSync(path, bytes);
        const f = await readScanFile(path);
        expect(Buffer.from(f.text, 'latin1')).toEqual(Buffer.from(bytes));
      }),
      { numRuns: 50 },
    );
  });
});
