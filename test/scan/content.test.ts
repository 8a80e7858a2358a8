// The scanner's matching, on bytes: exact tokens by line, a token inside a longer run (likely), UTF-16
// and UTF-32 text, `Authorization: Basic`, binary skipped; and, for any text, exactly the live tokens
// planted in it — never a revoked token or a look-alike.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeContent, scanBytes } from '../../src/scan/content.js';
import { findTokens, tokenIndex, type LiveToken } from '../../src/scan/tokens.js';

const REGULAR = 'Xl2Wq3r7tF0oZ0bJp8aS9Q';
const MASTER = '0123456789abcdef0123456789abcdef01234567';
const keys: LiveToken[] = [
  { token: REGULAR, name: 'app', type: 'regular', member: 'demo' },
  { token: MASTER, name: 'Master', type: 'master', member: 'demo' },
  { token: 'default_public', name: 'Default public', type: 'default', member: 'demo' },
];
const index = tokenIndex(keys);

function found(bytes: Buffer): string[] | undefined {
  return scanBytes(bytes, index)?.hits.map((h) => `${h.line} ${h.key.name} ${h.embedded ? 'embedded' : 'exact'} ${h.form} ${h.encoding}`);
}

describe('scanBytes', () => {
  it('finds each live token by line, once per line, never the Default public key', () => {
    const text = `# app\nKEY=${REGULAR}\nurl=https://x/api?api_key=${REGULAR}&b=${REGULAR}\nPUBLIC=default_public\n"${MASTER}"`;
    expect(found(Buffer.from(text))).toEqual(['2 app exact plain utf-8', '3 app exact plain utf-8', '5 Master exact plain utf-8']);
  });

  it('reports a token inside a longer run of token characters as likely (<master>X, X<token>)', () => {
    expect(found(Buffer.from(`A=${MASTER}X\nB=x${REGULAR}\nC=${REGULAR.slice(0, 21)}\n`))).toEqual(['1 Master embedded plain utf-8', '2 app embedded plain utf-8']);
  });

  it('reads UTF-16 and UTF-32, with or without a byte order mark (PowerShell 5 `>` writes UTF-16LE)', () => {
    const text = `# é ☃\r\nCARTO=${MASTER}\r\nAPP=${REGULAR}\r\n`;
    const le16 = Buffer.from(text, 'utf16le');
    const be16 = Buffer.from(le16).swap16();
    const le32 = Buffer.alloc(le16.length * 2);
    [...text].forEach((ch, i) => le32.writeUInt32LE(ch.codePointAt(0)!, i * 4));
    const be32 = Buffer.from(le32).swap32();
    const cases: [string, Buffer][] = [
      ['utf-16le', Buffer.concat([Buffer.from([0xff, 0xfe]), le16])],
      ['utf-16le', le16],
      ['utf-16be', Buffer.concat([Buffer.from([0xfe, 0xff]), be16])],
      ['utf-16be', be16],
      ['utf-32le', Buffer.concat([Buffer.from([0xff, 0xfe, 0, 0]), le32])],
      ['utf-32le', le32],
      ['utf-32be', Buffer.concat([Buffer.from([0, 0, 0xfe, 0xff]), be32])],
      ['utf-32be', be32],
    ];
    for (const [encoding, bytes] of cases) {
      expect(found(bytes), encoding).toEqual([`2 Master exact plain ${encoding}`, `3 app exact plain ${encoding}`]);
    }
  });

  it('decodes Authorization: Basic base64(user:token), in any case', () => {
    const basic = Buffer.from(`demo:${MASTER}`).toString('base64');
    const regular = Buffer.from(`demo:${REGULAR}`).toString('base64');
    const text = `curl -H "Authorization: Basic ${basic}" https://x\nauthorization: basic ${regular}\nAuthorization: Basic ${Buffer.from('demo:nothing').toString('base64')}\n`;
    expect(found(Buffer.from(text))).toEqual(['1 Master exact basic-auth utf-8', '2 app exact basic-auth utf-8']);
    expect(found(Buffer.from(`Authorization: Basic ${basic}`, 'utf16le'))).toEqual(['1 Master exact basic-auth utf-16le']);
  });

  it('skips binary content (a NUL byte that is not UTF-16 or UTF-32 text), as git judges it', () => {
    expect(found(Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 13, 1, 2, 3, 0]), Buffer.from(`K=${REGULAR}\n`)]))).toBeUndefined();
    expect(decodeContent(Buffer.from('plain text')).binary).toBe(false);
  });
});

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const regularToken = fc.string({ unit: fc.constantFrom(...ALPHABET), minLength: 22, maxLength: 22 });
const masterToken = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 40, maxLength: 40 });
const token = fc.oneof(regularToken, masterToken);

/** A look-alike: the token with one character changed, or with its last character dropped. */
function lookAlike(t: string, at: number, by: number, drop: boolean): string {
  if (drop) return t.slice(0, -1);
  const i = at % t.length;
  const c = ALPHABET[(ALPHABET.indexOf(t[i]!) + 1 + (by % 63)) % 64]!;
  return t.slice(0, i) + c + t.slice(i + 1);
}

function encode(text: string, encoding: 'utf-8' | 'utf-16le' | 'utf-16be'): Buffer {
  if (encoding === 'utf-8') return Buffer.from(text);
  const le = Buffer.from(`\ufeff${text}`, 'utf16le');
  return encoding === 'utf-16le' ? le : Buffer.from(le).swap16();
}

describe('scanBytes, for any text', () => {
  it('reports exactly the live tokens planted, at their lines — never a revoked token or a look-alike', () => {
    const separator = fc.constantFrom(' ', '=', '"', "'", '\t', '&', ':', '/', ',', '\r', '(', 'é', '*');
    const filler = fc.string({ maxLength: 12, unit: fc.constantFrom('a', 'Z', '9', '_', ' ', '=', '#', '\t', 'é', '.', '"') });
    const plant = fc.record({ kind: fc.constantFrom('live', 'revoked', 'look-alike'), pick: fc.nat(), at: fc.nat(), by: fc.nat(), drop: fc.boolean() });
    const line = fc.tuple(filler, separator, fc.option(plant, { nil: undefined }), separator, filler);
    fc.assert(
      fc.property(
        fc.uniqueArray(token, { minLength: 2, maxLength: 12 }),
        fc.array(line, { maxLength: 25 }),
        fc.constantFrom('utf-8' as const, 'utf-16le' as const, 'utf-16be' as const),
        (tokens, lines, encoding) => {
          // The first half are live, the rest were revoked: not in the index.
          const live = tokens.slice(0, Math.ceil(tokens.length / 2)).map((t, i): LiveToken => ({ token: t, name: `k${i}`, type: t.length === 40 ? 'master' : 'regular', member: 'demo' }));
          const revoked = tokens.slice(live.length);
          const expected = new Set<string>();
          const text = lines
            .map(([before, s1, p, s2, after], i) => {
              if (p === undefined) return `${before}${s1}${s2}${after}`;
              let planted: string;
              if (p.kind === 'live') {
                const k = live[p.pick % live.length]!;
                expected.add(`${i + 1} ${k.name}`);
                planted = k.token;
              } else if (p.kind === 'revoked' && revoked.length > 0) planted = revoked[p.pick % revoked.length]!;
              else planted = lookAlike(live[p.pick % live.length]!.token, p.at, p.by, p.drop);
              return `${before}${s1}${planted}${s2}${after}`;
            })
            .join('\n');
          const result = scanBytes(encode(text, encoding), tokenIndex(live));
          expect(result).toBeDefined();
          expect(new Set(result!.hits.map((h) => `${h.line} ${h.key.name}`))).toEqual(expected);
          expect(result!.hits.length).toBe(expected.size);
          expect(result!.hits.every((h) => !h.embedded)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('finds a live token wherever it starts inside a longer run, and calls it likely', () => {
    fc.assert(
      fc.property(token, fc.string({ unit: fc.constantFrom(...ALPHABET), maxLength: 30 }), fc.string({ unit: fc.constantFrom(...ALPHABET), maxLength: 30 }), (t, before, after) => {
        const idx = tokenIndex([{ token: t, name: 'k', type: 'regular', member: null }]);
        const hits = scanBytes(Buffer.from(`x ${before}${t}${after} y`), idx)!.hits;
        expect(hits.map((h) => [h.line, h.key.name, h.embedded])).toEqual([[1, 'k', before.length + after.length > 0]]);
      }),
    );
  });
});

describe('findTokens', () => {
  it('finds what a naive search finds, at every offset: tokens at the edges, overlapping, of two lengths', () => {
    const alphabet = fc.constantFrom(...'ABCab01-_ =\n'.split(''));
    fc.assert(
      fc.property(
        fc.uniqueArray(token, { minLength: 1, maxLength: 6 }),
        fc.array(fc.oneof(fc.string({ unit: alphabet, maxLength: 30 }), fc.nat()), { maxLength: 12 }),
        (tokens, parts) => {
          const keys = tokens.map((t, i): LiveToken => ({ token: t, name: `k${i}`, type: 'regular', member: null }));
          const text = parts.map((p) => (typeof p === 'number' ? tokens[p % tokens.length]! : p)).join('');
          const naive: string[] = [];
          for (let at = 0; at < text.length; at++) for (const k of keys) if (text.startsWith(k.token, at)) naive.push(`${at} ${k.name}`);
          const hits: string[] = [];
          findTokens(Buffer.from(text, 'latin1'), tokenIndex(keys), (h) => hits.push(`${h.offset} ${h.key.name}`));
          expect(hits).toEqual(naive);
        },
      ),
      { numRuns: 200 },
    );
  });
});
