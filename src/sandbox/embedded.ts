// The embedded sandbox: the emulator running in-process for the `sandbox` profile, its state kept in
// the data folder between commands. Loaded only when a sandbox profile is used.

import { join } from 'node:path';
import { embeddedFetch } from '../api/http.js';
import type { FetchLike } from '../api/client.js';
import { LockBusyError, waitLock } from '../config/lock.js';
import { FileError } from '../errors.js';
import { isSandboxOrgUrl, SANDBOX_ORG_STATE_FILE, SANDBOX_STATE_FILE } from './embedded-info.js';
import { createOrgSandboxState } from './org.js';
import { loadSandboxState, saveSandboxState } from './file-store.js';
import { createSandboxHandler } from './handler.js';
import { createSandboxState, type SandboxState } from './state.js';

export function sandboxStatePath(dataDir: string): string {
  return join(dataDir, SANDBOX_STATE_FILE);
}

/** The state file of the embedded sandbox a profile's base URL belongs to: the organization's, or demo's. */
export function sandboxStatePathFor(dataDir: string, baseUrl: string): string {
  return join(dataDir, isSandboxOrgUrl(baseUrl) ? SANDBOX_ORG_STATE_FILE : SANDBOX_STATE_FILE);
}

export function masterKeyOf(state: SandboxState, username = state.users[0]?.username): string {
  const master = state.users.find((u) => u.username === username)?.keys.find((k) => k.type === 'master');
  if (!master) throw new FileError('The sandbox state has no Master key.', { hint: 'Run `carto-keys sandbox reset` to start afresh.' });
  return master.token;
}

/** Loads the embedded sandbox, creating it on first use. */
export function ensureEmbeddedSandbox(dataDir: string): { masterKey: string; path: string; created: boolean } {
  const path = sandboxStatePath(dataDir);
  let state = loadSandboxState(path);
  const created = state === undefined;
  if (!state) {
    state = createSandboxState();
    saveSandboxState(path, state);
  }
  return { masterKey: masterKeyOf(state), path, created };
}

/** Loads the embedded organization sandbox, creating it on first use; the Master key of `username`. */
export function ensureEmbeddedOrgSandbox(dataDir: string, username: string): { masterKey: string; path: string; created: boolean } {
  const path = join(dataDir, SANDBOX_ORG_STATE_FILE);
  let state = loadSandboxState(path);
  const created = state === undefined;
  if (!state) {
    state = createOrgSandboxState();
    saveSandboxState(path, state);
  }
  return { masterKey: masterKeyOf(state, username), path, created };
}

/** A new organization sandbox: every user gets a new Master key. */
export function resetEmbeddedOrgSandbox(dataDir: string): { state: SandboxState; path: string } {
  const path = join(dataDir, SANDBOX_ORG_STATE_FILE);
  const state = createOrgSandboxState();
  saveSandboxState(path, state);
  return { state, path };
}

/** Throws the old state away: a new account with a new random Master key. */
export function resetEmbeddedSandbox(dataDir: string): { masterKey: string; path: string } {
  const path = sandboxStatePath(dataDir);
  const state = createSandboxState();
  saveSandboxState(path, state);
  return { masterKey: masterKeyOf(state), path };
}

export function embeddedSandboxFetch(path: string): FetchLike {
  const load = (): SandboxState => {
    const state = loadSandboxState(path);
    if (!state) {
      throw new FileError(`The built-in sandbox has no state at ${path}.`, { hint: 'Run `carto-keys login --sandbox` (or `carto-keys sandbox reset`).' });
    }
    return state;
  };
  load();
  // Each request is one transaction on the file: lock, read the state as it is now, answer, save any
  // change (atomically), unlock. Ten parallel `create`s then make ten keys; with the state read once
  // per process, each saved its own copy and all but one key were lost.
  return async (url, init) => {
    let lock;
    try {
      lock = await waitLock(`${path}.lock`, 10_000);
    } catch (err) {
      if (!(err instanceof LockBusyError)) throw err;
      throw new FileError(`The built-in sandbox is busy: another carto-keys (process ${err.pid ?? '?'}) holds ${err.path}.`, {
        hint: `Try again; if no carto-keys is running, delete ${err.path}.`,
      });
    }
    try {
      const handler = createSandboxHandler(load(), { onChange: (s) => saveSandboxState(path, s) });
      return await embeddedFetch(handler)(url, init);
    } finally {
      lock.release();
    }
  };
}
