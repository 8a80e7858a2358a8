// The env-file target's I/O: atomic replace, mode and symlinks kept, nothing left behind.
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeEnvVar } from '../../src/rotate/env-file.js';

const fresh = () => mkdtempSync(join(tmpdir(), 'ck-envfile-'));
const mode = (p: string) => statSync(p).mode & 0o777;

describe('writeEnvVar', () => {
  it('creates a missing file 0600', async () => {
    const dir = fresh();
    await writeEnvVar(join(dir, '.env'), 'CARTO_API_KEY', 'tok');
    expect(readFileSync(join(dir, '.env'), 'utf8')).toBe('CARTO_API_KEY=tok\n');
    expect(mode(join(dir, '.env'))).toBe(0o600);
  });

  it('keeps the mode of an existing file and every other line; leaves no temporary file', async () => {
    const dir = fresh();
    const file = join(dir, 'app.env');
    writeFileSync(file, '# keep\nA=1\nCARTO_API_KEY=old\nB=2');
    chmodSync(file, 0o640);
    await writeEnvVar(file, 'CARTO_API_KEY', 'new');
    expect(readFileSync(file, 'utf8')).toBe('# keep\nA=1\nCARTO_API_KEY=new\nB=2');
    expect(mode(file)).toBe(0o640);
    expect(readdirSync(dir)).toEqual(['app.env']);
  });

  it('writes through a symlink: the link stays, its target changes', async () => {
    const dir = fresh();
    mkdirSync(join(dir, 'shared'));
    writeFileSync(join(dir, 'shared', 'real.env'), 'X=1\n');
    symlinkSync('shared/real.env', join(dir, '.env'));
    await writeEnvVar(join(dir, '.env'), 'K', 'v');
    expect(lstatSync(join(dir, '.env')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(dir, '.env'))).toBe('shared/real.env');
    expect(readFileSync(join(dir, 'shared', 'real.env'), 'utf8')).toBe('X=1\nK=v\n');
  });

  it('a dangling symlink creates its target', async () => {
    const dir = fresh();
    symlinkSync('target.env', join(dir, '.env'));
    await writeEnvVar(join(dir, '.env'), 'K', 'v');
    expect(readFileSync(join(dir, 'target.env'), 'utf8')).toBe('K=v\n');
  });

  it('keeps bytes that are not UTF-8, in other lines and around ours, and CRLF', async () => {
    const dir = fresh();
    const file = join(dir, '.env');
    const latin1 = (s: string) => Buffer.from(s, 'latin1');
    writeFileSync(file, latin1('# caf\xe9 cr\xe8me\r\nNAME=Jos\xe9\r\nCARTO_API_KEY=old\r\nCARTO_API_KEY=older # \xff\r\n'));
    await writeEnvVar(file, 'CARTO_API_KEY', 'new');
    expect(readFileSync(file)).toEqual(latin1('# caf\xe9 cr\xe8me\r\nNAME=Jos\xe9\r\nCARTO_API_KEY=new\r\n'));
    // A value that is not ASCII goes in as its UTF-8 bytes, the rest stays as it was.
    await writeEnvVar(file, 'OTHER', 'é x');
    expect(readFileSync(file)).toEqual(
      Buffer.concat([latin1('# caf\xe9 cr\xe8me\r\nNAME=Jos\xe9\r\nCARTO_API_KEY=new\r\nOTHER="'), Buffer.from('é x'), latin1('"\r\n')]),
    );
  });

  it('a UTF-8 file is read as text: its byte-order mark is kept, and the line after it is ours', async () => {
    const dir = fresh();
    const file = join(dir, '.env');
    writeFileSync(file, '\ufeffCARTO_API_KEY=old\n# 🔑 é\n');
    await writeEnvVar(file, 'CARTO_API_KEY', 'new');
    expect(readFileSync(file, 'utf8')).toBe('\ufeffCARTO_API_KEY=new\n# 🔑 é\n');
  });

  it('fails without touching anything when the path is a folder', async () => {
    const dir = fresh();
    mkdirSync(join(dir, '.env'));
    await expect(writeEnvVar(join(dir, '.env'), 'K', 'v')).rejects.toThrow(/EISDIR/);
    expect(readdirSync(dir)).toEqual(['.env']);
  });
});
