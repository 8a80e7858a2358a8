// The interactive grant editor on its own: scripted answers in, a canonical GrantSet out.
import { describe, expect, it } from 'vitest';
import { canonicalGrantSet } from '../../src/grants/index.js';
import { editGrants } from '../../src/rotate/grant-editor.js';
import { scriptedPrompter } from '../helpers/harness.js';

const start = canonicalGrantSet({
  apis: ['sql', 'maps'],
  tables: [
    { schema: 'public', name: 'liked_cities', permissions: ['select', 'insert'] },
    { schema: 'public', name: 'world_population', permissions: ['select'] },
  ],
  schemas: [{ name: 'public', permissions: ['create'] }],
  services: ['geocoding'],
});

describe('editGrants', () => {
  it('"Done" at once returns the grants unchanged', async () => {
    const p = scriptedPrompter([{ select: 'done', match: /Edit the grants/ }]);
    expect(await editGrants(p, start, 'public')).toEqual(start);
  });

  it('APIs and services by checkbox; table metadata toggles', async () => {
    const p = scriptedPrompter([
      { select: 'apis' },
      { checkbox: ['sql', 'do'], match: /APIs/ },
      { select: 'services' },
      { checkbox: ['routing'], match: /Services/ },
      { select: 'metadata' },
      { select: 'done' },
    ]);
    const out = await editGrants(p, start, 'public');
    expect(out.apis).toEqual(['sql', 'do']);
    expect(out.services).toEqual(['routing']);
    expect(out.tableMetadata).toBe(true);
    expect(p.remaining()).toBe(0);
  });

  it('tables: keep some, change permissions (none drops it), add one (validated by the --table parser), widen one', async () => {
    const p = scriptedPrompter([
      { select: 'tables' },
      { select: 'keep', match: /^Tables:/ },
      { checkbox: [JSON.stringify(['public', 'liked_cities'])], match: /keep/ },
      { select: 'table:0' },
      { checkbox: ['select', 'update'], match: /Permissions on public\.liked_cities/ },
      { select: 'add' },
      { input: 'national_incomes:select,delete', match: /Table to add/ },
      { select: 'add' },
      { input: 'public.national_incomes:insert' },
      { select: 'back' },
      { select: 'done' },
    ]);
    const out = await editGrants(p, start, 'public');
    expect(out.tables).toEqual([
      { schema: 'public', name: 'liked_cities', permissions: ['select', 'update'] },
      { schema: 'public', name: 'national_incomes', permissions: ['select', 'insert', 'delete'] },
    ]);

    const drop = scriptedPrompter([{ select: 'tables' }, { select: 'table:1' }, { checkbox: [] }, { select: 'back' }, { select: 'done' }]);
    expect((await editGrants(drop, start, 'public')).tables.map((t) => t.name)).toEqual(['liked_cities']);
  });

  it('a bad table spec is refused by the prompt, with the parser\'s message', async () => {
    const p = scriptedPrompter([{ select: 'tables' }, { select: 'add' }, { input: 'world:read' }]);
    await expect(editGrants(p, start, 'public')).rejects.toThrow(/rejected by validate: Unknown permission "read"/);
  });

  it('schemas: keep some, add one', async () => {
    const p = scriptedPrompter([
      { select: 'schemas' },
      { select: 'keep' },
      { checkbox: [] },
      { select: 'add' },
      { input: 'analytics', match: /Schema to add/ },
      { select: 'back' },
      { select: 'done' },
    ]);
    expect((await editGrants(p, start, 'public')).schemas).toEqual([{ name: 'analytics', permissions: ['create'] }]);
  });
});
