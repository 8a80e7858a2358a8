// The OS keychain's native module (@napi-rs/keyring, a .node file) inside the single-file binary. A
// native module can only be loaded from a file, so its asset is written once to the user's private
// cache folder (0700), named by its SHA-256, and checked against that hash before each load: a file
// that is missing, truncated or changed is written again. The build records the hash and the
// module's asset in the `sea.json` asset (manifest.ts).

import { lstatSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getRawAsset } from 'node:sea';
import { appPaths } from '../config/paths.js';
import { ensurePrivateDir } from '../fs/secure-dir.js';
import { seaManifest } from './manifest.js';

/**
 * The native module, loaded from its cached file (what `require('@napi-rs/keyring')` gives in the npm
 * package). Throws, with the reason, when the binary was built without it or the file cannot be written.
 */
export function keyringModule(): unknown {
  const keyring = seaManifest().keyring;
  if (!keyring) throw new Error(`this carto-keys binary was built without the OS keychain module for ${process.platform}-${process.arch}`);
  const module = { exports: {} };
  process.dlopen(module, cachedFile(keyring.asset, keyring.sha256));
  return module.exports;
}

function cachedFile(asset: string, sha256: string): string {
  const dir = join(appPaths(process.env).cache, 'native');
  ensurePrivateDir(dir);
  const file = join(dir, `${asset.replace(/^.*\//, '').replace(/\.node$/, '')}-${sha256}.node`);
  if (intact(file, sha256)) return file;
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, new Uint8Array(getRawAsset(asset) as ArrayBuffer), { mode: 0o600 });
    renameSync(tmp, file);
  } finally {
    rmSync(tmp, { force: true });
  }
  if (!intact(file, sha256)) throw new Error(`${file} does not hold the module this binary wrote there`);
  return file;
}

/** A regular file (not a link) whose content has this SHA-256. */
function intact(file: string, sha256: string): boolean {
  try {
    if (!lstatSync(file).isFile()) return false;
    // node:crypto only here, on this path: importing it costs every other command its start-up time.
    return process.getBuiltinModule('node:crypto').createHash('sha256').update(readFileSync(file)).digest('hex') === sha256;
  } catch {
    return false;
  }
}
