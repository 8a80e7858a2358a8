// `sandbox seed-leaks`: a small project with real leaks of the sandbox account, to try `scan` and
// `respond` on: a token in a nested file, the Master key in an env file, a token only in the git
// history, and — what must NOT be reported — a revoked key's token and look-alikes. The leaked key is
// also recorded as deployed to an env file outside the project, so `respond` has a target to rotate
// into. Only for the built-in sandbox: these are live tokens written to disk on purpose.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiClient } from '../api/client.js';
import type { WireGrant } from '../api/types.js';
import type { Env } from '../env.js';
import { fingerprint } from '../text/fingerprint.js';
import { UsageError } from '../errors.js';
import type { Registry } from '../records/registry.js';
import { keyRef } from '../records/key-ref.js';
import { childEnvironment } from '../config/key-command.js';

export interface Planted {
  /** Relative to the folder seeded. */
  path: string;
  line: number;
  /** What is there, in words (never the token). */
  what: string;
  /** Whether `scan` should report it. */
  reported: boolean;
  /** Only in the git history, not in the working tree. */
  history?: true;
  /** Found only with --all-members. */
  member?: string;
}

export interface Seeded {
  root: string;
  planted: Planted[];
  /** The env file recorded as the leaked key's deployment, and the key's name. */
  deployed: { path: string; key: string };
  /** False when git is not installed: no history was made. */
  git: boolean;
}

const GRANTS: WireGrant[] = [{ type: 'apis', apis: ['sql', 'maps'] }];

/** A name not taken yet: `base`, else `base-2`, `base-3`… */
function freeName(base: string, taken: Set<string>): string {
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base}-${i}`;
  taken.add(name);
  return name;
}

/** One character changed: looks like the token, is not it. */
function lookAlike(token: string): string {
  const i = Math.floor(token.length / 2);
  return token.slice(0, i) + (token[i] === 'x' ? 'y' : 'x') + token.slice(i + 1);
}

function git(root: string, env: Env, args: string[]): boolean {
  const r = spawnSync('git', ['-c', 'user.name=carto-keys sandbox', '-c', 'user.email=sandbox@example.invalid', '-c', 'commit.gpgsign=false', ...args], {
    cwd: root,
    env: childEnvironment(env),
    stdio: 'ignore',
  });
  return r.status === 0;
}

export async function seedLeaks(
  api: ApiClient,
  opts: { root: string; masterKey: string; baseUrl: string; registry: Registry; env: Env; now: Date; member?: { username: string; api: ApiClient } },
): Promise<Seeded> {
  const { root } = opts;
  if (existsSync(root) && readdirSync(root).length > 0) {
    throw new UsageError(`${root} is not empty: seed-leaks writes a fresh project.`, { hint: 'Name a new folder (it is created).' });
  }
  const taken = new Set((await api.listKeys()).map((k) => k.name));
  const create = async (base: string) => (await api.createKey({ name: freeName(base, taken), grants: GRANTS })).key;
  const leaked = await create('leaked-app');
  const historic = await create('history-app');
  const old = await create('old-app');
  await api.deleteKey(old.name);

  const project = join(root, 'project');
  mkdirSync(join(project, 'src', 'config'), { recursive: true });
  const planted: Planted[] = [];
  const write = (rel: string, lines: string[]): void => writeFileSync(join(project, rel), `${lines.join('\n')}\n`);

  write('README.md', ['# A project with leaks', '', 'Made by `carto-keys sandbox seed-leaks` to try `carto-keys scan` and `respond`.']);
  write('.gitignore', ['.env']);
  const hasGit = git(project, opts.env, ['init', '-q']) && git(project, opts.env, ['add', '.']) && git(project, opts.env, ['commit', '-q', '-m', 'A project']);
  if (hasGit) {
    write('deploy.sh', ['#!/bin/sh', `export CARTO_API_KEY=${historic.token}`, 'exec ./app']);
    git(project, opts.env, ['add', 'deploy.sh']);
    git(project, opts.env, ['commit', '-q', '-m', 'Deploy script']);
    write('deploy.sh', ['#!/bin/sh', 'export CARTO_API_KEY="$(cat /run/secrets/carto)"', 'exec ./app']);
    git(project, opts.env, ['commit', '-q', '-a', '-m', 'Read the key from a secret']);
    planted.push({ path: 'deploy.sh', line: 2, what: `the token of "${historic.name}", in an older commit only`, reported: true, history: true });
  }
  write(join('src', 'config', 'maps.js'), ['// Map settings', `export const apiKey = '${leaked.token}';`]);
  planted.push({ path: 'src/config/maps.js', line: 2, what: `the token of "${leaked.name}"`, reported: true });
  write('.env', [
    '# Local settings (not committed)',
    `CARTO_KEYS_MASTER_KEY=${opts.masterKey}`,
    `OLD_KEY=${old.token}`,
    `NOT_A_KEY=${lookAlike(leaked.token)}`,
  ]);
  planted.push({ path: '.env', line: 2, what: 'the Master key', reported: true });
  planted.push({ path: '.env', line: 3, what: `the token of "${old.name}", revoked`, reported: false });
  planted.push({ path: '.env', line: 4, what: `a look-alike of "${leaked.name}"'s token`, reported: false });
  if (opts.member) {
    const theirs = (await opts.member.api.listKeys()).find((k) => k.type === 'regular');
    if (theirs) {
      mkdirSync(join(project, 'notebooks'), { recursive: true });
      write(join('notebooks', 'analysis.py'), ['# Analysis', `API_KEY = "${theirs.token}"`]);
      planted.push({ path: 'notebooks/analysis.py', line: 2, what: `the token of "${theirs.name}" of ${opts.member.username}`, reported: true, member: opts.member.username });
    }
  }
  if (hasGit) {
    git(project, opts.env, ['add', 'src', ...(opts.member ? ['notebooks'] : [])]);
    git(project, opts.env, ['commit', '-q', '-m', 'Map settings']);
  }

  // Where the leaked key is deployed: an env file outside the project, recorded like a deploy would be.
  const deployDir = join(root, 'deploy');
  mkdirSync(deployDir, { recursive: true });
  const deployFile = join(deployDir, 'app.env');
  writeFileSync(deployFile, `CARTO_API_KEY=${leaked.token}\n`, { mode: 0o600 });
  opts.registry.record(keyRef(opts.baseUrl, undefined, leaked.name), { kind: 'env-file', path: deployFile, variable: 'CARTO_API_KEY' }, fingerprint(leaked.token), opts.now);
  return { root, planted, deployed: { path: deployFile, key: leaked.name }, git: hasGit };
}
