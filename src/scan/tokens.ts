// The live tokens a scan looks for, indexed for a one-pass search of raw bytes.
//
// CARTO tokens have no prefix and no checksum, so nothing in a file says "this is a key": the only sure
// test is equality with a token that is alive right now. Tokens are runs of URL-safe base64 characters
// (regular: 22, Master: 40 hex), so four of their characters make a 24-bit code (6 bits each).
//
// The search looks at every STRIDE-th position only (STRIDE = shortest token length − 3, so every
// token, wherever it starts, has exactly one such position among its first STRIDE characters, with
// four of its characters from there on). Two 2 MiB bitmaps hold the codes: `inner`, of each token's
// four characters at each offset below STRIDE, and `starts`, of each token's first four. A sampled
// position whose code is not in `inner` (about 99 in 100 for 10,000 tokens) rules out every token that
// could hold it; otherwise each possible start behind it is checked against `starts`, and only then
// are the bytes compared with the tokens themselves. About one table lookup per five bytes read.

import type { KeyType } from '../api/types.js';

export interface LiveToken {
  /** Only for recognising the token; a finding never carries it. */
  token: string;
  name: string;
  type: KeyType;
  /** The user the key belongs to, when known. */
  member: string | null;
}

/** -1 for a byte that cannot be in a token; else its 6-bit value. */
export const TOKEN_VALUE: Int8Array = (() => {
  const t = new Int8Array(256).fill(-1);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  for (let i = 0; i < alphabet.length; i++) t[alphabet.charCodeAt(i)] = i;
  return t;
})();

/** Shorter strings are not secrets worth the name (and would match by chance). */
export const MIN_TOKEN_LENGTH = 16;

export interface TokenIndex<K extends LiveToken = LiveToken> {
  readonly size: number;
  /** Positions looked at: every `stride`-th (the shortest token length − 3). */
  readonly stride: number;
  /** Bit `code` is set when some token has those four characters at an offset below `stride`. */
  readonly inner: Uint8Array;
  /** Bit `code` is set when some token starts with those four characters. */
  readonly starts: Uint8Array;
  /** The token lengths present, shortest first. */
  readonly lengths: readonly number[];
  readonly byToken: ReadonlyMap<string, K>;
}

function isScannable(token: string): boolean {
  if (token.length < MIN_TOKEN_LENGTH) return false;
  for (let i = 0; i < token.length; i++) if (token.charCodeAt(i) > 255 || TOKEN_VALUE[token.charCodeAt(i)]! < 0) return false;
  return true;
}

function setBit(bits: Uint8Array, code: number): void {
  bits[code >>> 3]! |= 1 << (code & 7);
}

/**
 * The index of the keys' tokens. The Default public key's token (`default_public`) is public by design
 * and is left out, as is any token not made of URL-safe characters (none of CARTO's).
 */
export function tokenIndex<K extends LiveToken>(keys: Iterable<K>): TokenIndex<K> {
  const byToken = new Map<string, K>();
  for (const key of keys) {
    if (key.type === 'default' || !isScannable(key.token) || byToken.has(key.token)) continue;
    byToken.set(key.token, key);
  }
  const lengths = [...new Set([...byToken.keys()].map((t) => t.length))].sort((a, b) => a - b);
  const stride = lengths.length === 0 ? 1 : lengths[0]! - 3;
  const inner = new Uint8Array(1 << 21);
  const starts = new Uint8Array(1 << 21);
  for (const token of byToken.keys()) {
    setBit(starts, codeAt(token, 0));
    for (let o = 0; o < stride; o++) setBit(inner, codeAt(token, o));
  }
  return { size: byToken.size, stride, inner, starts, lengths, byToken };
}

function codeAt(token: string, at: number): number {
  let code = 0;
  for (let i = at; i < at + 4; i++) code = (code << 6) | TOKEN_VALUE[token.charCodeAt(i)]!;
  return code;
}

export interface ByteHit<K extends LiveToken = LiveToken> {
  /** Byte offset of the token's first character. */
  offset: number;
  key: K;
  /** The token is part of a longer run of token characters (`<token>X`): a likely leak, not a sure one. */
  embedded: boolean;
}

/** The 24-bit code of the four bytes at `at`, or -1 when one of them cannot be in a token. */
function code4(buf: Uint8Array, at: number): number {
  const a = TOKEN_VALUE[buf[at]!]!;
  const b = TOKEN_VALUE[buf[at + 1]!]!;
  const c = TOKEN_VALUE[buf[at + 2]!]!;
  const d = TOKEN_VALUE[buf[at + 3]!]!;
  return (a | b | c | d) < 0 ? -1 : (a << 18) | (b << 12) | (c << 6) | d;
}

const has = (bits: Uint8Array, code: number): boolean => (bits[code >>> 3]! & (1 << (code & 7))) !== 0;

/** Every live token in `buf` (bytes of an ASCII-compatible text), in order of position. */
export function findTokens<K extends LiveToken>(buf: Buffer, index: TokenIndex<K>, onHit: (hit: ByteHit<K>) => void): void {
  if (index.size === 0) return;
  const { stride, inner, starts, lengths, byToken } = index;
  const n = buf.length;
  for (let q = 0; q + 4 <= n; q += stride) {
    const code = code4(buf, q);
    if (code < 0 || !has(inner, code)) continue;
    // The tokens whose sampled position is q start in (q - stride, q].
    for (let start = Math.max(0, q - stride + 1); start <= q; start++) {
      if (start + 4 > n) break;
      const first = code4(buf, start);
      if (first < 0 || !has(starts, first)) continue;
      for (const len of lengths) {
        const end = start + len;
        if (end > n) break;
        const key = byToken.get(buf.toString('latin1', start, end));
        if (key === undefined) continue;
        const embedded = (start > 0 && TOKEN_VALUE[buf[start - 1]!]! >= 0) || (end < n && TOKEN_VALUE[buf[end]!]! >= 0);
        onHit({ offset: start, key, embedded });
      }
    }
  }
}
