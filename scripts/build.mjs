// Bundles src/ into dist/ with esbuild. Entry points are split so each path loads only what it needs:
// version.js (the --version fast path), complete.js (shell completion), main.js (the CLI); conf,
// undici and inquirer become chunks loaded by `await import()` only in the commands that use them.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';

const entryPoints = ['src/main.ts', 'src/version.ts'];
if (existsSync('src/complete.ts')) entryPoints.push('src/complete.ts');

await rm('dist', { recursive: true, force: true });
await build({
  entryPoints,
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
  // Bundled CommonJS dependencies (commander, cli-table3) call require(): give ESM one.
  banner: {
    js: "import { createRequire as __ckCreateRequire } from 'node:module'; const require = __ckCreateRequire(import.meta.url);",
  },
});
