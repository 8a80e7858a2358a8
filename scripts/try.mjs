// `npm run try`: what a newcomer would type, against the built-in sandbox (no CARTO account needed).
// It uses your real carto-keys config: afterwards `npx carto-keys list` shows the same sandbox.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/carto-keys.js', import.meta.url));
const steps = [
  ['login', '--sandbox'],
  ['create', '--api', 'sql', '--table', 'world_population:select'],
  ['create', '--api', 'sql,maps', '--table', 'liked_cities:select,insert', '--service', 'geocoding'],
  ['list'],
];
for (const args of steps) {
  process.stderr.write(`\n$ carto-keys ${args.join(' ')}\n`);
  const r = spawnSync(process.execPath, [bin, ...args], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
process.stderr.write('\nNow try: npx carto-keys show <name>, npx carto-keys rotate <name>, npx carto-keys --help\n');
