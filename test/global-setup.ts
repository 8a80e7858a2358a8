// End-to-end tests run the built binary: build it once, before any test file starts, unless dist/ is
// already newer than everything it is built from (`npm install` builds it through prepare just before
// `npm test`, in CI and in the README alike: a second build would only hold every worker back) and its
// code caches were made by this Node (CI runs the suite on Node 20, then on Node 24 over the same
// dist/: V8 refuses a cache another V8 made, and every spawned command would compile from scratch).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The newest modification time under `path` (a file or a folder), in ms. */
function newest(path: string): number {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(s.mtimeMs, ...readdirSync(path).map((name) => newest(join(path, name))));
}

/** Whether this Node accepts the code cache of dist/'s program bundle (a plain child: no test-runner flags). */
function cacheAccepted(root: string): boolean {
  const script = `const route = require(${JSON.stringify(join(root, 'dist', 'route.cjs'))});
    process.stdout.write(String(route.loadBundle(${JSON.stringify(join(root, 'dist'))}, undefined, require).script.cachedDataRejected === false));`;
  return execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } }) === 'true';
}

export default function setup(): void {
  const root = fileURLToPath(new URL('..', import.meta.url));
  // The build's first file and its last (the code cache, made once the bundles are written).
  const first = join(root, 'dist', 'program.cjs');
  const last = join(root, 'dist', 'program.v8');
  const inputs = ['src', 'scripts', 'package.json', 'package-lock.json'].map((p) => join(root, p));
  // A build that stopped before its end left a code cache older than its bundles: built again.
  const whole = existsSync(first) && existsSync(last) && statSync(last).mtimeMs >= statSync(first).mtimeMs;
  if (whole && statSync(first).mtimeMs > Math.max(...inputs.map(newest)) && cacheAccepted(root)) return;
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: 'inherit' });
}
