// The binary is built by `npm run build:binary` (it takes a while and needs Node 24): here it must
// already exist, and be no older than the sources it packages.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function newest(dir: string): number {
  return Math.max(0, ...readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs)));
}

export default function setup(): void {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  if (!process.env.CARTO_KEYS_TEST_BINARY) throw new Error('CARTO_KEYS_TEST_BINARY is not set: run these tests with vitest.binary.config.ts');
  const binary = resolve(root, process.env.CARTO_KEYS_TEST_BINARY);
  if (!existsSync(binary)) throw new Error(`${binary} does not exist: run \`npm run build:binary\` first`);
  if (statSync(binary).mtimeMs < newest(join(root, 'src'))) throw new Error(`${binary} is older than src/: run \`npm run build:binary\` again`);
}
