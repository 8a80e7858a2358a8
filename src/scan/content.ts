// One file's (or one blob's) bytes → the live tokens in it, by line. Text is searched as bytes: UTF-8
// and Latin-1 as they are, UTF-16 and UTF-32 (what PowerShell 5's `>` and many Windows editors write)
// turned into one byte per character first. A file with a NUL byte near its start that is neither is
// binary, as git judges it, and is skipped. `Authorization: Basic <base64>` is decoded and searched
// too, since base64 hides the `user:token` it carries.

import { findTokens, type LiveToken, type TokenIndex } from './tokens.js';

export type Encoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'utf-32le' | 'utf-32be';

export interface ContentHit<K extends LiveToken = LiveToken> {
  /** 1-based. */
  line: number;
  key: K;
  /** Inside a longer run of token characters: likely the token, maybe a coincidence of prefixes. */
  embedded: boolean;
  /** `basic-auth`: inside the base64 of an `Authorization: Basic` header. */
  form: 'plain' | 'basic-auth';
  encoding: Encoding;
}

export type Content = { binary: true } | { binary: false; encoding: Encoding; bytes: Buffer };

/** How much of the start is looked at for NUL bytes (git looks at the first 8,000 bytes). */
const SNIFF = 8000;

/** The text in `buf`, one byte per character, or binary. */
export function decodeContent(buf: Buffer): Content {
  const bom = byteOrderMark(buf);
  if (bom !== undefined) return { binary: false, encoding: bom.encoding, bytes: narrow(buf.subarray(bom.length), bom.encoding) };
  const sniffed = buf.subarray(0, SNIFF);
  if (sniffed.indexOf(0) === -1) return { binary: false, encoding: 'utf-8', bytes: buf };
  const wide = wideWithoutBom(sniffed);
  if (wide === undefined) return { binary: true };
  return { binary: false, encoding: wide, bytes: narrow(buf, wide) };
}

function byteOrderMark(b: Buffer): { encoding: Encoding; length: number } | undefined {
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xfe && b[2] === 0 && b[3] === 0) return { encoding: 'utf-32le', length: 4 };
  if (b.length >= 4 && b[0] === 0 && b[1] === 0 && b[2] === 0xfe && b[3] === 0xff) return { encoding: 'utf-32be', length: 4 };
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0xfe) return { encoding: 'utf-16le', length: 2 };
  if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) return { encoding: 'utf-16be', length: 2 };
  return undefined;
}

/**
 * UTF-16 or UTF-32 with no byte order mark, judged on mostly-ASCII text: in each code unit the high
 * bytes are (nearly) all zero and the low byte (nearly) never is. Anything else with a NUL is binary.
 */
function wideWithoutBom(b: Buffer): Encoding | undefined {
  for (const [encoding, unit, low] of [
    ['utf-32le', 4, 0],
    ['utf-32be', 4, 3],
    ['utf-16le', 2, 0],
    ['utf-16be', 2, 1],
  ] as const) {
    const units = Math.floor(b.length / unit);
    if (units === 0) continue;
    let lowZero = 0;
    let highNonZero = 0;
    for (let u = 0; u < units; u++) {
      for (let k = 0; k < unit; k++) {
        const byte = b[u * unit + k]!;
        if (k === low) lowZero += byte === 0 ? 1 : 0;
        else highNonZero += byte === 0 ? 0 : 1;
      }
    }
    if (lowZero <= units / 20 && highNonZero <= units / 10) return encoding;
  }
  return undefined;
}

/** One byte per code unit: ASCII as itself, anything else as 0x80 (never part of a token). */
function narrow(b: Buffer, encoding: Encoding): Buffer {
  if (encoding === 'utf-8') return b;
  const unit = encoding.startsWith('utf-32') ? 4 : 2;
  const le = encoding.endsWith('le');
  const units = Math.floor(b.length / unit);
  const out = Buffer.allocUnsafe(units);
  for (let u = 0, at = 0; u < units; u++, at += unit) {
    let value = 0;
    if (unit === 2) value = le ? b[at]! | (b[at + 1]! << 8) : (b[at]! << 8) | b[at + 1]!;
    else value = le ? (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16)) + b[at + 3]! * 0x1000000 : b[at]! * 0x1000000 + ((b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!);
    out[u] = value < 0x80 ? value : 0x80;
  }
  return out;
}

/** `Basic` (any case), blanks, then standard base64. */
const BASIC = /\bbasic[ \t]+([A-Za-z0-9+/]{8,}={0,2})/gi;

/** Every live token in text bytes (see decodeContent), one hit per key and line. */
export function findInText<K extends LiveToken>(bytes: Buffer, encoding: Encoding, index: TokenIndex<K>): ContentHit<K>[] {
  const hits: ContentHit<K>[] = [];
  const lines = lineCounter(bytes);
  const seen = new Set<string>();
  const add = (offset: number, key: K, embedded: boolean, form: ContentHit['form']): void => {
    const line = lines(offset);
    const once = `${line}\u0000${key.token}`;
    if (seen.has(once)) return;
    seen.add(once);
    hits.push({ line, key, embedded, form, encoding });
  };
  findTokens(bytes, index, (h) => add(h.offset, h.key, h.embedded, 'plain'));
  if (bytes.indexOf('asic') !== -1 || bytes.indexOf('ASIC') !== -1) {
    const text = bytes.toString('latin1');
    for (const m of text.matchAll(BASIC)) {
      const decoded = Buffer.from(m[1]!, 'base64');
      // The base64 of `user:token` holds the token only as a whole: what is around it is the user name.
      findTokens(decoded, index, (h) => add(m.index, h.key, false, 'basic-auth'));
    }
    hits.sort((a, b) => a.line - b.line);
  }
  return hits;
}

/** Offsets → 1-based line numbers, for offsets asked in increasing order (restarting when one goes back). */
function lineCounter(bytes: Buffer): (offset: number) => number {
  let at = 0;
  let line = 1;
  return (offset) => {
    if (offset < at) {
      at = 0;
      line = 1;
    }
    for (let i = bytes.indexOf(10, at); i !== -1 && i < offset; i = bytes.indexOf(10, i + 1)) line++;
    at = offset;
    return line;
  };
}

/** The hits in one file's or blob's bytes; undefined when it is binary. */
export function scanBytes<K extends LiveToken>(buf: Buffer, index: TokenIndex<K>): { hits: ContentHit<K>[]; encoding: Encoding } | undefined {
  const content = decodeContent(buf);
  if (content.binary) return undefined;
  return { hits: findInText(content.bytes, content.encoding, index), encoding: content.encoding };
}
