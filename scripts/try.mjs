// `npm run try`: what a newcomer would type, against the built-in sandbox (no CARTO account needed),
// then a short tour of what to try next. It never asks anything — on a terminal too — because stdin is
// not passed on: with no one to ask, `create` names each key from its grants (and says so).
// It uses your real carto-keys config: afterwards `npx carto-keys list` shows the same sandbox.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/carto-keys.js', import.meta.url));

/** Runs carto-keys as a user would see it: its stdout and stderr on this terminal, no stdin. */
function show(args) {
  process.stderr.write(`\n$ carto-keys ${args.map(quote).join(' ')}\n`);
  const r = spawnSync(process.execPath, [bin, ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

/** Runs carto-keys quietly and returns its JSON output. */
function json(args) {
  const r = spawnSync(process.execPath, [bin, ...args, '--json'], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  if (r.status !== 0) process.exit(r.status ?? 1);
  return JSON.parse(r.stdout);
}

function quote(word) {
  return /^[\w.,:@%+=/-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

show(['login', '--sandbox']);
const before = new Set(json(['list', '--type', 'regular']).map((k) => k.name));
show(['create', '--api', 'sql', '--table', 'world_population:select']);
show(['create', '--api', 'sql,maps', '--table', 'liked_cities:select,insert', '--service', 'geocoding']);
show(['list']);

const made = json(['list', '--type', 'regular']).map((k) => k.name).filter((n) => !before.has(n));
const key = quote(made.at(-1) ?? 'NAME');
const cmd = 'carto-keys';
const tour = [
  [`${cmd} show ${key}`, 'every grant of a key'],
  [`${cmd} clone ${key} --remove-api maps --dry-run`, 'a copy with changes (keys cannot be edited)'],
  [`${cmd} rotate ${key}`, 'replace it: clone, deploy, verify, delete'],
  [`${cmd} revoke ${key}`, 'delete it'],
  [`${cmd} login --user <your CARTO username>`, 'your real account'],
  [`${cmd} --help`, 'everything else'],
];
// One line to read, one to copy: key names are long, so no columns.
process.stderr.write(
  `\nWhat next? (\`npm install -g .\` puts \`carto-keys\` on your PATH; until then, \`npx carto-keys\` here)\n` +
    tour.map(([c, what]) => `  # ${what}\n  ${c}\n`).join(''),
);
