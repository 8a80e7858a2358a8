// The planner, pure: file entries + live keys + now → create / replace / rotate / unmanaged /
// ambiguous / nothing, with the matching rule of docs/keys-as-code.md.

import { describe, expect, it } from 'vitest';
import type { WireApiKey } from '../../src/api/types.js';
import { canonicalGrantSet } from '../../src/grants/canonical.js';
import type { GrantSet } from '../../src/grants/model.js';
import { toCreateGrants } from '../../src/grants/normalize.js';
import type { KeyEntry } from '../../src/keyfile/model.js';
import { planKeys } from '../../src/keyfile/plan.js';
import { renderLikeServer } from '../grants/helpers.js';

const NOW = new Date('2026-11-30T12:00:00Z');
const READER = canonicalGrantSet({ apis: ['sql'], tables: [{ schema: 'public', name: 'cities', permissions: ['select'] }] });
const WRITER = canonicalGrantSet({ apis: ['sql', 'maps'], tables: [{ schema: 'public', name: 'cities', permissions: ['select', 'insert'] }] });

function live(name: string, grants: GrantSet, created = '2026-11-01 10:00:00 +0000', type: WireApiKey['type'] = 'regular'): WireApiKey {
  return { name, type, token: 'tok', user: { username: 'demo' }, grants: renderLikeServer(toCreateGrants(grants)), created_at: created, updated_at: created } as WireApiKey;
}
const BUILT_IN = [live('Master', canonicalGrantSet({ apis: ['sql', 'maps'] }), undefined, 'master'), live('Default public', canonicalGrantSet(), undefined, 'default')];

function entry(name: string, grants: GrantSet, extra: Partial<KeyEntry> = {}): KeyEntry {
  return { name, grants, deploy: [], line: 1, ...extra };
}

const actions = (p: ReturnType<typeof planKeys>) => p.keys.map((k) => [k.action, k.name, k.from ?? null, k.to ?? null]);

describe('planKeys', () => {
  it('nothing to do when the live keys are as declared; built-in keys are never managed', () => {
    const p = planKeys([entry('app', READER)], [...BUILT_IN, live('app', READER)], NOW);
    expect(actions(p)).toEqual([['none', 'app', null, null]]);
    expect(p.changesPending).toBe(false);
    expect(p.summary).toEqual({ create: 0, replace: 0, rotate: 0, unmanaged: 0, ambiguous: 0, unchanged: 1 });
  });

  it('create: an entry with no live key', () => {
    const p = planKeys([entry('web', READER)], BUILT_IN, NOW);
    expect(actions(p)).toEqual([['create', 'web', null, 'web']]);
    expect(p.changesPending).toBe(true);
  });

  it('replace: every grant path that forces it, as a -/+ diff, to a unique rotated name', () => {
    const p = planKeys([entry('app', WRITER)], [...BUILT_IN, live('app', READER), live('other-r20261130', READER)], NOW);
    const [k] = p.keys;
    expect(k).toMatchObject({ action: 'replace', from: 'app', to: 'app-r20261130' });
    expect(k!.diff.map((d) => `${d.sign} ${d.text}`)).toEqual(['+ api maps', '+ table public.cities:insert']);
    expect(k!.changes).toEqual([
      { sign: '+', path: ['apis', 'maps'] },
      { sign: '+', path: ['tables', 'public.cities', 'insert'] },
    ]);
  });

  it('replace removes too: lost APIs, permissions, schemas, metadata, services, datasets', () => {
    const before = canonicalGrantSet({ ...WRITER, schemas: [{ name: 'public', permissions: ['create'] }], tableMetadata: true, services: ['geocoding'], datasets: ['d1'] });
    const p = planKeys([entry('app', READER)], [live('app', before)], NOW);
    expect(p.keys[0]!.changes).toEqual([
      { sign: '-', path: ['apis', 'maps'] },
      { sign: '-', path: ['tables', 'public.cities', 'insert'] },
      { sign: '-', path: ['schemas', 'public', 'create'] },
      { sign: '-', path: ['table_metadata'] },
      { sign: '-', path: ['services', 'geocoding'] },
      { sign: '-', path: ['datasets', 'd1'] },
    ]);
  });

  it('a rotated successor matches its entry (-rYYYYMMDD and -rYYYYMMDD-N), and is replaced under its base name', () => {
    for (const name of ['app-r20261001', 'app-r20261001-2']) {
      const p = planKeys([entry('app', READER)], [live(name, READER)], NOW);
      expect(actions(p)).toEqual([['none', 'app', null, null]]);
      const q = planKeys([entry('app', WRITER)], [live(name, READER)], NOW);
      expect(actions(q)).toEqual([['replace', 'app', name, 'app-r20261130']]);
    }
    // Not a successor: another suffix, or another base.
    const r = planKeys([entry('app', READER)], [live('app-r2026', READER), live('app2-r20261001', READER)], NOW);
    expect(actions(r)).toEqual([
      ['create', 'app', null, 'app'],
      ['unmanaged', 'app-r2026', null, null],
      ['unmanaged', 'app2-r20261001', null, null],
    ]);
  });

  it('an entry exported under a rotated name finds its later successors', () => {
    const p = planKeys([entry('app-r20261001', READER)], [live('app-r20261115', READER)], NOW);
    expect(actions(p)).toEqual([['none', 'app-r20261001', null, null]]);
  });

  it('an exact name wins: entries app and app-r20261001 each keep their own key', () => {
    const p = planKeys([entry('app', READER), entry('app-r20261001', WRITER)], [live('app', READER), live('app-r20261001', WRITER)], NOW);
    expect(actions(p)).toEqual([
      ['none', 'app', null, null],
      ['none', 'app-r20261001', null, null],
    ]);
  });

  it('two live keys for one entry (a grace window) are shown as such, never chosen', () => {
    const p = planKeys([entry('app', WRITER)], [live('app', READER), live('app-r20261129', WRITER)], NOW);
    expect(actions(p)).toEqual([['ambiguous', 'app', null, null]]);
    expect(p.keys[0]!.live.map((k) => k.name)).toEqual(['app', 'app-r20261129']);
    expect(p.keys[0]!.reasons).toEqual([
      'live key "app" (created 2026-11-01) grants something else',
      'live key "app-r20261129" (created 2026-11-01) grants what the file declares',
    ]);
    expect(p.changesPending).toBe(false);
    expect(p.summary.ambiguous).toBe(1);
  });

  it('a successor two entries could own is shown for both, never given to one', () => {
    const p = planKeys([entry('app', READER), entry('app-r20261001', READER)], [live('app-r20261115', READER)], NOW);
    expect(actions(p)).toEqual([
      ['ambiguous', 'app', null, null],
      ['ambiguous', 'app-r20261001', null, null],
    ]);
    expect(p.keys[0]!.reasons[0]).toContain('"app" or "app-r20261001"');
  });

  it('rotate: older than rotate_after (and only then); a replacement takes precedence', () => {
    const ninety = { text: '90d', ms: 90 * 86_400_000 };
    const old = live('app', READER, '2026-08-01 09:00:00 +0000');
    const p = planKeys([entry('app', READER, { rotateAfter: ninety })], [old], NOW);
    expect(actions(p)).toEqual([['rotate', 'app', 'app', 'app-r20261130']]);
    expect(p.keys[0]!.reasons).toEqual(['created 2026-08-01 (121 days ago), older than rotate_after 90d']);
    const young = planKeys([entry('app', READER, { rotateAfter: { text: '200d', ms: 200 * 86_400_000 } })], [old], NOW);
    expect(actions(young)).toEqual([['none', 'app', null, null]]);
    const both = planKeys([entry('app', WRITER, { rotateAfter: ninety })], [old], NOW);
    expect(both.keys[0]!.action).toBe('replace');
  });

  it('unmanaged: live regular keys the file does not declare; pending only with prune', () => {
    const keys = [...BUILT_IN, live('app', READER), live('stray', WRITER)];
    const p = planKeys([entry('app', READER)], keys, NOW);
    expect(actions(p)).toEqual([
      ['none', 'app', null, null],
      ['unmanaged', 'stray', null, null],
    ]);
    expect(p.changesPending).toBe(false);
    expect(planKeys([entry('app', READER)], keys, NOW, { prune: true }).changesPending).toBe(true);
  });

  it('two replacements the same day get distinct names', () => {
    const p = planKeys([entry('a', WRITER), entry('a-r20261001', WRITER)], [live('a', READER), live('a-r20261001', READER)], NOW);
    expect(p.keys.map((k) => k.to)).toEqual(['a-r20261130', 'a-r20261130-2']);
  });

  it('live-only permissions (owner-only, on a table the key created) are no change, and a replacement says it loses them', () => {
    const k = live('app', READER);
    const db = k.grants.find((g) => g.type === 'database');
    if (db?.type === 'database') db.tables!.push({ schema: 'public', name: 'mine', owner: true, permissions: ['truncate'] });
    expect(planKeys([entry('app', READER)], [k], NOW).keys[0]!.action).toBe('none');
    const r = planKeys([entry('app', WRITER)], [k], NOW).keys[0]!;
    expect(r.reasons.join('\n')).toContain('truncate');
  });
});
