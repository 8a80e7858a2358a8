// Every version of every file in a repository's history, read through the real `git`: `rev-list
// --objects` names each blob (and commit) reachable from the refs or the range once, with a path it
// had; `cat-file --batch-check` says its type and size; `cat-file --batch` streams the contents of the
// blobs worth reading and of the commits (whose messages are scanned too). Each blob is read once,
// however many commits hold it. Only the blobs with a finding are then traced to the commit that
// introduced them, with one `git log --raw` over the same revisions.

import { spawn } from 'node:child_process';
import { UsageError, LocalError } from '../errors.js';
import type { Env } from '../env.js';
import { childEnvironment } from '../config/key-command.js';

export interface GitObject {
  oid: string;
  type: 'blob' | 'commit';
  size: number;
  /** The blob's path in a tree that holds it; '' for a commit. */
  path: string;
}

export interface GitSource {
  /** The repository's work tree or any folder in it. */
  cwd: string;
  /** `--git`'s range (`main..feature`, `v1.2..`), or undefined for every ref. */
  range?: string;
  env: Env;
}

/** A range is handed to git as one argument: never an option (`--output=…`), never several words. */
export function checkRange(range: string): void {
  if (range === '' || range.startsWith('-') || /[\s\u0000]/.test(range)) {
    throw new UsageError(`--git ${JSON.stringify(range)}: not a revision range.`, {
      hint: 'Give a range git understands (main..feature, v1.2..HEAD, HEAD~50..), or --git alone for every ref.',
    });
  }
}

function revisions(source: GitSource): string[] {
  return source.range === undefined ? ['--all'] : [source.range];
}

function gitEnv(env: Env): NodeJS.ProcessEnv {
  // No pager, no prompt for credentials, no locale-dependent quoting of paths.
  return childEnvironment(env, { GIT_TERMINAL_PROMPT: '0', GIT_PAGER: 'cat', LC_ALL: 'C' });
}

function spawnGit(args: string[], source: GitSource) {
  return spawn('git', ['-c', 'core.quotepath=off', ...args], { cwd: source.cwd, env: gitEnv(source.env), stdio: ['pipe', 'pipe', 'pipe'] });
}

function notInstalled(err: unknown): unknown {
  if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return err;
  return new LocalError('--git needs git, which is not installed (or not on PATH).', { code: 'no_git' });
}

/**
 * Runs git to completion, returning stdout. A failure says git's first line of stderr: a usage error
 * while checking what the user gave (before anything is sent), a local failure afterwards.
 */
function runGit(args: string[], source: GitSource, opts: { input?: string; usage?: boolean; signal?: AbortSignal } = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawnGit(args, source);
    const stop = (): void => {
      child.kill();
      reject(opts.signal!.reason);
    };
    opts.signal?.addEventListener('abort', stop, { once: true });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    child.on('error', (e) => reject(notInstalled(e)));
    child.on('close', (code) => {
      opts.signal?.removeEventListener('abort', stop);
      if (code === 0) resolve(Buffer.concat(out));
      else reject(gitError(args, err, opts.usage === true));
    });
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

function gitError(args: string[], stderr: string, usage: boolean): UsageError | LocalError {
  const first = stderr.split('\n').find((l) => l.trim() !== '') ?? 'failed';
  const line = first.replace(/^fatal: /, '').slice(0, 200);
  if (usage && /not a git repository/i.test(line)) {
    return new UsageError('--git: this folder is not in a git repository.', { hint: 'Run it inside one, or scan files and folders without --git.' });
  }
  if (usage) return new UsageError(`--git: git ${args[0]} failed: ${line}`, { hint: 'Check the range (git log <range> should work here).' });
  return new LocalError(`--git: git ${args[0]} failed: ${line}`, { code: 'git' });
}

/** The repository exists and the range names commits: checked before anything is sent. */
export async function checkRepository(source: GitSource): Promise<void> {
  if (source.range !== undefined) checkRange(source.range);
  await runGit(['rev-parse', '--git-dir'], source, { usage: true });
  if (source.range !== undefined) await runGit(['rev-list', '--max-count=1', source.range, '--'], source, { usage: true });
}

/** The blobs and commits of the history, each once, with their sizes. */
export async function listObjects(source: GitSource, signal?: AbortSignal): Promise<GitObject[]> {
  const listing = (await runGit(['rev-list', '--objects', ...revisions(source), '--'], source, { ...(signal && { signal }) })).toString('utf8');
  const checked = (await runGit(['cat-file', '--batch-check=%(objectname) %(objecttype) %(objectsize) %(rest)'], source, { input: listing, ...(signal && { signal }) })).toString('utf8');
  const objects: GitObject[] = [];
  for (const line of checked.split('\n')) {
    const a = line.indexOf(' ');
    const b = line.indexOf(' ', a + 1);
    const c = line.indexOf(' ', b + 1);
    if (a === -1 || b === -1) continue;
    const type = line.slice(a + 1, b);
    if (type !== 'blob' && type !== 'commit') continue;
    objects.push({ oid: line.slice(0, a), type, size: Number(line.slice(b + 1, c === -1 ? undefined : c)), path: c === -1 ? '' : line.slice(c + 1) });
  }
  return objects;
}

/**
 * Streams the contents of `objects` (in order) to `onObject`. When it returns a promise, reading
 * pauses until that settles (git waits on the full pipe meanwhile): how a caller bounds what it holds.
 */
export function readObjects(
  source: GitSource,
  objects: readonly GitObject[],
  onObject: (o: GitObject, content: Buffer) => void | Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawnGit(['cat-file', '--batch'], source);
    let failed = false;
    const fail = (err: unknown): void => {
      if (failed) return;
      failed = true;
      child.kill();
      child.stdout.destroy();
      reject(err);
    };
    const stop = (): void => fail(signal!.reason);
    signal?.addEventListener('abort', stop, { once: true });
    let err = '';
    let next = 0;
    // The bytes received and not yet consumed: a header line, then size bytes of content and a newline.
    let chunks: Buffer[] = [];
    let have = 0;
    let contentAt = -1;
    let paused = false;
    const parse = (): void => {
      while (!paused && !failed) {
        const o = objects[next];
        if (o === undefined) return;
        if (contentAt === -1) {
          const head = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, have);
          chunks = head.length > 0 ? [head] : [];
          const nl = head.indexOf(10);
          if (nl === -1) return;
          contentAt = nl + 1;
        }
        if (have < contentAt + o.size + 1) return;
        const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, have);
        const content = all.subarray(contentAt, contentAt + o.size);
        const rest = all.subarray(contentAt + o.size + 1);
        chunks = rest.length > 0 ? [rest] : [];
        have = rest.length;
        contentAt = -1;
        next++;
        let wait: void | Promise<void>;
        try {
          wait = onObject(o, content);
        } catch (e) {
          fail(e);
          return;
        }
        if (wait !== undefined) {
          paused = true;
          child.stdout.pause();
          wait.then(
            () => {
              paused = false;
              parse();
              if (!failed) child.stdout.resume();
            },
            fail,
          );
        }
      }
    };
    child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    child.stdout.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      have += chunk.length;
      parse();
    });
    child.on('error', (e) => fail(notInstalled(e)));
    child.on('close', (code) => {
      signal?.removeEventListener('abort', stop);
      if (failed) return;
      if (code !== 0) reject(gitError(['cat-file'], err, false));
      else if (next < objects.length) reject(new LocalError(`git cat-file ended after ${next} of ${objects.length} objects.`));
      else resolve();
    });
    child.stdin.on('error', () => {});
    child.stdin.end(objects.map((o) => `${o.oid}\n`).join(''));
  });
}

export interface Introduction {
  commit: string;
  path: string;
}

/**
 * For each blob, the oldest commit (in `git log` order) that put it in the tree, and the path it had
 * there: one pass of `git log --raw` over the same revisions.
 */
export async function introductions(source: GitSource, blobs: ReadonlySet<string>): Promise<Map<string, Introduction>> {
  const found = new Map<string, Introduction>();
  if (blobs.size === 0) return found;
  const text = (await runGit(['log', '--raw', '--no-abbrev', '--no-renames', '--root', '--format=commit %H', ...revisions(source), '--'], source, {})).toString('utf8');
  let commit = '';
  for (const line of text.split('\n')) {
    if (line.startsWith('commit ')) commit = line.slice(7);
    else if (line.startsWith(':')) {
      // :100644 100644 <old> <new> M\t<path>
      const tab = line.indexOf('\t');
      const fields = line.slice(1, tab).split(' ');
      const oid = fields[3];
      // Newest first: the last commit seen is the oldest one.
      if (oid !== undefined && blobs.has(oid)) found.set(oid, { commit, path: line.slice(tab + 1) });
    }
  }
  return found;
}
