// The env-file target's I/O: atomic replace, mode kept, nothing left behind; refused when unfaithful.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { envFileProblem, writeEnvVar } from '../../src/deploy/env-file.js';

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

  it('refuses a symlink, dangling or not, and never writes through it (issue 11)', async () => {
    const dir = fresh();
    mkdirSync(join(dir, 'shared'));
    writeFileSync(join(dir, 'shared', 'real.env'), 'X=1\n');
    symlinkSync('shared/real.env', join(dir, '.env'));
    symlinkSync('nowhere.env', join(dir, 'dangling.env'));
    for (const name of ['.env', 'dangling.env']) {
      expect(envFileProblem(join(dir, name))).toMatch(/is a symbolic link/);
      await expect(writeEnvVar(join(dir, name), 'K', 'v')).rejects.toThrow(/is a symbolic link/);
    }
    expect(readFileSync(join(dir, 'shared', 'real.env'), 'utf8')).toBe('X=1\n');
    expect(existsSync(join(dir, 'nowhere.env'))).toBe(false);
    expect(lstatSync(join(dir, '.env')).isSymbolicLink()).toBe(true);
  });

  it('refuses what cannot be written faithfully: a FIFO, UTF-16, a read-only file, a hard link, a folder (issue 12, point 6)', async () => {
    const dir = fresh();
    const fifo = join(dir, 'fifo.env');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const utf16 = join(dir, 'utf16.env');
    writeFileSync(utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('CARTO_API_KEY=old\n', 'utf16le')]));
    const readOnly = join(dir, 'ro.env');
    writeFileSync(readOnly, 'CARTO_API_KEY=old\n', { mode: 0o400 });
    const linked = join(dir, 'linked.env');
    writeFileSync(linked, 'CARTO_API_KEY=old\n');
    linkSync(linked, join(dir, 'other-name.env'));
    const folder = join(dir, 'folder.env');
    mkdirSync(folder);
    const cases: [string, RegExp][] = [
      [fifo, /not a regular file/],
      [utf16, /not UTF-8 or single-byte text/],
      [readOnly, /is read-only \(mode 0400\)/],
      [linked, /has 2 hard links/],
      [folder, /is a folder/],
    ];
    for (const [file, why] of cases) {
      expect(envFileProblem(file), file).toMatch(why);
      // Checked again at the write (the file may change between the check and the deploy): no hang on the FIFO.
      await expect(writeEnvVar(file, 'CARTO_API_KEY', 'new')).rejects.toThrow(why);
    }
    expect(readFileSync(readOnly, 'utf8')).toBe('CARTO_API_KEY=old\n');
    expect(readFileSync(join(dir, 'other-name.env'), 'utf8')).toBe('CARTO_API_KEY=old\n');
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
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

});
