// Properties of the audit over generated accounts: the order keys arrive in changes nothing, no finding
// ever carries a token, the scanner finds exactly the planted secrets, and the output escaping holds
// for any name (the quoting of fixes: test/text/command-line.test.ts).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeField } from '../../src/text/escape.js';
import {
  compareFindings,
  grantsId,
  identicalGrantsRule,
  runAudit,
  tableLines,
  tsvLines,
  type AuditKey,
} from '../../src/audit/index.js';
import { auditJsonText, summarize } from '../../src/audit/report.js';
import { auditGrants } from '../../src/audit/grants.js';
import { auditKey, cartoTimeMs } from '../../src/audit/keys.js';
import type { WireGrant } from '../../src/api/types.js';
import { normalizeRenderedGrants, toCreateGrants } from '../../src/grants/normalize.js';
import { parseCartoTime } from '../../src/ui/time.js';
import { grantSet, renderLikeServer } from '../grants/helpers.js';
import { colors } from '../../src/ui/color.js';
import { builtIns, key, secretsIn, wire } from './helpers.js';
import type { GrantSet } from '../../src/grants/model.js';

const NOW = new Date('2026-11-30T12:00:00Z');
const TOKEN_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-'.split('');

/** A regular key's token: 22 URL-safe characters, starting with "T" so no generated name or table equals one. */
const token = fc.array(fc.constantFrom(...TOKEN_CHARS), { minLength: 21, maxLength: 21 }).map((cs) => `T${cs.join('')}`);

const regularKey = fc.record({
  name: fc.string({ minLength: 1, maxLength: 8, unit: fc.constantFrom('a', 'b', 'c', ' ', '-', "'", '\t', 'é') }),
  token,
  apis: fc.subarray(['sql', 'maps', 'do']),
  tables: fc.array(
    fc.record({ name: fc.constantFrom('t1', 't2', 't3'), permissions: fc.subarray(['select', 'insert', 'update', 'delete'], { minLength: 1 }) }),
    { maxLength: 2 },
  ),
  schemas: fc.boolean().map((create) => (create ? [{ name: 'public', permissions: ['create'] }] : [])),
  tableMetadata: fc.boolean(),
  services: fc.subarray(['geocoding', 'routing']),
  day: fc.integer({ min: 1, max: 28 }),
  month: fc.integer({ min: 1, max: 11 }),
});

/** An account: the built-in keys and regular keys with distinct names and tokens. */
const account = fc
  .uniqueArray(regularKey, { maxLength: 12, selector: (k) => k.name })
  .filter((ks) => new Set(ks.map((k) => k.token)).size === ks.length)
  .map((ks): AuditKey[] => [
    ...builtIns(),
    ...ks.map(({ day, month, ...k }) => key({ ...k, createdAt: `2026-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')} 08:00:00 +0000` })),
  ]);

function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const out = [...xs];
  let s = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('audit properties', () => {
  it('keys that share their grant sets (as the command converts them) get exactly the findings of keys converted one by one', () => {
    const wires = fc
      .uniqueArray(regularKey, { maxLength: 12, selector: (k) => k.name })
      .map((ks) => ks.map(({ day, month, ...k }) => wire({ ...k, createdAt: `2026-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')} 08:00:00 +0000` })));
    fc.assert(
      fc.property(wires, (ws) => {
        const all = [...builtIns().map((k) => wire({ name: k.name, type: k.type, token: k.token, apis: k.grants.apis, services: k.grants.services })), ...ws];
        const grantSets = new Map<string, GrantSet>();
        const shared = all.map((w) => auditKey(w, undefined, grantSets));
        const alone = all.map((w) => auditKey(w));
        const maxAge = { text: '60d', ms: 60 * 86_400_000 };
        expect(runAudit({ keys: shared, now: NOW, maxAge, profile: 'p' })).toEqual(runAudit({ keys: alone, now: NOW, maxAge, profile: 'p' }));
      }),
    );
  });

  it('the findings do not depend on the order of the keys', () => {
    fc.assert(
      fc.property(account, fc.integer(), (keys, seed) => {
        const maxAge = { text: '60d', ms: 60 * 86_400_000 };
        const a = runAudit({ keys, now: NOW, maxAge });
        const b = runAudit({ keys: shuffled(keys, seed), now: NOW, maxAge });
        expect(b).toEqual(a);
        // In report order: exactly what sorting every finding would give.
        expect(a).toEqual([...a].sort(compareFindings));
      }),
    );
  });

  it('identical-grants: every group of n keys with the same grants gives n - 1 findings, whatever the order', () => {
    fc.assert(
      fc.property(account, fc.integer(), (keys, seed) => {
        const findings = identicalGrantsRule({ keys: shuffled(keys, seed), now: NOW });
        const regular = keys.filter((k) => k.type === 'regular');
        const groups = new Set(regular.map((k) => JSON.stringify(k.grants)));
        expect(findings.length).toBe(regular.length - groups.size);
        // The kept key of each group is the same whatever the order: the reported set is stable.
        const again = identicalGrantsRule({ keys, now: NOW });
        expect(new Set(findings.map((f) => f.key))).toEqual(new Set(again.map((f) => f.key)));
      }),
    );
  });

  it('no finding, in any output form, ever contains a token', () => {
    fc.assert(
      fc.property(account, fc.array(fc.nat(), { maxLength: 6 }), (keys, picks) => {
        const secrets = keys.filter((k) => k.type !== 'default').map((k) => k.token);
        // A file holding some of the account's tokens (the Master key included).
        const text = picks.map((p, i) => `VAR_${i}=${secrets[p % secrets.length]}`).join('\n');
        const findings = runAudit({ keys, now: NOW, maxAge: { text: '1d', ms: 86_400_000 }, secrets: secretsIn([{ path: 'f', text }], keys) });
        const summary = summarize(findings, { keys: keys.length, scanned: ['f'], deploymentRegistry: false });
        const outputs = [
          auditJsonText(findings, summary),
          tsvLines(findings).join('\n'),
          tableLines(findings, colors(false), { members: true }).join('\n'),
        ];
        for (const out of outputs) for (const secret of secrets) expect(out).not.toContain(secret);
        // One finding per line that holds a secret: all of them were found.
        expect(findings.filter((f) => f.file !== null).length).toBe(picks.length);
      }),
    );
  });

  it('the scanner reports exactly the planted tokens, at their lines', () => {
    const filler = fc.string({ maxLength: 30, unit: fc.constantFrom('a', 'Z', '9', '=', ' ', '"', '#', '\r', '\t', '&', 'é') });
    fc.assert(
      fc.property(account, fc.array(fc.tuple(filler, fc.option(fc.nat()), filler), { maxLength: 20 }), (keys, lines) => {
        const live = keys.filter((k) => k.type !== 'default');
        const expected = new Set<string>();
        const text = lines
          .map(([before, pick, after], i) => {
            if (pick === null) return `${before}${after}`;
            const k = live[pick % live.length]!;
            expected.add(`${i + 1} ${k.name}`);
            // Separators around the token: a token is a whole run of URL-safe characters.
            return `${before} ${k.token}\t${after}`;
          })
          .join('\n');
        const hits = secretsIn([{ path: 'p', text }], keys);
        expect(new Set(hits.map((h) => `${h.line} ${h.key.name}`))).toEqual(expected);
        expect(hits.length).toBe(expected.size);
      }),
    );
  });

  it('escapeField: one line, no control character, and reversible', () => {
    const unescape = (s: string) =>
      s.replace(/\\(\\|t|n|r|x[0-9a-f]{2}|u[0-9a-f]{4})/g, (_, e: string) =>
        e === '\\' ? '\\' : e === 't' ? '\t' : e === 'n' ? '\n' : e === 'r' ? '\r' : String.fromCharCode(parseInt(e.slice(1), 16)),
      );
    fc.assert(
      fc.property(fc.string({ unit: fc.oneof(fc.integer({ min: 0, max: 0x2ff }), fc.integer({ min: 0x2028, max: 0x2069 })).map((c) => String.fromCharCode(c)), maxLength: 40 }), (s) => {
        const out = escapeField(s);
        return !/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/.test(out) && unescape(out) === s;
      }),
    );
  });

  it('auditGrants is normalizeRenderedGrants(…).grants, for what CARTO renders and for anything odd', () => {
    const word = (values: string[]) => fc.constantFrom(...values);
    const odd: fc.Arbitrary<WireGrant[]> = fc
      .array(
        fc.oneof(
          fc.record({ type: fc.constant('apis' as const), apis: fc.array(word(['sql', 'maps', 'do', 'bogus']), { maxLength: 4 }) }),
          fc.record({
            type: fc.constant('database' as const),
            tables: fc.array(
              fc.record({
                schema: word(['public', 'b']),
                name: word(['t', 'u', 'v']),
                owner: fc.boolean(),
                permissions: fc.array(word(['select', 'insert', 'update', 'delete', 'truncate', 'references', 'trigger', 'bogus']), { maxLength: 5 }),
              }),
              { maxLength: 4 },
            ),
            schemas: fc.array(fc.record({ name: word(['public', 'b']), permissions: fc.array(word(['usage', 'create', 'bogus']), { maxLength: 3 }) }), { maxLength: 3 }),
          }),
          fc.record({ type: fc.constant('dataservices' as const), services: fc.array(word(['geocoding', 'routing', 'bogus']), { maxLength: 3 }) }),
          fc.record({ type: fc.constant('data-observatory' as const), datasets: fc.array(word(['x', 'y', 'a.b']), { maxLength: 3 }) }),
        ),
        { maxLength: 5 },
      )
      .map((gs) => gs as WireGrant[]);
    const rendered = grantSet.map((set) => renderLikeServer(toCreateGrants(set)));
    fc.assert(
      fc.property(fc.oneof(odd, rendered), (grants) => {
        expect(auditGrants(grants)).toEqual(normalizeRenderedGrants(grants).grants);
      }),
      { numRuns: 300 },
    );
  });

  it('cartoTimeMs is parseCartoTime(…)?.getTime(), on valid and invalid times alike', () => {
    const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, '0'));
    const stamp = fc
      .tuple(fc.integer({ min: 0, max: 9999 }), two(14), two(32), two(25), two(61), two(61), fc.constantFrom(' +0000', ' UTC', '', 'Z', ' +0100'))
      .map(([y, mo, d, h, mi, se, zone]) => `${String(y).padStart(4, '0')}-${mo}-${d} ${h}:${mi}:${se}${zone}`);
    fc.assert(
      fc.property(fc.oneof(stamp, fc.string({ maxLength: 30 })), (s) => {
        expect(cartoTimeMs(s)).toBe(parseCartoTime(s)?.getTime());
      }),
      { numRuns: 500 },
    );
  });

  it('grantsId tells grant sets apart exactly when they differ', () => {
    const near = grantSet.chain((g) => fc.tuple(fc.constant(g), fc.oneof(grantSet, fc.constant(structuredClone(g)), fc.constant({ ...g, tableMetadata: !g.tableMetadata }))));
    fc.assert(
      fc.property(near, ([a, b]) => {
        expect(grantsId(a) === grantsId(b)).toBe(JSON.stringify(a) === JSON.stringify(b));
      }),
      { numRuns: 300 },
    );
  });
});
