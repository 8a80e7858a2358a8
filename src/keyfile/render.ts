// KeyEntry-like grants → carto-keys.yaml text, as `export` writes it: schema always explicit (the file
// then means the same for every profile), lists in flow style (`[select, insert]`), fields in the
// order of the documentation, every section present only when it grants something (`apis` always).

import { Document, visit } from 'yaml';
import { tableLabel } from '../grants/canonical.js';
import type { GrantSet } from '../grants/model.js';
import { KEY_FILE_VERSION } from './model.js';

export interface RenderedKey {
  name: string;
  grants: GrantSet;
}

export const FILE_HEADER = [
  ' carto-keys.yaml: the API keys of this account, as code. It holds no tokens.',
  ' Review a change with `carto-keys plan`, roll it out with `carto-keys apply`.',
  ' The format and its JSON Schema: docs/keys-as-code.md and schema/ in the carto-keys package.',
].join('\n');

export function entryObject(grants: GrantSet): Record<string, unknown> {
  const o: Record<string, unknown> = { apis: [...grants.apis] };
  if (grants.tables.length > 0) o.tables = Object.fromEntries(grants.tables.map((t) => [tableLabel(t), [...t.permissions]]));
  if (grants.schemas.length > 0) o.schemas = Object.fromEntries(grants.schemas.map((s) => [s.name, [...s.permissions]]));
  if (grants.tableMetadata) o.table_metadata = true;
  if (grants.services.length > 0) o.services = [...grants.services];
  if (grants.datasets.length > 0) o.datasets = [...grants.datasets];
  return o;
}

export function renderKeyFile(keys: readonly RenderedKey[], opts: { header?: string } = {}): string {
  // A Map, not an object: a key may be named "__proto__", which an object would swallow.
  const keysObject = new Map<string, unknown>();
  for (const k of keys) keysObject.set(k.name, entryObject(k.grants));
  const doc = new Document({ version: KEY_FILE_VERSION, keys: keysObject });
  visit(doc, {
    Seq(_, node) {
      node.flow = true;
    },
  });
  if (keys.length === 0) {
    // `keys: {}` reads as "no keys", which is what an account with no regular keys declares.
    visit(doc, { Map(_, node) {
      if (node !== doc.contents && node.items.length === 0) node.flow = true;
    } });
  }
  doc.commentBefore = opts.header ?? FILE_HEADER;
  // Long lines stay long: a folded dataset id or table name would be harder to grep for.
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}
