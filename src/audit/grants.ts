// A key's rendered grants in canonical create form — exactly normalizeRenderedGrants(grants).grants,
// without the messages about what was dropped, which the audit never shows. An audit of 10,000 keys
// converts 10,000 grant lists: the general path (built for clone, one key at a time) spent most of
// its time there on partitions and merges that an ordinary key (one table, no duplicates) never needs.

import type { WireGrant } from '../api/types.js';
import { canonicalGrantSet, compareStrings } from '../grants/canonical.js';
import { APIS, SCHEMA_PERMISSIONS, SERVICES, TABLE_PERMISSIONS, type GrantSet, type SchemaGrant, type TableGrant } from '../grants/model.js';

function inOrder<T extends string>(values: readonly string[], order: readonly T[]): T[] {
  if (values.length === 0) return [];
  const out: T[] = [];
  for (const v of order) if (values.includes(v)) out.push(v);
  return out;
}

export function auditGrants(grants: readonly WireGrant[]): GrantSet {
  let apis: string[] = [];
  let tables: TableGrant[] = [];
  let schemas: SchemaGrant[] = [];
  let tableMetadata = false;
  let services: string[] = [];
  let datasets: string[] = [];
  let repeated = false;
  let seen = 0;
  for (const g of grants) {
    switch (g.type) {
      case 'apis':
        if (seen & 1) repeated = true;
        seen |= 1;
        apis = apis.concat(g.apis);
        break;
      case 'database':
        if (seen & 2) repeated = true;
        seen |= 2;
        for (const t of g.tables ?? []) {
          const permissions = inOrder(t.permissions, TABLE_PERMISSIONS);
          if (permissions.length > 0) tables.push({ schema: t.schema, name: t.name, permissions });
        }
        for (const s of g.schemas ?? []) {
          const permissions = inOrder(s.permissions, SCHEMA_PERMISSIONS);
          if (permissions.length > 0) schemas.push({ name: s.name, permissions });
        }
        tableMetadata ||= g.table_metadata !== undefined;
        break;
      case 'dataservices':
        services = services.concat(g.services);
        break;
      case 'data-observatory':
        datasets = datasets.concat(g.datasets);
        break;
      default:
        break;
    }
  }
  // A table or schema listed twice, or a section given twice: let the general canonical form merge them.
  if (repeated || hasDuplicates(tables, (t) => `${t.schema}\u0000${t.name}`) || hasDuplicates(schemas, (s) => s.name)) {
    return canonicalGrantSet({
      apis: apis.filter(isApi),
      tables,
      schemas,
      tableMetadata,
      services: services.filter(isService),
      datasets,
    });
  }
  if (tables.length > 1) tables = tables.sort((a, b) => compareStrings(a.schema, b.schema) || compareStrings(a.name, b.name));
  if (schemas.length > 1) schemas = schemas.sort((a, b) => compareStrings(a.name, b.name));
  return {
    apis: inOrder(apis, APIS),
    tables,
    schemas,
    tableMetadata,
    services: inOrder(services, SERVICES),
    datasets: datasets.length === 0 ? [] : [...new Set(datasets)].sort(compareStrings),
  };
}

const isApi = (v: string): v is (typeof APIS)[number] => (APIS as readonly string[]).includes(v);
const isService = (v: string): v is (typeof SERVICES)[number] => (SERVICES as readonly string[]).includes(v);

function hasDuplicates<T>(items: readonly T[], id: (item: T) => string): boolean {
  if (items.length < 2) return false;
  const ids = new Set<string>();
  for (const item of items) {
    const k = id(item);
    if (ids.has(k)) return true;
    ids.add(k);
  }
  return false;
}
