// The bundles inside the single-file binary, served from its assets (node:sea) instead of files. They
// are the same CommonJS bundles as in the npm package (see src/route.ts): a command's bundle is
// started from its V8 code cache asset, made at build time by the Node that goes into the binary
// (scripts/build-binary.mjs), and what it requires is served here:
//
// - the vendored libraries (dist/vendor/*.cjs, relative to the bundle) from their assets;
// - `@napi-rs/keyring`, the OS keychain's native module, which cannot be loaded from memory: native.ts
//   writes it to the private cache folder under its hash and dlopen()s it;
// - node built-ins from Node.
//
// Nothing else resolves here, and nothing but the native module is ever written to disk.

import { posix } from 'node:path';
import { getAsset, getRawAsset } from 'node:sea';
import { compileFunction } from 'node:vm';
import type { CommandName } from '../commands/index.js';
import { bundleFor, cacheOf, startBundle, type StartedBundle } from '../route.js';
import { keyringModule } from './native.js';

/** Where the embedded bundles live, as names in stack traces: no file is ever read there. */
const ROOT = '/carto-keys.sea/';
const KEYRING = '@napi-rs/keyring';

const loaded = new Map<string, unknown>();

/** A node built-in, as require() gives it. Not through module.createRequire: loading node:module costs more. */
function builtin(id: string): unknown {
  const found = process.getBuiltinModule(id);
  if (found === undefined) throw Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' });
  return found;
}

/** What a bundle at `asset` requires, served from the assets (see above). */
function requireFrom(asset: string): (id: string) => unknown {
  return (id) => {
    if (id === KEYRING) return keyringModule();
    if (!id.startsWith('.')) return builtin(id);
    const target = posix.join(posix.dirname(asset), id);
    if (!loaded.has(target)) loaded.set(target, loadCommonJs(target));
    return loaded.get(target);
  };
}

/** A CommonJS file from its asset, compiled as Node compiles a module file (completion, vendored libraries). */
export function loadCommonJs<T>(asset: string): T {
  const filename = ROOT + asset;
  const fn = compileFunction(getAsset(asset, 'utf8'), ['exports', 'require', 'module', '__filename', '__dirname'], { filename });
  const module = { exports: {} as T };
  fn.call(module.exports, module.exports, requireFrom(asset), module, filename, posix.dirname(filename));
  return module.exports;
}

/** The bundle of `command` (undefined: none), from its asset and its code cache asset. */
export function loadBundle(command: CommandName | undefined): StartedBundle {
  const asset = posix.join('dist', bundleFor(command));
  let cache: Uint8Array | undefined;
  try {
    cache = new Uint8Array(getRawAsset(cacheOf(asset)) as ArrayBuffer);
  } catch {
    // No cache asset: compiled as usual.
  }
  return startBundle({ source: getAsset(asset, 'utf8'), cache, filename: ROOT + asset, require: requireFrom(asset) });
}
