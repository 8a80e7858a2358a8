// A CI rotation interrupted at every step — Ctrl-C (SIGINT to the process group, as a terminal sends
// it) or a crash (SIGKILL to carto-keys alone) — while that step's request or command is in flight,
// then `rotate --resume` (or, when nothing was journaled yet, the same command again). It must always
// end with exactly one new key, deployed and working, and the old key deleted (or kept, as asked).
//
// The process is caught mid-step by a request the test's sandbox server holds (it resolves a promise
// when the request arrives, or once the sandbox applied it) or by a slow deploy command that says it
// started through a named pipe: the signal goes at that moment, with no polling and no sleep. (Deaths right after a step is journaled, where no request or command is in flight
// to catch the process at, are injected in-process: test/rotate/crash.test.ts.)

import { execFileSync, spawn } from 'node:child_process';
import { createReadStream, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, cli, cliArgs, cliEnv, tempHome, type CliResult, type Home } from '../helpers/e2e.js';
import { serveInProcess, type HeldRequest, type InProcessSandbox } from '../helpers/served.js';

type Point = 'source' | 'create' | 'create (after)' | 'deploy' | 'verify' | 'delete' | 'delete (after)';
type Signal = 'SIGINT' | 'SIGKILL';

interface World {
  sb: InProcessSandbox;
  home: Home;
  env: Record<string, string>;
  envFile: string;
  log: string;
}

async function names(w: World): Promise<Map<string, string>> {
  const body = (await (await w.sb.direct('/api/v3/api_keys?per_page=1000')).json()) as { result: { name: string; token: string }[] };
  return new Map(body.result.map((k) => [k.name, k.token]));
}

async function whoIs(w: World, token: string): Promise<string | number> {
  const res = await w.sb.direct('/api/v3/api_keys', { token });
  if (res.status !== 200) return res.status;
  return ((await res.json()) as { result: { name: string }[] }).result[0]!.name;
}

const journals = (w: World): string[] => {
  const dir = join(w.home.dir, '.config', 'carto-keys', 'rotations');
  return existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.json')) : [];
};

/** The rotation as a CI job runs it, in its own process group (so SIGINT can reach the group). */
function startRotation(w: World, args: string[]): { pid: number; done: Promise<CliResult> } {
  const child = spawn(CLI[0], cliArgs(args), { env: cliEnv(w.env), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { pid: child.pid!, done };
}

/** A named pipe, and the first line written to it: how a deploy command tells the test it started. */
function pipe(path: string): Promise<string> {
  execFileSync('mkfifo', [path]);
  return new Promise((resolve, reject) => {
    let text = '';
    createReadStream(path, 'utf8')
      .on('data', (d) => (text += d))
      .on('end', () => resolve(text.trim()))
      .on('error', reject);
  });
}

/**
 * The deploy command: records what it got (stdin and $CARTO_API_KEY). For the `deploy` point, its
 * first run says so through a named pipe and then deploys slowly, so it is caught mid-deploy.
 */
function deployCommand(w: World, point: Point, started: string): string {
  const once = join(w.home.dir, 'first-run-done');
  const first = point === 'deploy' ? `echo deploying > ${started}; sleep 8` : 'true';
  return `if [ ! -e ${once} ]; then touch ${once}; ${first}; fi; printf '%s|%s\\n' "$(cat)" "$CARTO_API_KEY" >> ${w.log}`;
}

const COLLECTION = /\/api\/v3\/api_keys\/?$/;
const APP = /\/api\/v3\/api_keys\/app$/;

/** The request that holds each step in flight, and whether the sandbox applies it before holding its reply. */
function holdFor(w: World, point: Point): { match: (r: HeldRequest) => boolean; when: 'before' | 'after' } | undefined {
  switch (point) {
    case 'source':
      return { match: (r) => r.method === 'GET' && APP.test(r.pathname), when: 'before' };
    case 'create':
      return { match: (r) => r.method === 'POST' && COLLECTION.test(r.pathname), when: 'before' };
    case 'create (after)':
      return { match: (r) => r.method === 'POST' && COLLECTION.test(r.pathname), when: 'after' };
    case 'verify':
      // The verification lists with the new key's token: the first request with another token than the Master key.
      return { match: (r) => r.method === 'GET' && COLLECTION.test(r.pathname) && r.token !== w.sb.masterKey, when: 'before' };
    case 'delete':
      return { match: (r) => r.method === 'DELETE' && APP.test(r.pathname), when: 'before' };
    case 'delete (after)':
      return { match: (r) => r.method === 'DELETE' && APP.test(r.pathname), when: 'after' };
    default:
      return undefined;
  }
}

async function interrupted(point: Point, signal: Signal, keep: boolean): Promise<void> {
  const home = tempHome();
  const sb = await serveInProcess();
  const w: World = {
    sb,
    home,
    // Long enough that the held request is still in flight when the signal comes.
    env: { ...home.env, CARTO_KEYS_BASE_URL: sb.baseUrl, CARTO_KEYS_MASTER_KEY: sb.masterKey, CARTO_KEYS_TIMEOUT_MS: '20000' },
    envFile: join(home.dir, 'app.env'),
    log: join(home.dir, 'deploy.log'),
  };
  try {
    const made = await sb.direct('/api/v3/api_keys', {
      method: 'POST',
      body: { name: 'app', grants: [{ type: 'apis', apis: ['sql'] }, { type: 'database', tables: [{ schema: 'public', name: 'world_population', permissions: ['select'] }] }] },
    });
    expect(made.status).toBe(201);
    const oldToken = (await names(w)).get('app')!;
    const startedPipe = join(home.dir, 'deploy-started');
    const deploying = point === 'deploy' ? pipe(startedPipe) : undefined;
    const args = ['rotate', 'app', '--deploy-env-file', w.envFile, '--deploy-cmd', deployCommand(w, point, startedPipe), keep ? '--keep-old' : '--delete-old', '--yes'];
    const h = holdFor(w, point);
    const held = h === undefined ? undefined : sb.hold(h.match, h.when);

    const run = startRotation(w, args);
    // The step is in flight: its request arrived (and, for `after`, the sandbox applied it), or the
    // deploy command said it started. If the run ends first, it never got there: fail with its output.
    const reached = await Promise.race([
      (held?.arrived ?? deploying!).then(() => true),
      run.done.then((r) => {
        throw new Error(`the rotation ended before the ${point} step was in flight (${r.code})\n${r.stderr}`);
      }),
    ]);
    expect(reached).toBe(true);
    process.kill(signal === 'SIGINT' ? -run.pid : run.pid, signal);
    const first = await run.done;
    // Stopped by the signal, or (if carto-keys handles Ctrl-C itself) with "cancelled" or "partly done".
    expect(first.signal === signal || [3, 5, 130].includes(first.code ?? -1), `${first.code} ${first.signal}\n${first.stderr}`).toBe(true);
    expect(first.stderr).not.toMatch(/Unexpected error|\n\s+at /);

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
    const seen = { journal: journals(w).length === 1, created: madeYet, deployed: existsSync(w.envFile), oldGone: !mid.has('app') };
    // carto-keys handles SIGINT once the journal exists: it gives up the stalled request and exits 5, and
    // the server may still act on that request when the connection closes.
    if (signal === 'SIGINT' && point === 'create') seen.created = false;
    if (signal === 'SIGINT' && point === 'delete') seen.oldGone = false;
    if (signal === 'SIGINT' && point !== 'source') expect(first.code, first.stderr).toBe(5);
    expect(seen).toEqual(expectedMid[point]);

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
