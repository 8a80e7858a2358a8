// `npm run bench`: the start-up and listing figures of docs/performance.md, each a median over repeated runs
// and a ratio against a baseline measured in the same run (interleaved with it, so a busy machine
// slows both alike). It is a benchmark, not a test: it prints PASS/MISS per row and exits 0 either way
// (1 only when it could not measure at all).
//
// Rows:
// - start-up: `carto-keys --version`, `--help`, `__complete show ''` against a bare `node -e 0`;
// - key commands: `list`, `show <name>` and `create` against a `sandbox serve --seed-keys 18` on
//   127.0.0.1 (20 keys with the Master and Default public ones), in the same interleaved rounds as
//   `node -e 0` (each created key is revoked after its timed run, untimed);
// - listing: `carto-keys list --json` of every key of a `sandbox serve --seed-keys 10000` on
//   127.0.0.1 against one curl process fetching the same pages (same per_page, Basic auth) one after
//   another over one keep-alive connection (URL globbing: `?page=[1-N]`), the fastest sequential curl;
//   for reference, a shell loop running one curl per page, and both again through a proxy that adds
//   10 ms to every reply (a nearby server: where fetching pages concurrently pays off);
// - keys as code: `carto-keys plan` of a 1,000-key carto-keys.yaml (exported from a
//   `sandbox serve --seed-keys 1000`) against `carto-keys list --json` of the same account: the plan is
//   a list plus local work (parsing the file, matching, diffing), so it should cost little more;
// - audit: `carto-keys audit --json` of the same 10,000 keys against `carto-keys list --json` of them,
//   interleaved (the audit lists every key, then runs its rules and prints its findings: issue 17
//   asks for no more than 1.5× the listing);
// - memory: peak RSS of that listing at 10,000 and at 1,000 keys, and the growth per 1,000 keys,
//   against the same growth for a minimal Node program that only fetches the same pages (node:http,
//   keep-alive) and holds the result — the parsed keys and the JSON it prints — until it exits. The
//   listing's memory is flat beyond the result itself when it grows no faster than that reference.
//
// - binary: the single-file binary (build/carto-keys-<os>-<arch>, `npm run build:binary`) beside the
//   npm package's bin: `--version`, `--help` and `list` of a 20-key account, each against the npm
//   package doing the same (target: no slower), in wall time and, in rounds of their own, in CPU time
//   (user + sys, from bash's `time`: a busy machine inflates wall time, not CPU time); for reference,
//   against `node -e 0`. Skipped, with a line saying so, when the binary is not built.
//
// - scan: `carto-keys scan` of a generated tree of 2,000 files (50 MB of source-like text, a few live
//   tokens planted in nested files) looking for the 10,002 keys of the big sandbox (the listing
//   included), against `grep -rlF -f <tokens>` on the same tree; and `carto-keys scan --git` of a
//   generated 1,000-commit history (no working tree) against `git log -p --all | grep -cF -f <tokens>`.
//
// `npm run bench -- audit list` runs only those sections (startup, list, plan, audit, memory, binary, scan); no argument: all.
//
// Children get a minimal environment: no NODE_EXTRA_CA_CERTS (it adds ~50 ms to every Node start),
// no NODE_OPTIONS, no proxy variables, a temporary HOME.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { childEnv as minimalEnv } from './child-env.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'carto-keys.js');
const NODE = process.execPath;
const STARTUP_RUNS = 21;
const LIST_RUNS = 9;
const LOOP_RUNS = 3;
const MEMORY_RUNS = 3;
const BIG = 10_000;
const SMALL = 1_000;
const LATENCY_MS = 10;
const LATENCY_RUNS = 5;

const TARGETS = {
  version: 1.5,
  /** list, show and create of a 20-key account. */
  keys: 2,
  complete: 1.5,
  help: 2,
  list: 1,
  plan: 1.5,
  /** RSS growth per 1,000 keys, as a multiple of the reference program's (see the top). */
  memory: 1.5,
  /** audit --json against list --json of the same account. */
  audit: 1.5,
  /** The single-file binary against the npm package, same command. */
  binary: 1,
  /** scan of a tree, and scan --git of a history, against grep -F of the same tokens. */
  scan: 1,
  scanGit: 1,
};

const BINARY = join(ROOT, 'build', `carto-keys-${{ linux: 'linux', darwin: 'darwin', win32: 'win' }[process.platform] ?? process.platform}-${process.arch}${process.platform === 'win32' ? '.exe' : ''}`);
/** The small account of the key commands (and of the binary rows): 18 regular keys, the Master and Default public ones. */
const FEW_KEYS = 20;

const SECTIONS = ['startup', 'list', 'plan', 'audit', 'memory', 'binary', 'scan'];
const SCAN_RUNS = 5;
const only = process.argv.slice(2);
for (const name of only) if (!SECTIONS.includes(name)) throw new Error(`unknown bench section "${name}": ${SECTIONS.join(', ')}`);
const want = (section) => only.length === 0 || only.includes(section);

const started = Date.now();
const home = mkdtempSync(join(tmpdir(), 'carto-keys-bench-'));
const servers = [];

const childEnv = (extra = {}) => minimalEnv(home, extra);

function stopServers() {
  for (const s of servers.splice(0)) if (s.exitCode === null && s.signalCode === null) s.kill('SIGTERM');
}

process.on('exit', () => {
  stopServers();
  rmSync(home, { recursive: true, force: true });
});
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    stopServers();
    process.exitCode = 130;
    process.exit();
  });
}

// ---------------------------------------------------------------------------------------------
// Build if dist/ is missing or older than anything it is built from.

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

const COMPLETE = join(ROOT, 'dist', 'complete.cjs');

function ensureBuilt() {
  const outputs = [join(ROOT, 'dist', 'program.cjs'), join(ROOT, 'dist', 'program.v8'), ...(existsSync(join(ROOT, 'src', 'complete.ts')) ? [COMPLETE] : [])];
  const sources = Math.max(newestMtime(join(ROOT, 'src')), statSync(join(ROOT, 'scripts', 'build.mjs')).mtimeMs);
  if (outputs.every((f) => existsSync(f) && statSync(f).mtimeMs >= sources)) return;
  process.stderr.write('dist/ is missing or older than src/: building…\n');
  const r = spawnSync(NODE, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('the build failed');
}

// ---------------------------------------------------------------------------------------------
// Measuring

/** Wall time of one run in ms; stdout goes to /dev/null. Throws if the command fails. */
function timed(cmd, args, env) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 20 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${[cmd, ...args].join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

/**
 * CPU time (user + sys) of one run in ms, as bash's `time` reports it for its child (getrusage, 1 ms
 * steps): on a shared machine, waiting for a core inflates wall time but not this. Linux and macOS only.
 */
function cpuTimed(cmd, args, env) {
  const r = spawnSync('bash', ['-c', 'TIMEFORMAT="%3U %3S"; time "$@" >/dev/null 2>&1', 'bash', cmd, ...args], { env, encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${[cmd, ...args].join(' ')} exited ${r.status}`);
  const [user, sys] = r.stderr.trim().split('\n').at(-1).split(' ').map(Number);
  return (user + sys) * 1000;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

/** Runs every case `runs` times, round-robin, after one untimed warm-up each; medians by name. */
function interleaved(cases, runs) {
  for (const c of cases) c.run();
  const times = new Map(cases.map((c) => [c.name, []]));
  for (let i = 0; i < runs; i++) for (const c of cases) times.get(c.name).push(c.run());
  return new Map([...times].map(([name, xs]) => [name, { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) }]));
}

/** `carto-keys sandbox serve --port 0 --json --seed-keys n`, resolved with the JSON it prints. */
function serve(seedKeys) {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, [BIN, 'sandbox', 'serve', '--port', '0', '--json', '--seed-keys', String(seedKeys)], {
      env: childEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    servers.push(child);
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`sandbox serve did not start in 30 s: ${err}`)), 30_000);
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sandbox serve exited (${code}): ${err}`));
    });
    child.stdout.on('data', (d) => {
      out += d;
      try {
        const info = JSON.parse(out);
        clearTimeout(timer);
        resolve(info);
      } catch {
        // not the whole document yet
      }
    });
  });
}

/** A proxy in its own process that holds every reply `delay` ms before passing it on. */
function delayProxy(target, delay) {
  const script = join(home, 'delay-proxy.mjs');
  writeFileSync(
    script,
    `import http from 'node:http';
const agent = new http.Agent({ keepAlive: true });
http.createServer((req, res) => {
  const up = http.request({ host: '127.0.0.1', port: ${target}, path: req.url, method: req.method, headers: req.headers, agent }, (r) => {
    const chunks = [];
    r.on('data', (c) => chunks.push(c));
    r.on('end', () => setTimeout(() => { res.writeHead(r.statusCode, r.headers); res.end(Buffer.concat(chunks)); }, ${delay}));
  });
  up.on('error', () => res.destroy());
  req.pipe(up);
}).listen(0, '127.0.0.1', function () { console.log(JSON.stringify({ port: this.address().port })); });
`,
  );
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, [script], { env: childEnv(), stdio: ['ignore', 'pipe', 'inherit'] });
    servers.push(child);
    child.on('exit', (code) => reject(new Error(`the delay proxy exited (${code})`)));
    child.stdout.once('data', (d) => resolve(JSON.parse(String(d)).port));
  });
}

/** The page size of a full listing, read from the client so the curl baseline fetches the same pages. */
function cliPerPage() {
  const src = readFileSync(join(ROOT, 'src', 'api', 'client.ts'), 'utf8');
  const m = /DEFAULTS\s*=\s*\{[^}]*\bperPage:\s*(\d+)/s.exec(src);
  return m ? Number(m[1]) : 100;
}

/** The Authorization header of the sandbox server's Master key (the CLI's own: Basic, username and key). */
const masterAuth = (s) => `Basic ${Buffer.from(`${s.username}:${s.masterKey}`).toString('base64')}`;

async function listInfo(server, perPage) {
  const res = await fetch(`${server.baseUrl}/api/v3/api_keys?page=1&per_page=1`, { headers: { Authorization: masterAuth(server) } });
  const { total } = await res.json();
  return { ...server, total, pages: Math.ceil(total / perPage), perPage };
}

/** The environment of a run against sandbox server `s`: its base URL and Master key. */
const accountEnv = (s) => childEnv({ CARTO_KEYS_BASE_URL: s.baseUrl, CARTO_KEYS_MASTER_KEY: s.masterKey });

function listArgs(s) {
  return { env: accountEnv(s), args: [BIN, 'list', '--json'] };
}

/** Runs the listing once with its output kept: the number of keys and the bytes it printed. */
function checkList(s) {
  const { env, args } = listArgs(s);
  const r = spawnSync(NODE, args, { env, encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`carto-keys list failed (${r.status}): ${r.stderr}`);
  const keys = JSON.parse(r.stdout).length;
  if (keys !== s.total) throw new Error(`carto-keys list printed ${keys} keys, the server has ${s.total}`);
  return { keys, bytes: Buffer.byteLength(r.stdout) };
}

function curlUrl(s, page) {
  return `${s.baseUrl}/api/v3/api_keys?page=${page}&per_page=${s.perPage}`;
}

function curlArgs(s) {
  return ['--silent', '--show-error', '--fail', '-H', 'Accept: application/json', '-u', `${s.username}:${s.masterKey}`, curlUrl(s, `[1-${s.pages}]`)];
}

function curlLoop(s) {
  const url = curlUrl(s, '$p');
  const script = `for p in $(seq 1 ${s.pages}); do curl --silent --show-error --fail -H 'Accept: application/json' -u "$CK_AUTH" "${url}" || exit 1; done`;
  return ['-c', script];
}

/** The reference for memory: fetch every page, hold the parsed keys and the printed JSON, print it. */
function referenceArgs(s) {
  const script = join(home, 'reference.mjs');
  writeFileSync(
    script,
    `import http from 'node:http';
const [base, user, key, pages, perPage] = process.argv.slice(2);
const agent = new http.Agent({ keepAlive: true });
const auth = 'Basic ' + Buffer.from(user + ':' + key).toString('base64');
const get = (page) => new Promise((resolve, reject) => {
  http.get(base + '/api/v3/api_keys?page=' + page + '&per_page=' + perPage, { agent, headers: { authorization: auth } }, (res) => {
    const chunks = [];
    res.on('data', (c) => chunks.push(c));
    res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')).result));
  }).on('error', reject);
});
const keys = [];
for (let p = 1; p <= Number(pages); p++) keys.push(...(await get(p)));
const out = Buffer.from(JSON.stringify(keys, null, 2) + '\\n');
process.stdout.write(out);
agent.destroy();
`,
  );
  return { env: childEnv(), args: [script, s.baseUrl, s.username, s.masterKey, String(s.pages), String(s.perPage)] };
}

/** Peak RSS in KB of one run: /usr/bin/time when present, else maxRSS read inside the process. */
function peakRssKb({ env, args }) {
  const out = join(home, 'rss.txt');
  rmSync(out, { force: true });
  let r;
  if (existsSync('/usr/bin/time')) {
    r = spawnSync('/usr/bin/time', ['-f', '%M', '-o', out, NODE, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  } else {
    const wrapper = join(home, 'rss-wrapper.mjs');
    writeFileSync(wrapper, `import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => writeFileSync(${JSON.stringify(out)}, String(process.resourceUsage().maxRSS)));\n`);
    r = spawnSync(NODE, ['--import', wrapper, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  }
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return Number(readFileSync(out, 'utf8').trim().split('\n').pop());
}

// ---------------------------------------------------------------------------------------------
// Reporting

const rows = [];
const ms = (x) => `${x.toFixed(0)} ms`;
const mb = (kb) => `${(kb / 1024).toFixed(1)} MB`;

function ratioRow(label, m, baseLabel, b, target) {
  const ratio = m.median / b.median;
  rows.push({
    label,
    value: ms(m.median),
    spread: `${ms(m.min)}–${ms(m.max)}`,
    baseline: `${baseLabel} ${ms(b.median)}`,
    ratio: `${ratio.toFixed(2)}×`,
    target: target === undefined ? '' : `≤ ${target}×`,
    result: target === undefined ? 'info' : ratio <= target ? 'PASS' : 'MISS',
  });
}

function printTable(header) {
  const cols = [
    ['label', 'measurement'],
    ['value', 'median'],
    ['spread', 'min–max'],
    ['baseline', 'baseline (median)'],
    ['ratio', 'ratio'],
    ['target', 'target'],
    ['result', 'result'],
  ];
  const width = cols.map(([k, h]) => Math.max(h.length, ...rows.map((r) => String(r[k]).length)));
  const line = (cells) => cells.map((c, i) => String(c).padEnd(width[i])).join('  ').trimEnd();
  console.log(header);
  console.log('');
  console.log(line(cols.map(([, h]) => h)));
  console.log(line(width.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(cols.map(([k]) => r[k])));
}

// ---------------------------------------------------------------------------------------------

function startupRows(few) {
  const env = childEnv();
  const keys = accountEnv(few);
  let created = 0;
  const startup = [
    { name: 'node', run: () => timed(NODE, ['-e', '0'], env) },
    { name: 'version', run: () => timed(NODE, [BIN, '--version'], env) },
    { name: 'help', run: () => timed(NODE, [BIN, '--help'], env) },
    { name: 'list', run: () => timed(NODE, [BIN, 'list'], keys) },
    { name: 'show', run: () => timed(NODE, [BIN, 'show', 'seed-00001'], keys) },
    {
      name: 'create',
      run: () => {
        const name = `bench-${++created}`;
        const ms = timed(NODE, [BIN, 'create', '--name', name, '--api', 'sql', '--table', 'world_population:select'], keys);
        timed(NODE, [BIN, 'revoke', '--yes', name], keys);
        return ms;
      },
    },
  ];
  const haveComplete = existsSync(COMPLETE);
  if (haveComplete) startup.push({ name: 'complete', run: () => timed(NODE, [BIN, '__complete', 'show', ''], env) });
  const s = interleaved(startup, STARTUP_RUNS);
  const node = s.get('node');
  ratioRow('carto-keys --version', s.get('version'), 'node -e 0', node, TARGETS.version);
  ratioRow('carto-keys --help', s.get('help'), 'node -e 0', node, TARGETS.help);
  if (haveComplete) ratioRow("carto-keys __complete show ''", s.get('complete'), 'node -e 0', node, TARGETS.complete);
  else rows.push({ label: "carto-keys __complete show ''", value: 'skipped', spread: '', baseline: 'dist/complete.cjs is missing', ratio: '', target: `≤ ${TARGETS.complete}×`, result: 'n/a' });
  ratioRow(`carto-keys list (${few.total} keys)`, s.get('list'), 'node -e 0', node, TARGETS.keys);
  ratioRow('carto-keys show <name>', s.get('show'), 'node -e 0', node, TARGETS.keys);
  ratioRow('carto-keys create', s.get('create'), 'node -e 0', node, TARGETS.keys);
}

async function listRows(big) {
  checkList(big);
  const list = listArgs(big);
  const curlEnv = childEnv({ CK_AUTH: `${big.username}:${big.masterKey}` });
  const l = interleaved(
    [
      { name: 'cli', run: () => timed(NODE, list.args, list.env) },
      { name: 'curl', run: () => timed('curl', curlArgs(big), curlEnv) },
    ],
    LIST_RUNS,
  );
  const loop = interleaved([{ name: 'loop', run: () => timed('sh', curlLoop(big), curlEnv) }], LOOP_RUNS).get('loop');
  const listLabel = `carto-keys list --json (${big.total} keys)`;
  const curlLabel = `curl, ${big.pages} pages in 1 process`;
  ratioRow(listLabel, l.get('cli'), curlLabel, l.get('curl'), TARGETS.list);
  ratioRow(`  same, against 1 curl per page`, l.get('cli'), `sh loop of ${big.pages} curls`, loop, undefined);

  // The same listing through a proxy adding LATENCY_MS to every reply.
  const proxyPort = await delayProxy(new URL(big.baseUrl).port, LATENCY_MS);
  const far = { ...big, baseUrl: big.baseUrl.replace(`:${new URL(big.baseUrl).port}/`, `:${proxyPort}/`) };
  const farList = listArgs(far);
  const f = interleaved(
    [
      { name: 'cli', run: () => timed(NODE, farList.args, farList.env) },
      { name: 'curl', run: () => timed('curl', curlArgs(far), curlEnv) },
    ],
    LATENCY_RUNS,
  );
  ratioRow(`  same, ${LATENCY_MS} ms added to each reply`, f.get('cli'), `curl, ${big.pages} pages in 1 process`, f.get('curl'), undefined);
}

function planRows(small) {
  // Keys as code: plan of the file `export` writes for the 1,000-key account, against listing it.
  const kac = mkdtempSync(join(tmpdir(), 'carto-keys-bench-kac-'));
  try {
    const keysFile = join(kac, 'carto-keys.yaml');
    const smallList = listArgs(small);
    const exported = spawnSync(NODE, [BIN, 'export', '-o', keysFile], { env: smallList.env, encoding: 'utf8' });
    if (exported.status !== 0) throw new Error(`carto-keys export failed (${exported.status}): ${exported.stderr}`);
    const check = spawnSync(NODE, [BIN, 'plan', '-f', keysFile, '--json'], { env: smallList.env, encoding: 'utf8', maxBuffer: 64 << 20 });
    if (check.status !== 0) throw new Error(`carto-keys plan failed (${check.status}): ${check.stderr}`);
    const planned = JSON.parse(check.stdout);
    if (planned.changesPending || planned.summary.unchanged !== small.total - 2) {
      throw new Error(`carto-keys plan right after export should show ${small.total - 2} unchanged keys: ${JSON.stringify(planned.summary)}`);
    }
    const p = interleaved(
      [
        { name: 'plan', run: () => timed(NODE, [BIN, 'plan', '-f', keysFile], smallList.env) },
        { name: 'list', run: () => timed(NODE, smallList.args, smallList.env) },
      ],
      LIST_RUNS,
    );
    ratioRow(`carto-keys plan (${planned.summary.unchanged} keys in the file)`, p.get('plan'), `list --json (${small.total} keys)`, p.get('list'), TARGETS.plan);
  } finally {
    rmSync(kac, { recursive: true, force: true });
  }
}

function memoryRows(big, small) {
  const bigCheck = checkList(big);
  const smallCheck = checkList(small);
  const peak = (args) => median(Array.from({ length: MEMORY_RUNS }, () => peakRssKb(args)));
  const bigRss = peak(listArgs(big));
  const smallRss = peak(listArgs(small));
  const refGrowth = ((peak(referenceArgs(big)) - peak(referenceArgs(small))) / (big.total - small.total)) * 1000;
  const growth = ((bigRss - smallRss) / (big.total - small.total)) * 1000;
  const outputPerThousandKb = ((bigCheck.bytes - smallCheck.bytes) / (big.total - small.total)) * (1000 / 1024);
  rows.push({ label: `peak RSS, list --json of ${big.total} keys`, value: mb(bigRss), spread: '', baseline: '', ratio: '', target: '', result: 'info' });
  rows.push({ label: `peak RSS, list --json of ${small.total} keys`, value: mb(smallRss), spread: '', baseline: '', ratio: '', target: '', result: 'info' });
  const factor = growth / refGrowth;
  rows.push({
    label: 'RSS growth per 1,000 keys',
    value: mb(growth),
    spread: `(JSON ${mb(outputPerThousandKb)})`,
    baseline: `result-only reference ${mb(refGrowth)}`,
    ratio: `${factor.toFixed(2)}×`,
    target: `≤ ${TARGETS.memory}×`,
    result: factor <= TARGETS.memory ? 'PASS' : 'MISS',
  });
}

/** audit --json against list --json of the same account, interleaved; checked once for a full report first. */
function auditRows(big) {
  const list = listArgs(big);
  const audit = { env: list.env, args: [BIN, 'audit', '--json'] };
  const r = spawnSync(NODE, audit.args, { env: audit.env, encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`carto-keys audit failed (${r.status}): ${r.stderr}`);
  const { summary } = JSON.parse(r.stdout);
  if (summary.keys !== big.total) throw new Error(`carto-keys audit saw ${summary.keys} keys, the server has ${big.total}`);
  const a = interleaved(
    [
      { name: 'list', run: () => timed(NODE, list.args, list.env) },
      { name: 'audit', run: () => timed(NODE, audit.args, audit.env) },
    ],
    LIST_RUNS,
  );
  ratioRow(`carto-keys audit --json (${big.total} keys, ${summary.findings} findings)`, a.get('audit'), 'list --json', a.get('list'), TARGETS.audit);
}

/** The binary beside the npm package: each command interleaved with the same command from bin/ and with `node -e 0`. */
async function binaryRows(server) {
  const label = (x) => `binary ${x}`;
  if (!existsSync(BINARY)) {
    rows.push({ label: label('(all rows)'), value: 'skipped', spread: '', baseline: `${BINARY.slice(ROOT.length)} not built (npm run build:binary)`, ratio: '', target: `≤ ${TARGETS.binary}×`, result: 'n/a' });
    return;
  }
  const env = accountEnv(server);
  const commands = [['--version'], ['--help'], ['list']];
  for (const args of commands) {
    const b = spawnSync(BINARY, args, { env, encoding: 'utf8' });
    const n = spawnSync(NODE, [BIN, ...args], { env, encoding: 'utf8' });
    if (b.status !== 0 || b.stdout !== n.stdout) throw new Error(`the binary and the npm package differ on ${args.join(' ')}: ${b.stderr}`);
  }
  const cases = (time) => [
    { name: 'node', run: () => time(NODE, ['-e', '0'], env) },
    ...commands.flatMap((args) => [
      { name: `npm ${args}`, run: () => time(NODE, [BIN, ...args], env) },
      { name: `bin ${args}`, run: () => time(BINARY, args, env) },
    ]),
  ];
  const t = interleaved(cases(timed), STARTUP_RUNS);
  // The same rounds again, timed in CPU (user + sys) rather than wall time: what decides on a busy machine.
  const c = interleaved(cases(cpuTimed), STARTUP_RUNS);
  for (const args of commands) {
    const what = args[0] === 'list' ? `list (${FEW_KEYS} keys)` : args.join(' ');
    ratioRow(label(what), t.get(`bin ${args}`), `npm package`, t.get(`npm ${args}`), TARGETS.binary);
    ratioRow(`  same, CPU time (user+sys)`, c.get(`bin ${args}`), `npm package`, c.get(`npm ${args}`), TARGETS.binary);
    ratioRow(`  same, against node -e 0`, t.get(`bin ${args}`), 'node -e 0', t.get('node'), undefined);
    ratioRow(`  npm package, against node -e 0`, t.get(`npm ${args}`), 'node -e 0', t.get('node'), undefined);
  }
}

// ---------------------------------------------------------------------------------------------
// Scan: generated trees and histories, with a few live tokens planted

/** A small deterministic PRNG (mulberry32): the same tree on every run. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = 'const let return function import export from value config token key map layer table query select where the and for with url api http https carto data source style null true false'.split(' ');
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** About `bytes` of source-like text: code lines, comments, now and then a long base64 line (a data URI, a bundle). */
function sourceText(rand, bytes) {
  const lines = [];
  let size = 0;
  while (size < bytes) {
    let line;
    const r = rand();
    if (r < 0.03) line = `  data: "data:image/png;base64,${Array.from({ length: 200 + Math.floor(rand() * 600) }, () => B64[Math.floor(rand() * 64)]).join('')}",`;
    else if (r < 0.2) line = `// ${Array.from({ length: 4 + Math.floor(rand() * 10) }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(' ')}`;
    else line = `  ${WORDS[Math.floor(rand() * WORDS.length)]} ${WORDS[Math.floor(rand() * WORDS.length)]}_${Math.floor(rand() * 1e6)} = "${WORDS[Math.floor(rand() * WORDS.length)]}-${Math.floor(rand() * 1e9).toString(36)}";`;
    lines.push(line);
    size += line.length + 1;
  }
  return `${lines.join('\n')}\n`;
}

/** Every token of the server's keys but the public `default_public`, fetched with the Master key. */
async function liveTokensOf(server) {
  const res = await fetch(`${server.baseUrl}/api/v3/api_keys?page=1&per_page=${server.total}`, { headers: { Authorization: masterAuth(server) } });
  const { result } = await res.json();
  return result.filter((k) => k.type !== 'default').map((k) => k.token);
}

/** 2,000 files in nested folders, 50 MB in all, with `planted` tokens in a few of them. */
function scanTree(root, planted) {
  const rand = prng(22);
  const files = 2000;
  const perFile = Math.round((50 * 1024 * 1024) / files);
  for (let i = 0; i < files; i++) {
    const dir = join(root, `pkg${i % 20}`, `mod${i % 7}`);
    mkdirSync(dir, { recursive: true });
    let text = sourceText(rand, perFile);
    if (i % 400 === 199) text += `export const CARTO_API_KEY = "${planted[(i / 400) | 0]}";\n`;
    writeFileSync(join(dir, `file${i}.js`), text);
  }
}

/** A 1,000-commit history made with git fast-import (no working tree): 300 files, 1–3 changed per commit; a token added and removed again now and then. */
function gitHistory(root, planted) {
  const rand = prng(1000);
  spawnSync('git', ['init', '-q', root], { stdio: 'ignore' });
  const parts = [];
  const data = (text) => `data ${Buffer.byteLength(text)}\n${text}\n`;
  for (let c = 1; c <= 1000; c++) {
    parts.push(`commit refs/heads/main\nmark :${c}\ncommitter Bench <bench@example.org> ${1_700_000_000 + c * 60} +0000\n${data(`change ${c}`)}`);
    if (c > 1) parts.push(`from :${c - 1}\n`);
    const changes = c === 1 ? 300 : 1 + Math.floor(rand() * 3);
    for (let k = 0; k < changes; k++) {
      const f = c === 1 ? k : Math.floor(rand() * 300);
      let text = sourceText(rand, 2000 + Math.floor(rand() * 6000));
      if (c % 250 === 100 && k === 0) text += `const key = "${planted[(c / 250) | 0]}";\n`;
      parts.push(`M 100644 inline src/dir${f % 30}/file${f}.js\n${data(text)}`);
    }
  }
  const r = spawnSync('git', ['fast-import', '--quiet'], { cwd: root, input: parts.join(''), stdio: ['pipe', 'ignore', 'pipe'], maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`git fast-import failed: ${r.stderr}`);
}

async function scanRows(big) {
  const tokens = await liveTokensOf(big);
  const work = mkdtempSync(join(tmpdir(), 'carto-keys-bench-scan-'));
  try {
    const tokensFile = join(work, 'tokens.txt');
    writeFileSync(tokensFile, `${tokens.join('\n')}\n`);
    const planted = [tokens[0], tokens[1234], tokens[5678], tokens[9999], tokens[tokens.length - 1]];
    const tree = join(work, 'tree');
    scanTree(tree, planted);
    const env = accountEnv(big);
    const check = spawnSync(NODE, [BIN, 'scan', tree, '--json'], { env, encoding: 'utf8', maxBuffer: 64 << 20 });
    if (check.status !== 0) throw new Error(`carto-keys scan failed (${check.status}): ${check.stderr}`);
    const doc = JSON.parse(check.stdout);
    if (doc.findings.length !== planted.length || doc.summary.files !== 2000) throw new Error(`carto-keys scan found ${doc.findings.length} of ${planted.length} planted tokens in ${doc.summary.files} files`);
    // Both write to a file: GNU grep whose output is /dev/null stops at the first match (as -q does).
    const out = join(work, 'out.txt');
    const sh = (command) => () => timed('sh', ['-c', `${command} > ${JSON.stringify(out)}`], env);
    const q = JSON.stringify;
    const s = interleaved(
      [
        { name: 'scan', run: sh(`${q(NODE)} ${q(BIN)} scan ${q(tree)}`) },
        { name: 'grep', run: sh(`grep -rlF -f ${q(tokensFile)} ${q(tree)}`) },
      ],
      SCAN_RUNS,
    );
    const mbs = (doc.summary.bytes / 1024 / 1024).toFixed(0);
    ratioRow(`carto-keys scan (2,000 files, ${mbs} MB, ${doc.summary.tokens} tokens)`, s.get('scan'), 'grep -rlF -f tokens', s.get('grep'), TARGETS.scan);

    const repo = join(work, 'repo');
    gitHistory(repo, planted);
    const gitCheck = spawnSync(NODE, [BIN, 'scan', '--git', '--json'], { cwd: repo, env, encoding: 'utf8', maxBuffer: 64 << 20 });
    if (gitCheck.status !== 0) throw new Error(`carto-keys scan --git failed (${gitCheck.status}): ${gitCheck.stderr}`);
    const gdoc = JSON.parse(gitCheck.stdout);
    if (gdoc.findings.length !== 4 || gdoc.summary.history.commits !== 1000) throw new Error(`carto-keys scan --git found ${gdoc.findings.length} of 4 planted tokens in ${gdoc.summary.history.commits} commits`);
    const g = interleaved(
      [
        { name: 'scan', run: sh(`cd ${q(repo)} && ${q(NODE)} ${q(BIN)} scan --git`) },
        { name: 'grep', run: sh(`cd ${q(repo)} && git log -p --all | grep -cF -f ${q(tokensFile)}`) },
      ],
      SCAN_RUNS,
    );
    ratioRow(`carto-keys scan --git (1,000 commits, ${(gdoc.summary.history.bytes / 1024 / 1024).toFixed(0)} MB of blobs)`, g.get('scan'), 'git log -p --all | grep -cF', g.get('grep'), TARGETS.scanGit);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function run() {
  ensureBuilt();
  const perPage = cliPerPage();
  const [bigServer, smallServer, fewServer] = await Promise.all([serve(BIG), serve(SMALL), serve(FEW_KEYS - 2)]);
  const big = await listInfo(bigServer, perPage);
  const small = await listInfo(smallServer, perPage);
  const few = await listInfo(fewServer, perPage);

  if (want('startup')) startupRows(few);
  if (want('list')) await listRows(big);
  if (want('plan')) planRows(small);
  if (want('audit')) auditRows(big);
  if (want('memory')) memoryRows(big, small);
  if (want('binary')) await binaryRows(few);
  if (want('scan')) await scanRows(big);

  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  printTable(
    `carto-keys ${JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version} bench — ${new Date().toISOString().slice(0, 16)}Z, ` +
      `Node ${process.version}, ${cpus().length} × ${cpu}, load ${loadavg()}`,
  );
  console.log('');
  console.log(`Medians of ${STARTUP_RUNS} start-up runs, ${LIST_RUNS} listing runs (${LOOP_RUNS} for the loop, ${LATENCY_RUNS} with latency), ${MEMORY_RUNS} memory runs; each case`);
  console.log('interleaved with its baseline. Listing: sandbox serve on 127.0.0.1, per_page ' + `${perPage}, Basic auth, output to /dev/null.`);
  console.log(`Memory: growth per 1,000 keys between the ${small.total}- and ${big.total}-key listings, against a minimal program that fetches`);
  console.log(`the same pages and holds only the result (parsed keys, printed JSON); JSON = the output's own size per 1,000 keys.`);
  console.log(`Total bench time: ${((Date.now() - started) / 1000).toFixed(0)} s.`);
}

function loadavg() {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'n/a';
  }
}

try {
  await run();
} catch (err) {
  console.error(`bench failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  stopServers();
}
