// The rotation state machine under interruption (issue 12), in-process against the emulator so that
// every point can be tried: each request of a rotation (and each deploy command) is interrupted by a
// crash (the run freezes there forever and its lock is left to a dead holder), a SIGINT (the run's
// stop signal fires as the request goes out; the server still acts on it) or a failing reply (500
// from there on); then `--resume` or `--abort`, itself interrupted once the same ways, then the same
// recovery run to its end. Kills of the built binary mid-deploy are in test/e2e/rotate-kill.test.ts.
//
// After every run, whatever happened:
// - a key is alive (the old one or the new one), and every target holds a live key's token;
// - the old key is gone only if every target holds the new token.
// At the end: exactly one of the two keys lives, every target holds its token, no journal is left.

import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FetchLike } from '../../src/api/client.js';
import type { RunResult } from '../helpers/harness.js';
import { NEW, rotationFixture, type RotationFixture } from './helpers.js';

type Kind = 'kill' | 'sigint' | 'fail';
/** A request (by its index in the run) or the deploy command. */
type Point = { at: number | 'command'; kind: Kind };
type Mode = 'resume' | 'abort';

interface World {
  f: RotationFixture;
  env: string;
  out: string;
  /** While present, the command fails after writing its token; `hang`: it waits to be stopped. */
  failFlag: string;
  hangFlag: string;
  command: string;
}

async function world(): Promise<World> {
  const f = await rotationFixture();
  const env = join(f.dir, 'app.env');
  const out = join(f.dir, 'cmd.out');
  const failFlag = join(f.dir, 'fail');
  const hangFlag = join(f.dir, 'hang');
  const old = f.sb.token('app')!;
  // The apps start on the old token.
  writeFileSync(env, `CARTO_API_KEY=${old}\n`);
  writeFileSync(out, old);
  // It replaces its store atomically (as a secret store or a `mv` does): stopped at any moment, the
  // store holds one token or the other, never half of one.
  const command = [
    `printf %s "$(cat)" > ${out}.tmp && mv ${out}.tmp ${out}`,
    `if [ -e ${hangFlag} ]; then echo deploy-command-running; exec sleep 600; fi`,
    `[ ! -e ${failFlag} ]`,
  ].join('; ');
  return { f, env, out, failFlag, hangFlag, command };
}

const envToken = (w: World): string => readFileSync(w.env, 'utf8').replace(/^CARTO_API_KEY=/, '').trim();
const cmdToken = (w: World): string => readFileSync(w.out, 'utf8');

function liveTokens(w: World): Map<string, string> {
  const live = new Map<string, string>();
  for (const name of w.f.sb.names()) if (name === 'app' || name.startsWith('app-r')) live.set(w.f.sb.token(name)!, name);
  return live;
}

/** The safety rules, checked after every run however it ended. */
function checkSafe(w: World, when: string): void {
  const live = liveTokens(w);
  const names = [...live.values()];
  expect(names.length, `${when}: a key must live (${names})`).toBeGreaterThan(0);
  for (const [what, token] of [['env file', envToken(w)], ['command', cmdToken(w)]] as const) {
    expect(live.has(token), `${when}: the ${what} holds a dead token (live: ${names})`).toBe(true);
  }
  if (!names.includes('app')) {
    expect([live.get(envToken(w)), live.get(cmdToken(w))], `${when}: old key deleted while a target does not hold the new one`).toEqual([NEW, NEW]);
  }
}

/**
 * Runs `args` with `point` injected (or none). Resolves once the run ended, or froze ("kill": its
 * promise is abandoned, its lock file removed as if its process had died).
 */
async function runInterrupted(w: World, args: string[], point: Point | undefined): Promise<RunResult | 'killed'> {
  let fireStop: (sig: string) => void = () => {};
  const stop = new Promise<string>((resolve) => (fireStop = resolve));
  let frozen: () => void = () => {};
  const froze = new Promise<'killed'>((resolve) => (frozen = () => resolve('killed')));
  let n = 0;
  let failing = false;
  const inner = w.f.sb.fetch;
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
    return inner(url, init);
  };
  if (point?.at === 'command') {
    if (point.kind === 'fail') writeFileSync(w.failFlag, '');
    else writeFileSync(w.hangFlag, '');
  }
  const onStderr = (chunk: string): void => {
    if (point?.at !== 'command' || !chunk.includes('deploy-command-running')) return;
    // "kill" of a deploy command in-process: as SIGINT (a real crash mid-command is an e2e test).
    fireStop(point.kind === 'kill' ? 'SIGTERM' : 'SIGINT');
  };
  try {
    const result = await Promise.race([w.f.cli(args, { fetch, stopSignal: () => stop, onStderr }), froze]);
    if (result === 'killed') {
      // The process is gone: so is its hold on the lock.
      const dir = join(w.f.paths.config, 'rotations');
      if (existsSync(dir)) for (const name of readdirSync(dir)) if (name.endsWith('.lock')) rmSync(join(dir, name));
    } else {
      expect(result.stderr, args.join(' ')).not.toMatch(/Unexpected error|\n\s+at /);
    }
    return result;
  } finally {
    rmSync(w.failFlag, { force: true });
    rmSync(w.hangFlag, { force: true });
  }
}

const ROTATE = (w: World): string[] => ['rotate', 'app', '--deploy-env-file', w.env, '--deploy-cmd', w.command, '--delete-old', '--yes'];
const RECOVER = (mode: Mode): string[] => ['rotate', `--${mode}`, 'app', '--yes'];

async function scenario(first: Point | undefined, mode: Mode, second: Point | undefined): Promise<void> {
  const w = await world();
  try {
    const r1 = await runInterrupted(w, ROTATE(w), first);
    checkSafe(w, `after the rotation (${JSON.stringify(first)})`);
    if (w.f.journals().length > 0) {
      const r2 = await runInterrupted(w, RECOVER(mode), second);
      checkSafe(w, `after the interrupted --${mode} (${JSON.stringify(second)})`);
      if (w.f.journals().length > 0) {
        let r3 = await w.f.cli(RECOVER(mode));
        // --abort is refused once the old key is gone: only --resume can finish.
        if (mode === 'abort' && r3.code === 2) r3 = await w.f.cli(RECOVER('resume'));
        expect(r3.code, `${JSON.stringify({ r1, r2, r3 })}`).toBe(0);
      }
    } else if (r1 !== 'killed') {
      expect([0, 1, 5], r1.stderr).toContain(r1.code);
    }
    checkSafe(w, 'at the end');
    const live = [...liveTokens(w).values()];
    expect(live, 'exactly one live key at the end').toHaveLength(1);
    expect(live[0]).toMatch(/^app(-r20261122)?$/);
    expect(envToken(w)).toBe(w.f.sb.token(live[0]!));
    expect(cmdToken(w)).toBe(w.f.sb.token(live[0]!));
    expect(w.f.journals()).toEqual([]);
  } finally {
    rmSync(w.f.dir, { recursive: true, force: true });
    w.f.paths.cleanup();
  }
}

/** How many requests an uninterrupted rotation makes. */
async function requestCount(): Promise<number> {
  const w = await world();
  let n = 0;
  const fetch: FetchLike = (url, init) => {
    n++;
    return w.f.sb.fetch(url, init);
  };
  const r = await w.f.cli(ROTATE(w), { fetch });
  expect(r.code, r.stderr).toBe(0);
  return n;
}

const KINDS: Kind[] = ['kill', 'sigint', 'fail'];

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
