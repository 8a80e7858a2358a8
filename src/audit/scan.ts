// Finding live secrets in files (env files, configs): pure, on text already read. A hit names the
// file, the line, the key and the token's fingerprint — never the token, nor the line that holds it.

import { fingerprint } from '../config/settings.js';
import type { AuditKey } from './keys.js';

export interface ScannedFile {
  /** As the user gave it: that is how they will find the file again. */
  path: string;
  text: string;
}

export interface SecretHit {
  file: string;
  /** 1-based. */
  line: number;
  key: AuditKey;
  fingerprint: string;
}

/**
 * Tokens are made of the URL-safe base64 alphabet (regular: 22 characters; Master: 40 hex), so a token
 * in a file is a whole run of those characters: `KEY=<token>`, `"<token>"`, `api_key=<token>&…`.
 * Only whole runs are compared, which keeps the scan one pass over the file with one map lookup per run.
 */
const RUN = /[A-Za-z0-9_-]+/g;

/** The live tokens to look for: every key's but the Default public key's, which is public by design. */
export function tokenIndex(keys: readonly AuditKey[]): Map<string, AuditKey> {
  const index = new Map<string, AuditKey>();
  for (const key of keys) if (key.type !== 'default' && key.token.length > 0) index.set(key.token, key);
  return index;
}

export function scanForSecrets(files: readonly ScannedFile[], keys: readonly AuditKey[]): SecretHit[] {
  const index = tokenIndex(keys);
  if (index.size === 0) return [];
  let shortest = Infinity;
  for (const token of index.keys()) shortest = Math.min(shortest, token.length);
  const hits: SecretHit[] = [];
  const prints = new Map<string, string>();
  for (const file of files) {
    const seen = new Set<string>();
    let line = 1;
    let counted = 0;
    for (const m of file.text.matchAll(RUN)) {
      if (m[0].length < shortest) continue;
      const key = index.get(m[0]);
      if (!key) continue;
      for (let i = file.text.indexOf('\n', counted); i !== -1 && i < m.index; i = file.text.indexOf('\n', i + 1)) line++;
      counted = m.index;
      // One finding per key and line, however often the token appears on it.
      const once = `${line}\u0000${m[0]}`;
      if (seen.has(once)) continue;
      seen.add(once);
      let print = prints.get(m[0]);
      if (print === undefined) prints.set(m[0], (print = fingerprint(m[0])));
      hits.push({ file: file.path, line, key, fingerprint: print });
    }
  }
  return hits;
}
