// `list` on a terminal: the table fits the width (COLUMNS fixed at 80, 120, 160), cutting names and
// tables with `…` and leaving the update time out when there is no room; --wide shows everything.
import { describe, expect, it } from 'vitest';
import type { WireApiKey } from '../../src/api/types.js';
import { layoutKeyList } from '../../src/ui/key-list.js';
import fc from 'fast-check';
import { fit, fitDistinct, fitMiddle, layoutTable, visibleLength } from '../../src/ui/table-layout.js';
import { maskToken } from '../../src/ui/output.js';
import { run } from '../helpers/harness.js';
import { testSandbox } from '../helpers/sandbox-fetch.js';

function key(name: string, type: WireApiKey['type'], apis: string[], tables: [string, string[]][], token: string): WireApiKey {
  return {
    name,
    type,
    token,
    created_at: '2026-11-22 05:54:33 +0000',
    updated_at: '2026-11-22 05:54:33 +0000',
    grants: [
      { type: 'apis', apis },
      { type: 'database', tables: tables.map(([t, permissions]) => ({ schema: t.includes('.') ? t.split('.')[0]! : 'public', name: t.split('.').at(-1)!, permissions })), schemas: [] },
    ],
  } as unknown as WireApiKey;
}

const KEYS = [
  key('Master', 'master', ['sql', 'maps'], [], 'a'.repeat(40)),
  key('Default public', 'default', ['sql', 'maps'], [], 'default_public'),
  key('web-map-production-eu-west', 'regular', ['sql', 'maps'], [['liked_cities', ['select', 'insert']], ['world_population', ['select']]], 'Xl2Wq3r7tF0oZ0bJp8aS9Q'),
  key('etl', 'regular', ['sql'], [['analytics.events', ['select', 'insert', 'update', 'delete']]], 'b3Xq3r7tF0oZ0bJp8aS9Qz'),
];
const token = (k: WireApiKey) => maskToken(k.token);

describe('layoutKeyList at a fixed width', () => {
  for (const width of [80, 120, 160]) {
    it(`${width} columns: no line is wider, names and grants cut with … only when needed`, () => {
      const { lines } = layoutKeyList(KEYS, { width, token });
      for (const line of lines) expect(visibleLength(line), line).toBeLessThanOrEqual(width);
      expect(lines[0]).toMatch(/^NAME\s+TYPE\s+APIS\s+TABLES\s+TOKEN/);
      expect(lines).toHaveLength(KEYS.length + 1);
    });
  }

  it('80 columns: the update time makes way, tables are cut with …', () => {
    const { lines, shortened } = layoutKeyList(KEYS, { width: 80, token });
    expect(shortened).toBe(true);
    expect(lines[0]).not.toContain('UPDATED');
    expect(lines.join('\n')).toContain('…');
    expect(lines[3]).toMatch(/^web-map-pr…on-eu-west  regular  sql,maps  liked_cities:select,i…  Xl2W…$/);
  });

  it('120 columns: the time is back; only the longest tables are cut', () => {
    const { lines, shortened } = layoutKeyList(KEYS, { width: 120, token });
    expect(lines[0]).toMatch(/UPDATED$/);
    expect(shortened).toBe(true);
    expect(lines[3]).toContain('web-map-production-eu-west');
  });

  it('160 columns: everything in full, nothing cut', () => {
    const { lines, shortened } = layoutKeyList(KEYS, { width: 160, token });
    expect(shortened).toBe(false);
    expect(lines[3]).toMatch(/^web-map-production-eu-west  /);
    expect(lines[3]).toContain('liked_cities:select,insert world_population:select');
    expect(lines[4]).toContain('analytics.events:select,insert,update,delete');
  });

  it('no width (--wide): everything in full, however long', () => {
    const long = [...KEYS, key('x'.repeat(150), 'regular', ['sql'], [['t', ['select']]], 'c'.repeat(22))];
    const { lines, shortened } = layoutKeyList(long, { token });
    expect(shortened).toBe(false);
    expect(lines.at(-1)).toContain('x'.repeat(150));
  });

  it('columns stay aligned: every cell of a column starts at the same place', () => {
    const { lines } = layoutKeyList(KEYS, { width: 100, token });
    const at = lines[0]!.indexOf('TYPE');
    for (const line of lines.slice(1)) expect(line.slice(at)).toMatch(/^(master|default|regular)\b/);
  });
});

describe('layoutTable and fit', () => {
  it('fit cuts by code point and ends with …', () => {
    expect(fit('abcdef', 4)).toBe('abc…');
    expect(fit('abc', 4)).toBe('abc');
    expect(fit('🔑🔑🔑🔑🔑', 3)).toBe('🔑🔑…');
  });

  it('fitMiddle keeps the start and the end', () => {
    expect(fitMiddle('sql-world_population-20261207-0001', 16)).toBe('sql-worl…07-0001');
    expect(fitMiddle('abc', 3)).toBe('abc');
    expect(fitMiddle('abcdef', 4, 1)).toBe('a…ef');
  });

  it('generated names that differ only at their end stay distinct (the issue\'s three rows)', () => {
    const names = ['sql-world_population-20261207-0001', 'sql-world_population-20261207-0002', 'sql-world_population-20261207-0003'];
    const { lines } = layoutKeyList(
      names.map((n) => key(n, 'regular', ['sql'], [['world_population', ['select']]], 'Xl2Wq3r7tF0oZ0bJp8aS9Q')),
      { width: 40, token },
    );
    const shown = lines.slice(1).map((l) => l.split(/\s+/)[0]);
    expect(new Set(shown).size, lines.join('\n')).toBe(3);
    expect(shown[0]).toMatch(/….*-0001$/);
  });

  it('property: cells that differ stay different when cut, if any cut of that width could tell them apart', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.stringMatching(/^[a-c]{0,24}$/), { minLength: 2, maxLength: 5 }), fc.integer({ min: 8, max: 20 }), (cells, width) => {
        const out = fitDistinct(cells, width);
        out.forEach((o) => expect(visibleLength(o)).toBeLessThanOrEqual(width));
        // Two cells that differ in their first or last width-2 characters can always be told apart.
        for (let i = 0; i < cells.length; i++)
          for (let j = i + 1; j < cells.length; j++) {
            const a = cells[i]!, b = cells[j]!;
            const k = width - 2;
            const separable = a.length <= width && b.length <= width ? a !== b : a.slice(0, k) !== b.slice(0, k) || a.slice(-k) !== b.slice(-k);
            if (separable && cells.length === 2) expect(out[i], `${a} / ${b}`).not.toBe(out[j]);
          }
      }),
    );
  });

  it('no trailing blanks; the header is styled, not padded with the style', () => {
    const { lines } = layoutTable([{ header: 'A', cells: ['x'] }, { header: 'B', cells: [''] }], { bold: (s) => `<${s}>` });
    expect(lines).toEqual(['<A>  <B>', 'x']);
  });
});

describe('carto-keys list on a terminal', () => {
  async function listAt(columns: string | undefined, ...args: string[]) {
    const sb = testSandbox();
    for (const name of ['web-map-production-eu-west', 'etl']) {
      const tables = name === 'etl' ? ['--table', 'national_incomes:all'] : ['--table', 'liked_cities:select,insert', '--table', 'world_population'];
      expect((await run(['create', '--name', name, '--api', 'sql,maps', ...tables], { env: sb.env, fetch: sb.fetch })).code).toBe(0);
    }
    return run(['list', ...args], { env: { ...sb.env, ...(columns && { COLUMNS: columns }) }, fetch: sb.fetch, tty: true });
  }

  it('fits COLUMNS and says on stderr that --wide shows everything', async () => {
    const r = await listAt('80');
    expect(r.code, r.stderr).toBe(0);
    for (const line of r.stdout.trimEnd().split('\n')) expect(visibleLength(line), line).toBeLessThanOrEqual(80);
    expect(r.stderr).toContain('4 keys (shortened to fit: --wide shows everything)');
  });

  it('--wide ignores the width', async () => {
    const r = await listAt('80', '--wide');
    expect(r.stdout).toContain('liked_cities:select,insert world_population:select');
    expect(r.stdout).toMatch(/UPDATED\n/);
    expect(r.stderr).toBe('4 keys\n');
  });

  it('without COLUMNS nor a terminal size, 80', async () => {
    const r = await listAt(undefined);
    for (const line of r.stdout.trimEnd().split('\n')) expect(visibleLength(line)).toBeLessThanOrEqual(80);
  });
});
