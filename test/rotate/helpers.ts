// Shared by the in-process rotation tests: a sandbox with a key "app", one config folder for every
// run (so --resume finds the journal), a folder for env files, and fetch wrappers that inject faults.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { FetchLike } from '../../src/api/client.js';
import type { Journal } from '../../src/records/journal.js';
import { run, tempPaths, type RunOptions, type RunResult } from '../helpers/harness.js';
import { MASTER, testSandbox, type TestSandbox } from '../helpers/sandbox-fetch.js';

export const NOW = new Date('2026-11-22T10:00:00Z');
export const NEW = 'app-r20261122';
export const APP_GRANTS = ['--api', 'sql,maps', '--table', 'liked_cities:select,insert'];

export interface RotationFixture {
  sb: TestSandbox;
  paths: ReturnType<typeof tempPaths>;
  /** A folder for env files and deploy-command output. */
  dir: string;
  rotate(args: string[], opts?: RunOptions): Promise<RunResult>;
  cli(args: string[], opts?: RunOptions): Promise<RunResult>;
  journals(): Journal[];
  posts(): number;
}

export async function rotationFixture(opts: { quota?: number } = {}): Promise<RotationFixture> {
  const sb = testSandbox(opts);
  const paths = tempPaths();
  const dir = mkdtempSync(join(tmpdir(), 'ck-rotate-'));
  const cli = (args: string[], o: RunOptions = {}) => run(args, { env: sb.env, fetch: sb.fetch, paths, now: NOW, ...o });
  const created = await cli(['create', '--name', 'app', ...APP_GRANTS]);
  expect(created.code, created.stderr).toBe(0);
  sb.requests.length = 0;
  return {
    sb,
    paths,
    dir,
    cli,
    rotate: (args, o) => cli(['rotate', ...args], o),
    journals() {
      const folder = join(paths.config, 'rotations');
      let names: string[];
      try {
        names = readdirSync(folder);
      } catch {
        return [];
      }
      return names.filter((n) => n.endsWith('.json')).map((n) => JSON.parse(readFileSync(join(folder, n), 'utf8')) as Journal);
    },
    posts: () => sb.requests.filter((r) => r.method === 'POST').length,
  };
}

/** The token a request authenticates with (Basic auth), or undefined. */
export function tokenOf(init: Parameters<FetchLike>[1]): string | undefined {
  const auth = init.headers['Authorization'] ?? init.headers['authorization'];
  if (auth === undefined) return undefined;
  const decoded = Buffer.from(auth.replace(/^Basic /, ''), 'base64').toString('utf8');
  return decoded.slice(decoded.indexOf(':') + 1);
}

/** Every request made with a token other than the Master key is refused: verification fails. */
export function refuseNonMaster(inner: FetchLike): FetchLike {
  return async (url, init) => (tokenOf(init) === MASTER ? inner(url, init) : new Response('', { status: 401 }));
}

/** DELETE is forbidden: the last step fails. */
export function refuseDelete(inner: FetchLike): FetchLike {
  return async (url, init) =>
    init.method === 'DELETE'
      ? new Response(JSON.stringify({ errors: "You don't have permission to access that resource", errors_cause: null }), {
          status: 403,
          headers: { 'content-type': 'application/json' },
        })
      : inner(url, init);
}

/** Asserts the message of a stopped rotation: both keys by name, and the commands that go on. */
export function expectStopped(r: RunResult, oldName = 'app', newName = NEW): void {
  expect(r.code, r.stderr).toBe(5);
  expect(r.stderr).toContain(`"${oldName}"`);
  expect(r.stderr).toContain(`"${newName}"`);
  expect(r.stderr).toContain(`carto-keys rotate --resume ${oldName}`);
  expect(r.stderr).toMatch(new RegExp(`carto-keys rotate --abort ${oldName}`));
  // On a terminal the message is wrapped to its width: read as one line.
  expect(r.stderr.replace(/\n +/g, ' ')).toContain(`the old key "${oldName}" still exists and works`);
}
