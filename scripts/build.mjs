// Bundles src/ into dist/ with esbuild:
// - main.js: the CLI, ESM, split so that each path loads only what it needs: each command, undici, inquirer,
//   cli-table3 and the sandbox become chunks loaded by `await import()` only in the commands that use them;
// - complete.cjs: shell completion (`carto-keys __complete …`, on every <TAB>), one CommonJS file that
//   bin/carto-keys.js require()s, so completion never pays for Node's ES module loader;
// - help.cjs: `carto-keys --help` alone, likewise (commander and the program shell, no command).
//
// dist/ is replaced file by file, never deleted first: test runs (and a developer's `npx carto-keys`)
// may be running the previous build while this one is written. Each file is written to a temporary
// name and renamed over the old one (atomic), chunks before the entry points that import them, and
// files of the previous build that this one no longer has are removed last.
//
// node:crypto and node:child_process cost ~8 ms of start-up together, yet only a few commands call them
// (commander requires child_process for subcommands we do not use). In the bundle they are replaced by
// stand-ins that load the real module on first use; see lazyBuiltins below.
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, unlinkSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
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
      `import { createRequire } from 'node:module';\nlet mod;\nconst load = () => (mod ??= createRequire(import.meta.url)('node:${name}'));\n`;
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
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
};

const builds = [
  build({
    ...common,
    entryPoints: ['src/main.ts'],
    outdir,
    splitting: true,
    format: 'esm',
    chunkNames: 'chunks/[name]-[hash]',
    plugins: [lazyBuiltins],
    // The OS keychain binding is native (a .node file per platform): it cannot be bundled. It stays an
    // optional dependency, imported lazily only when a profile uses the keychain (src/config/keychain.ts).
    external: ['@napi-rs/keyring'],
    // Bundled CommonJS dependencies (commander, cli-table3) call require(): give ESM one.
    banner: {
      js: "import { createRequire as __ckCreateRequire } from 'node:module'; const require = __ckCreateRequire(import.meta.url);",
    },
  }),
];
if (existsSync('src/complete.ts')) {
  builds.push(build({ ...common, entryPoints: ['src/complete.ts'], outfile: join(outdir, 'complete.cjs'), format: 'cjs' }));
}
// `carto-keys --help`: commander and the program shell, no command, no ES module loader.
if (existsSync('src/help.ts')) {
  builds.push(build({ ...common, entryPoints: ['src/help.ts'], outfile: join(outdir, 'help.cjs'), format: 'cjs', plugins: [lazyBuiltins] }));
}
const outputFiles = (await Promise.all(builds)).flatMap((r) => r.outputFiles);

const chunksFirst = [...outputFiles].sort(
  (a, b) => Number(!a.path.includes(`${outdir}/chunks/`)) - Number(!b.path.includes(`${outdir}/chunks/`)),
);
const written = new Set();
for (const file of chunksFirst) {
  await mkdir(dirname(file.path), { recursive: true });
  const tmp = `${file.path}.${process.pid}.tmp`;
  await writeFile(tmp, file.contents);
  await rename(tmp, file.path);
  written.add(file.path);
}

async function removeStale(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await removeStale(path);
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

// `npm run build:action`: the Action's committed bundle too (scripts/action-bundle.mjs).
if (process.argv.includes('--action')) {
  const { ACTION_BUNDLE, buildActionBundle } = await import('./action-bundle.mjs');
  await mkdir(dirname(resolve(ACTION_BUNDLE)), { recursive: true });
  await writeFile(resolve(ACTION_BUNDLE), await buildActionBundle(resolve('.')));
}
