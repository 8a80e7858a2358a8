// The built binary killed while a deploy command runs (issue 12, point 1 and 4), at the exact moment:
// the deploy command writes the token to its store, then says so through a FIFO the test reads, then
// waits. Then `rotate --abort` (or `--resume`) must leave the store holding a live key's token, and no
// deploy command of the killed run may write anything afterwards. The same for a key `apply` creates
// with a deploy command (one deployer, one journal: issue 20; issue 24, point 2).
//
// A process is "the deploy command" only while it is the same process: its pid AND its start time.
// The SIGKILL cases once saw "the orphan" alive after --abort (1 run in ~20, Node 24 CI): the orphan
// had been stopped, and its pid was reused by another process of a busy machine (pid_max wraps).

import { spawn, spawnSync } from 'node:child_process';
import { createReadStream, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, cli, cliArgs, cliEnv, tempHome, type CliResult } from '../helpers/e2e.js';
import { serveInProcess } from '../helpers/served.js';

async function keys(baseUrl: string, master: string): Promise<Map<string, string>> {
  const res = await fetch(`${baseUrl}/api/v3/api_keys?per_page=1000`, {
    headers: { authorization: `Basic ${Buffer.from(`demo:${master}`).toString('base64')}` },
  });
  const body = (await res.json()) as { result: { name: string; token: string }[] };
  return new Map(body.result.map((k) => [k.name, k.token]));
}

/** Resolves with the first line written to the FIFO (opened for reading now, so writers do not block forever). */
function fifoLine(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const stream = createReadStream(path, { encoding: 'utf8' });
    stream.on('data', (d) => {
      text += d;
      if (text.includes('\n')) {
        stream.destroy();
        resolve(text.split('\n')[0]!);
      }
    });
    stream.on('error', reject);
  });
}

function start(args: string[], env: Record<string, string>): { pid: number; done: Promise<CliResult> } {
  // A process group of its own, as a shell job: "Ctrl-C" is SIGINT to the whole group.
  const child = spawn(CLI[0], cliArgs(args), { env: cliEnv(env), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return { pid: child.pid!, done: new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))) };
}

/** A live (not zombie) process's start time (clock ticks after boot); undefined when gone. */
function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return /^[ZX]/.test(fields[0]!) ? undefined : fields[19];
  } catch {
    return undefined;
  }
}

/** The deploy command's shell, identified by pid and start time: alive while that very process lives. */
function processOf(pid: number): () => boolean {
  const started = startTimeOf(pid);
  expect(started, `process ${pid} is running`).toBeDefined();
  return () => startTimeOf(pid) === started;
}

type How = 'SIGINT to the group' | 'SIGTERM to carto-keys' | 'SIGKILL to carto-keys';

type Flow = 'rotate' | 'apply';

async function killMidDeploy(how: How, then: 'abort' | 'resume', flow: Flow = 'rotate'): Promise<void> {
  const home = tempHome();
  const sb = await serveInProcess();
  const env = { ...home.env, CARTO_KEYS_BASE_URL: sb.baseUrl, CARTO_KEYS_MASTER_KEY: sb.masterKey };
  try {
    if (flow === 'rotate') expect((await cli(['create', '--name', 'app', '--api', 'sql'], { env })).code).toBe(0);
    // apply creates "svc": there is no old token, the store starts empty.
    const oldToken = flow === 'rotate' ? (await keys(sb.baseUrl, sb.masterKey)).get('app')! : '';
    const store = join(home.dir, 'store');
    const fifo = join(home.dir, 'ready');
    const pids = join(home.dir, 'pids');
    writeFileSync(store, oldToken);
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    // First run (the token is new): write it, report, then wait and write again later — the write that
    // must never happen after carto-keys gave up on this run. Later runs (--abort/--resume) just write.
    const command = `if [ ! -e ${store}.first ]; then touch ${store}.first; printf %s "$CARTO_API_KEY" > ${store}; echo $$ >> ${pids}; echo ready > ${fifo}; sleep 600; printf %s "$CARTO_API_KEY" > ${store}; else printf %s "$CARTO_API_KEY" > ${store}; fi`;
    const ready = fifoLine(fifo);
    let run: ReturnType<typeof start>;
    const keysFile = join(home.dir, 'carto-keys.yaml');
    if (flow === 'rotate') run = start(['rotate', 'app', '--deploy-cmd', command, '--delete-old', '--yes'], env);
    else {
      const script = join(home.dir, 'deploy.sh');
      writeFileSync(script, `${command}\n`);
      writeFileSync(keysFile, `version: 1\nkeys:\n  svc:\n    apis: [sql]\n    deploy:\n      - cmd: sh ${script}\n`);
      run = start(['apply', '-f', keysFile, '--yes'], env);
    }
    expect(await ready).toBe('ready');
    const deployPid = Number(readFileSync(pids, 'utf8').trim());
    const deployAlive = processOf(deployPid);
    if (how === 'SIGINT to the group') process.kill(-run.pid, 'SIGINT');
    else process.kill(run.pid, how === 'SIGTERM to carto-keys' ? 'SIGTERM' : 'SIGKILL');
    const first = await run.done;

    if (how === 'SIGKILL to carto-keys') {
      expect(first.signal).toBe('SIGKILL');
      // The deploy command outlived it, in its own process group.
      expect(deployAlive()).toBe(true);
    } else if (flow === 'rotate') {
      // Stopped, with the state and both commands; the deploy command was stopped and waited for.
      expect(first.code, first.stderr).toBe(5);
      expect(first.stderr).toMatch(/Rotation of "app" stopped: interrupted by SIG(INT|TERM)/);
      expect(first.stderr).toContain('carto-keys rotate --resume app');
      expect(first.stderr).toContain('carto-keys rotate --abort app --yes');
      expect(deployAlive()).toBe(false);
    } else {
      // apply's create: the same exit 5 and state (never a death by the signal), the command stopped.
      expect(first.signal, first.stderr).toBeNull();
      expect(first.code, first.stderr).toBe(5);
      expect(first.stderr).toMatch(/Creating "svc" stopped: interrupted by SIG(INT|TERM)/);
      expect(first.stderr).toContain('carto-keys apply --resume');
      expect(first.stderr).toContain('carto-keys apply --abort');
      expect(deployAlive()).toBe(false);
    }
    if (flow === 'apply') {
      const after = await cli(['apply', `--${then}`, ...(then === 'resume' ? ['-f', keysFile] : []), '--yes'], { env, timeoutMs: 30_000 });
      expect(after.code, after.stderr).toBe(0);
      expect(deployAlive()).toBe(false);
      const live = await keys(sb.baseUrl, sb.masterKey);
      // The store holds svc's token, and svc lives: --abort keeps a key whose token a target may hold.
      expect(live.has('svc')).toBe(true);
      expect(readFileSync(store, 'utf8')).toBe(live.get('svc'));
      if (then === 'abort') expect(after.stderr).toContain('Kept "svc"');
      return;
    }
    const newName = [...(await keys(sb.baseUrl, sb.masterKey)).keys()].find((n) => n.startsWith('app-r'))!;
    expect(newName).toBeDefined();

    const after = await cli(['rotate', `--${then}`, 'app', '--yes'], { env, timeoutMs: 30_000 });
    expect(after.code, after.stderr).toBe(0);
    // Whatever ran before is gone: nothing can write the store any more.
    expect(deployAlive()).toBe(false);
    const live = await keys(sb.baseUrl, sb.masterKey);
    if (then === 'abort') {
      expect(live.has(newName)).toBe(false);
      expect(readFileSync(store, 'utf8')).toBe(oldToken);
    } else {
      expect(live.has('app')).toBe(false);
      expect(readFileSync(store, 'utf8')).toBe(live.get(newName));
    }
  } finally {
    await sb.stop();
    home.cleanup();
  }
}

describe.concurrent('rotate killed while a deploy command runs (built binary)', () => {
  it('SIGINT to the group: exit 5 with the state; --abort puts the old token back in the store', { timeout: 60_000 }, () =>
    killMidDeploy('SIGINT to the group', 'abort'));
  it('SIGTERM to carto-keys alone: the deploy command is stopped too; --abort', { timeout: 60_000 }, () =>
    killMidDeploy('SIGTERM to carto-keys', 'abort'));
  it('SIGKILL: the orphaned deploy command is stopped by --abort before it restores', { timeout: 60_000 }, () =>
    killMidDeploy('SIGKILL to carto-keys', 'abort'));
  it('SIGKILL, then --resume: the orphan is stopped, the store gets the new token, the old key goes', { timeout: 60_000 }, () =>
    killMidDeploy('SIGKILL to carto-keys', 'resume'));
});

describe.concurrent("apply killed while a created key's deploy command runs (built binary; issue 24, point 2)", () => {
  it('SIGINT to the group: exit 5, the command stopped; --abort keeps the key the store holds', { timeout: 60_000 }, () =>
    killMidDeploy('SIGINT to the group', 'abort', 'apply'));
  it('SIGTERM to carto-keys: exit 5, the command stopped; --resume finishes the deploy', { timeout: 60_000 }, () =>
    killMidDeploy('SIGTERM to carto-keys', 'resume', 'apply'));
  it('SIGKILL: the orphaned command is stopped by --abort, which keeps the key the store holds', { timeout: 60_000 }, () =>
    killMidDeploy('SIGKILL to carto-keys', 'abort', 'apply'));
});
