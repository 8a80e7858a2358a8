// Profiles on disk: the one path by which the config file is read and written. A 0700 folder, a 0600
// file replaced atomically (src/fs/atomic.ts: never written through a planted symlink), shape
// validation of a hand-edited file, a lock around read-modify-write so two processes cannot lose each
// other's change, and a refusal to overwrite a file it cannot read. (conf did the writes until 0.2;
// docs/architecture.md says, with measurements, why this file replaced it.)

import { join } from 'node:path';
import { FileError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { BoundedReadError, MiB, readRegularFile } from '../fs/bounded-read.js';
import { LockBusyError, tryLock, waitLock } from './lock.js';
import { ensurePrivateDir, ensurePrivateFile, tightenExisting } from '../fs/secure-dir.js';
import { isRecord } from '../json.js';

export interface Profile {
  username: string;
  baseUrl: string;
  /** Absent after `logout` (the profile keeps its user and URL), and in keychain mode. */
  masterKey?: string;
  /** Where the key rests: the config file (default, when absent) or the OS keychain. */
  storage?: 'file' | 'keychain';
  /** Keychain mode: the entry's account name under service "carto-keys" (the key itself is not here). */
  keychainAccount?: string;
  /**
   * Keychain mode: how to recognise the key without reading it (length and truncated hash, see
   * keyCheck in ./key-store.ts), so a key typed on a command line is refused at once.
   */
  keyCheck?: string;
  /** A credential helper (`login --key-cmd`): the Master key is its output, read when needed and never stored. */
  keyCmd?: string;
  /** The profile talks to the embedded emulator in-process. */
  sandbox?: boolean;
}

export interface ConfigData {
  currentProfile?: string;
  profiles: Record<string, Profile>;
}

export interface ConfigStore {
  readonly dir: string;
  readonly path: string;
  /** The stored data, validated. Missing file = no profiles. */
  read(): ConfigData;
  /**
   * Locked read-modify-write; `fn` mutates the data it is given (and may await: the lock is held until
   * it settles). `prove`: write the file back unchanged before calling `fn`, so that `fn` may do
   * something it cannot undo (regenerate the Master key) knowing its result can be stored.
   * `wait: false`: refuse at once if another process holds the lock.
   */
  update<T>(fn: (data: ConfigData) => T | Promise<T>, opts?: { prove?: boolean; wait?: boolean }): Promise<T>;
}

export const CONFIG_FILE = 'config.json';

const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function isValidProfileName(name: string): boolean {
  return PROFILE_NAME.test(name);
}

export function openConfigStore(dir: string): ConfigStore {
  const path = join(dir, CONFIG_FILE);
  const write = (data: ConfigData): void => writeFileAtomic(path, `${JSON.stringify(data, null, '\t')}\n`, { mode: 0o600 });
  return {
    dir,
    path,
    read() {
      tightenExisting(dir, path);
      return readValidated(path);
    },
    async update(fn, opts = {}) {
      ensurePrivateDir(dir);
      ensurePrivateFile(path);
      let lock;
      try {
        lock = opts.wait === false ? tryLock(`${path}.lock`) : await waitLock(`${path}.lock`);
      } catch (err) {
        if (err instanceof LockBusyError) {
          throw new FileError(`The config file is being changed by another carto-keys process (pid ${err.pid ?? '?'}).`, {
            hint: `Try again in a moment. If no carto-keys is running, delete ${err.path}.`,
          });
        }
        throw err;
      }
      try {
        // Re-read under the lock: another process may have written since we last looked. A file that
        // cannot be read is refused here, before anything is written over it.
        const data = readValidated(path);
        if (opts.prove) {
          try {
            write(data);
          } catch (err) {
            throw new FileError(`The config file ${path} cannot be written: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
          }
        }
        const result = await fn(data);
        write(data);
        return result;
      } finally {
        lock.release();
      }
    },
  };
}

function corrupt(path: string, err: unknown): FileError {
  const why = withoutQuotedText(err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err));
  return new FileError(`The config file ${path} cannot be read: ${why}`, {
    hint: 'Fix it by hand or move it away and run `carto-keys login` again; carto-keys will not overwrite it.',
    cause: err,
  });
}

/**
 * V8 quotes the text around a JSON syntax error (`Unexpected token ''', ..."asterKey":'4b7d1c0e9"... is
 * not valid JSON`): in this file that text can be the Master key. The kind of error is enough to find it.
 */
export function withoutQuotedText(message: string): string {
  return message.replace(/,\s*(?:\.\.\.)?".*"(?:\.\.\.)?\s+is not valid JSON$/s, ' (not valid JSON)');
}

/** A config file is a few hundred bytes per profile. */
export const MAX_CONFIG_BYTES = MiB;

function readValidated(path: string): ConfigData {
  let raw: unknown;
  try {
    // Merely reading never creates folders or files; a FIFO or a device in its place is refused, not
    // waited on. Bytes that are not UTF-8 are refused rather than replaced: the next write would save
    // the replacement.
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(readRegularFile(path, MAX_CONFIG_BYTES)));
  } catch (err) {
    if (err instanceof BoundedReadError && err.refusal.reason === 'missing') return { profiles: {} };
    throw corrupt(path, err instanceof TypeError ? new Error('not UTF-8 text') : err);
  }
  const problem = validateConfig(raw);
  if (problem) throw corrupt(path, new Error(problem));
  const data = raw as Partial<ConfigData>;
  // No prototype: a profile named "constructor" or "toString" must not be found in Object.prototype.
  const profiles: Record<string, Profile> = Object.assign(Object.create(null) as Record<string, Profile>, data.profiles);
  return { ...data, profiles };
}

function isHttpUrl(text: string): boolean {
  try {
    const { protocol } = new URL(text);
    return protocol === 'https:' || protocol === 'http:';
  } catch {
    return false;
  }
}

/** Returns what is wrong with a config document, or undefined. */
export function validateConfig(raw: unknown): string | undefined {
  if (!isRecord(raw)) return 'expected a JSON object';
  if (raw.currentProfile !== undefined && typeof raw.currentProfile !== 'string') return '"currentProfile" must be a string';
  if (raw.profiles === undefined) return undefined;
  if (!isRecord(raw.profiles)) return '"profiles" must be an object';
  for (const [name, p] of Object.entries(raw.profiles)) {
    if (!isRecord(p)) return `profile "${name}" must be an object`;
    if (typeof p.username !== 'string' || p.username === '') return `profile "${name}": "username" must be a non-empty string`;
    if (typeof p.baseUrl !== 'string' || p.baseUrl === '') return `profile "${name}": "baseUrl" must be a non-empty string`;
    // Every later step parses it (the default schema of a table, the request URL): refuse it here,
    // with the file named, rather than fail as a bug in the middle of a command.
    if (!isHttpUrl(p.baseUrl)) return `profile "${name}": "baseUrl" must be an http(s) URL`;
    if (p.masterKey !== undefined && typeof p.masterKey !== 'string') return `profile "${name}": "masterKey" must be a string`;
    if (p.sandbox !== undefined && typeof p.sandbox !== 'boolean') return `profile "${name}": "sandbox" must be true or false`;
    if (p.storage !== undefined && p.storage !== 'file' && p.storage !== 'keychain') return `profile "${name}": "storage" must be "file" or "keychain"`;
    if (p.keychainAccount !== undefined && (typeof p.keychainAccount !== 'string' || p.keychainAccount === '')) {
      return `profile "${name}": "keychainAccount" must be a non-empty string`;
    }
    if (p.keyCheck !== undefined && (typeof p.keyCheck !== 'string' || !/^\d+:[0-9a-f]{16}$/.test(p.keyCheck))) {
      return `profile "${name}": "keyCheck" must be a length and a hash ("40:0123456789abcdef")`;
    }
    if (p.storage === 'keychain' && p.masterKey !== undefined) return `profile "${name}": a keychain profile must not hold "masterKey"`;
    if (p.keyCmd !== undefined && (typeof p.keyCmd !== 'string' || p.keyCmd.trim() === '')) return `profile "${name}": "keyCmd" must be a non-empty string`;
    if (p.keyCmd !== undefined && (p.masterKey !== undefined || p.keychainAccount !== undefined)) {
      return `profile "${name}": a profile with "keyCmd" gets its key from that command and must not hold one`;
    }
  }
  return undefined;
}

