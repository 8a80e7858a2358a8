// Step 2 of an interactive rotation: edit the new key's grants in menus. It works on a GrantSet and
// ends with a canonical one, so the diff, the create request and the verification all see exactly
// what was chosen. Only the Prompter is used: tests drive it with a scripted one.
//
// Datasets (Data Observatory) are kept as they are: they are rare and have no closed list to pick from.

import type { Choice, Prompter } from '../context.js';
import {
  formatTables,
  canonicalGrantSet,
  parseSchemaSpec,
  parseTableSpec,
  tableLabel,
} from '../grants/index.js';
import { tableKey } from '../grants/canonical.js';
import { APIS, SERVICES, TABLE_PERMISSIONS, type GrantSet } from '../grants/model.js';
import { validateWith } from './validate.js';

type MainItem = 'apis' | 'tables' | 'schemas' | 'services' | 'metadata' | 'done';

// The flags' notation (sql,maps), as everywhere a key's grants are shown.
const list = (values: readonly string[]): string => (values.length === 0 ? 'none' : values.join(','));

export async function editGrants(prompter: Prompter, start: GrantSet, defaultSchema: string): Promise<GrantSet> {
  let set = canonicalGrantSet(start);
  for (;;) {
    const choices: Choice<MainItem>[] = [
      { name: `APIs: ${list(set.apis)}`, value: 'apis' },
      { name: `Tables: ${formatTables(set.tables, { defaultSchema }) || 'none'}`, value: 'tables' },
      { name: `Schemas where it may create tables: ${list(set.schemas.map((s) => s.name))}`, value: 'schemas' },
      { name: `Services: ${list(set.services)}`, value: 'services' },
      { name: `Table metadata: ${set.tableMetadata ? 'yes' : 'no'} (select to switch)`, value: 'metadata' },
      { name: 'Done: use these grants', value: 'done' },
    ];
    switch (await prompter.select('Edit the grants of the new key:', choices)) {
      case 'apis':
        set = { ...set, apis: await prompter.checkbox('APIs of the new key:', APIS.map((api) => ({ name: api, value: api, checked: set.apis.includes(api) }))) };
        break;
      case 'tables':
        set = await editTables(prompter, set, defaultSchema);
        break;
      case 'schemas':
        set = await editSchemas(prompter, set);
        break;
      case 'services':
        set = {
          ...set,
          services: await prompter.checkbox('Services of the new key:', SERVICES.map((s) => ({ name: s, value: s, checked: set.services.includes(s) }))),
        };
        break;
      case 'metadata':
        set = { ...set, tableMetadata: !set.tableMetadata };
        break;
      case 'done':
        return canonicalGrantSet(set);
    }
    set = canonicalGrantSet(set);
  }
}

async function editTables(prompter: Prompter, start: GrantSet, defaultSchema: string): Promise<GrantSet> {
  let set = start;
  for (;;) {
    const choices: Choice<string>[] = [
      ...(set.tables.length > 0 ? [{ name: 'Choose which tables to keep', value: 'keep' }] : []),
      ...set.tables.map((t, i) => ({ name: `Permissions on ${tableLabel(t)} (${t.permissions.join(', ')})`, value: `table:${i}` })),
      { name: 'Add a table', value: 'add' },
      { name: 'Back', value: 'back' },
    ];
    const choice = await prompter.select('Tables:', choices);
    if (choice === 'back') return set;
    if (choice === 'keep') {
      const kept = await prompter.checkbox(
        'Tables to keep:',
        set.tables.map((t) => ({ name: `${tableLabel(t)} (${t.permissions.join(', ')})`, value: tableKey(t), checked: true })),
      );
      set = { ...set, tables: set.tables.filter((t) => kept.includes(tableKey(t))) };
    } else if (choice === 'add') {
      const spec = await prompter.input('Table to add, [schema.]table[:select,insert,update,delete|all]:', {
        validate: validateWith((v) => parseTableSpec(v, defaultSchema, 'table')),
      });
      // canonicalGrantSet merges a table named twice: adding widens, as --add-table does.
      set = canonicalGrantSet({ ...set, tables: [...set.tables, parseTableSpec(spec, defaultSchema, 'table')] });
    } else {
      const table = set.tables[Number(choice.slice('table:'.length))];
      if (table === undefined) continue;
      const permissions = await prompter.checkbox(
        `Permissions on ${tableLabel(table)} (none: drop the table):`,
        TABLE_PERMISSIONS.map((p) => ({ name: p, value: p, checked: table.permissions.includes(p) })),
      );
      set = canonicalGrantSet({ ...set, tables: set.tables.map((t) => (t === table ? { ...t, permissions } : t)) });
    }
  }
}

async function editSchemas(prompter: Prompter, start: GrantSet): Promise<GrantSet> {
  let set = start;
  for (;;) {
    const choices: Choice<string>[] = [
      ...(set.schemas.length > 0 ? [{ name: 'Choose which schemas to keep', value: 'keep' }] : []),
      { name: 'Add a schema', value: 'add' },
      { name: 'Back', value: 'back' },
    ];
    const choice = await prompter.select('Schemas where the key may create tables:', choices);
    if (choice === 'back') return set;
    if (choice === 'keep') {
      const kept = await prompter.checkbox('Schemas to keep:', set.schemas.map((s) => ({ name: s.name, value: s.name, checked: true })));
      set = { ...set, schemas: set.schemas.filter((s) => kept.includes(s.name)) };
    } else {
      const spec = await prompter.input('Schema to add (name):', { validate: validateWith((v) => parseSchemaSpec(v, 'schema')) });
      set = canonicalGrantSet({ ...set, schemas: [...set.schemas, parseSchemaSpec(spec, 'schema')] });
    }
  }
}
