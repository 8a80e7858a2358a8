// src/config/keychain.ts against a real Secret Service (gnome-keyring-daemon in its own D-Bus
// session, test/helpers/keyring.ts): what it stores is what `secret-tool` sees, and each way the
// keychain can fail (locked, not answering) is one KeychainError that says so. No D-Bus session at all
// is tested on the built binary (the native library keeps its connection settings per process).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYCHAIN_SERVICE, openKeychain } from '../../src/config/keychain.js';
import { KeychainError } from '../../src/errors.js';
import { keyringUnavailable, startKeyring, type KeyringSession } from '../helpers/keyring.js';

const unavailable = keyringUnavailable();
const SECRET = 'b'.repeat(8) + '0123456789abcdef0123456789abcdef';

describe.skipIf(unavailable !== undefined)(`keychain module on a real Secret Service${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let session: KeyringSession;
  const saved = process.env.DBUS_SESSION_BUS_ADDRESS;

  beforeAll(async () => {
    session = await startKeyring();
    // The native library reads the session address from this process's environment.
    process.env.DBUS_SESSION_BUS_ADDRESS = session.env.DBUS_SESSION_BUS_ADDRESS;
  });
  afterAll(async () => {
    if (saved === undefined) delete process.env.DBUS_SESSION_BUS_ADDRESS;
    else process.env.DBUS_SESSION_BUS_ADDRESS = saved;
    await session?.stop();
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
