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
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

// esbuild is a devDependency: `npm install -g .` in a fresh clone runs this (as `prepare`) without it.
// Say what to do instead of a module-resolution stack; a clone already built keeps its dist/.
let build;
try {
  ({ build } = await import('esbuild'));
} catch (err) {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND') throw err;
  if (existsSync('dist/main.js')) {
    process.stderr.write('carto-keys: esbuild is not installed; keeping the dist/ already built.\n');
    process.exit(0);
  }
  process.stderr.write(
    'carto-keys: dist/ is not built yet and the build tool (esbuild, a devDependency) is not installed.\n' +
      'Run `npm install` in this folder first (it installs it and builds dist/), then `npm install -g .`.\n',
  );
  process.exit(1);
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
