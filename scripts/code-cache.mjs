// Makes the V8 code cache of each CLI bundle (dist/program.v8, dist/commands/<name>.v8), with which
// the bundle is started (why: src/route.ts).
//
// Run by scripts/build.mjs in a fresh Node process, right after the bundles are written: for each, it
// compiles the bundle from scratch, runs its command once or twice in this process against a
// `sandbox serve` on 127.0.0.1 (so the functions they call are compiled: a cache made before running
// anything would hold little more than the top level), then saves V8's code for the bundle, stamped
// with its build. Commands that need a terminal, a file or a second account are warmed with their
// `--help` (parsing and building the command). Exit 0 with every cache written; 1 (with the reason on
// stderr) when a command did not do what it should. `--out <dir>`: the caches go there (same relative
// paths) instead of beside the bundles (scripts/build-binary.mjs, for the Node inside the binary).
//
// The cache holds compiled code, never data: the throwaway sandbox's keys are in no byte of it
// (test/package.test.ts looks).

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { childEnv } from './child-env.mjs';

const require = createRequire(import.meta.url);
const { COMMAND_NAMES, cacheOf, bundleFor, loadBundle } = require('../dist/route.cjs');
const DIST = fileURLToPath(new URL('../dist/', import.meta.url));
const outAt = process.argv.indexOf('--out');
const OUT = outAt === -1 ? DIST : process.argv[outAt + 1];
const BIN = require.resolve('../bin/carto-keys.js');

const home = mkdtempSync(join(tmpdir(), 'carto-keys-code-cache-'));
const baseEnv = childEnv(home);

/** `sandbox serve` of the bundle just built, resolved with the JSON it prints. */
function serve() {
  const child = spawn(process.execPath, [BIN, 'sandbox', 'serve', '--port', '0', '--json', '--seed-keys', '20', '--max-lifetime', '120'], {
    env: baseEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const info = new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => reject(new Error(`sandbox serve exited (${code}): ${err.trim()}`)));
    child.stdout.on('data', (d) => {
      out += d;
      try {
        resolve(JSON.parse(out));
      } catch {
        // not the whole document yet
      }
    });
  });
  return { child, info };
}

// What each bundle runs, with the exit code it must give (a cache made from a failing run would be a
// cache of the error path). `program`: the bundle with no command.
const RUNS = {
  program: [[['--help'], 0], [['help'], 0], [['no-such-command'], 2]],
  list: [[['list'], 0], [['list', '--json'], 0]],
  show: [[['show', 'seed-00001'], 0], [['show', 'seed-00001', '--json'], 0]],
  create: [
    [['create', '--name', 'code-cache-1', '--api', 'sql', '--table', 'world_population:select'], 0],
    [['create', '--json', '--name', 'code-cache-2', '--api', 'maps'], 0],
  ],
  revoke: [[['revoke', '--yes', 'code-cache-1', 'code-cache-2'], 0]],
  status: [[['status'], 0]],
};

const server = serve();
try {
  const { baseUrl, masterKey } = await server.info;
  // main() reads process.env (src/main.ts): the commands see only the sandbox's credentials.
  for (const name of Object.keys(process.env)) delete process.env[name];
  Object.assign(process.env, baseEnv, { CARTO_KEYS_BASE_URL: baseUrl, CARTO_KEYS_MASTER_KEY: masterKey });
  for (const bundle of ['program', ...COMMAND_NAMES]) {
    const command = bundle === 'program' ? undefined : bundle;
    const { exports, script, stamp } = loadBundle(DIST, command, require, { withCache: false });
    const cache = join(OUT, cacheOf(bundleFor(command)));
    mkdirSync(dirname(cache), { recursive: true });
    if (stamp === undefined) throw new Error(`the ${bundle} bundle has no build stamp`);
    for (const [argv, expected] of RUNS[bundle] ?? [[[bundle, '--help'], 0]]) {
      const code = await exports.main(argv);
      if (code !== expected) throw new Error(`carto-keys ${argv.join(' ')} exited ${code}, expected ${expected}`);
    }
    // Saved at once: V8 drops the compiled code of functions that have not run for a while.
    const tmp = `${cache}.${process.pid}.tmp`;
    writeFileSync(tmp, Buffer.concat([Buffer.from(stamp, 'latin1'), script.createCachedData()]));
    renameSync(tmp, cache);
  }
  process.exitCode = 0;
} catch (err) {
  process.stderr.write(`code cache: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
} finally {
  server.child.kill('SIGTERM');
  rmSync(home, { recursive: true, force: true });
}
