// src/config/keychain.ts against a real Secret Service (gnome-keyring-daemon in its own D-Bus
// session, test/helpers/keyring.ts): what it stores is what `secret-tool` sees, and each way the
// keychain can fail (locked, not answering) is one KeychainError that says so. No D-Bus session at all
// is tested on the built binary (the native library keeps its connection settings per process).

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { KEYCHAIN_SERVICE, openKeychain, sessionBusAnswers } from '../../src/config/keychain.js';
import { KeychainError } from '../../src/errors.js';
import { keyringUnavailable, workerKeyring, type KeyringSession } from '../helpers/keyring.js';

const unavailable = keyringUnavailable();
const SECRET = 'b'.repeat(8) + '0123456789abcdef0123456789abcdef';

describe.skipIf(unavailable !== undefined)(`keychain module on a real Secret Service${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let session: KeyringSession;

  beforeAll(async () => {
    // The native library reads the session address from this process's environment, once: the
    // worker's one session (the leak hunt's keychain mode uses it too).
    session = await workerKeyring();
  });

  it('set, get, delete; secret-tool sees the entry under service carto-keys', async () => {
    const kc = await openKeychain();
    expect(kc.backend).toBe('Secret Service');
    expect(await kc.get('p1')).toBeUndefined();
    await kc.set('p1', SECRET);
    expect(await kc.get('p1')).toBe(SECRET);
    const seen = session.search();
    expect(seen).toContain(`service = ${KEYCHAIN_SERVICE}`);
    expect(seen).toContain('username = p1');
    expect(await kc.delete('p1')).toBe(true);
    expect(await kc.get('p1')).toBeUndefined();
    expect(await kc.delete('p1')).toBe(false);
  });

  it('a locked keyring: one message saying so, and nothing stored', async () => {
    const kc = await openKeychain();
    await session.lock();
    try {
      const err = await kc.set('p2', SECRET).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KeychainError);
      expect((err as KeychainError).message).toMatch(/OS keychain \(Secret Service\): it is locked.*Nothing was written/);
      expect((err as KeychainError).hint).toMatch(/--storage file/);
    } finally {
      await session.unlock();
    }
    expect(await kc.get('p2')).toBeUndefined();
  });

  it('a keychain that does not answer: the call ends with a message naming the store', async () => {
    const kc = await openKeychain({ timeoutMs: 500 });
    await session.freeze();
    try {
      const err = await kc.get('p3').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KeychainError);
      expect((err as KeychainError).message).toMatch(/The OS keychain \(Secret Service\) did not answer within/);
    } finally {
      await session.thaw();
    }
  });
});

describe('a session bus that accepts and never speaks (wedged D-Bus)', () => {
  it('the time limit covers connecting and the handshake: one KeychainError naming the bus, no hang', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'carto-keys-bus-'));
    const sockets: Socket[] = [];
    const silent = createServer((s) => void sockets.push(s));
    const path = join(dir, 'bus');
    await new Promise<void>((resolve) => silent.listen(path, resolve));
    const saved = process.env.DBUS_SESSION_BUS_ADDRESS;
    process.env.DBUS_SESSION_BUS_ADDRESS = `unix:path=${path},guid=0123`;
    try {
      const err = await openKeychain({ timeoutMs: 300, platform: 'linux' }).then(
        (kc) => kc.get('p1'),
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(KeychainError);
      expect((err as KeychainError).message).toBe('The OS keychain (Secret Service) did not answer (its D-Bus session bus) within 300 ms. Nothing was written.');
      expect((err as KeychainError).hint).toMatch(/--storage file/);
      expect(sockets).toHaveLength(1);
    } finally {
      if (saved === undefined) delete process.env.DBUS_SESSION_BUS_ADDRESS;
      else process.env.DBUS_SESSION_BUS_ADDRESS = saved;
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sessionBusAnswers: a bus that answers, a missing socket and an address it cannot check all go on to the library', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'carto-keys-bus-'));
    const talking = createServer((s) => s.once('data', () => s.end('REJECTED EXTERNAL\r\n')));
    const path = join(dir, 'bus');
    await new Promise<void>((resolve) => talking.listen(path, resolve));
    try {
      expect(await sessionBusAnswers(`unix:path=${path}`, 1000)).toBe(true);
      expect(await sessionBusAnswers(`unix:path=${join(dir, 'none')}`, 1000)).toBe(true);
      expect(await sessionBusAnswers('unix:runtime=yes', 1000)).toBe(true);
      expect(await sessionBusAnswers(undefined, 1000)).toBe(true);
    } finally {
      await new Promise((resolve) => talking.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
