// The lifecycle's state machine under interruption (issues 12, 20 and 24), in-process against the
// emulator so that every point can be tried, for every flow that deploys a token or deletes a key:
// rotate in CI (with an app check) and on a terminal (its menu, "Done deploying", a deploy failure's
// retry/drop/stop, a cancelled prompt), rotate of an organization member's key (--user), apply's
// create, replacement, in-place rotation (rotate_after) and --prune, rollback of a grace rotation,
// retire of a chain of grace rotations (A → B → C), and retire or rollback after the old key's name was
// reused by an unrelated key.
//
// Each request of a flow, each deploy command and each app check is interrupted by a crash (the run
// freezes there forever, its lock left to a dead holder, and a deploy command it ran is left running:
// unless a later run stops it, it writes its token late), a SIGINT (the run's stop signal fires as the
// request goes out; the server still acts on it), a failure (500 from there on; a command exiting 1)
// or a lost reply (the server acted, the client sees a network error).
// Then `--resume` or `--abort` (apply's, rotate's; retire is simply run again), itself interrupted once
// the same ways, then run to its end. Kills of the built binary mid-deploy, and the system shell's
// process groups, are in test/e2e/rotate-kill.test.ts.
//
// After every run, whatever happened: every target holds a live key's token (or, for a key being
// created, nothing yet): never a dead token, so never a deleted key that a target holds. At the end: no
// journal is left, and what each flow promises (one key in use, held by every target; the keys a
// flow must not delete still live).
//
// Cost: each flow's world is set up once and restored from a snapshot for every case; deploy commands
// and checks run in an in-process interpreter of the two test scripts (the journal's logic is the
// point here, not `sh`); the state folders are on a tmpfs when there is one (no fsync to wait for).
// STATE_MACHINE_DEEP=1 runs them with the system shell on the disk, a fresh world per case, and many
// more random pairs (docs/development.md).

import { accessSync, chmodSync, constants, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { FetchLike } from '../../src/api/client.js';
import { embeddedFetch } from '../../src/api/http.js';
import type { Choice, Prompter } from '../../src/context.js';
import type { Shell } from '../../src/deploy/command.js';
import { CancelledError } from '../../src/errors.js';
import { createSandboxHandler, createSandboxState, type SandboxState } from '../../src/sandbox/index.js';
import { createOrgSandboxState } from '../../src/sandbox/org.js';
import { run, tempPaths, type RunOptions, type RunResult } from '../helpers/harness.js';
import { ORG_MASTERS } from '../helpers/org-masters.js';
import { BASE_URL, MASTER } from '../helpers/sandbox-fetch.js';
import { APP_GRANTS, NEW, NOW } from './helpers.js';

const DEEP = process.env.STATE_MACHINE_DEEP === '1';
const RANDOM_RUNS = DEEP ? 1000 : 150;
/** Per test: the deep run takes minutes. */
const TIMEOUT = DEEP ? 3_600_000 : 120_000;

function scratchFolder(): string {
  if (DEEP) return tmpdir();
  try {
    accessSync('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return tmpdir();
  }
}
const SCRATCH = scratchFolder();

type Kind = 'kill' | 'sigint' | 'fail' | 'lost';
/** A request (by its index in the run), the deploy command, or the app check. */
type Point = { at: number | 'command' | 'check'; kind: Kind };
type Mode = 'resume' | 'abort';
const KINDS: Kind[] = ['kill', 'sigint', 'fail', 'lost'];
const HOUR = 3_600_000;

// ---------------------------------------------------------------------------------------------
// A world: a sandbox account, a state folder, targets, and the deploy and check commands.

/** How the person at the terminal answers (a terminal flow). */
interface Policy {
  /** "Deploy the new token:" when targets are recorded: to them, or choose. */
  recorded?: 'recorded' | 'choose';
  /** The deploy menu's answers, in order ('cancel': Ctrl-C there); then "Done deploying". */
  menu: ('env-file' | 'command' | 'manual' | 'done' | 'cancel')[];
  /** After a failed deploy, in order; then "Stop here". */
  failure: ('retry' | 'drop' | 'stop')[];
  deleteOld: boolean;
  /** "Delete it anyway, breaking …?" */
  deleteHeld: boolean;
}

interface Orphan {
  token: string;
  /** The run that left it running. */
  born: number;
}

interface World {
  cli(args: string[], o?: RunOptions): Promise<RunResult>;
  state: SandboxState;
  /** The user whose keys the flow works on. */
  user: string;
  inner: FetchLike;
  clock: { now: Date };
  root: string;
  config: string;
  dir: string;
  env: string;
  out: string;
  command: string;
  check: string;
  /** Files that hold a token: [what, path]. */
  holders: [string, string][];
  /** The family of keys the flow rotates (by name). */
  family(name: string): boolean;
  /** Set while a run is interrupted: where, and how to stop or freeze it. */
  hook: { point?: Point; stop(sig: string): void; freeze(): void; runNo: number };
  orphans: Map<number, Orphan>;
  unknownCommands: string[];
  untouched?: () => void;
  /** A terminal flow: the person's answers (the recovery's: menu done, failures stop). */
  policy?: Policy;
  /** The flow ran: what runs now recovers it. */
  recovering: boolean;
}

interface FlowSpec {
  name: string;
  setup(): Promise<World>;
  run(w: World): string[];
  recover(w: World, mode: Mode): string[];
  /** Whether something is left for the recovery (default: a journal). */
  pending?(w: World): boolean;
  /**
   * The flow does not watch for stop signals (retire): a signal kills it. The system shell's scripts
   * cannot be stopped there from this process, so the deep run leaves those points out.
   */
  unwatched?: boolean;
  /** The exit code of the flow uninterrupted (default 0). */
  code?: number;
  /** The modes worth trying (default both). */
  modes?: Mode[];
  /** A target may still hold nothing (a key being created). */
  emptyAllowed?: boolean;
  /** The final state: after the recovery ran to its end (`recovered`), or after a flow that left nothing. */
  end(w: World, mode: Mode, recovered: boolean): void;
}

const read = (path: string): string => (existsSync(path) ? readFileSync(path, 'utf8') : '');
const tokenIn = (path: string): string => {
  const text = read(path);
  const m = /^CARTO_API_KEY=(.*)$/m.exec(text);
  return m ? m[1]!.trim() : text.includes('=') ? '' : text;
};

function keysOf(w: World, user = w.user) {
  return w.state.users.find((u) => u.username === user)!.keys;
}
/** Live keys of the flow's user: token → name. */
const live = (w: World): Map<string, string> => new Map(keysOf(w).map((k) => [k.token, k.name]));
const liveFamily = (w: World): string[] => keysOf(w).filter((k) => w.family(k.name)).map((k) => k.name).sort();
const tokenOf = (w: World, name: string): string | undefined => keysOf(w).find((k) => k.name === name)?.token;

function writeAtomically(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

/**
 * The two test scripts, interpreted in-process: the deploy command writes the token it is given into
 * `out`; the check reads it and passes. Where the run is to be interrupted they freeze (a crash: a
 * deploy command then stays an orphan), wait for the stop signal, or fail.
 */
function fakeShell(w: World): Shell {
  let seq = 1000;
  return {
    async run(command, key, opts) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      const isCheck = command === w.check;
      if (!isCheck && command !== w.command) {
        w.unknownCommands.push(command);
        throw new Error('unknown command');
      }
      const pgid = ++seq;
      opts.onStart?.(pgid);
      await Promise.resolve();
      if (!isCheck) writeAtomically(w.out, key.token);
      const p = w.hook.point;
      if (p === undefined || p.at !== (isCheck ? 'check' : 'command')) return;
      // A lost reply is a command's failure: it may have done its work.
      if (p.kind === 'fail' || p.kind === 'lost') throw new Error('the command exited with status 1');
      // A run that does not watch for stop signals (retire) dies by one, like by a crash.
      const signal = opts.signal;
      if (p.kind === 'kill' || signal === undefined) {
        if (!isCheck) w.orphans.set(pgid, { token: key.token, born: w.hook.runNo });
        w.hook.freeze();
        return new Promise<never>(() => {});
      }
      w.hook.stop('SIGINT');
      await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
      throw signal.reason;
    },
    async stopOrphan(pgid) {
      w.orphans.delete(pgid);
      return undefined;
    },
  };
}

/** Deploy commands left running by a crashed run and never stopped since: they write now. */
function lateWrites(w: World): void {
  for (const [pgid, o] of w.orphans) {
    if (o.born >= w.hook.runNo) continue;
    writeAtomically(w.out, o.token);
    w.orphans.delete(pgid);
  }
}

/** The scripts for the system shell (STATE_MACHINE_DEEP=1): flags in the targets folder interrupt them. */
function writeScripts(dir: string, out: string): void {
  const flag = (name: string) => join(dir, name);
  writeFileSync(
    join(dir, 'deploy.sh'),
    [
      `printf %s "$(cat)" > ${out}.tmp && mv ${out}.tmp ${out}`,
      `if [ -e ${flag('hang-command')} ]; then echo command-running >&2; exec sleep 600; fi`,
      `[ ! -e ${flag('fail-command')} ]`,
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'check.sh'),
    [`cat > /dev/null`, `if [ -e ${flag('hang-check')} ]; then echo check-running >&2; exec sleep 600; fi`, `[ ! -e ${flag('fail-check')} ]`].join('\n'),
  );
}

/** The person at the terminal, answering by the question asked. */
function policyPrompter(w: World, policy: Policy): Prompter {
  const menu = [...policy.menu];
  const failure = [...policy.failure];
  const unexpected = (m: string): never => {
    throw new Error(`unexpected prompt: ${m}`);
  };
  return {
    async confirm(m) {
      if (m.startsWith('Create API key')) return true;
      if (m.startsWith('Delete the old key')) return policy.deleteOld;
      if (m.includes('anyway, breaking')) return policy.deleteHeld;
      if (m.startsWith('Undo the rotation')) return true;
      // A token shown on screen: the person deployed it (to nothing the test reads).
      if (m.startsWith('Have you deployed it')) return true;
      return unexpected(m);
    },
    async input(m, opts) {
      if (m.startsWith('Name of the new API key')) return opts!.default!;
      if (m.startsWith('Env file')) return w.env;
      if (m.startsWith('Command')) return w.command;
      return unexpected(m);
    },
    password: async (m) => unexpected(m),
    async select<T>(m: string, choices: Choice<T>[]): Promise<T> {
      if (m.startsWith('Grants of the new key')) return 'keep' as T;
      if (m.startsWith('What now')) return (failure.shift() ?? 'stop') as T;
      if (m.startsWith('Deploy the new token')) {
        if (choices.some((c) => c.value === 'recorded')) return (policy.recorded ?? 'recorded') as T;
        const next = menu.shift() ?? 'done';
        if (next === 'cancel') throw new CancelledError('Cancelled at a prompt.');
        return next as T;
      }
      return unexpected(m);
    },
    checkbox: async (m) => unexpected(m),
  };
}

interface WorldOptions {
  org?: boolean;
  family: (name: string) => boolean;
}

function newWorld(o: WorldOptions): World {
  const clock = { now: NOW };
  const now = () => clock.now;
  const state = o.org === true ? createOrgSandboxState({ masterKeys: ORG_MASTERS, now }) : createSandboxState({ masterKey: MASTER, now });
  const paths = tempPaths(SCRATCH);
  const dir = mkdtempSync(join(paths.root, 'targets-'));
  const out = join(dir, 'cmd.out');
  writeScripts(dir, out);
  const baseEnv =
    o.org === true
      ? { CARTO_KEYS_BASE_URL: 'https://acme.carto.com/u/alice', CARTO_KEYS_MASTER_KEY: ORG_MASTERS['alice']! }
      : { CARTO_KEYS_MASTER_KEY: MASTER, CARTO_KEYS_BASE_URL: BASE_URL };
  // A state folder named: CI keeps it (a grace rotation's retirement, the registry) like a profile would.
  // A crashed run waits on its frozen request forever: it must not time out (30 s) and wake up to act
  // on the world of a later scenario. The longest allowed, 10 minutes, outlasts the default run.
  const env = { ...baseEnv, CARTO_KEYS_TIMEOUT_MS: '600000', CARTO_KEYS_STATE_DIR: paths.config, CK_DEPLOY: join(dir, 'deploy.sh'), CK_CHECK: join(dir, 'check.sh') };
  const w: World = {
    state,
    user: o.org === true ? 'bob' : state.users[0]!.username,
    inner: embeddedFetch(createSandboxHandler(state, { now })),
    clock,
    root: paths.root,
    config: paths.config,
    dir,
    env: join(dir, 'app.env'),
    out,
    command: 'sh "$CK_DEPLOY"',
    check: 'sh "$CK_CHECK"',
    holders: [],
    family: o.family,
    hook: { stop: () => {}, freeze: () => {}, runNo: 0 },
    orphans: new Map(),
    unknownCommands: [],
    recovering: false,
    cli: (args, ro = {}) =>
      run(args, {
        env,
        fetch: w.inner,
        paths,
        now: clock.now,
        ...(!DEEP && { shell }),
        // A terminal flow: the person answers; whoever recovers it names the same targets and stops at a failure.
        ...(w.policy !== undefined && { tty: true, prompter: policyPrompter(w, w.recovering ? { ...w.policy, menu: w.policy.menu.filter((m) => m !== 'cancel'), failure: [] } : w.policy) }),
        ...ro,
      }),
  };
  w.holders = [
    ['env file', w.env],
    ['command', w.out],
  ];
  const shell = fakeShell(w);
  return w;
}

/**
 * A world once set up, kept as it is (every file under its root, the emulator's state, the clock):
 * each scenario starts from a copy instead of setting the world up again.
 */
interface Snapshot {
  entries: [path: string, data: Buffer | null, mode: number][];
  state: SandboxState;
  now: Date;
  holders: World['holders'];
}

function snapshot(w: World): Snapshot {
  const entries: Snapshot['entries'] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      const mode = statSync(path).mode & 0o777;
      if (e.isDirectory()) {
        entries.push([path, null, mode]);
        walk(path);
      } else entries.push([path, readFileSync(path), mode]);
    }
  };
  walk(w.root);
  return { entries, state: structuredClone(w.state), now: w.clock.now, holders: [...w.holders] };
}

function restore(w: World, s: Snapshot): void {
  rmSync(w.root, { recursive: true, force: true });
  mkdirSync(w.root, { mode: 0o700 });
  for (const [path, data, mode] of s.entries) {
    if (data === null) mkdirSync(path);
    else writeFileSync(path, data);
    chmodSync(path, mode);
  }
  w.state = structuredClone(s.state);
  w.inner = embeddedFetch(createSandboxHandler(w.state, { now: () => w.clock.now }));
  w.clock.now = s.now;
  w.holders = [...s.holders];
  w.hook = { stop: () => {}, freeze: () => {}, runNo: 0 };
  w.orphans.clear();
  w.unknownCommands = [];
  w.recovering = false;
}

const prepared = new Map<FlowSpec, Promise<{ w: World; snap: Snapshot }>>();
afterAll(async () => {
  for (const p of prepared.values()) rmSync((await p).w.root, { recursive: true, force: true });
});

/**
 * The flow's world, fresh from its setup. The deep run sets every world up anew in a folder of its
 * own: it lasts longer than a crashed run's frozen request waits.
 */
async function fresh(spec: FlowSpec): Promise<World> {
  if (DEEP) {
    const w = await spec.setup();
    prepared.set({ ...spec }, Promise.resolve({ w, snap: snapshot(w) }));
    return w;
  }
  let p = prepared.get(spec);
  if (p === undefined) {
    p = spec.setup().then((w) => ({ w, snap: snapshot(w) }));
    prepared.set(spec, p);
  }
  const { w, snap } = await p;
  restore(w, snap);
  return w;
}

async function ok(w: World, args: string[], o: RunOptions = {}): Promise<RunResult> {
  const r = await w.cli(args, o);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r;
}

/** The apps start on `name`'s token. */
function holdersStartOn(w: World, name: string, paths = [w.env, w.out]): void {
  const token = tokenOf(w, name)!;
  for (const p of paths) writeFileSync(p, p.endsWith('.env') ? `CARTO_API_KEY=${token}\n` : token);
}

/** carto-keys.yaml in the targets folder. */
function writeKeysFile(w: World, entries: string, file = 'carto-keys.yaml'): string {
  const path = join(w.dir, file);
  writeFileSync(path, `version: 1\nkeys:\n${entries}`);
  return path;
}
const applyFile = (w: World): string => join(w.dir, 'carto-keys.yaml');
const deployEntry = (w: World, name: string, apis: string, extra = ''): string =>
  `  ${name}:\n    apis: [${apis}]\n${extra}    deploy:\n      - env_file: app.env\n      - cmd: ${w.command}\n`;

// ---------------------------------------------------------------------------------------------
// Running a flow with one interruption, and a scenario: the flow, its recovery, the end.

async function runInterrupted(w: World, args: string[], point: Point | undefined): Promise<RunResult | 'killed'> {
  w.hook.runNo++;
  let fireStop: (sig: string) => void = () => {};
  const stop = new Promise<string>((resolve) => (fireStop = resolve));
  let frozen: () => void = () => {};
  const froze = new Promise<'killed'>((resolve) => (frozen = () => resolve('killed')));
  let n = 0;
  let failing = false;
  const fetch: FetchLike = async (url, init) => {
    const i = n++;
    if (point?.at === i) {
      if (point.kind === 'kill') {
        frozen();
        return new Promise<never>(() => {});
      }
      if (point.kind === 'sigint') fireStop('SIGINT');
      if (point.kind === 'fail') failing = true;
      if (point.kind === 'lost') {
        await w.inner(url, init);
        throw new TypeError('fetch failed', { cause: new Error('socket hang up') });
      }
    }
    if (failing) return new Response('{"errors":"boom"}', { status: 500, headers: { 'content-type': 'application/json' } });
    return w.inner(url, init);
  };
  w.hook = { ...(point !== undefined && { point }), stop: fireStop, freeze: frozen, runNo: w.hook.runNo };
  // The system shell: flags the scripts look at; a crash there is a SIGTERM (this process cannot die).
  const flag = point !== undefined && point.at !== undefined && typeof point.at === 'string' ? join(w.dir, `${point.kind === 'fail' || point.kind === 'lost' ? 'fail' : 'hang'}-${point.at}`) : undefined;
  if (DEEP && flag !== undefined) writeFileSync(flag, '');
  const onStderr = (chunk: string): void => {
    if (DEEP && typeof point?.at === 'string' && chunk.includes(`${point.at}-running`)) fireStop(point.kind === 'kill' ? 'SIGTERM' : 'SIGINT');
  };
  try {
    const result = await Promise.race([w.cli(args, { fetch, stopSignal: () => stop, onStderr }), froze]);
    if (result === 'killed') {
      const locks = join(w.config, 'rotations');
      if (existsSync(locks)) for (const name of readdirSync(locks)) if (name.endsWith('.lock')) rmSync(join(locks, name));
    } else {
      expect(result.stderr, args.join(' ')).not.toMatch(/Unexpected error|unexpected prompt|\n\s+at /);
    }
    return result;
  } finally {
    w.hook = { stop: () => {}, freeze: () => {}, runNo: w.hook.runNo };
    if (flag !== undefined) rmSync(flag, { force: true });
  }
}

function journals(w: World): string[] {
  const folder = join(w.config, 'rotations');
  return existsSync(folder) ? readdirSync(folder).filter((n) => n.endsWith('.json')) : [];
}

function retirements(w: World): unknown[] {
  const text = read(join(w.config, 'deployments.json'));
  if (text === '') return [];
  const data = JSON.parse(text) as { accounts: Record<string, { retirements: unknown[] }> };
  return Object.values(data.accounts).flatMap((a) => a.retirements);
}

function checkSafe(w: World, spec: FlowSpec, when: string): void {
  lateWrites(w);
  const keys = live(w);
  for (const [what, path] of w.holders) {
    const token = tokenIn(path);
    if (token === '' && spec.emptyAllowed === true) continue;
    expect(keys.has(token), `${spec.name}, ${when}: the ${what} holds a dead token (live: ${[...keys.values()]})`).toBe(true);
  }
  expect(w.unknownCommands, 'commands the flow ran').toEqual([]);
}

async function scenario(spec: FlowSpec, first: Point | undefined, mode: Mode, second: Point | undefined): Promise<void> {
  const w = await fresh(spec);
  const pending = (): boolean => spec.pending?.(w) ?? journals(w).length > 0;
  const label = `${JSON.stringify(first)}, --${mode} ${JSON.stringify(second)}`;
  await runInterrupted(w, spec.run(w), first);
  checkSafe(w, spec, `after the flow (${label})`);
  w.recovering = true;
  const recovered = pending();
  if (recovered) {
    await runInterrupted(w, spec.recover(w, mode), second);
    checkSafe(w, spec, `after the interrupted recovery (${label})`);
    for (let i = 0; i < 3 && pending(); i++) {
      w.hook.runNo++;
      let r = await w.cli(spec.recover(w, mode));
      // --abort is refused once the old key is gone: only --resume can finish.
      if (mode === 'abort' && r.code === 2 && journals(w).length > 0) r = await w.cli(spec.recover(w, 'resume'));
      expect(r.code, `${spec.name} (${label}): ${r.stderr}`).toBe(0);
    }
    expect(pending(), `${spec.name} (${label}): still unfinished`).toBe(false);
  }
  w.hook.runNo++;
  checkSafe(w, spec, `at the end (${label})`);
  expect(journals(w), `${spec.name}: no journal left`).toEqual([]);
  try {
    spec.end(w, mode, recovered);
  } catch (err) {
    if (err instanceof Error) err.message = `${err.message} (${label})`;
    throw err;
  }
}

/** Every holder holds the same live key; its name. */
function allHoldOne(w: World, what: string, holders = w.holders): string {
  const keys = live(w);
  const held = new Set(holders.map(([, path]) => keys.get(tokenIn(path))));
  expect([...held], `${what}: every target holds the same live key`).toHaveLength(1);
  const [name] = held;
  expect(name, `${what}: a live key`).toBeDefined();
  return name!;
}

/** One key of the family is left, and every target holds it. */
function oneKeyInUse(this: FlowSpec, w: World): void {
  const family = liveFamily(w);
  expect(family, `${this.name}: exactly one live key`).toHaveLength(1);
  expect(allHoldOne(w, this.name)).toBe(family[0]);
}

/** How many requests an uninterrupted run of a flow makes. */
async function requestCount(spec: FlowSpec): Promise<number> {
  const w = await fresh(spec);
  let n = 0;
  const fetch: FetchLike = (url, init) => {
    n++;
    return w.inner(url, init);
  };
  const r = await w.cli(spec.run(w), { fetch });
  expect(r.code, r.stderr).toBe(spec.code ?? 0);
  return n;
}

// ---------------------------------------------------------------------------------------------
// The flows.

const appFamily = (n: string): boolean => n === 'app' || n.startsWith('app-r');

async function appWorld(grants = APP_GRANTS): Promise<World> {
  const w = newWorld({ family: appFamily });
  await ok(w, ['create', '--name', 'app', ...grants]);
  holdersStartOn(w, 'app');
  return w;
}

const retireAgain = (): string[] => ['retire', '--yes'];

/** retire, run again until no retirement is left. */
const RETIRE: Pick<FlowSpec, 'unwatched' | 'run' | 'recover' | 'pending' | 'modes'> = {
  unwatched: true,
  run: retireAgain,
  recover: retireAgain,
  pending: (w) => retirements(w).length > 0,
  modes: ['resume'],
};

const ROTATE: FlowSpec = {
  name: 'rotate (CI, with an app check)',
  setup: () => appWorld(),
  run: (w) => ['rotate', 'app', '--deploy-env-file', w.env, '--deploy-cmd', w.command, '--check-cmd', w.check, '--delete-old', '--yes'],
  recover: (_w, mode) => ['rotate', `--${mode}`, 'app', '--yes'],
  end: oneKeyInUse,
};

const MEMBER: FlowSpec = {
  name: "rotate of a member's key (--user bob)",
  async setup() {
    const w = newWorld({ org: true, family: appFamily });
    await ok(w, ['create', '--user', 'bob', '--name', 'app', '--api', 'sql']);
    // alice's own "app": never touched by bob's rotation.
    await ok(w, ['create', '--name', 'app', '--api', 'sql']);
    holdersStartOn(w, 'app');
    const alices = () => keysOf(w, 'alice').find((k) => k.name === 'app')?.token;
    const before = alices();
    w.untouched = () => expect(alices(), "alice's own key of the same name").toBe(before);
    return w;
  },
  run: (w) => ['rotate', 'app', '--user', 'bob', '--deploy-env-file', w.env, '--deploy-cmd', w.command, '--delete-old', '--yes'],
  recover: (_w, mode) => ['rotate', `--${mode}`, 'app', '--user', 'bob', '--yes'],
  end(w) {
    oneKeyInUse.call(this, w);
    w.untouched!();
  },
};

const MEMBER_RETIRE: FlowSpec = {
  ...RETIRE,
  name: "retire of a member's grace rotation (--user bob)",
  async setup() {
    const w = await MEMBER.setup();
    await ok(w, ['rotate', 'app', '--user', 'bob', '--deploy-env-file', w.env, '--deploy-cmd', w.command, '--grace', '1h', '--yes']);
    w.clock.now = new Date(NOW.getTime() + 2 * HOUR);
    return w;
  },
  end: MEMBER.end,
};

const CREATE: FlowSpec = {
  name: "apply's create (a rotation with no old key)",
  async setup() {
    const w = newWorld({ family: (n) => n === 'svc' });
    writeKeysFile(w, deployEntry(w, 'svc', 'sql'));
    return w;
  },
  run: (w) => ['apply', '-f', join(w.dir, 'carto-keys.yaml'), '--yes'],
  recover: (w, mode) => (mode === 'resume' ? ['apply', '--resume', '-f', join(w.dir, 'carto-keys.yaml'), '--yes'] : ['apply', '--abort', '--yes']),
  emptyAllowed: true,
  end(w, mode, recovered) {
    const family = liveFamily(w);
    if (family.length > 0) {
      // Created (finished, resumed, or kept by --abort because a target may hold it): a target holds it or nothing.
      expect(family).toEqual(['svc']);
      for (const [what, path] of w.holders) if (tokenIn(path) !== '') expect(live(w).get(tokenIn(path)), what).toBe('svc');
      if (mode === 'resume' && recovered) allHoldOne(w, this.name);
    } else {
      // Never created, or revoked by --abort: no target ever got its token.
      for (const [what, path] of w.holders) expect(tokenIn(path), what).toBe('');
    }
  },
};

const applyRecover = (w: World, mode: Mode): string[] => (mode === 'resume' ? ['apply', '--resume', '-f', applyFile(w), '--yes'] : ['apply', '--abort', '--yes']);

/** apply of a keys file whose entry for "app" (sql) deploys to both targets; `entry` adds to it. */
function applyFlow(name: string, apis: string, entry = '', later = 0): FlowSpec {
  return {
    name,
    async setup() {
      const w = await appWorld(['--api', 'sql']);
      writeKeysFile(w, deployEntry(w, 'app', apis, entry.replaceAll('$CHECK', w.check)));
      w.clock.now = new Date(NOW.getTime() + later);
      return w;
    },
    run: (w) => ['apply', '-f', applyFile(w), '--yes'],
    recover: applyRecover,
    end: oneKeyInUse,
  };
}

const REPLACE = applyFlow("apply's replacement", 'sql, maps');
// 60 days later the key is due.
const APPLY_ROTATE = applyFlow("apply's in-place rotation (rotate_after, with a check)", 'sql', '    rotate_after: 30d\n    check: $CHECK\n', 60 * 24 * HOUR);

const PRUNE: FlowSpec = {
  name: 'apply --prune (with a replacement)',
  async setup() {
    const w = await appWorld(['--api', 'sql']);
    const used = join(w.dir, 'used.env');
    const web = join(w.dir, 'web.env');
    // "used": created by apply and deployed (recorded); then left out of the file.
    writeKeysFile(w, `  used:\n    apis: [sql]\n    deploy:\n      - env_file: used.env\n`, 'first.yaml');
    await ok(w, ['apply', '-f', join(w.dir, 'first.yaml'), '--yes']);
    // "web" rotated with a grace period: both it and its successor take part in a retirement.
    await ok(w, ['create', '--name', 'web', '--api', 'sql']);
    await ok(w, ['rotate', 'web', '--deploy-env-file', web, '--grace', '24h', '--yes']);
    // "stray": unmanaged, recorded nowhere.
    await ok(w, ['create', '--name', 'stray', '--api', 'sql']);
    writeKeysFile(w, deployEntry(w, 'app', 'sql, maps'));
    w.holders.push(['used.env', used], ['web.env', web]);
    return w;
  },
  run: (w) => ['apply', '-f', applyFile(w), '--prune', '--yes'],
  recover: (w, mode) => (mode === 'resume' ? ['apply', '--resume', '--prune', '-f', applyFile(w), '--yes'] : ['apply', '--abort', '--yes']),
  end(w) {
    oneKeyInUse.call(this, { ...w, holders: w.holders.slice(0, 2) });
    const names = () => keysOf(w).map((k) => k.name);
    const kept = ['used', 'web', 'web-r20261122'];
    expect(names(), 'keys recorded as deployed or in a retirement are never pruned').toEqual(expect.arrayContaining(kept));
    expect(live(w).get(tokenIn(join(w.dir, 'used.env')))).toBe('used');
    expect(live(w).get(tokenIn(join(w.dir, 'web.env')))).toBe('web-r20261122');
  },
};

/** After any interruption, one more `apply --prune` prunes the unrecorded key and nothing else. */
async function pruneSettles(first: Point | undefined): Promise<void> {
  const w = await fresh(PRUNE);
  await runInterrupted(w, PRUNE.run(w), first);
  w.hook.runNo++;
  if (journals(w).length > 0) await ok(w, PRUNE.recover(w, 'resume'));
  else await ok(w, PRUNE.run(w));
  checkSafe(w, PRUNE, `settled after ${JSON.stringify(first)}`);
  const regular = keysOf(w).filter((k) => k.type === 'regular').map((k) => k.name);
  expect(regular.sort()).toEqual([...liveFamily(w), 'used', 'web', 'web-r20261122'].sort());
}

/** A grace rotation of "app", deployed to both targets: the state a rollback or retire starts from. */
async function graceWorld(check = false): Promise<World> {
  const w = await appWorld(['--api', 'sql']);
  await ok(w, ['rotate', 'app', '--deploy-env-file', w.env, '--deploy-cmd', w.command, ...(check ? ['--check-cmd', w.check] : []), '--grace', '1h', '--yes']);
  return w;
}

const ROLLBACK: FlowSpec = {
  name: 'rollback of a grace rotation',
  setup: () => graceWorld(),
  run: () => ['rotate', '--rollback', NEW, '--yes'],
  recover: (_w, mode) => ['rotate', `--${mode}`, NEW, '--yes'],
  end(w, mode, recovered) {
    const family = liveFamily(w);
    const held = allHoldOne(w, this.name);
    // Rolled back: only the original lives. Undone (or never started): the rotation stands, grace and all.
    if (family.length === 1) expect(held).toBe('app');
    else {
      if (recovered) expect(mode).toBe('abort');
      expect(family).toEqual(['app', NEW]);
      expect(held).toBe(NEW);
    }
  },
};

const RETIRE_CHAIN: FlowSpec = {
  ...RETIRE,
  name: 'retire of a chain of grace rotations (app → B → C, with an app check)',
  async setup() {
    const w = await graceWorld(true);
    // B rotated in its own grace window: to the targets recorded for it.
    await ok(w, ['rotate', NEW, '--check-cmd', w.check, '--grace', '1h', '--yes']);
    expect(liveFamily(w)).toHaveLength(3);
    w.clock.now = new Date(NOW.getTime() + 2 * HOUR);
    return w;
  },
  end: oneKeyInUse,
};

/**
 * A grace rotation; then, outside carto-keys, the old key deleted and an unrelated key given its name,
 * whose token another app holds.
 */
async function reusedNameWorld(): Promise<World> {
  const w = await graceWorld();
  w.clock.now = new Date(NOW.getTime() + 30 * 60_000);
  const elsewhere = tempPaths(SCRATCH);
  try {
    const env = { CARTO_KEYS_MASTER_KEY: MASTER, CARTO_KEYS_BASE_URL: BASE_URL };
    for (const args of [['revoke', 'app', '--yes'], ['create', '--name', 'app', '--api', 'maps']]) {
      const r = await run(args, { env, fetch: w.inner, paths: elsewhere, now: w.clock.now });
      expect(r.code, r.stderr).toBe(0);
    }
  } finally {
    elsewhere.cleanup();
  }
  const other = join(w.dir, 'other.env');
  holdersStartOn(w, 'app', [other]);
  w.holders.push(['the new "app"\'s env file', other]);
  w.clock.now = new Date(NOW.getTime() + 2 * HOUR);
  return w;
}

function reusedNameEnd(this: FlowSpec, w: World): void {
  expect(live(w).get(tokenIn(join(w.dir, 'other.env'))), 'the unrelated key of the reused name').toBe('app');
  expect(liveFamily(w)).toEqual(['app', NEW]);
  expect(allHoldOne(w, this.name, w.holders.slice(0, 2))).toBe(NEW);
}

const REUSED_RETIRE: FlowSpec = {
  ...RETIRE,
  name: "retire after the old key's name was reused",
  setup: reusedNameWorld,
  end: reusedNameEnd,
};

const REUSED_ROLLBACK: FlowSpec = {
  name: "rollback after the old key's name was reused",
  setup: reusedNameWorld,
  // Refused (exit 2): there is nothing to roll back to.
  code: 2,
  run: () => ['rotate', '--rollback', NEW, '--yes'],
  recover: (_w, mode) => ['rotate', `--${mode}`, NEW, '--yes'],
  end: reusedNameEnd,
};

/** A terminal rotation of "app" with no flags: every decision is the person's. */
function terminal(name: string, policy: Policy, opts: { recorded?: boolean; code?: number } = {}): FlowSpec {
  return {
    name: `rotate on a terminal: ${name}`,
    ...(opts.code !== undefined && { code: opts.code }),
    async setup() {
      let w: World;
      if (opts.recorded === true) {
        // Created and deployed to both targets by apply: its deployments are recorded.
        w = newWorld({ family: appFamily });
        writeKeysFile(w, deployEntry(w, 'app', 'sql'));
        await ok(w, ['apply', '-f', applyFile(w), '--yes']);
      } else {
        w = await appWorld(['--api', 'sql']);
        // The apps read only what the person names at the menu.
        const named = (t: 'env-file' | 'command') => policy.menu.includes(t);
        w.holders = w.holders.filter(([what]) => named(what === 'env file' ? 'env-file' : 'command'));
      }
      w.policy = policy;
      return w;
    },
    run: () => ['rotate', 'app', '--check-cmd', 'sh "$CK_CHECK"'],
    recover: (_w, mode) => ['rotate', `--${mode}`, 'app', ...(mode === 'abort' ? ['--yes'] : [])],
    end(w) {
      const family = liveFamily(w);
      // The old key deleted: every target holds the new one. Kept: each holds a live key (checked always).
      if (family.length === 1) allHoldOne(w, this.name);
      else expect(family).toHaveLength(2);
    },
  };
}

const TERMINAL_MENU = terminal('env file, command and the token shown, from the menu; retry once after a failure; delete the old key', {
  menu: ['env-file', 'command', 'manual', 'done'],
  failure: ['retry', 'stop'],
  deleteOld: true,
  deleteHeld: false,
});

const TERMINAL_DROP = terminal('a failed target dropped, then "Done deploying"; the old key deleted', { menu: ['command', 'env-file', 'done'], failure: ['drop'], deleteOld: true, deleteHeld: false });

const TERMINAL_CANCEL = terminal(
  'Ctrl-C at the deploy menu after one target',
  { menu: ['env-file', 'cancel'], failure: ['stop'], deleteOld: true, deleteHeld: false },
  { code: 5 },
);

const TERMINAL_KEEP = terminal('keep the old key', { menu: ['env-file', 'command', 'done'], failure: ['stop'], deleteOld: false, deleteHeld: false });

const TERMINAL_RECORDED = terminal(
  'to the recorded targets, the old key deleted',
  { recorded: 'recorded', menu: ['done'], failure: ['retry', 'drop'], deleteOld: true, deleteHeld: false },
  { recorded: true },
);

const TERMINAL_DONE_HELD = terminal(
  '"Done deploying" with nothing deployed while a recorded env file holds the old key',
  { recorded: 'choose', menu: ['done'], failure: ['stop'], deleteOld: true, deleteHeld: false },
  { recorded: true },
);

const CI_FLOWS = [ROTATE, MEMBER, MEMBER_RETIRE, CREATE, REPLACE, APPLY_ROTATE, PRUNE, ROLLBACK, RETIRE_CHAIN, REUSED_RETIRE, REUSED_ROLLBACK];
const TERMINAL_FLOWS = [TERMINAL_MENU, TERMINAL_DROP, TERMINAL_CANCEL, TERMINAL_KEEP, TERMINAL_RECORDED, TERMINAL_DONE_HELD];
const FLOWS = [...CI_FLOWS, ...TERMINAL_FLOWS];

function everyPoint(count: number, spec?: FlowSpec): Point[] {
  const points: Point[] = [];
  for (let at = 0; at < count; at++) for (const kind of KINDS) points.push({ at, kind });
  const commandKinds = DEEP && spec?.unwatched === true ? (['fail'] as const) : (['kill', 'sigint', 'fail'] as const);
  for (const at of ['command', 'check'] as const) for (const kind of commandKinds) points.push({ at, kind });
  return points;
}

describe('every flow × every interruption × --resume/--abort: one usable key in every target, never a dead token', () => {
  for (const spec of FLOWS) {
    it(`${spec.name}`, { timeout: TIMEOUT }, async () => {
      const count = await requestCount(spec);
      await scenario(spec, undefined, 'resume', undefined);
      for (const point of everyPoint(count, spec)) for (const mode of spec.modes ?? (['resume', 'abort'] as const)) await scenario(spec, point, mode, undefined);
    });
  }

  it('apply --prune after any interruption: one more run prunes the unrecorded key and nothing else', { timeout: TIMEOUT }, async () => {
    const count = await requestCount(PRUNE);
    for (const point of everyPoint(count)) await pruneSettles(point);
  });

  it('a rotation stopped mid-deploy, then --resume or --abort interrupted at each of its requests and commands', { timeout: TIMEOUT }, async () => {
    for (const second of everyPoint(8)) for (const mode of ['resume', 'abort'] as const) await scenario(ROTATE, { at: 'command', kind: 'sigint' }, mode, second);
  });

  it('…and the recovery itself interrupted once (random flows and pairs)', { timeout: TIMEOUT }, async () => {
    const point = fc.record({
      at: fc.oneof(fc.integer({ min: 0, max: 12 }), fc.constantFrom('command' as const, 'check' as const)),
      kind: fc.constantFrom(...KINDS),
    });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...FLOWS), point, fc.constantFrom<Mode>('resume', 'abort'), point, async (spec, first, mode, second) => {
        const stoppable = (p: Point) => !(DEEP && spec.unwatched === true && typeof p.at === 'string' && p.kind !== 'fail');
        fc.pre(stoppable(first) && stoppable(second));
        await scenario(spec, first, (spec.modes ?? [mode]).includes(mode) ? mode : spec.modes![0]!, second);
      }),
      { numRuns: RANDOM_RUNS },
    );
  });
});
