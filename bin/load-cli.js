// Loads a CLI bundle (dist/program.cjs or dist/commands/<name>.cjs, see src/route.ts) with the V8
// code cache the build made for it (the .v8 file beside it).
//
// Why: almost all of a command's start-up beyond Node's own is compiling JavaScript: V8 pre-parses
// the whole bundle, then compiles each function the command calls (commander's alone cost ~25 M
// instructions). The build runs each bundle's commands once in a fresh Node process and saves V8's
// compiled code (scripts/code-cache.mjs); loading it here skips that work. See docs/performance.md.
//
// The cache is only ever used with the exact bundle it was made from: its first 16 bytes are the
// build stamp written in the bundle's first line. V8 itself refuses a cache from another V8 version or
// other flags (`cachedDataRejected`): the code is then compiled as usual, only slower. Nothing is ever
// written at run time: the cache is part of the build, like the bundle, and as trusted.
'use strict';

const { readFileSync } = require('node:fs');
const { dirname, join } = require('node:path');
const { Script } = require('node:vm');

const DIST = join(__dirname, '..', 'dist');
const STAMP = /^\/\/ carto-keys build ([0-9a-f]{16})\n/;

/** The bundle's file for a command (a registry name), or for none. */
function bundleFile(command) {
  return command === undefined ? join(DIST, 'program.cjs') : join(DIST, 'commands', `${command}.cjs`);
}

/** The cache file of a bundle. */
function cacheFile(bundle) {
  return bundle.replace(/\.cjs$/, '.v8');
}

/** The cached code for this bundle, or undefined (none, or made from another build). */
function cacheFor(bundle, stamp) {
  let data;
  try {
    data = readFileSync(cacheFile(bundle));
  } catch {
    return undefined;
  }
  return stamp !== undefined && data.toString('latin1', 0, 16) === stamp ? data.subarray(16) : undefined;
}

/**
 * Compiles and runs the bundle of `command` (undefined: the one with no command) as CommonJS (the
 * same wrapper Node's require uses) and returns its exports. `withCache: false` compiles from scratch
 * (the build does, to make the cache); `script` is the compiled vm.Script, whose code the build saves.
 */
function loadCli(command, { withCache = true } = {}) {
  const bundle = bundleFile(command);
  // latin1: esbuild escapes every non-ASCII character of the code (a comment it keeps may still have one,
  // harmless there), and decoding a bundle of ~300 KB as UTF-8 costs ~9 M instructions.
  const source = readFileSync(bundle, 'latin1');
  const stamp = STAMP.exec(source)?.[1];
  const cachedData = withCache ? cacheFor(bundle, stamp) : undefined;
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: bundle,
    ...(cachedData && { cachedData }),
  });
  const module = { exports: {} };
  // The bundle requires node built-ins, the optional keychain module and its vendored libraries
  // (./vendor/…, ../vendor/…, relative to itself). Not module.createRequire: loading node:module
  // starts parts of the ES module loader.
  const dir = dirname(bundle);
  const bundleRequire = (id) => require(id.startsWith('.') ? join(dir, id) : id);
  script.runInThisContext().call(module.exports, module.exports, bundleRequire, module, bundle, dir);
  return { exports: module.exports, script, stamp, cache: cacheFile(bundle) };
}

module.exports = { loadCli };
