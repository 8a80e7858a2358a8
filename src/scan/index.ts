// The one scanner: every live token of the account (and of its members, when asked) in files, folders
// and a git history, matched exactly. Used by `scan` and by `audit --scan`. A finding names the place,
// the key and the token's fingerprint: never the token, nor the line that holds it.

import { fingerprint } from '../text/fingerprint.js';
import { scanBytes, type ContentHit, type Encoding } from './content.js';
import { MAX_FILE_BYTES, noSkips, walkFiles, type SkipCounts } from './files.js';
import { introductions, listObjects, readObjects, type GitObject, type GitSource } from './git.js';
import type { LiveToken, TokenIndex } from './tokens.js';

export { tokenIndex, type LiveToken, type TokenIndex } from './tokens.js';
export { checkPaths, MAX_FILE_BYTES, type SkipCounts } from './files.js';
export { checkRepository, type GitSource } from './git.js';

export interface Finding<K extends LiveToken = LiveToken> {
  /** The file as the user named it (joined with the names below it), or the blob's path in history. */
  path: string;
  /** 1-based line in the file, the blob, or the commit message. */
  line: number;
  /** For history: the commit that introduced the blob (or whose message holds the token). */
  commit?: string;
  /** The token is in a commit's message, not in a file. */
  message?: true;
  key: K;
  fingerprint: string;
  /** `exact`: the token is a whole word; `embedded`: inside a longer run of token characters (likely). */
  match: 'exact' | 'embedded';
  /** `basic-auth`: in the base64 of an `Authorization: Basic` header. */
  form: 'plain' | 'basic-auth';
  encoding: Encoding;
}

export interface ScanStats {
  /** Live tokens looked for. */
  tokens: number;
  files: number;
  bytes: number;
  skipped: SkipCounts;
  /** With --git: the blobs and commits read, and the bytes. */
  history?: { blobs: number; commits: number; bytes: number; skipped: { binary: number; tooLarge: number } };
}

export interface ScanInput<K extends LiveToken> {
  /** The tokens, or their promise: the history is read by git while the tokens are still being listed. */
  index: TokenIndex<K> | Promise<TokenIndex<K>>;
  /** Files and folders. */
  paths: readonly string[];
  git?: GitSource;
}

/** The findings in one file's bytes; undefined when the file is binary. */
export function scanFile<K extends LiveToken>(path: string, bytes: Buffer, index: TokenIndex<K>, printOf: (token: string) => string = fingerprint): Finding<K>[] | undefined {
  return scanBytes(bytes, index)?.hits.map((h) => findingOf(path, h, printOf));
}

/** A hit as a finding at `path`: the token's fingerprint in place of the token. */
function findingOf<K extends LiveToken>(path: string, h: ContentHit<K>, printOf: (token: string) => string): Finding<K> {
  return { path, line: h.line, key: h.key, fingerprint: printOf(h.key.token), match: h.embedded ? 'embedded' : 'exact', form: h.form, encoding: h.encoding };
}

/** Fingerprints computed once per token found, however often it is found. */
function fingerprints(): (token: string) => string {
  const prints = new Map<string, string>();
  return (token) => {
    let p = prints.get(token);
    if (p === undefined) prints.set(token, (p = fingerprint(token)));
    return p;
  };
}

export async function scan<K extends LiveToken>(input: ScanInput<K>): Promise<{ findings: Finding<K>[]; stats: ScanStats }> {
  const printOf = fingerprints();
  const indexed = Promise.resolve(input.index);
  // git starts at once; if the tokens cannot be had, it is stopped.
  const abort = new AbortController();
  const history = input.git && scanHistory(input.git, indexed, printOf, abort.signal);
  history?.catch(() => {});
  let index: TokenIndex<K>;
  try {
    index = await indexed;
  } catch (err) {
    abort.abort(err);
    throw err;
  }
  const findings: Finding<K>[] = [];
  const stats: ScanStats = { tokens: index.size, files: 0, bytes: 0, skipped: noSkips() };
  walkFiles(input.paths, stats.skipped, (file) => {
    stats.files++;
    stats.bytes += file.bytes.length;
    const found = scanFile(file.path, file.bytes, index, printOf);
    if (found === undefined) stats.skipped.binary++;
    else findings.push(...found);
  });
  if (history) {
    const h = await history;
    stats.history = h.stats;
    findings.push(...h.findings);
  }
  return { findings, stats };
}

/** What git holds beyond this many bytes waits in git's pipe until the tokens are known. */
const PREFETCH_BYTES = 128 * 1024 * 1024;

async function scanHistory<K extends LiveToken>(
  git: GitSource,
  indexed: Promise<TokenIndex<K>>,
  printOf: (token: string) => string,
  signal: AbortSignal,
): Promise<{ findings: Finding<K>[]; stats: NonNullable<ScanStats['history']> }> {
  const stats = { blobs: 0, commits: 0, bytes: 0, skipped: { binary: 0, tooLarge: 0 } };
  const objects: GitObject[] = [];
  for (const o of await listObjects(git, signal)) {
    if (o.type === 'blob' && o.size > MAX_FILE_BYTES) stats.skipped.tooLarge++;
    else objects.push(o);
  }
  const found: Finding<K>[] = [];
  const foundBlobs = new Set<string>();
  const blobOf = new Map<Finding<K>, string>();
  const scanObject = (index: TokenIndex<K>, o: GitObject, content: Buffer): void => {
    stats.bytes += content.length;
    let body = content;
    if (o.type === 'commit') {
      stats.commits++;
      // Only the message: the headers hold ids and names, no tokens.
      const end = content.indexOf('\n\n');
      if (end === -1) return;
      body = content.subarray(end + 2);
    } else stats.blobs++;
    const scanned = scanBytes(body, index);
    if (scanned === undefined) {
      if (o.type === 'blob') stats.skipped.binary++;
      return;
    }
    for (const h of scanned.hits) {
      const f: Finding<K> = { ...findingOf(o.path, h, printOf), ...(o.type === 'commit' && { commit: o.oid, message: true as const }) };
      if (o.type === 'blob') {
        foundBlobs.add(o.oid);
        blobOf.set(f, o.oid);
      }
      found.push(f);
    }
  };

  // Until the tokens are known, contents are held (up to PREFETCH_BYTES), then scanned in one go.
  let index: TokenIndex<K> | undefined;
  let held: [GitObject, Buffer][] = [];
  let heldBytes = 0;
  const ready = indexed.then((i) => {
    index = i;
    for (const [o, content] of held) scanObject(i, o, content);
    held = [];
  });
  ready.catch(() => {});
  await readObjects(
    git,
    objects,
    (o, content) => {
      if (index !== undefined) return scanObject(index, o, content);
      held.push([o, content]);
      heldBytes += content.length;
      return heldBytes > PREFETCH_BYTES ? ready : undefined;
    },
    signal,
  );
  await ready;

  const intro = await introductions(git, foundBlobs);
  for (const f of found) {
    const oid = blobOf.get(f);
    const at = oid === undefined ? undefined : intro.get(oid);
    if (at !== undefined) {
      f.commit = at.commit;
      f.path = at.path;
    }
  }
  // git lists objects in its own order: history is reported by path and line, commit messages last.
  const order = (f: Finding<K>): string => `${f.message ? 1 : 0}\u0000${f.path}\u0000${String(f.line).padStart(10, '0')}\u0000${f.commit ?? ''}`;
  found.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
  return { findings: found, stats };
}
