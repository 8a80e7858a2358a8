// What `npm pack` ships: exactly what a user needs to run carto-keys (the bundle, the bin, the shell
// completions, README, LICENSE, package.json), nothing from the sources, tests or CI, and no runtime
// dependencies (everything is bundled into dist/).

import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, constants, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, normalize, posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/e2e.js';

interface PackResult {
  files: { path: string }[];
}

function packList(): string[] {
  // --ignore-scripts: dist/ is already built (global setup); `prepack` would rebuild it under the other tests.
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_loglevel: 'error', npm_config_update_notifier: 'false' },
  });
  const [result] = JSON.parse(out) as PackResult[];
  return result!.files.map((f) => f.path).sort();
}

function filesUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => posix.join(...normalize(join(e.parentPath, e.name)).slice(ROOT.length).split(/[\\/]/).filter(Boolean)));
}

/** The files a bundle file require()s by relative path (the vendored libraries, the bundles the bin picks). */
function requiresOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(/\brequire\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g)].map((m) => posix.normalize(posix.join(posix.dirname(file), m[1]!)));
}

describe('npm pack', () => {
  const files = packList();

  it('ships exactly the bundle, the bin, the completions, the JSON Schema, README, LICENSE and package.json', () => {
    const expected = [
      'LICENSE',
      'README.md',
      'package.json',
      ...filesUnder('bin'),
      ...filesUnder('completions'),
      ...filesUnder('schema'),
      ...filesUnder('dist'),
    ].sort();
    expect(files).toEqual(expected);
    expect(files).toEqual(expect.arrayContaining(['bin/carto-keys.js', 'bin/package.json', 'dist/program.cjs', 'dist/route.cjs', 'dist/commands/list.cjs', 'schema/carto-keys.schema.json', 'LICENSE']));
  });

  it('ships no sources, tests, CI, scripts, configs, source maps or leftovers', () => {
    const unwanted = files.filter(
      (f) =>
        /^(src|test|scripts|\.ci|node_modules|coverage)\//.test(f) ||
        /(^|\/)\.[^/]+$/.test(f) ||
        /\.(ts|map|tmp|tgz)$/.test(f) ||
        /^(tsconfig|vitest\.config|package-lock)/.test(f),
    );
    expect(unwanted).toEqual([]);
  });

  it('every bundle file is reachable from the bin, and every file a bundle requires is shipped', () => {
    const shipped = new Set(files);
    // The bin starts a command's bundle by name (src/route.ts): each of them is an entry point.
    const entries = ['bin/carto-keys.js', ...files.filter((f) => /^dist\/(program|commands\/[a-z]+)\.cjs$/.test(f))];
    const reached = new Set<string>();
    const missing: string[] = [];
    const queue = [...entries];
    while (queue.length > 0) {
      const file = queue.pop()!;
      if (reached.has(file)) continue;
      reached.add(file);
      for (const dep of requiresOf(file)) {
        if (!shipped.has(dep)) missing.push(`${file} -> ${dep}`);
        else queue.push(dep);
      }
    }
    expect(missing).toEqual([]);
    // Not vacuous: the vendored libraries (undici, inquirer, yaml) were followed.
    expect([...reached].filter((f) => f.startsWith('dist/vendor/')).length).toBe(3);
    // The code caches are read beside their bundles (src/route.ts), one for each.
    const bundles = [...reached].filter((f) => /^dist\/(program|commands\/[a-z]+)\.cjs$/.test(f));
    expect(files.filter((f) => f.endsWith('.v8')).sort()).toEqual(bundles.map((f) => f.replace(/\.cjs$/, '.v8')).sort());
    expect(files.filter((f) => f.startsWith('dist/') && !reached.has(f) && !f.endsWith('.v8'))).toEqual([]);
  });

  it('every CLI bundle starts from its code cache: made from that very build, accepted by this Node', () => {
    // In a child process: V8 refuses a cache made under other flags, and the test runner adds some.
    const script = `
      const route = require(${JSON.stringify(join(ROOT, 'dist', 'route.cjs'))});
      const names = [undefined, ...route.COMMAND_NAMES];
      const dist = ${JSON.stringify(join(ROOT, 'dist'))};
      const rejected = names.filter((n) => route.loadBundle(dist, n, require).script.cachedDataRejected !== false).map(String);
      process.stdout.write(JSON.stringify({ checked: names.length, rejected }));`;
    const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } })) as {
      checked: number;
      rejected: string[];
    };
    expect(out.rejected).toEqual([]);
    expect(out.checked).toBeGreaterThan(20);
  });

  it('a code cache holds compiled code, no data: nothing in it is shaped like a Master key or a token', () => {
    const caches = files.filter((f) => f.endsWith('.v8'));
    expect(caches.length).toBeGreaterThan(20);
    for (const f of caches) {
      const text = readFileSync(join(ROOT, f), 'latin1');
      // The build's sandbox had a 40-hex Master key and base64url tokens of 40+ characters.
      expect(text.match(/[0-9a-f]{40}|[A-Za-z0-9_-]{40,}/)?.[0], f).toBeUndefined();
    }
  });

  it('the bin and its entry points exist; the bin is CommonJS (no ES module loader for --version)', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(pkg.bin).toEqual({ 'carto-keys': 'bin/carto-keys.js' });
    const bin = readFileSync(join(ROOT, 'bin/carto-keys.js'), 'utf8');
    expect(bin.startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(JSON.parse(readFileSync(join(ROOT, 'bin/package.json'), 'utf8'))).toEqual({ type: 'commonjs' });
    for (const target of [...bin.matchAll(/(?:require|import)\(\s*'(\.\.\/[^']+)'\s*\)/g)].map((m) => m[1]!)) {
      expect(existsSync(join(ROOT, 'bin', target)), target).toBe(true);
      expect(files).toContain(posix.normalize(posix.join('bin', target)));
    }
  });

  it('--version answers from package.json, and into a pipe whose reader is gone exits 0 and says nothing', () => {
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    const env = { PATH: process.env.PATH ?? '' };
    expect(execFileSync(process.execPath, [join(ROOT, 'bin/carto-keys.js'), '--version'], { encoding: 'utf8', env })).toBe(`${version}\n`);
    const dir = mkdtempSync(join(tmpdir(), 'carto-keys-pipe-'));
    const fifo = join(dir, 'closed-pipe');
    execFileSync('mkfifo', [fifo]);
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const writer = openSync(fifo, constants.O_WRONLY);
    closeSync(reader);
    try {
      const r = spawnSync(process.execPath, [join(ROOT, 'bin/carto-keys.js'), '--version'], { env, stdio: ['ignore', writer, 'pipe'], encoding: 'utf8' });
      expect({ status: r.status, signal: r.signal, stderr: r.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
    } finally {
      closeSync(writer);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('ships no test-only switch: every CARTO_KEYS_* variable the bundle reads is documented, and nothing signals itself', () => {
    const bundle = files.filter((f) => f.startsWith('dist/')).map((f) => readFileSync(join(ROOT, f), 'utf8'));
    const docs = [join(ROOT, 'README.md'), ...filesUnder('docs').filter((f) => f.endsWith('.md')).map((f) => join(ROOT, f))]
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    const variables = [...new Set(bundle.flatMap((text) => [...text.matchAll(/\bCARTO_KEYS_[A-Z0-9_]+/g)].map((m) => m[0])))].sort();
    // Not vacuous: the bundle does read its documented variables.
    expect(variables).toEqual(expect.arrayContaining(['CARTO_KEYS_MASTER_KEY', 'CARTO_KEYS_BASE_URL']));
    expect(variables.filter((v) => !new RegExp(`\\b${v}\\b`).test(docs))).toEqual([]);
    expect(bundle.filter((text) => /process\.kill\(\s*process\.pid/.test(text))).toEqual([]);
  });

  it('has no runtime dependencies: the bundle carries them, so a user installs nothing else', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(pkg.dependencies ?? {}).toEqual({});
    // The one exception: the OS keychain binding is native (cannot be bundled) and optional (SECURITY.md).
    expect(Object.keys(pkg.optionalDependencies ?? {})).toEqual([KEYCHAIN_MODULE]);
    expect(pkg.peerDependencies ?? {}).toEqual({});
    // Nothing in the bundle may load a package by name: only node built-ins and its own chunks.
    const bare = files
      .filter((f) => f.startsWith('dist/'))
      .flatMap((f) => {
        const text = readFileSync(join(ROOT, f), 'utf8');
        return [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)["']([^"'./\s][^"'\s]*)["']/g)]
          .map((m) => m[1]!)
          .filter((spec) => !spec.startsWith('node:') && !BUILTINS.has(spec.split('/')[0]!))
          .map((spec) => `${f}: ${spec}`);
      });
    // The keychain module, required on first use by the CLI bundles (every command may read a keychain
    // profile), once each, and nowhere else.
    const keychain = bare.filter((b) => b.endsWith(`: ${KEYCHAIN_MODULE}`)).map((b) => b.split(':')[0]!);
    expect(keychain.sort()).toEqual(files.filter((f) => /^dist\/(program|commands\/[a-z]+)\.cjs$/.test(f)).sort());
    expect(bare.filter((b) => !b.endsWith(`: ${KEYCHAIN_MODULE}`))).toEqual([]);
  });
});

const KEYCHAIN_MODULE = '@napi-rs/keyring';

const BUILTINS = new Set(
  (process.getBuiltinModule('node:module') as typeof import('node:module')).builtinModules.map((m) => m.split('/')[0]!),
);
