// The domain model of what a key may do, independent of how CARTO renders it.
// A GrantSet is always in canonical form: every list sorted and de-duplicated,
// so two sets that grant the same thing compare equal with a deep-equal.

export const APIS = ['sql', 'maps', 'do'] as const;
export type Api = (typeof APIS)[number];

export const TABLE_PERMISSIONS = ['select', 'insert', 'update', 'delete'] as const;
export type TablePermission = (typeof TABLE_PERMISSIONS)[number];

export const SCHEMA_PERMISSIONS = ['create'] as const;
export type SchemaPermission = (typeof SCHEMA_PERMISSIONS)[number];

export const SERVICES = ['geocoding', 'routing', 'isolines', 'observatory'] as const;
export type Service = (typeof SERVICES)[number];

export interface TableGrant {
  schema: string;
  name: string;
  /** Sorted in TABLE_PERMISSIONS order; may be empty only transiently (an empty table grant is dropped). */
  permissions: TablePermission[];
}

export interface SchemaGrant {
  name: string;
  permissions: SchemaPermission[];
}

export interface GrantSet {
  apis: Api[];
  tables: TableGrant[];
  schemas: SchemaGrant[];
  tableMetadata: boolean;
  services: Service[];
  datasets: string[];
}

export function emptyGrantSet(): GrantSet {
  return { apis: [], tables: [], schemas: [], tableMetadata: false, services: [], datasets: [] };
}
