// `npm run build:binary`: carto-keys as one executable file that needs no Node.js installed, a Node.js
// single executable application (SEA): build/carto-keys-<os>-<arch>[.exe] and its .sha256.
//
// - The main script (src/sea/main.ts) answers --version, else loads the dispatcher (src/sea/run.ts,
//   bundled into it, started on demand); the files of dist/ (a CommonJS bundle
//   per command with its V8 code cache, the router, the vendored libraries, complete.cjs) go in as
//   assets, so each command compiles only what it needs, as from the npm package. dist/ is built by
//   this Node: run under Node 24, its code caches are the binary's Node's own and are used.
// - "execArgvExtension": "none": NODE_OPTIONS (and --node-options) cannot add Node options to the
//   binary (no `--require x.js`, no `--inspect`): the binary runs only its own code.
// - The OS keychain's native module (@napi-rs/keyring, an optional dependency) goes in as an asset
//   with its SHA-256 (src/sea/native.ts writes it to a 0700 cache folder and dlopen()s it).
// - The Node.js binary is Node 24 (SEA assets, module.registerHooks and execArgvExtension need it),
//   stripped of its symbols before the blob is injected (Linux: 127 MB → 109 MB), with postject.
//
// Where Node 24 and postject come from (nothing but the npm registry):
//   --node <path>  or CARTO_KEYS_SEA_NODE   a Node 24 binary for this platform (CI passes the one it has);
//   else this Node, if it is 24;             else `node-<os>-<arch>@24` from the npm registry.
//   postject@POSTJECT from the npm registry. Both are installed into node_modules/.cache/carto-keys-sea/.
// Options: --out <dir> (default build/), --without-keyring (build without the keychain module: the
// binary then says the OS keychain is unavailable and offers the file store).
//
// macOS: the official binary is signed; the signature is removed before injection and the result
// signed again ad hoc (or with CARTO_KEYS_CODESIGN_IDENTITY). Windows: the result is unsigned. See
// docs/binaries.md for what a release needs on top (Developer ID, notarization, Authenticode).

import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const POSTJECT = '1.0.0-alpha.6';
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const NODE_MAJOR = 24;
const { values: opts } = parseArgs({
  options: {
    node: { type: 'string' },
    out: { type: 'string', default: join(ROOT, 'build') },
    'without-keyring': { type: 'boolean', default: false },
  },
});

const os = { linux: 'linux', darwin: 'darwin', win32: 'win' }[process.platform];
if (!os) fail(`no single-file binary for ${process.platform}`);
const target = `${os}-${process.arch}`;
const outDir = resolve(opts.out);
const work = join(outDir, `sea-${target}`);
const exe = join(outDir, `carto-keys-${target}${os === 'win' ? '.exe' : ''}`);
const tools = join(ROOT, 'node_modules', '.cache', 'carto-keys-sea');

function fail(message) {
  process.stderr.write(`build:binary: ${message}\n`);
  process.exit(1);
}

function step(message) {
  process.stderr.write(`build:binary: ${message}\n`);
}

function sha256(bytes) {
  return createHash('sha256').update(bytes).digest('hex');
}

function npmInstall(specs) {
  mkdirSync(tools, { recursive: true });
  const npm = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : [os === 'win' ? 'npm.cmd' : 'npm'];
  const args = ['install', ...specs, '--prefix', tools, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--loglevel=error'];
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (/^npm_config_(global|location|prefix)$/i.test(k)) delete env[k];
  const r = spawnSync(npm[0], [...npm.slice(1), ...args], { env, stdio: ['ignore', 'ignore', 'inherit'], shell: os === 'win' && !process.env.npm_execpath });
  if (r.status !== 0) fail(`npm install ${specs.join(' ')} failed`);
}

/** A Node 24 binary for this platform: --node, CARTO_KEYS_SEA_NODE, this Node, or node-<os>-<arch>@24 from npm. */
function nodeBinary() {
  const given = opts.node ?? process.env.CARTO_KEYS_SEA_NODE;
  if (given) return resolve(given);
  if (Number(process.versions.node.split('.')[0]) === NODE_MAJOR) return process.execPath;
  const pkg = `node-${os}-${process.arch}`;
  const bin = join(tools, 'node_modules', pkg, 'bin', os === 'win' ? 'node.exe' : 'node');
  if (!existsSync(bin)) {
    step(`installing ${pkg}@${NODE_MAJOR} from the npm registry`);
    npmInstall([`${pkg}@${NODE_MAJOR}`]);
  }
  return bin;
}

function postjectCli() {
  const cli = join(tools, 'node_modules', 'postject', 'dist', 'cli.js');
  const installed = existsSync(cli) && JSON.parse(readFileSync(join(tools, 'node_modules', 'postject', 'package.json'), 'utf8')).version === POSTJECT;
  if (!installed) {
    step(`installing postject@${POSTJECT} from the npm registry`);
    npmInstall([`postject@${POSTJECT}`]);
  }
  return cli;
}

/** The keychain module's .node file for this platform, as `require('@napi-rs/keyring')` loads it here. */
function keyringAddon() {
  const require = createRequire(join(ROOT, 'package.json'));
  try {
    require('@napi-rs/keyring');
  } catch (err) {
    fail(`@napi-rs/keyring (an optional dependency) is not installed for ${target}: ${err.message}\nRun \`npm install\`, or pass --without-keyring.`);
  }
  const file = Object.keys(require.cache).find((k) => k.endsWith('.node'));
  if (!file) fail('@napi-rs/keyring loaded no .node file');
  return { file };
}

function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

// 1. dist/, then the dispatcher.
step('building dist/');
execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: 'inherit' });
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const main = join(work, 'main.cjs');
await build({
  entryPoints: [join(ROOT, 'src', 'sea', 'main.ts')],
  outfile: main,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: `node${NODE_MAJOR}`,
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
});

// 2. The assets: every file of dist/ under its path (with the binary's Node's code caches), the keychain
// module, and sea.json describing it (src/sea/manifest.ts).
const node = nodeBinary();
const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
if (!version.startsWith(`v${NODE_MAJOR}.`)) fail(`${node} is Node ${version}, not ${NODE_MAJOR}`);
const assets = {};
for (const file of files(join(ROOT, 'dist'))) assets[relative(ROOT, file).split(sep).join('/')] = file;
const manifest = {};
// The code caches of the CLI bundles, made by the Node that goes into the binary (a code cache is only
// valid for the V8 that made it): they replace dist/'s, which the Node running this script made.
const caches = join(work, 'v8');
execFileSync(node, [join(ROOT, 'scripts', 'code-cache.mjs'), '--out', caches], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
for (const file of files(caches)) assets[`dist/${relative(caches, file).split(sep).join('/')}`] = file;
if (!opts['without-keyring']) {
  const addon = keyringAddon();
  const key = `native/${addon.file.replace(/^.*[\\/]/, '')}`;
  assets[key] = addon.file;
  manifest.keyring = { asset: key, sha256: sha256(readFileSync(addon.file)) };
}
writeFileSync(join(work, 'sea.json'), JSON.stringify(manifest));
assets['sea.json'] = join(work, 'sea.json');

const config = join(work, 'sea-config.json');
const blob = join(work, 'sea.blob');
writeFileSync(
  config,
  JSON.stringify(
    { main, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true, useSnapshot: false, execArgvExtension: 'none', assets },
    null,
    2,
  ),
);
step(`preparing the blob with Node ${version} (${Object.keys(assets).length} assets)`);
execFileSync(node, ['--experimental-sea-config', config], { cwd: work, stdio: ['ignore', 'ignore', 'inherit'] });

// 3. A copy of Node, stripped (or unsigned), the blob injected, signed again on macOS.
rmSync(exe, { force: true });
copyFileSync(node, exe);
chmodSync(exe, 0o755);
if (os === 'linux') {
  // Symbols and debug information only: 127 MB → 109 MB, and less to map at start-up.
  const r = spawnSync('strip', ['--strip-all', exe], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.error || r.status !== 0) fail(`strip failed (binutils installed?): ${r.error?.message ?? r.stderr}`);
}
if (os === 'darwin') execFileSync('codesign', ['--remove-signature', exe], { stdio: 'inherit' });
const postject = [postjectCli(), exe, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', FUSE, ...(os === 'darwin' ? ['--macho-segment-name', 'NODE_SEA'] : [])];
// postject prints LIEF's warnings about the many ELF notes of Node's binary: harmless, kept out of the log.
const injected = spawnSync(process.execPath, postject, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
if (injected.status !== 0) fail(`postject failed: ${injected.stderr}`);
if (os === 'darwin') execFileSync('codesign', ['--sign', process.env.CARTO_KEYS_CODESIGN_IDENTITY || '-', exe], { stdio: 'inherit' });

// 4. It runs, it is the version built, and its checksum.
const expected = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
const said = execFileSync(exe, ['--version'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...(os === 'win' && { SYSTEMROOT: process.env.SYSTEMROOT }) } }).trim();
if (said !== expected) fail(`${exe} --version printed "${said}", not ${expected}`);
const digest = sha256(readFileSync(exe));
writeFileSync(`${exe}.sha256`, `${digest}  ${exe.replace(/^.*[\\/]/, '')}\n`);
rmSync(work, { recursive: true, force: true });
step(`${relative(process.cwd(), exe) || exe}: ${(statSync(exe).size / 1e6).toFixed(1)} MB, sha256 ${digest}`);
