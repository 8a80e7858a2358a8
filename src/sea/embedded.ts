// The bundles inside the single-file binary, served from its assets (node:sea) instead of files:
//
// - CommonJS bundles (help, completion) are compiled directly from their asset, with the V8 code cache
//   the build made for them (by the same Node binary), so they are not even compiled.
// - The ES module bundle and its chunks are served by module hooks (module.registerHooks, Node ≥ 23.5)
//   under a file: URL of their own, so `import('./chunks/…')` inside them resolves as it does on disk
//   and nothing is written out. Compiled code is kept between runs in the user's private cache folder
//   (Node's compile cache), as bin/carto-keys.js keeps it for the npm package.
// - `@napi-rs/keyring`, the OS keychain's native module, cannot be loaded from memory: native.ts
//   writes it to the private cache folder under its hash and the module served for it dlopen()s it.
//   src/config/keychain.ts imports it as it does from the npm package.
//
// Nothing else resolves here: any other specifier is left to Node, which only has its built-ins.

import Module, { createRequire } from 'node:module';
import { join } from 'node:path';
import { getAsset, getRawAsset } from 'node:sea';
import { Script } from 'node:vm';
import { appPaths } from '../config/paths.js';
import { ensurePrivateDir } from '../fs/secure-dir.js';
import { seaManifest } from './manifest.js';
import { keyringModuleSource } from './native.js';

/** Where the embedded modules live, as URLs: no file is ever read there. */
const ROOT = 'file:///carto-keys.sea/';
const KEYRING = '@napi-rs/keyring';

type ModuleFunction = (exports: unknown, require: NodeJS.Require, module: { exports: unknown }, filename: string, dirname: string) => void;

/** A CommonJS bundle from its asset, run as Node runs a module file, with Node's own require. */
export function loadCommonJs<T>(asset: string): T {
  const filename = ROOT + asset;
  const [head, tail] = seaManifest().cjsWrapper;
  let cachedData: Uint8Array | undefined;
  try {
    cachedData = new Uint8Array(getRawAsset(`${asset}.cache`) as ArrayBuffer);
  } catch {
    // No code cache for this bundle: compiled from its source.
  }
  const fn = new Script(head + getAsset(asset, 'utf8') + tail, { filename, ...(cachedData && { cachedData }) }).runInThisContext() as ModuleFunction;
  const module = { exports: {} as T };
  fn.call(module.exports, module.exports, createRequire(process.execPath), module, filename, ROOT);
  return module.exports;
}

interface ResolveContext {
  parentURL?: string;
}
interface Hooks {
  resolve(specifier: string, context: ResolveContext, next: (s: string, c: ResolveContext) => unknown): unknown;
  load(url: string, context: unknown, next: (u: string, c: unknown) => unknown): unknown;
}

/** The ES module bundle: its chunks and the keychain module come through the hooks below. */
export function loadMain<T>(asset: string): T {
  (Module as unknown as { registerHooks(hooks: Hooks): void }).registerHooks({
    resolve(specifier, context, next) {
      const parent = context.parentURL ?? '';
      if (parent.startsWith(ROOT) && specifier === KEYRING) return { url: `${ROOT}native/keyring.mjs`, format: 'module', shortCircuit: true };
      if (parent.startsWith(ROOT) && (specifier.startsWith('./') || specifier.startsWith('../'))) {
        return { url: new URL(specifier, parent).href, format: 'module', shortCircuit: true };
      }
      if (specifier.startsWith(ROOT)) return { url: specifier, format: 'module', shortCircuit: true };
      return next(specifier, context);
    },
    load(url, context, next) {
      if (!url.startsWith(ROOT)) return next(url, context);
      const source = url === `${ROOT}native/keyring.mjs` ? keyringModuleSource() : getAsset(url.slice(ROOT.length), 'utf8');
      return { format: 'module', source, shortCircuit: true };
    },
  });
  useCompileCache();
  return createRequire(process.execPath)(ROOT + asset) as T;
}

/** Node's compile cache in a 0700 folder of the user's own; without it (folder refused) the code is compiled each run. */
function useCompileCache(): void {
  const dir = join(appPaths(process.env).cache, 'compile');
  try {
    ensurePrivateDir(dir);
  } catch {
    return;
  }
  (Module as unknown as { enableCompileCache(dir: string): unknown }).enableCompileCache(dir);
}
