// Bundles src/ into dist/ with esbuild, all CommonJS (bin/carto-keys.js require()s them; Node starts
// CommonJS without its ES module loader):
// - program.cjs and commands/<name>.cjs: the CLI (src/main.ts), once with no command module and once
//   per command with only that command's; dist/route.cjs (src/route.ts) tells the bin which to run.
//   Each has a V8 code cache beside it (.v8), made by running it once (scripts/code-cache.mjs);
// - vendor/*.cjs: undici, inquirer and yaml, each required by the few paths that use them;
// - complete.cjs: shell completion (`carto-keys __complete …`, on every <TAB>): no commander at all.
//
// dist/ is replaced file by file, never deleted first: test runs (and a developer's `npx carto-keys`)
// may be running the previous build while this one is written. Each file is written to a temporary
// name and renamed over the old one (atomic), vendored libraries before the bundles that require them,
// and files of the previous build that this one no longer has are removed last.
//
// node:crypto and node:child_process cost ~8 ms of start-up together, yet only a few commands call them
// (commander requires child_process for subcommands we do not use). In the bundle they are replaced by
// stand-ins that load the real module on first use; see lazyBuiltins below.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, unlinkSync } from 'node:fs';
import { mkdir, readdir, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

undoTemporaryGlobalLink();
const { build } = await loadEsbuild();

/**
 * `npm install -g git+<url>` clones the repository and, before packing it, runs `npm install` in the
 * clone to prepare it. That inner install inherits --global (npm/cli#8440): instead of installing
 * the clone's dependencies, it installs the clone itself into the global folder as a link, moving
 * aside the folder the real install has begun to fill (with the optional keychain module). The real
 * install then writes through the link into the clone, which npm deletes, leaving a dangling link.
 * So, only in that inner install (pacote marks it with _PACOTE_NO_PREPARE_) and only for a link to
 * this very clone: the link is removed and the folder moved aside is put back.
 */
function undoTemporaryGlobalLink() {
  const prefix = process.env.npm_config_prefix;
  if (process.env.npm_config_global !== 'true' || !process.env._PACOTE_NO_PREPARE_ || !prefix) return;
  const name = JSON.parse(readFileSync('package.json', 'utf8')).name;
  const modules = process.platform === 'win32' ? join(prefix, 'node_modules') : join(prefix, 'lib', 'node_modules');
  const link = join(modules, name);
  let ours = false;
  try {
    ours = lstatSync(link).isSymbolicLink() && realpathSync(link) === realpathSync('.');
  } catch (err) {
    if (err?.code !== 'ENOENT') throw err;
  }
  if (!ours) return;
  unlinkSync(link);
  const movedAside = readdirSync(modules).filter((f) => f.startsWith(`.${name}-`));
  if (movedAside.length === 1) renameSync(join(modules, movedAside[0]), link);
  else mkdirSync(link);
}

/**
 * esbuild and the packages it bundles (commander, undici, …) are devDependencies. npm leaves them out
 * in two installs that run this script as `prepare`: `npm install -g .` from a fresh clone (the folder
 * is linked and prepared as it is), and `npm install -g git+<url>`, where npm's own install of the
 * clone before `prepare` inherits --global and installs nothing into it (npm/cli#8440). Then this does
 * what npm meant to: `npm ci` with the devDependencies, exactly as package-lock.json has them, without
 * install scripts (esbuild's JS API finds its platform binary, an optional dependency, without its
 * own), into this folder's node_modules; then it builds.
 */
async function loadEsbuild() {
  try {
    return await import('esbuild');
  } catch (err) {
    if (err?.code !== 'ERR_MODULE_NOT_FOUND') throw err;
  }
  // The npm that runs this lifecycle script (npm_execpath), else the one on the PATH.
  const npm = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : [process.platform === 'win32' ? 'npm.cmd' : 'npm'];
  const args = ['ci', '--global=false', '--include=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'];
  process.stderr.write('carto-keys: the build tools (devDependencies) are not installed here: installing them from package-lock.json.\n');
  // The outer install's settings reach this one as npm_config_* variables: those that make it a global
  // install, or that npm refuses in a project install (--allow-scripts), are not this install's.
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (/^npm_config_(global|location|prefix|allow_scripts)$/i.test(k)) delete env[k];
  const r = spawnSync(npm[0], [...npm.slice(1), ...args], { env, stdio: ['ignore', 'ignore', 'inherit'], shell: process.platform === 'win32' && !process.env.npm_execpath });
  if (r.status !== 0) {
    process.stderr.write(`carto-keys: could not install the build tools (npm ci exited ${r.status ?? r.signal}); run \`npm install\` in this folder, then install again.\n`);
    process.exit(1);
  }
  return createRequire(resolve('package.json'))('esbuild');
}

const LAZY_BUILTINS = ['crypto', 'child_process'];

/**
 * `import { randomBytes } from 'node:crypto'` gets a module whose exported functions load node:crypto
 * when first called (a name that is not a function fails the build: "No matching export"; the default
 * export loads the module on first property access).
 * `require('node:crypto')` in bundled CommonJS gets an object that loads it on first property access.
 */
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    const filter = new RegExp(`^(node:)?(${LAZY_BUILTINS.join('|')})$`);
    b.onResolve({ filter }, (args) => {
      if (args.kind !== 'import-statement' && args.kind !== 'require-call') return undefined;
      if (args.namespace.startsWith('lazy-')) return undefined; // the stand-in's own require of the real module
      const name = args.path.replace(/^node:/, '');
      return { path: name, namespace: args.kind === 'require-call' ? 'lazy-require' : 'lazy-import' };
    });
    const load = (name) =>
      `let mod;\nconst load = () => (mod ??= require('node:${name}'));\n`;
    b.onLoad({ filter: /.*/, namespace: 'lazy-import' }, ({ path: name }) => {
      const real = createRequire(import.meta.url)(`node:${name}`);
      const names = Object.keys(real).filter((k) => typeof real[k] === 'function' && /^[A-Za-z_$][\w$]*$/.test(k));
      const fns = names.map(
        (k) => `export function ${k}(...args) { const f = load().${k}; return new.target ? new f(...args) : f.apply(this, args); }`,
      );
      const whole = `export default new Proxy({}, { get: (_, k) => load()[k], has: (_, k) => k in load() });`;
      return { contents: `${load(name)}${fns.join('\n')}\n${whole}\n`, loader: 'js' };
    });
    b.onLoad({ filter: /.*/, namespace: 'lazy-require' }, ({ path: name }) => ({
      contents: `const real = () => require('node:${name}');\nmodule.exports = new Proxy({}, {\n  get: (_, k) => real()[k],\n  has: (_, k) => k in real(),\n  ownKeys: () => Reflect.ownKeys(real()),\n  getOwnPropertyDescriptor: (_, k) => ({ ...Reflect.getOwnPropertyDescriptor(real(), k), configurable: true }),\n});\n`,
      loader: 'js',
    }));
  },
};

const outdir = resolve('dist');
const common = {
  bundle: true,
  write: false,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
};

/**
 * Libraries only a few paths use (undici behind a proxy, inquirer at a prompt, yaml for keys as code)
 * stay out of the CLI bundles: each is its own CommonJS file in dist/vendor/, required on first use, so
 * no other command compiles them. They hold no code of ours, so no class exists twice (an error thrown
 * in one is still an `instanceof` of the other's).
 */
const VENDOR = { undici: 'undici', '@inquirer/prompts': 'inquirer', yaml: 'yaml' };

/**
 * In a CommonJS bundle `await import(x)` of something not bundled stays an `import()`, which starts
 * Node's ES module loader (~10 ms) and cannot run in a vm.Script without a loader callback. Here every
 * such import becomes a require() on first use: node built-ins, the vendored libraries and the OS
 * keychain's native module (an optional dependency: a missing one still rejects that import()).
 */
const requireOnUse = (vendorDir) => ({
  name: 'require-on-use',
  setup(b) {
    const vendor = new RegExp(`^(${Object.keys(VENDOR).map((k) => k.replace('/', '\\/')).join('|')})$`);
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.namespace === 'require-on-use') return { path: args.path, external: true };
      const builtin = args.kind === 'dynamic-import' && (args.path.startsWith('node:') || args.path === '@napi-rs/keyring');
      if (builtin) return { path: args.path, namespace: 'require-on-use' };
      if (vendor.test(args.path)) return { path: `${vendorDir}/${VENDOR[args.path]}.cjs`, namespace: 'require-on-use' };
      return undefined;
    });
    b.onLoad({ filter: /.*/, namespace: 'require-on-use' }, ({ path }) => ({ contents: `module.exports = require(${JSON.stringify(path)});`, loader: 'js' }));
  },
});

/**
 * One CommonJS bundle per command: src/main.ts with src/commands/load.ts cut down to that command's
 * loader (`only`), or to none (dist/program.cjs: no command, `--help`, an unknown word). A run then
 * compiles only the code its command can reach (bin/carto-keys.js picks the bundle, src/route.ts).
 * Each bundle is a whole program: no module of ours exists twice in one process.
 */
const LOAD = 'src/commands/load.ts';
const loaderLines = readFileSync(LOAD, 'utf8').split('\n').filter((l) => /^\s+\w+: async \(\) =>/.test(l));
const commandNames = loaderLines.map((l) => l.trim().split(':')[0]);
const onlyCommand = (name) => ({
  name: 'only-command',
  setup(b) {
    b.onLoad({ filter: /src[\\/]commands[\\/]load\.ts$/ }, () => ({
      contents: `export const LOADERS = {\n${loaderLines.filter((l) => l.trim().startsWith(`${name}:`)).join('\n')}\n};\n`,
      loader: 'ts',
      resolveDir: resolve('src/commands'),
    }));
  },
});
const cliBundle = (name, outfile) =>
  build({ ...common, entryPoints: ['src/main.ts'], outfile: join(outdir, outfile), plugins: [onlyCommand(name), requireOnUse(name === undefined ? './vendor' : '../vendor'), lazyBuiltins] });

const builds = [
  cliBundle(undefined, 'program.cjs'),
  ...commandNames.map((name) => cliBundle(name, `commands/${name}.cjs`)),
  build({ ...common, entryPoints: ['src/route.ts'], outfile: join(outdir, 'route.cjs') }),
  ...Object.entries(VENDOR).map(([pkg, name]) =>
    build({
      ...common,
      stdin: { contents: `module.exports = require(${JSON.stringify(pkg)});`, resolveDir: resolve('.'), loader: 'js' },
      outfile: join(outdir, 'vendor', `${name}.cjs`),
    }),
  ),
];
if (existsSync('src/complete.ts')) {
  builds.push(build({ ...common, entryPoints: ['src/complete.ts'], outfile: join(outdir, 'complete.cjs') }));
}
const outputFiles = (await Promise.all(builds)).flatMap((r) => r.outputFiles).map(({ path, contents }) => ({ path, contents }));

// Each CLI bundle's first line is its build stamp, which its code cache (the .v8 file beside it, made
// below) must carry to be used (src/route.ts).
const cliBundles = outputFiles.filter((f) => f.path === join(outdir, 'program.cjs') || dirname(f.path) === join(outdir, 'commands'));
for (const file of cliBundles) {
  const stamp = createHash('sha256').update(file.contents).digest('hex').slice(0, 16);
  file.contents = Buffer.concat([Buffer.from(`// carto-keys build ${stamp}\n`), file.contents]);
}
const caches = cliBundles.map((f) => f.path.replace(/\.cjs$/, '.v8'));

// The vendored libraries before the bundles that require them.
const vendorFirst = [...outputFiles].sort(
  (a, b) => Number(!a.path.includes(`${outdir}/vendor/`)) - Number(!b.path.includes(`${outdir}/vendor/`)),
);
const written = new Set(caches);
for (const file of vendorFirst) {
  await mkdir(dirname(file.path), { recursive: true });
  const tmp = `${file.path}.${process.pid}.tmp`;
  await writeFile(tmp, file.contents);
  await rename(tmp, file.path);
  written.add(file.path);
}

async function removeStale(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      await removeStale(path);
      await rmdir(path).catch(() => {}); // only if now empty (the chunks/ of an older build)
    }
    else if (!written.has(path) && !(await isFreshTemp(path))) await rm(path, { force: true });
  }
}

/** A temporary file of a build running at the same time is left alone; one of a crashed build is not. */
async function isFreshTemp(path) {
  if (!/\.\d+\.tmp$/.test(path)) return false;
  const s = await stat(path).catch(() => undefined);
  return s !== undefined && Date.now() - s.mtimeMs < 60_000;
}

await removeStale(outdir);

// The code caches of the bundles just written, made by running them in a fresh Node (scripts/code-cache.mjs).
// Without it the CLI works, only slower: a failure is reported, not fatal (an install must not fail
// because, say, no local port could be opened), and test/package.test.ts checks that a build has one.
const warmed = spawnSync(process.execPath, ['scripts/code-cache.mjs'], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
if (warmed.status !== 0) {
  await Promise.all(caches.map((c) => rm(c, { force: true })));
  process.stderr.write(`carto-keys: no code cache was made (start-up will be slower):\n${warmed.stderr || warmed.error}\n`);
}

// `npm run build:action`: the Action's committed bundle too (scripts/action-bundle.mjs).
if (process.argv.includes('--action')) {
  const { ACTION_BUNDLE, buildActionBundle } = await import('./action-bundle.mjs');
  await mkdir(dirname(resolve(ACTION_BUNDLE)), { recursive: true });
  await writeFile(resolve(ACTION_BUNDLE), await buildActionBundle(resolve('.')));
}
