// Regenerates the completion spec and scripts from the commander program (src/build/completions.ts):
//   npm run completions             write the files that changed
//   npm run completions -- --check  write nothing; exit 1 if any file is stale
// The generator is TypeScript and Node 20 cannot run that directly: esbuild compiles it into
// node_modules/.cache (inside the project, so its bare imports resolve against node_modules).
import { build } from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outfile = join(root, 'node_modules', '.cache', 'carto-keys', 'gen-completions.mjs');

await build({
  entryPoints: [join(root, 'src/build/completions.ts')],
  outfile,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});
const { generatedFiles } = await import(pathToFileURL(outfile).href);

const check = process.argv.includes('--check');
const stale = [];
for (const [path, content] of Object.entries(await generatedFiles(root))) {
  const file = join(root, path);
  let old;
  try {
    old = readFileSync(file, 'utf8');
  } catch {
    old = undefined;
  }
  if (old === content) continue;
  stale.push(path);
  if (!check) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
}
if (check && stale.length) {
  console.error(`Stale: ${stale.join(', ')}. Run \`npm run completions\`.`);
  process.exitCode = 1;
} else {
  console.error(stale.length ? `Wrote ${stale.join(', ')}` : 'Completion files are up to date.');
}
