// A sandbox handler with a known Master key, a settable clock and predictable tokens, plus a
// request helper, so each conformance test reads as "this request → this reply".

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { WireApiKey, WireListPage } from '../../src/api/types.js';
import { createSandboxHandler, createSandboxState, type SandboxHandlerOptions, type SandboxState } from '../../src/sandbox/index.js';

export const MASTER = '0123456789abcdef0123456789abcdef01234567';
export const USER = 'demo';
/** The on-premises form; the other two are tested on their own. */
export const BASE = 'http://sandbox.test/user/demo/api/v3/api_keys';
export const START = new Date('2026-11-22T14:24:41.123Z');

/** Counter-based bytes: distinct, predictable tokens without crypto. */
export function counterRandom(): (size: number) => Buffer {
  let n = 0;
  return (size) => {
    n += 1;
    const b = Buffer.alloc(size);
    b.writeUInt32BE(n, size - 4);
    return b;
  };
}

export function basic(token: string, username = USER): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${username}:${token}`).toString('base64')}` };
}

export interface Sandbox {
  state: SandboxState;
  changes: number;
  clock: { now: Date; tick(seconds: number): void };
  call(method: string, url: string, init?: { token?: string | null; body?: unknown; headers?: Record<string, string> }): Promise<Response>;
  /** A successful create with the Master key; returns the rendered key. */
  create(name: string, grants?: unknown[]): Promise<WireApiKey>;
}

export const SQL_ONLY = [{ type: 'apis', apis: ['sql'] }];

export function makeSandbox(
  opts: { state?: SandboxState; handler?: Omit<SandboxHandlerOptions, 'now' | 'onChange' | 'random'> } = {},
): Sandbox {
  const clock = {
    now: new Date(START),
    tick(seconds: number) {
      this.now = new Date(this.now.getTime() + seconds * 1000);
    },
  };
  const state = opts.state ?? createSandboxState({ masterKey: MASTER, now: () => START, random: counterRandom() });
  const sandbox: Sandbox = {
    state,
    changes: 0,
    clock,
    async call(method, url, init = {}) {
      const token = init.token === undefined ? MASTER : init.token;
      const headers: Record<string, string> = { ...(token !== null && basic(token)), ...init.headers };
      if (init.body !== undefined) headers['content-type'] ??= 'application/json';
      const body = init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
      return handler(new Request(url, { method, headers, ...(body !== undefined && { body }) }));
    },
    async create(name, grants = SQL_ONLY) {
      const res = await sandbox.call('POST', BASE, { body: { name, grants } });
      if (res.status !== 201) throw new Error(`create ${name}: ${res.status} ${await res.text()}`);
      return (await res.json()) as WireApiKey;
    },
  };
  const handler = createSandboxHandler(state, {
    ...opts.handler,
    now: () => clock.now,
    random: counterRandom(),
    onChange: () => {
      sandbox.changes += 1;
    },
  });
  return sandbox;
}

export async function errorsOf(res: Response): Promise<string> {
  const body = (await res.json()) as { errors: string; errors_cause: null };
  return body.errors;
}

export async function listOf(res: Response): Promise<WireListPage> {
  return (await res.json()) as WireListPage;
}

export interface Fixture {
  status: number;
  headers: Record<string, string>;
  body: unknown;
  raw?: string;
}

export function fixture(name: string): Fixture {
  const path = fileURLToPath(new URL(`../../../shared/fixtures/auth-api/${name}.json`, import.meta.url));
  return JSON.parse(readFileSync(path, 'utf8')) as Fixture;
}
