// The fault matrix: every command that talks to the API, under every kind of failure the sandbox
// server can inject, run in-process (the command through the harness's context, retries without
// waiting: the context's sleep is instant) against `startSandboxServer` on 127.0.0.1 — the real
// node:http transport and real sockets, so a reset is a socket destroyed mid-request and a stall a
// request never answered. Each case asserts the exit code the CLI should end with (0 when a retry or
// a recovery absorbed the fault, 1 otherwise), that a failure is one clear message without a stack
// trace, and what the server holds afterwards: no key lost, no duplicate key made by a retried
// create, a regenerated token never silently lost. Every injected fault must have been hit.
//
// Each case has its own server and folders, so cases run concurrently. A stall costs one per-attempt
// timeout (CARTO_KEYS_TIMEOUT_MS, short: the server answers in-process within milliseconds); nothing
// else waits. The built binary under a few of these faults, with its real back-offs, is
// test/e2e/faults.test.ts. The table at the end of the run (afterAll) lists every case and its outcome.

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetworkFetch } from '../../src/api/http.js';
import { createSandboxHandler, createSandboxState, startSandboxServer, type SandboxState } from '../../src/sandbox/index.js';
import type { SandboxFault } from '../../src/sandbox/faults.js';
import type { SandboxServer } from '../../src/sandbox/serve.js';
import { run, tempPaths, type RunOptions, type RunResult } from '../helpers/harness.js';

// A stall's cost; far above an in-process reply even on a loaded 2-core machine.
const TIMEOUT_MS = 1000;
const RETRIES = 3;
const EXHAUST = RETRIES + 1;
const MASTER = 'f'.repeat(8) + '0123456789abcdef0123456789abcdef';

// ------------------------------------------------------------------------------------------------
// Servers, and what they hold

interface WireKey {
  name: string;
  token: string;
}

interface Served {
  state: SandboxState;
  server: SandboxServer;
  baseUrl: string;
  handler: ReturnType<typeof createSandboxHandler>;
}

async function serve(): Promise<Served> {
  const state = createSandboxState({ masterKey: MASTER });
  const handler = createSandboxHandler(state);
  const server = await startSandboxServer({ handler, port: 0 });
  return { state, server, handler, baseUrl: `${server.url}/user/${state.users[0]!.username}` };
}

/** A snapshot: the sandbox changes its key objects in place (a regenerated token). */
function keysOn(s: Served): Map<string, WireKey> {
  return new Map(s.state.users[0]!.keys.map((k) => [k.name, { name: k.name, token: k.token }]));
}

const GRANTS = [
  { type: 'apis', apis: ['sql'] },
  { type: 'database', tables: [{ schema: 'public', name: 'world_population', permissions: ['select'] }] },
];

/** Made straight through the handler, before the fault is armed. */
async function createOn(s: Served, name: string): Promise<void> {
  const res = await s.handler(
    new Request(`${s.baseUrl}/api/v3/api_keys`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`demo:${MASTER}`).toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name, grants: GRANTS }),
    }),
  );
  expect(res.status, await res.text()).toBe(201);
}

/** The CLI in-process, over the production transport (node:http, keep-alive), closed afterwards. */
async function ck(args: string[], opts: RunOptions): Promise<RunResult> {
  const fetch = await createNetworkFetch({});
  try {
    return await run(args, { ...opts, fetch });
  } finally {
    await fetch.close?.();
  }
}

// ------------------------------------------------------------------------------------------------
// The matrix: commands × faults

type Kind = SandboxFault['kind'];

/** What a case knows about its own key and server while it runs. */
interface CaseEnv {
  /** A key made for this case before the fault is armed (show, revoke, regenerate, clone, rotate). */
  key: string;
  /** The name of the key the command should create (create, clone, rotate). */
  newKey: string;
  /** A deploy target of this case's own (rotate). */
  envFile: string;
}

interface CommandSpec {
  /** argv for the case; the Master key comes from the environment. */
  args(c: CaseEnv): string[];
  /** Method and pathname pattern of the request the fault hits. */
  method: 'GET' | 'POST' | 'DELETE';
  path(c: CaseEnv): string;
  /** Makes `c.key` before the run. */
  needsKey: boolean;
  /** On exit 0, what stdout must show. */
  stdout(c: CaseEnv): RegExp;
  /** The server's keys before and after, and the exit code: throw if something was lost or duplicated. */
  state(before: Map<string, WireKey>, after: Map<string, WireKey>, c: CaseEnv, code: number | null): void;
  /** Lines an error may take (rotate's exit 5 says what exists now and how to continue or undo). */
  maxErrorLines?: number;
}

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const COLLECTION = '/api/v3/api_keys/?$';
const one = (name: string): string => `/api/v3/api_keys/${esc(encodeURIComponent(name))}$`;

function unchanged(before: Map<string, WireKey>, after: Map<string, WireKey>): void {
  expect([...after.keys()]).toEqual([...before.keys()]);
  for (const [name, k] of before) expect(after.get(name)?.token, `token of ${name}`).toBe(k.token);
}

/** Exactly the keys of before, plus (on success) exactly one new key named `name`, never two. */
function createdOnce(before: Map<string, WireKey>, after: Map<string, WireKey>, name: string, code: number | null): void {
  const added = [...after.keys()].filter((n) => !before.has(n));
  const lost = [...before.keys()].filter((n) => !after.has(n));
  expect(lost).toEqual([]);
  if (code === 0) expect(added).toEqual([name]);
  else expect(added.length).toBeLessThanOrEqual(1);
  for (const [n, k] of before) expect(after.get(n)?.token, `token of ${n}`).toBe(k.token);
}

const COMMANDS = {
  list: {
    args: () => ['list'],
    method: 'GET',
    path: () => COLLECTION,
    needsKey: true,
    stdout: (c) => new RegExp(`^Master\\t[\\s\\S]*\\n${esc(c.key)}\\t`),
    state: (before, after) => unchanged(before, after),
  },
  show: {
    args: (c) => ['show', c.key],
    method: 'GET',
    path: (c) => one(c.key),
    needsKey: true,
    stdout: (c) => new RegExp(`${esc(c.key)}[\\s\\S]*world_population`),
    state: (before, after) => unchanged(before, after),
  },
  create: {
    args: (c) => ['create', '--name', c.newKey, '--api', 'sql', '--table', 'world_population:select'],
    method: 'POST',
    path: () => COLLECTION,
    needsKey: false,
    stdout: () => /Token +[A-Za-z0-9_-]{22}\n/,
    state: (before, after, c, code) => createdOnce(before, after, c.newKey, code),
  },
  revoke: {
    args: (c) => ['revoke', c.key, '--yes'],
    method: 'DELETE',
    path: (c) => one(c.key),
    needsKey: true,
    stdout: () => /^$/,
    state: (before, after, c, code) => {
      // Exactly the one key gone on success; on failure it may be gone (the reply was lost) but nothing else is.
      const expected = [...before.keys()].filter((n) => n !== c.key);
      const names = [...after.keys()].filter((n) => n !== c.key);
      expect(names).toEqual(expected);
      if (code === 0) expect(after.has(c.key)).toBe(false);
    },
  },
  regenerate: {
    args: (c) => ['regenerate', c.key, '--yes', '--token-only'],
    method: 'POST',
    path: (c) => `${one(c.key).slice(0, -1)}/token/regenerate$`,
    needsKey: true,
    stdout: () => /^[A-Za-z0-9_-]{22}\n$/,
    state: (before, after, c, code) => {
      expect([...after.keys()]).toEqual([...before.keys()]);
      const changed = after.get(c.key)!.token !== before.get(c.key)!.token;
      // Success means a new token, which was printed; a failure must mean the token did NOT change
      // (a changed token nobody was told about would break every app silently).
      expect(changed, 'token changed').toBe(code === 0);
    },
  },
  clone: {
    args: (c) => ['clone', c.key, '--name', c.newKey, '--add-api', 'maps'],
    method: 'POST',
    path: () => COLLECTION,
    needsKey: true,
    stdout: () => /Token +[A-Za-z0-9_-]{22}\n/,
    state: (before, after, c, code) => createdOnce(before, after, c.newKey, code),
  },
  // The fault hits the create of the new key.
  rotate: {
    args: (c) => ['rotate', c.key, '--new-name', c.newKey, '--deploy-env-file', c.envFile, '--delete-old', '--yes'],
    method: 'POST',
    path: () => COLLECTION,
    needsKey: true,
    stdout: () => /^$/,
    state: (before, after, c, code) => rotated(before, after, c, code),
    maxErrorLines: 4,
  },
  // The fault hits the delete of the old key, once the new one is deployed and verified.
  'rotate (delete old)': {
    args: (c) => ['rotate', c.key, '--new-name', c.newKey, '--deploy-env-file', c.envFile, '--delete-old', '--yes'],
    method: 'DELETE',
    path: (c) => one(c.key),
    needsKey: true,
    stdout: () => /^$/,
    state: (before, after, c, code) => rotated(before, after, c, code),
    maxErrorLines: 4,
  },
} satisfies Record<string, CommandSpec>;

/**
 * A rotation ends in one of three states, and only these: done (exit 0: one new key, deployed, the old
 * one gone), nothing done (exit 1: no new key, nothing deployed, the old key intact), or stopped
 * midway (exit 5: the old key intact and still in use, the new key at most once).
 */
function rotated(before: Map<string, WireKey>, after: Map<string, WireKey>, c: CaseEnv, code: number | null): void {
  const others = (m: Map<string, WireKey>): string[] => [...m.keys()].filter((n) => n !== c.key && n !== c.newKey);
  expect(others(after)).toEqual(others(before));
  const deployed = existsSync(c.envFile) ? readFileSync(c.envFile, 'utf8') : undefined;
  if (code === 0) {
    expect(after.has(c.key), 'old key deleted').toBe(false);
    expect(deployed).toBe(`CARTO_API_KEY=${after.get(c.newKey)!.token}\n`);
  } else if (code === 1) {
    expect(after.has(c.newKey), 'no new key').toBe(false);
    expect(after.get(c.key)?.token).toBe(before.get(c.key)!.token);
    expect(deployed).toBeUndefined();
  } else {
    expect(code).toBe(5);
    expect(after.get(c.key)?.token, 'old key intact').toBe(before.get(c.key)!.token);
  }
}

type CommandName = keyof typeof COMMANDS;

interface Case {
  command: CommandName;
  kind: Kind;
  when: 'before' | 'after';
  times: number;
  /** 0: a retry or a recovery absorbs the fault; 1: a clear failure; 5: a rotation stopped midway. */
  exit: 0 | 1 | 5;
  /** For exit 1: what the message must say. */
  says?: RegExp;
  /** Also asserted on success, e.g. the recovery warning. */
  stderr?: RegExp;
}

const c = (command: CommandName, kind: Kind, exit: 0 | 1 | 5, more: Partial<Omit<Case, 'command' | 'kind' | 'exit'>> = {}): Case => ({
  command,
  kind,
  exit,
  when: more.when ?? 'before',
  times: more.times ?? 1,
  ...more,
});

const UNREADABLE = {
  empty200: /answered 200 with an empty body/,
  truncated: /answered 200 with truncated or invalid JSON/,
  wrongShape: /answered 200 with a reply that is not/,
} as const;
const RECOVERED = /the key was created but the reply was lost or unreadable; recovered it/i;
const REGEN_RECOVERED = /regenerated but the reply was lost or unreadable; fetched the new one/i;
const REGEN_UNCHANGED = /token has not changed/;

/** GETs are idempotent: every transient fault is retried away; an unreadable 200 is reported. */
function readCases(command: 'list' | 'show'): Case[] {
  return [
    c(command, 'reset', 0),
    c(command, 'stall', 0),
    c(command, 'status500', 0),
    c(command, 'html502', 0),
    c(command, 'status429', 0),
    c(command, 'empty200', 1, { says: UNREADABLE.empty200 }),
    c(command, 'truncated', 1, { says: UNREADABLE.truncated }),
    c(command, 'wrongShape', 1, { says: UNREADABLE.wrongShape }),
  ];
}

/** create and clone share the POST: a fault before or after the key is made must end with one key. */
function createCases(command: 'create' | 'clone' | 'rotate', whens: ('before' | 'after')[]): Case[] {
  const rows: Case[] = [];
  for (const when of whens) {
    const recovered = when === 'after' ? { stderr: RECOVERED } : {};
    rows.push(
      c(command, 'reset', 0, { when, ...recovered }),
      c(command, 'stall', 0, { when, ...recovered }),
      c(command, 'status500', 0, { when, ...recovered }),
      c(command, 'html502', 0, { when, ...recovered }),
    );
    if (when === 'before') rows.push(c(command, 'status429', 0, { when }));
    // An unreadable 2xx after the key was made: fetched by name. Before (nothing made): reported.
    for (const kind of ['empty200', 'truncated', 'wrongShape'] as const) {
      rows.push(
        when === 'after'
          ? c(command, kind, 0, { when, stderr: RECOVERED })
          : c(command, kind, 1, { when, says: /nothing was created; try again/ }),
      );
    }
  }
  return rows;
}

const CASES: Case[] = [
  ...readCases('list'),
  c('list', 'reset', 1, { times: EXHAUST, says: /Could not list API keys: cannot reach 127\.0\.0\.1:\d+ \(.*(ECONNRESET|socket|closed)/i }),
  c('list', 'status429', 1, { times: EXHAUST, says: /is limiting the request rate \(429\)/ }),
  ...readCases('show'),
  c('show', 'status500', 1, { times: EXHAUST, says: /Could not show API key "f-\d+": CARTO says .*\(500\)|answered 500/ }),

  ...createCases('create', ['before', 'after']),
  c('create', 'status500', 1, { when: 'after', times: EXHAUST, says: /may have been created anyway: check with `carto-keys show/ }),
  c('create', 'html502', 1, { times: EXHAUST, says: /HTML page instead of the Auth API[\s\S]*may have been created anyway/ }),

  c('revoke', 'reset', 0, { when: 'after' }),
  c('revoke', 'reset', 0),
  c('revoke', 'stall', 0, { when: 'after' }),
  c('revoke', 'status500', 0, { when: 'after' }),
  c('revoke', 'html502', 0),
  c('revoke', 'status429', 0),
  // DELETE answers 204 with no body: a 200 with any body after the delete is still a success.
  c('revoke', 'empty200', 0, { when: 'after' }),
  c('revoke', 'truncated', 0, { when: 'after' }),
  c('revoke', 'wrongShape', 0, { when: 'after' }),
  c('revoke', 'status500', 1, { times: EXHAUST, says: /Could not delete API key "f-\d+"/ }),

  // regenerate is not idempotent: retried only when surely unsent (429/503). After any other fault
  // the CLI looks at the key: a changed token is the new one (printed); an unchanged one is reported.
  c('regenerate', 'reset', 0, { when: 'after', stderr: REGEN_RECOVERED }),
  c('regenerate', 'reset', 1, { says: REGEN_UNCHANGED }),
  c('regenerate', 'stall', 0, { when: 'after', stderr: REGEN_RECOVERED }),
  c('regenerate', 'stall', 1, { says: /did not answer within 1 s[\s\S]*token has not changed/ }),
  c('regenerate', 'status500', 0, { when: 'after', stderr: REGEN_RECOVERED }),
  c('regenerate', 'status500', 1, { says: REGEN_UNCHANGED }),
  c('regenerate', 'html502', 0, { when: 'after', stderr: REGEN_RECOVERED }),
  c('regenerate', 'status429', 0),
  c('regenerate', 'empty200', 0, { when: 'after', stderr: REGEN_RECOVERED }),
  c('regenerate', 'empty200', 1, { says: REGEN_UNCHANGED }),
  c('regenerate', 'truncated', 0, { when: 'after', stderr: REGEN_RECOVERED }),
  c('regenerate', 'wrongShape', 0, { when: 'after', stderr: REGEN_RECOVERED }),
  c('regenerate', 'status429', 1, { times: EXHAUST, says: /limiting the request rate \(429\)/ }),

  ...createCases('clone', ['after']),
  c('clone', 'status429', 0),
  c('clone', 'reset', 1, { times: EXHAUST, says: /may have been created anyway/ }),

  // rotate: the create of the new key...
  ...createCases('rotate', ['after']),
  c('rotate', 'status429', 0),
  c('rotate', 'empty200', 1, { says: /nothing was created/ }),
  // ...retries run out: nothing was created (checked), so nothing is left behind; or it was, and it is adopted.
  c('rotate', 'reset', 1, { times: EXHAUST, says: /Could not create API key/ }),
  c('rotate', 'reset', 0, { when: 'after', times: EXHAUST }),
  // ...and the delete of the old key, the last step.
  c('rotate (delete old)', 'reset', 0),
  c('rotate (delete old)', 'reset', 0, { when: 'after' }),
  c('rotate (delete old)', 'stall', 0, { when: 'after' }),
  c('rotate (delete old)', 'status500', 5, { times: EXHAUST, says: /stopped[\s\S]*old key "f-\d+" still exists[\s\S]*rotate --resume/ }),
];

// ------------------------------------------------------------------------------------------------
// Running a case

interface Outcome {
  command: string;
  fault: string;
  expected: number;
  actual: number | null;
  ms: number;
  pass: boolean;
  /** The first line of the error, or of the recovery warning. */
  said: string;
}
const outcomes: Outcome[] = [];

function label(k: Case): string {
  const retry = k.kind === 'status429' ? ' (Retry-After: 1)' : '';
  return `${k.kind}${k.when === 'after' ? ' after' : ''}${k.times > 1 ? ` ×${k.times}` : ''}${retry}`;
}

/** A failure is one clear message: `Error: …` and at most one hint line, no stack, not "a bug". */
function expectCleanFailure(r: RunResult, maxLines = 2): void {
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stderr).not.toMatch(/Unexpected error|this is a bug/);
  const from = r.stderr.indexOf('Error: ');
  expect(from, r.stderr).toBeGreaterThanOrEqual(0);
  const lines = r.stderr.slice(from).trim().split('\n');
  expect(lines.length, r.stderr).toBeLessThanOrEqual(maxLines);
}

/** What a person reads: the error line, else the last warning; `-` when the run was silent. */
function gist(r: RunResult): string {
  const lines = r.stderr.split('\n');
  const line = lines.find((l) => l.startsWith('Error: ')) ?? lines.filter((l) => l.startsWith('! ')).pop() ?? '-';
  return line.replace(/127\.0\.0\.1:\d+/g, 'host').replace(/"f-\d+(-new)?"/g, '"…"');
}

let counter = 0;
let dir: string;

async function runCase(k: Case): Promise<void> {
  const spec: CommandSpec = COMMANDS[k.command];
  const n = ++counter;
  const env: CaseEnv = { key: `f-${n}`, newKey: `f-${n}-new`, envFile: join(dir, `f-${n}.env`) };
  const outcome: Outcome = { command: k.command, fault: label(k), expected: k.exit, actual: null, ms: 0, pass: false, said: '' };
  outcomes.push(outcome);
  const server = await serve();
  try {
    if (spec.needsKey) await createOn(server, env.key);
    const before = keysOn(server);
    const fault: SandboxFault = {
      method: spec.method,
      path: spec.path(env),
      kind: k.kind,
      when: k.when,
      times: k.times,
      ...(k.kind === 'status429' && { retryAfter: 1 }),
    };
    server.server.addFaults([fault]);
    const started = Date.now();
    const r = await ck(spec.args(env), {
      env: {
        CARTO_KEYS_BASE_URL: server.baseUrl,
        CARTO_KEYS_MASTER_KEY: MASTER,
        // Only where a stall must be waited out: elsewhere the default, so a slow moment cannot fake a timeout.
        ...(k.kind === 'stall' && { CARTO_KEYS_TIMEOUT_MS: String(TIMEOUT_MS) }),
      },
    });
    outcome.ms = Date.now() - started;
    outcome.actual = r.code;
    outcome.said = gist(r);
    // Every injected fault was hit: otherwise the case proved nothing.
    expect(server.server.pendingFaults(), 'faults left unused').toEqual([]);
    const after = keysOn(server);

    const transcript = `$ carto-keys ${spec.args(env).join(' ')} => ${r.code}\n${r.stdout}${r.stderr}`;
    expect(r.code, transcript).toBe(k.exit);
    expect(r.stdout + r.stderr).not.toContain(MASTER);
    if (k.exit === 0) {
      expect(r.stdout, transcript).toMatch(spec.stdout(env));
      expect(r.stderr, transcript).not.toMatch(/Error/);
    } else {
      expectCleanFailure(r, spec.maxErrorLines);
      if (k.says) expect(r.stderr, transcript).toMatch(k.says);
    }
    if (k.stderr) expect(r.stderr, transcript).toMatch(k.stderr);
    spec.state(before, after, env, r.code);
    outcome.pass = true;
  } finally {
    await server.server.close();
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ck-faults-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  const w = { command: 20, fault: 30 };
  const clip = (t: string, n: number): string => (t.length > n ? `${t.slice(0, n - 1)}…` : t);
  const lines = [
    '',
    `${'command'.padEnd(w.command)}${'fault'.padEnd(w.fault)}expected  actual  time    result  message`,
    `${'-'.repeat(w.command + w.fault + 48)}`,
    ...outcomes.map(
      (o) =>
        `${o.command.padEnd(w.command)}${o.fault.padEnd(w.fault)}${`exit ${o.expected}`.padEnd(10)}${`exit ${o.actual ?? '-'}`.padEnd(8)}${`${(o.ms / 1000).toFixed(1)} s`.padEnd(8)}${(o.pass ? 'pass' : 'FAIL').padEnd(8)}${clip(o.said, 110)}`,
    ),
    `${outcomes.filter((o) => o.pass).length}/${outcomes.length} cases pass`,
  ];
  console.log(lines.join('\n'));
});

describe.concurrent('fault injection (in-process, node:http transport, sandbox server on 127.0.0.1)', () => {
  for (const k of CASES) {
    it(`${k.command} × ${label(k)} → exit ${k.exit}`, () => runCase(k));
  }

  // regenerate Master changes the account's key: each case has its own server (its state in a file,
  // so the test can see the new Master key the CLI never received) and a stored profile.
  const MASTER_CASES: { kind: Kind; when: 'before' | 'after'; exit: 0 | 1; says: RegExp }[] = [
    { kind: 'reset', when: 'after', exit: 1, says: /Master key was regenerated, but the reply with the new key was lost[\s\S]*dashboard[\s\S]*carto-keys login/ },
    { kind: 'status500', when: 'before', exit: 1, says: REGEN_UNCHANGED },
  ];
  for (const m of MASTER_CASES) {
    const k = c('regenerate', m.kind, m.exit, { when: m.when });
    it(`regenerate Master × ${label(k)} → exit ${m.exit}`, async () => {
      const outcome: Outcome = { command: 'regenerate Master', fault: label(k), expected: m.exit, actual: null, ms: 0, pass: false, said: '' };
      outcomes.push(outcome);
      const paths = tempPaths();
      const server = await serve();
      try {
        const env = { CARTO_KEYS_TIMEOUT_MS: String(TIMEOUT_MS) };
        const login = await ck(['login', '--base-url', server.baseUrl, '--with-key'], { env, paths, stdin: MASTER });
        expect(login.code, login.stderr).toBe(0);
        server.server.addFaults([{ method: 'POST', path: '/Master/token/regenerate$', kind: m.kind, when: m.when }]);
        const started = Date.now();
        const r = await ck(['regenerate', 'Master', '--yes'], { env, paths });
        outcome.ms = Date.now() - started;
        outcome.actual = r.code;
        outcome.said = gist(r);
        expect(server.server.pendingFaults()).toEqual([]);
        expect(r.code, r.stderr).toBe(m.exit);
        expectCleanFailure(r);
        expect(r.stderr).toMatch(m.says);
        const now = server.state.users[0]!.keys.find((key) => key.type === 'master')!.token;
        const stored = JSON.parse(readFileSync(join(paths.config, 'config.json'), 'utf8')).profiles.default.masterKey;
        // Whatever happened, neither key was printed.
        for (const secret of [MASTER, now]) expect(r.stdout + r.stderr).not.toContain(secret);
        if (m.when === 'after') {
          // Changed on the server, and the new key never reached the CLI: the message said so above.
          expect(now).not.toBe(MASTER);
          expect(stored).toBe(MASTER);
        } else {
          // Nothing changed: the stored key still works.
          expect(now).toBe(MASTER);
          expect((await ck(['status'], { env, paths })).code).toBe(0);
        }
        outcome.pass = true;
      } finally {
        await server.server.close();
        paths.cleanup();
      }
    });
  }
});
