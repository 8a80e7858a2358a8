// The lifecycle's state machine under interruption (issues 12 and 20), in-process against the emulator
// so that every point can be tried, for every journaled flow: rotate, rotate of an organization
// member's key (--user), apply's create (a rotation with no old key), apply's replacement, and a
// rollback of a grace rotation. Each request of a flow (and each deploy command) is interrupted by a
// crash (the run freezes there forever and its lock is left to a dead holder), a SIGINT (the run's
// stop signal fires as the request goes out; the server still acts on it) or a failing reply (500
// from there on); then `--resume` or `--abort`, itself interrupted once the same ways, then the same
// recovery run to its end. Kills of the built binary mid-deploy are in test/e2e/rotate-kill.test.ts.
//
// After every run, whatever happened: every target holds a live key's token (a create's targets may
// still hold nothing): never a dead token, so never a deleted key that a target holds.
// At the end: no journal is left, and every target holds the token of the one key the flow leaves in
// use (a member's rotation never touches the admin's key of the same name).

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FetchLike } from '../../src/api/client.js';
import { embeddedFetch } from '../../src/api/http.js';
import { createSandboxHandler } from '../../src/sandbox/index.js';
import { createOrgSandboxState } from '../../src/sandbox/org.js';
import { run, tempPaths, type RunOptions, type RunResult } from '../helpers/harness.js';
import { ORG_MASTERS } from '../helpers/org-masters.js';
import { testSandbox } from '../helpers/sandbox-fetch.js';
import { APP_GRANTS, NEW, NOW } from './helpers.js';

type Kind = 'kill' | 'sigint' | 'fail';
/** A request (by its index in the run) or the deploy command. */
type Point = { at: number | 'command'; kind: Kind };
type Mode = 'resume' | 'abort';

// A flow: how to set up its world, the command that runs it, the commands that recover it, and what
// must hold at the end.

interface FlowWorld {
  cli(args: string[], o?: RunOptions): Promise<RunResult>;
  inner: FetchLike;
  config: string;
  /** Removed at the end: config, targets and all. */
  root: string;
  dir: string;
  env: string;
  out: string;
  failFlag: string;
  hangFlag: string;
  command: string;
  /** Live keys of the family the flow works on, token → name. */
  live(): Map<string, string>;
  /** What else must hold at the end (a key of the same name elsewhere left alone). */
  untouched?: () => void;
}

interface FlowSpec {
  name: string;
  setup(): Promise<FlowWorld>;
  run(w: FlowWorld): string[];
  recover(w: FlowWorld, mode: Mode): string[];
  /** A target may still hold nothing (a create not deployed yet). */
  emptyAllowed: boolean;
  /** The final state: after the recovery ran to its end (`recovered`), or after a flow that left no journal. */
  end(w: FlowWorld, mode: Mode, recovered: boolean): void;
}

function deployCommand(out: string, failFlag: string, hangFlag: string): string {
  return [
    `printf %s "$(cat)" > ${out}.tmp && mv ${out}.tmp ${out}`,
    `if [ -e ${hangFlag} ]; then echo deploy-command-running; exec sleep 600; fi`,
    `[ ! -e ${failFlag} ]`,
  ].join('; ');
}

function flowWorld(cli: FlowWorld['cli'], inner: FetchLike, paths: ReturnType<typeof tempPaths>, live: () => Map<string, string>): FlowWorld {
  const dir = mkdtempSync(join(paths.root, 'targets-'));
  const out = join(dir, 'cmd.out');
  const failFlag = join(dir, 'fail');
  const hangFlag = join(dir, 'hang');
  return { cli, inner, config: paths.config, root: paths.root, dir, env: join(dir, 'app.env'), out, failFlag, hangFlag, command: deployCommand(out, failFlag, hangFlag), live };
}

const read = (path: string): string => (existsSync(path) ? readFileSync(path, 'utf8') : '');
const targetTokens = (w: FlowWorld): [string, string][] => [
  ['env file', read(w.env).replace(/^CARTO_API_KEY=/, '').trim()],
  ['command', read(w.out)],
];

function checkFlowSafe(w: FlowWorld, spec: FlowSpec, when: string): void {
  const live = w.live();
  for (const [what, token] of targetTokens(w)) {
    if (token === '' && spec.emptyAllowed) continue;
    expect(live.has(token), `${spec.name}, ${when}: the ${what} holds a dead token (live: ${[...live.values()]})`).toBe(true);
  }
}

async function runFlowInterrupted(w: FlowWorld, args: string[], point: Point | undefined): Promise<RunResult | 'killed'> {
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
    }
    if (failing) return new Response('{"errors":"boom"}', { status: 500, headers: { 'content-type': 'application/json' } });
    return w.inner(url, init);
  };
  if (point?.at === 'command') writeFileSync(point.kind === 'fail' ? w.failFlag : w.hangFlag, '');
  const onStderr = (chunk: string): void => {
    if (point?.at === 'command' && chunk.includes('deploy-command-running')) fireStop(point.kind === 'kill' ? 'SIGTERM' : 'SIGINT');
  };
  try {
    const result = await Promise.race([w.cli(args, { fetch, stopSignal: () => stop, onStderr }), froze]);
    if (result === 'killed') {
      const locks = join(w.config, 'rotations');
      if (existsSync(locks)) for (const name of readdirSync(locks)) if (name.endsWith('.lock')) rmSync(join(locks, name));
    } else {
      expect(result.stderr, args.join(' ')).not.toMatch(/Unexpected error|\n\s+at /);
    }
    return result;
  } finally {
    rmSync(w.failFlag, { force: true });
    rmSync(w.hangFlag, { force: true });
  }
}

function flowJournals(w: FlowWorld): string[] {
  const folder = join(w.config, 'rotations');
  return existsSync(folder) ? readdirSync(folder).filter((n) => n.endsWith('.json')) : [];
}

async function flowScenario(spec: FlowSpec, first: Point | undefined, mode: Mode, second: Point | undefined): Promise<void> {
  const w = await spec.setup();
  try {
    await runFlowInterrupted(w, spec.run(w), first);
    checkFlowSafe(w, spec, `after the flow (${JSON.stringify(first)})`);
    const recovered = flowJournals(w).length > 0;
    if (recovered) {
      await runFlowInterrupted(w, spec.recover(w, mode), second);
      checkFlowSafe(w, spec, `after the interrupted --${mode} (${JSON.stringify(second)})`);
      if (flowJournals(w).length > 0) {
        let r3 = await w.cli(spec.recover(w, mode));
        // --abort is refused once the old key is gone: only --resume can finish.
        if (mode === 'abort' && r3.code === 2) r3 = await w.cli(spec.recover(w, 'resume'));
        expect(r3.code, `${spec.name}: ${r3.stderr}`).toBe(0);
      }
    }
    checkFlowSafe(w, spec, 'at the end');
    expect(flowJournals(w), `${spec.name}: no journal left`).toEqual([]);
    spec.end(w, mode, recovered);
  } finally {
    rmSync(w.root, { recursive: true, force: true });
  }
}

/** Every target holds the token of one live key, the same one. */
function allHoldOneLiveKey(w: FlowWorld, spec: string): string {
  const live = w.live();
  const held = new Set(targetTokens(w).map(([, t]) => live.get(t)));
  expect([...held], `${spec}: every target holds the same live key`).toHaveLength(1);
  const [name] = held;
  expect(name, `${spec}: a live key`).toBeDefined();
  return name!;
}

async function singleUserWorld(extra: (w: FlowWorld, sb: ReturnType<typeof testSandbox>) => Promise<void>, family: (name: string) => boolean): Promise<FlowWorld> {
  const sb = testSandbox();
  const paths = tempPaths();
  let env: Record<string, string> = sb.env;
  const cli = (args: string[], o: RunOptions = {}) => run(args, { env, fetch: sb.fetch, paths, now: NOW, ...o });
  const w = flowWorld(cli, sb.fetch, paths, () => new Map(sb.state.users[0]!.keys.filter((k) => family(k.name)).map((k) => [k.token, k.name])));
  env = { ...sb.env, CK_DEPLOY: join(w.dir, 'deploy.sh') };
  await extra(w, sb);
  return w;
}

/**
 * carto-keys.yaml in the targets folder: one entry deploying to the env file and the command, which is
 * a script named by $CK_DEPLOY (a temporary path in the file could look like a token and be refused).
 */
function writeKeysFile(w: FlowWorld, name: string, apis: string): void {
  writeFileSync(join(w.dir, 'deploy.sh'), `${w.command}\n`);
  writeFileSync(join(w.dir, 'carto-keys.yaml'), `version: 1\nkeys:\n  ${name}:\n    apis: [${apis}]\n    deploy:\n      - env_file: app.env\n      - cmd: sh "$CK_DEPLOY"\n`);
}


const ROTATE_FLOW: FlowSpec = {
  name: 'rotate',
  setup: () =>
    singleUserWorld(async (w, sb) => {
      expect((await w.cli(['create', '--name', 'app', ...APP_GRANTS])).code).toBe(0);
      // The apps start on the old token.
      const old = sb.token('app')!;
      writeFileSync(w.env, `CARTO_API_KEY=${old}\n`);
      writeFileSync(w.out, old);
    }, (n) => n === 'app' || n.startsWith('app-r')),
  run: (w) => ['rotate', 'app', '--deploy-env-file', w.env, '--deploy-cmd', w.command, '--delete-old', '--yes'],
  recover: (_w, mode) => ['rotate', `--${mode}`, 'app', '--yes'],
  emptyAllowed: false,
  end(w) {
    const live = [...w.live().values()];
    expect(live, 'exactly one live key at the end').toHaveLength(1);
    expect(live[0]).toMatch(/^app(-r20261122)?$/);
    expect(allHoldOneLiveKey(w, this.name)).toBe(live[0]);
  },
};

const scenario = (first: Point | undefined, mode: Mode, second: Point | undefined): Promise<void> => flowScenario(ROTATE_FLOW, first, mode, second);

/** How many requests an uninterrupted run of a flow makes. */
async function requestCount(spec: FlowSpec = ROTATE_FLOW): Promise<number> {
  const w = await spec.setup();
  try {
    let n = 0;
    const fetch: FetchLike = (url, init) => {
      n++;
      return w.inner(url, init);
    };
    const r = await w.cli(spec.run(w), { fetch });
    expect(r.code, r.stderr).toBe(0);
    return n;
  } finally {
    rmSync(w.root, { recursive: true, force: true });
  }
}

const KINDS: Kind[] = ['kill', 'sigint', 'fail'];

const MEMBER_FLOW: FlowSpec = {
  name: "rotate of a member's key (--user bob)",
  async setup() {
    const state = createOrgSandboxState({ masterKeys: ORG_MASTERS });
    const inner = embeddedFetch(createSandboxHandler(state));
    const paths = tempPaths();
    const env = { CARTO_KEYS_BASE_URL: 'https://acme.carto.com/u/alice', CARTO_KEYS_MASTER_KEY: ORG_MASTERS['alice']! };
    const cli = (args: string[], o: RunOptions = {}) => run(args, { env, fetch: inner, paths, now: NOW, ...o });
    const bob = () => state.users.find((u) => u.username === 'bob')!.keys;
    const w = flowWorld(cli, inner, paths, () => new Map(bob().filter((k) => k.name === 'app' || k.name.startsWith('app-r')).map((k) => [k.token, k.name])));
    expect((await cli(['create', '--user', 'bob', '--name', 'app', '--api', 'sql'])).code).toBe(0);
    // alice's own "app": never touched by bob's rotation.
    expect((await cli(['create', '--name', 'app', '--api', 'sql'])).code).toBe(0);
    const old = bob().find((k) => k.name === 'app')!.token;
    writeFileSync(w.env, `CARTO_API_KEY=${old}\n`);
    writeFileSync(w.out, old);
    const alices = () => state.users.find((u) => u.username === 'alice')!.keys.find((k) => k.name === 'app')?.token;
    const before = alices();
    w.untouched = () => expect(alices(), "alice's own key of the same name").toBe(before);
    return w;
  },
  run: (w) => ['rotate', 'app', '--user', 'bob', '--deploy-env-file', w.env, '--deploy-cmd', w.command, '--delete-old', '--yes'],
  recover: (_w, mode) => ['rotate', `--${mode}`, 'app', '--user', 'bob', '--yes'],
  emptyAllowed: false,
  end(w) {
    expect([...w.live().values()], 'exactly one of bob\'s two keys').toHaveLength(1);
    allHoldOneLiveKey(w, this.name);
    w.untouched!();
  },
};

const CREATE_FLOW: FlowSpec = {
  name: "apply's create (a rotation with no old key)",
  setup: () =>
    singleUserWorld(async (w) => {
      writeKeysFile(w, 'svc', 'sql');
      writeFileSync(w.env, '');
      writeFileSync(w.out, '');
    }, (n) => n === 'svc'),
  run: (w) => ['apply', '-f', join(w.dir, 'carto-keys.yaml'), '--yes'],
  recover: (w, mode) => (mode === 'resume' ? ['apply', '--resume', '-f', join(w.dir, 'carto-keys.yaml'), '--yes'] : ['apply', '--abort', '--yes']),
  emptyAllowed: true,
  end(w, mode, recovered) {
    const live = [...w.live().values()];
    if (live.length > 0) {
      // Created (finished, resumed, or kept by --abort because a target may hold it): a target holds it or nothing.
      expect(live).toEqual(['svc']);
      for (const [what, token] of targetTokens(w)) if (token !== '') expect(w.live().get(token), what).toBe('svc');
      if (mode === 'resume' && recovered) allHoldOneLiveKey(w, this.name);
    } else {
      // Never created, or revoked by --abort: no target ever got its token.
      for (const [what, token] of targetTokens(w)) expect(token, what).toBe('');
    }
  },
};

const REPLACE_FLOW: FlowSpec = {
  name: "apply's replacement",
  setup: () =>
    singleUserWorld(async (w, sb) => {
      expect((await w.cli(['create', '--name', 'app', '--api', 'sql'])).code).toBe(0);
      writeKeysFile(w, 'app', 'sql, maps');
      const old = sb.token('app')!;
      writeFileSync(w.env, `CARTO_API_KEY=${old}\n`);
      writeFileSync(w.out, old);
    }, (n) => n === 'app' || n.startsWith('app-r')),
  run: (w) => ['apply', '-f', join(w.dir, 'carto-keys.yaml'), '--yes'],
  recover: (w, mode) => (mode === 'resume' ? ['apply', '--resume', '-f', join(w.dir, 'carto-keys.yaml'), '--yes'] : ['apply', '--abort', '--yes']),
  emptyAllowed: false,
  end(w) {
    expect([...w.live().values()], 'exactly one live key').toHaveLength(1);
    allHoldOneLiveKey(w, this.name);
  },
};

const ROLLBACK_FLOW: FlowSpec = {
  name: 'rollback of a grace rotation',
  setup: () =>
    singleUserWorld(async (w, sb) => {
      expect((await w.cli(['create', '--name', 'app', '--api', 'sql'])).code).toBe(0);
      const old = sb.token('app')!;
      writeFileSync(w.env, `CARTO_API_KEY=${old}\n`);
      writeFileSync(w.out, old);
      // Rotated with a grace period (kept state: a profile-less CI run names a folder to keep it in).
      const kept = { ...sb.env, CARTO_KEYS_CONFIG_DIR: w.config };
      const r = await w.cli(['rotate', 'app', '--deploy-env-file', w.env, '--deploy-cmd', w.command, '--grace', '24h', '--yes'], { env: kept });
      expect(r.code, r.stderr).toBe(0);
      const cli = w.cli;
      w.cli = (args, o = {}) => cli(args, { ...o, env: kept });
    }, (n) => n === 'app' || n.startsWith('app-r')),
  run: () => ['rotate', '--rollback', NEW, '--yes'],
  recover: (_w, mode) => ['rotate', `--${mode}`, NEW, '--yes'],
  emptyAllowed: false,
  end(w, mode, recovered) {
    const live = [...w.live().values()].sort();
    const held = allHoldOneLiveKey(w, this.name);
    // Rolled back: only the original lives. Undone (or never started): the rotation stands, grace and all.
    if (live.length === 1) expect(held).toBe('app');
    else {
      if (recovered) expect(mode).toBe('abort');
      expect(live).toEqual(['app', NEW]);
      expect(held).toBe(NEW);
    }
  },
};

const FLOWS = [MEMBER_FLOW, CREATE_FLOW, REPLACE_FLOW, ROLLBACK_FLOW];


describe('the rotation state machine under every interruption', () => {
  it('every request and the deploy command × kill, SIGINT, failure; then --resume or --abort', { timeout: 120_000 }, async () => {
    const count = await requestCount();
    expect(count).toBeGreaterThanOrEqual(5);
    const points: Point[] = [];
    for (let at = 0; at < count; at++) for (const kind of KINDS) points.push({ at, kind });
    for (const kind of KINDS) points.push({ at: 'command', kind });
    for (const point of points) {
      for (const mode of ['resume', 'abort'] as const) await scenario(point, mode, undefined);
    }
  });

  it('a rotation stopped mid-deploy, then --resume or --abort interrupted at each of its requests and commands', { timeout: 120_000 }, async () => {
    const points: Point[] = [];
    for (let at = 0; at < 8; at++) for (const kind of KINDS) points.push({ at, kind });
    for (const kind of KINDS) points.push({ at: 'command', kind });
    for (const second of points) {
      for (const mode of ['resume', 'abort'] as const) await scenario({ at: 'command', kind: 'sigint' }, mode, second);
    }
  });

  it('…and the recovery itself interrupted once (random pairs)', { timeout: 120_000 }, async () => {
    const count = await requestCount();
    const point = fc.record({
      at: fc.oneof(fc.integer({ min: 0, max: count - 1 }), fc.constant('command' as const)),
      kind: fc.constantFrom(...KINDS),
    });
    await fc.assert(
      fc.asyncProperty(point, fc.constantFrom<Mode>('resume', 'abort'), point, async (first, mode, second) => {
        await scenario(first, mode, second);
      }),
      { numRuns: 40 },
    );
  });
});

describe('every journaled flow under every interruption (member keys, apply create and replace, rollback)', () => {
  for (const spec of FLOWS) {
    it(`${spec.name}: each request and the deploy command × kill, SIGINT, failure; then --resume or --abort`, { timeout: 180_000 }, async () => {
      const count = await requestCount(spec);
      const points: Point[] = [];
      for (let at = 0; at < count; at++) for (const kind of KINDS) points.push({ at, kind });
      for (const kind of KINDS) points.push({ at: 'command', kind });
      for (const point of points) for (const mode of ['resume', 'abort'] as const) await flowScenario(spec, point, mode, undefined);
    });
  }

  it('…and the recovery itself interrupted once (random flows and pairs)', { timeout: 180_000 }, async () => {
    const point = fc.record({
      at: fc.oneof(fc.integer({ min: 0, max: 8 }), fc.constant('command' as const)),
      kind: fc.constantFrom(...KINDS),
    });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...FLOWS), point, fc.constantFrom<Mode>('resume', 'abort'), point, async (spec, first, mode, second) => {
        await flowScenario(spec, first, mode, second);
      }),
      { numRuns: 40 },
    );
  });
});
