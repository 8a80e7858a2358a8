// The rotation journal: private files, atomic writes, strict reading, one lock per key.
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tryLock } from '../../src/config/lock.js';
import { FileError } from '../../src/errors.js';
import { journalStore, newJournal, parseJournal, RotationBusyError } from '../../src/records/journal.js';
import { accountOf, keyRef, refId } from '../../src/records/key-ref.js';

const NOW = new Date('2026-11-22T10:00:00Z');
const APP = keyRef('https://demo.carto.com', undefined, 'app');
const OTHER = keyRef('https://demo.carto.com', undefined, 'other');

function sample(oldName = 'app') {
  return newJournal({
    profile: 'default',
    baseUrl: 'https://demo.carto.com',
    username: 'demo',
    oldName,
    newName: `${oldName}-r20261122`,
    grants: [{ type: 'apis', apis: ['sql'] }],
    targets: [{ kind: 'env-file', path: '/srv/.env', variable: 'CARTO_API_KEY' }, { kind: 'command', command: 'deploy' }],
    addingTargets: false,
    deleteOld: true,
    now: NOW,
  });
}

describe('refId: one identity per key (account, member, name)', () => {
  it('is stable per account, member and name, whatever the spelling of the account, and differs otherwise', () => {
    const id = refId(keyRef('https://demo.carto.com', undefined, 'app'));
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(refId(keyRef('https://DEMO.carto.com/', undefined, 'app'))).toBe(id);
    expect(refId(keyRef('https://x.carto.com', undefined, 'app'))).not.toBe(id);
    expect(refId(keyRef('https://demo.carto.com', undefined, 'app2'))).not.toBe(id);
    expect(refId(keyRef('https://demo.carto.com', 'bob', 'app'))).not.toBe(id);
    expect(accountOf('http://localhost:8080/user/demo')).toBe(accountOf('http://127.0.0.1:8080/user/demo'));
  });
});

describe('journalStore', () => {
  it('saves 0600 in a 0700 folder (config folder too), atomically, with no token; reads it back', () => {
    const config = join(mkdtempSync(join(tmpdir(), 'ck-journal-')), 'config');
    const store = journalStore(config);
    const j = sample();
    store.save(j, new Date('2026-11-22T10:05:00Z'));
    const file = store.pathOf(j.id);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(store.dir).mode & 0o777).toBe(0o700);
    expect(statSync(config).mode & 0o777).toBe(0o700);
    expect(readdirSync(store.dir)).toEqual([`${j.id}.json`]);
    expect(readFileSync(file, 'utf8')).not.toMatch(/token/i);
    expect(store.read(j.id)).toEqual({ ...j, updatedAt: '2026-11-22T10:05:00.000Z' });
    expect(store.list().map((x) => x.oldName)).toEqual(['app']);
    store.remove(j.id);
    expect(store.read(j.id)).toBeUndefined();
    expect(store.list()).toEqual([]);
  });

  it('records every step and target as pending at first', () => {
    const j = sample();
    expect(j.steps).toEqual({ created: null, verified: null, deleted: null });
    expect(j.id).toBe(refId(keyRef('https://demo.carto.com', undefined, 'app')));
    expect(j.targets.every((t) => t.deployedAt === null)).toBe(true);
    expect(j.startedAt).toBe(NOW.toISOString());
  });

  it('refuses a second lock on the same key while the holder lives', () => {
    const store = journalStore(mkdtempSync(join(tmpdir(), 'ck-journal-')));
    const lock = store.lock(APP);
    expect(() => store.lock(APP)).toThrow(RotationBusyError);
    expect(() => store.lock(APP)).toThrow(/is rotating "app"/);
    const other = store.lock(OTHER);
    lock.release();
    other.release();
    store.lock(APP).release();
  });

  it('takes over a lock whose pid is alive but is another process (a reused pid, e.g. in a container) (issue 12, point 5)', () => {
    const store = journalStore(mkdtempSync(join(tmpdir(), 'ck-journal-')));
    store.lock(APP).release();
    // pid 1 always lives; it did not start at tick 1 of this boot's clock in a lock's lifetime.
    writeFileSync(store.lockPathOf(APP), '1 1 00000000-0000-0000-0000-000000000000');
    store.lock(APP).release();
    // A lock from this boot by pid 1 with its true start time is live: refused.
    const stat = readFileSync('/proc/1/stat', 'utf8');
    const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    writeFileSync(store.lockPathOf(APP), `1 ${start} ${boot}`);
    expect(() => store.lock(APP)).toThrow(RotationBusyError);
  });

  it('takes over the lock of a crashed process', () => {
    const store = journalStore(mkdtempSync(join(tmpdir(), 'ck-journal-')));
    store.lock(APP).release();
    // A pid that cannot be alive (above the Linux maximum).
    writeFileSync(store.lockPathOf(APP), '99999999');
    store.lock(APP).release();
    expect(() => tryLock(store.lockPathOf(APP)).release()).not.toThrow();
  });
});

describe('parseJournal', () => {
  it('refuses what is not a journal of this version, saying where', () => {
    const good = JSON.stringify(sample());
    expect(parseJournal(good, 'f').oldName).toBe('app');
    const broken: [string, RegExp][] = [
      ['{', /not JSON/],
      ['[]', /not an object/],
      [JSON.stringify({ ...sample(), version: 2 }), /unknown version 2/],
      [JSON.stringify({ ...sample(), oldName: 3 }), /"oldName"/],
      [JSON.stringify({ ...sample(), targets: [{ kind: 'ftp', deployedAt: null }] }), /"targets"/],
      [JSON.stringify({ ...sample(), steps: { created: null } }), /"steps"/],
      [JSON.stringify({ ...sample(), deleteOld: 'yes' }), /"deleteOld"/],
    ];
    for (const [text, message] of broken) {
      expect(() => parseJournal(text, '/x/j.json')).toThrow(FileError);
      expect(() => parseJournal(text, '/x/j.json')).toThrow(message);
    }
  });
});
