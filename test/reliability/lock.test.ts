// The lock around every config write, under contention from several processes: each worker takes the
// lock, reads a counter, writes it back plus one, and releases. A lost increment means two processes
// held the lock at once. Two bugs were caught this way: a lock file seen empty (before its pid was
// written) looked stale and was taken over; and a lock released between a failed attempt and the look
// at its holder was "removed as stale" by name, deleting the lock a third process had just taken
// (with six writers, 60% of increments were lost).

import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { tryLock } from '../../src/config/lock.js';

const dir = mkdtempSync(join(tmpdir(), 'carto-keys-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const WORKER = `
const [lockModule, dir, n] = process.argv.slice(1);
const { waitLock } = await import(new URL('file://' + lockModule).href);
const fs = await import('node:fs');
for (let i = 0; i < Number(n); i++) {
  const lock = await waitLock(dir + '/counter.lock', 30000);
  const value = Number(fs.readFileSync(dir + '/counter', 'utf8'));
  fs.writeFileSync(dir + '/counter', String(value + 1));
  lock.release();
}
`;

function runWorker(lockModule: string, dir: string, n: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', WORKER, lockModule, dir, String(n)], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('close', resolve);
  });
}

describe('config lock under contention', () => {
  it('six processes, 150 increments each: none lost', { timeout: 60_000 }, async () => {
    // A folder of its own: the count is only meaningful if nothing else touches this counter.
    const work = mkdtempSync(join(dir, 'count-'));
    const lockModule = join(work, 'lock.mjs');
    buildSync({ entryPoints: [new URL('../../src/config/lock.ts', import.meta.url).pathname], outfile: lockModule, format: 'esm', platform: 'node', logLevel: 'warning' });
    writeFileSync(join(work, 'counter'), '0');
    const codes = await Promise.all(Array.from({ length: 6 }, () => runWorker(lockModule, work, 150)));
    expect(codes).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Number(readFileSync(join(work, 'counter'), 'utf8'))).toBe(900);
  });

  it('the lock file is never seen without its pid, and leaves no temporary file behind', () => {
    const path = join(dir, 'one.lock');
    const lock = tryLock(path);
    // "<pid> <start time> <boot id>": the pid first, then what tells a reused pid apart.
    expect(readFileSync(path, 'utf8').split(' ')[0]).toBe(String(process.pid));
    lock.release();
    expect(() => readFileSync(path)).toThrow();
    const leftovers = readdirSync(dir).filter((f) => f.endsWith('.tmp'));
    expect(leftovers).toEqual([]);
  });
});
