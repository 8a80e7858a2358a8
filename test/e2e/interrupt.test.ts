// A CI rotation interrupted at every step — Ctrl-C (SIGINT to the process group, as a terminal sends
// it) or a crash (SIGKILL to carto-keys alone) — while that step's request or command is in flight,
// then `rotate --resume` (or, when nothing was journaled yet, the same command again). It must always
// end with exactly one new key, deployed and working, and the old key deleted (or kept, as asked).
//
// The process is caught mid-step by a stalled request (`sandbox serve` fault injection) or a slow
// deploy command. (Deaths right after a step is journaled, where no request or command is in flight
// to catch the process at, are injected in-process: test/rotate/crash.test.ts.)

import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cli, cliEnv, serveSandbox, tempHome, type CliResult, type Home, type ServedSandbox } from '../helpers/e2e.js';

type Point = 'source' | 'create' | 'create (after)' | 'deploy' | 'verify' | 'delete' | 'delete (after)';
type Signal = 'SIGINT' | 'SIGKILL';

interface World {
  sb: ServedSandbox;
  home: Home;
  env: Record<string, string>;
  envFile: string;
  log: string;
}

async function faults(w: World, method: 'GET' | 'POST', body?: unknown): Promise<unknown[]> {
  const res = await fetch(`${new URL(w.sb.baseUrl).origin}/__sandbox/faults`, { method, ...(body !== undefined && { body: JSON.stringify(body) }) });
  return (await res.json()) as unknown[];
}

async function names(w: World): Promise<Map<string, string>> {
  const res = await fetch(`${w.sb.baseUrl}/api/v3/api_keys?per_page=1000`, {
    headers: { authorization: `Basic ${Buffer.from(`demo:${w.sb.masterKey}`).toString('base64')}` },
  });
  const body = (await res.json()) as { result: { name: string; token: string }[] };
  return new Map(body.result.map((k) => [k.name, k.token]));
}

async function whoIs(w: World, token: string): Promise<string | number> {
  const res = await fetch(`${w.sb.baseUrl}/api/v3/api_keys`, { headers: { authorization: `Basic ${Buffer.from(`demo:${token}`).toString('base64')}` } });
  if (res.status !== 200) return res.status;
  return ((await res.json()) as { result: { name: string }[] }).result[0]!.name;
}

const journals = (w: World): string[] => {
  const dir = join(w.home.dir, '.config', 'carto-keys', 'rotations');
  return existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.json')) : [];
};

const until = async (what: string, ok: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

/** The rotation as a CI job runs it, in its own process group (so SIGINT can reach the group). */
function startRotation(w: World, args: string[]): { pid: number; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [BIN, ...args], { env: cliEnv(w.env), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { pid: child.pid!, done };
}

/**
 * The deploy command: records what it got (stdin and $CARTO_API_KEY), and the first time it runs it
 * can stall (to be interrupted mid-deploy) or arm a stall for the next request (the verify step).
 */
function deployCommand(w: World, point: Point): string {
  const once = join(w.home.dir, 'first-run-done');
  const origin = new URL(w.sb.baseUrl).origin;
  const arm = `${JSON.stringify(process.execPath)} -e ${JSON.stringify(
    `fetch(${JSON.stringify(`${origin}/__sandbox/faults`)}, { method: 'POST', body: JSON.stringify([{ method: 'GET', path: '/api_keys/?$', kind: 'stall' }]) })`,
  )}`;
  const first = point === 'deploy' ? `touch ${once}.deploying; sleep 8` : point === 'verify' ? `${arm} && touch ${once}.armed` : 'true';
  return `if [ ! -e ${once} ]; then touch ${once}; ${first}; fi; printf '%s|%s\\n' "$(cat)" "$CARTO_API_KEY" >> ${w.log}`;
}

/** The fault that holds the step's request in flight, armed before the run (verify arms its own). */
function stallFor(point: Point): unknown[] {
  switch (point) {
    case 'source':
      return [{ method: 'GET', path: '/api_keys/app$', kind: 'stall' }];
    case 'create':
      return [{ method: 'POST', path: '/api_keys/?$', kind: 'stall' }];
    case 'create (after)':
      return [{ method: 'POST', path: '/api_keys/?$', kind: 'stall', when: 'after' }];
    case 'delete':
      return [{ method: 'DELETE', path: '/api_keys/app$', kind: 'stall' }];
    case 'delete (after)':
      return [{ method: 'DELETE', path: '/api_keys/app$', kind: 'stall', when: 'after' }];
    default:
      return [];
  }
}

async function interrupted(point: Point, signal: Signal, keep: boolean): Promise<void> {
  const home = tempHome();
  const sb = await serveSandbox();
  const w: World = {
    sb,
    home,
    // Long enough that the stalled request is still in flight when the signal comes.
    env: { ...home.env, CARTO_KEYS_BASE_URL: sb.baseUrl, CARTO_KEYS_MASTER_KEY: sb.masterKey, CARTO_KEYS_TIMEOUT_MS: '20000' },
    envFile: join(home.dir, 'app.env'),
    log: join(home.dir, 'deploy.log'),
  };
  try {
    const made = await cli(['create', '--name', 'app', '--api', 'sql', '--table', 'world_population:select'], { env: w.env });
    expect(made.code, made.stderr).toBe(0);
    const oldToken = (await names(w)).get('app')!;
    const args = ['rotate', 'app', '--deploy-env-file', w.envFile, '--deploy-cmd', deployCommand(w, point), keep ? '--keep-old' : '--delete-old', '--yes'];
    const armed = stallFor(point);
    if (armed.length > 0) await faults(w, 'POST', armed);

    const run = startRotation(w, args);
    // Wait until the step is in flight: its stalled request arrived, or the deploy command is sleeping.
    if (point === 'deploy') await until('the deploy command', () => existsSync(join(home.dir, 'first-run-done.deploying')));
    else if (point === 'verify') await until('the verify request', async () => existsSync(join(home.dir, 'first-run-done.armed')) && (await faults(w, 'GET')).length === 0);
    else await until(`the ${point} request`, async () => (await faults(w, 'GET')).length === 0);
    // An `after` fault lets the server act first: give it the moment it needs.
    await new Promise((r) => setTimeout(r, 150));
    process.kill(signal === 'SIGINT' ? -run.pid : run.pid, signal);
    const first = await run.done;
    // Stopped by the signal, or (if carto-keys handles Ctrl-C itself) with "cancelled" or "partly done".
    expect(first.signal === signal || [3, 5, 130].includes(first.code ?? -1), `${first.code} ${first.signal}\n${first.stderr}`).toBe(true);
    expect(first.stderr).not.toMatch(/Unexpected error|\n\s+at /);
    expect(await faults(w, 'GET')).toEqual([]); // the stall was used: nothing left to trip the resume

    // Where it stopped, so the case is known to have hit its step.
    const mid = await names(w);
    const madeYet = [...mid.keys()].some((n) => /^app-r\d{8}/.test(n));
    const expectedMid: Record<Point, { journal: boolean; created: boolean; deployed: boolean; oldGone: boolean }> = {
      source: { journal: false, created: false, deployed: false, oldGone: false },
      create: { journal: true, created: false, deployed: false, oldGone: false },
      'create (after)': { journal: true, created: true, deployed: false, oldGone: false },
      deploy: { journal: true, created: true, deployed: true, oldGone: false },
      verify: { journal: true, created: true, deployed: true, oldGone: false },
      delete: { journal: true, created: true, deployed: true, oldGone: false },
      'delete (after)': { journal: true, created: true, deployed: true, oldGone: !keep },
    };
    expect({ journal: journals(w).length === 1, created: madeYet, deployed: existsSync(w.envFile), oldGone: !mid.has('app') }).toEqual(expectedMid[point]);

    // Continue: --resume when a journal says a rotation is under way, else the same command again.
    const again = journals(w).length > 0 ? await cli(['rotate', '--resume', 'app'], { env: w.env, timeoutMs: 30_000 }) : await cli(args, { env: w.env, timeoutMs: 30_000 });
    expect(again.code, `${again.stdout}${again.stderr}`).toBe(0);

    const after = await names(w);
    const fresh = [...after.keys()].filter((n) => /^app-r\d{8}/.test(n));
    expect(fresh, [...after.keys()].join(', ')).toHaveLength(1);
    const newName = fresh[0]!;
    const token = after.get(newName)!;
    expect([...after.keys()].sort()).toEqual(['Default public', 'Master', ...(keep ? ['app'] : []), newName].sort());
    expect(await whoIs(w, token)).toBe(newName);
    expect(await whoIs(w, oldToken)).toBe(keep ? 'app' : 401);
    expect(readFileSync(w.envFile, 'utf8')).toBe(`CARTO_API_KEY=${token}\n`);
    // The command target got the new token (on stdin and in its environment) on its last run.
    expect(readFileSync(w.log, 'utf8').trim().split('\n').at(-1)).toBe(`${token}|${token}`);
    expect(journals(w)).toEqual([]);
  } finally {
    await sb.stop();
    home.cleanup();
  }
}

const POINTS: Point[] = ['source', 'create', 'create (after)', 'deploy', 'verify', 'delete', 'delete (after)'];

describe.concurrent('rotate interrupted at every step, then resumed (built binary)', () => {
  for (const point of POINTS) {
    for (const signal of ['SIGINT', 'SIGKILL'] as const) {
      it(`${signal} during ${point} → one new key, deployed; old key deleted`, { timeout: 60_000 }, () => interrupted(point, signal, false));
    }
  }
  for (const point of ['create (after)', 'verify'] as const) {
    it(`SIGINT during ${point}, --keep-old → one new key, deployed; old key kept`, { timeout: 60_000 }, () => interrupted(point, 'SIGINT', true));
  }
});
