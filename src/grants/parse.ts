// Grant flags (create, clone, rotate) → the domain model. Everything is checked here, before any
// request, so a typo exits 2 with the list of valid values instead of a 422 from CARTO.

import { canonicalGrantSet, inOrder } from './canonical.js';
import {
  APIS,
  SCHEMA_PERMISSIONS,
  SERVICES,
  TABLE_PERMISSIONS,
  emptyGrantSet,
  type Api,
  type GrantSet,
  type SchemaGrant,
  type Service,
  type TableGrant,
  type TablePermission,
} from './model.js';
import { grantError, hasControlChar, hasWhitespace, quote, suggestion } from './text.js';

/** A closed set of words a flag accepts, and how to name them in an error. */
interface Vocabulary<T extends string> {
  values: readonly T[];
  noun: string;
  validLabel: string;
}

export const ALL_TABLE_PERMISSIONS = 'all';

const API_WORDS: Vocabulary<Api> = { values: APIS, noun: 'API', validLabel: 'Valid APIs' };
const SERVICE_WORDS: Vocabulary<Service> = { values: SERVICES, noun: 'service', validLabel: 'Valid services' };
const TABLE_PERMISSION_WORDS: Vocabulary<TablePermission | typeof ALL_TABLE_PERMISSIONS> = {
  values: [...TABLE_PERMISSIONS, ALL_TABLE_PERMISSIONS],
  noun: 'permission',
  validLabel: 'Valid table permissions',
};
const SCHEMA_PERMISSION_WORDS: Vocabulary<(typeof SCHEMA_PERMISSIONS)[number]> = {
  values: SCHEMA_PERMISSIONS,
  noun: 'permission',
  validLabel: 'Valid schema permissions',
};

const TABLE_SPEC_FORMAT =
  'Expected [schema.]table[:perm,perm...] with permissions ' + TABLE_PERMISSION_WORDS.values.join(', ');
const SCHEMA_SPEC_FORMAT = `Expected name[:${SCHEMA_PERMISSIONS.join('|')}]`;

function parseWord<T extends string>(raw: string, words: Vocabulary<T>, where: string): T {
  const word = raw.trim().toLowerCase();
  const valid = `${words.validLabel}: ${words.values.join(', ')}`;
  if (word === '') throw grantError(`Empty ${words.noun} in ${where}. ${valid}`);
  const found = words.values.find((value) => value === word);
  if (found === undefined) {
    const message = `Unknown ${words.noun} ${quote(raw.trim())} in ${where}. ${valid}`;
    throw grantError(message, suggestion(word, words.values));
  }
  return found;
}

/** Repeatable, comma-separated, case-insensitive words; an empty item is an error (a stray comma or `""`). */
function parseWordList<T extends string>(values: readonly string[], words: Vocabulary<T>, where: string): T[] {
  return inOrder(
    values.flatMap((value) => value.split(',').map((item) => parseWord(item, words, where))),
    words.values,
  );
}

export function parseApis(values: readonly string[], flag = '--api'): Api[] {
  return parseWordList(values, API_WORDS, flag);
}

export function parseServices(values: readonly string[], flag = '--service'): Service[] {
  return parseWordList(values, SERVICE_WORDS, flag);
}

/** Data Observatory dataset ids are open-ended: only reject what cannot be an id. Not comma-split. */
export function parseDatasets(values: readonly string[], flag = '--dataset'): string[] {
  return [
    ...new Set(
      values.map((value) => {
        const id = value.trim();
        if (id === '') throw grantError(`Empty ${flag}: expected a Data Observatory dataset id`);
        if (hasControlChar(id)) throw grantError(`Invalid ${flag} ${quote(id)}: contains a control character`);
        return id;
      }),
    ),
  ];
}

interface SplitTableSpec {
  schema: string;
  name: string;
  /** The text after `:`, or undefined when there was no `:`. */
  permissions: string | undefined;
}

// A `/`, whitespace or any other punctuation in an identifier is almost always a shell or copy-paste
// accident (CARTO table names are plain lowercase; `t=select` meant `t:select`): sent as is, CARTO
// answers a 422 that names nothing. Quoted identifiers with such characters still work through
// --grants-file.
// Names in any script are fine; of ASCII's punctuation only `_`, `$` and `-` are.
const STRAY_CHARACTER = /[!-#%-,.:;<=>?@[\\\]^`{|}~]/;

function checkSpecIdentifier(value: string, what: string, where: string, format: string): void {
  if (value === '') throw grantError(`Invalid ${where}: empty ${what} name. ${format}`);
  if (value.includes('/')) throw grantError(`Invalid ${where}: ${what} name ${quote(value)} contains "/". ${format}`);
  if (hasWhitespace(value)) {
    throw grantError(`Invalid ${where}: ${what} name ${quote(value)} contains whitespace. ${format}`);
  }
  const stray = STRAY_CHARACTER.exec(value)?.[0];
  if (stray !== undefined) {
    const hint = stray === '=' ? `Did you mean ${quote(value.replace('=', ':'))}?` : undefined;
    throw grantError(`Invalid ${where}: ${quote(stray)} cannot be part of a ${what} name (letters, digits, _, $ and -). ${format}`, hint);
  }
}

function checkSpecText(spec: string, where: string, format: string): string {
  if (hasControlChar(spec)) throw grantError(`Invalid ${where}: contains a control character. ${format}`);
  const trimmed = spec.trim();
  if (trimmed === '') throw grantError(`Invalid ${where}: empty value. ${format}`);
  return trimmed;
}

function splitTableSpec(spec: string, defaultSchema: string, flag: string): SplitTableSpec {
  const where = `${flag} ${quote(spec)}`;
  const trimmed = checkSpecText(spec, where, TABLE_SPEC_FORMAT);
  // Names cannot contain ':' in a spec: the first one always starts the permissions.
  const colon = trimmed.indexOf(':');
  const target = colon < 0 ? trimmed : trimmed.slice(0, colon);
  const parts = target.split('.');
  if (parts.length > 2) throw grantError(`Invalid ${where}: more than one "." in the name. ${TABLE_SPEC_FORMAT}`);
  const [schema, name] = parts.length === 2 ? [parts[0] ?? '', parts[1] ?? ''] : [defaultSchema, parts[0] ?? ''];
  checkSpecIdentifier(schema, 'schema', where, TABLE_SPEC_FORMAT);
  checkSpecIdentifier(name, 'table', where, TABLE_SPEC_FORMAT);
  return { schema, name, permissions: colon < 0 ? undefined : trimmed.slice(colon + 1) };
}

function parseTablePermissions(text: string, where: string): TablePermission[] {
  if (text.trim() === '') throw grantError(`Invalid ${where}: no permissions after ":". ${TABLE_SPEC_FORMAT}`);
  const words = parseWordList([text], TABLE_PERMISSION_WORDS, where);
  return words.includes(ALL_TABLE_PERMISSIONS)
    ? [...TABLE_PERMISSIONS]
    : words.filter((word): word is TablePermission => word !== ALL_TABLE_PERMISSIONS);
}

/** `[schema.]table[:perm,perm...|all]`; no permissions means `select`. Identifiers keep their case. */
export function parseTableSpec(spec: string, defaultSchema: string, flag = '--table'): TableGrant {
  const { schema, name, permissions } = splitTableSpec(spec, defaultSchema, flag);
  return {
    schema,
    name,
    permissions: permissions === undefined ? ['select'] : parseTablePermissions(permissions, `${flag} ${quote(spec)}`),
  };
}

/** What `--remove-table` takes away: the whole table when `permissions` is absent. */
export interface TableRemoval {
  schema: string;
  name: string;
  permissions?: TablePermission[];
}

export function parseTableRemovalSpec(spec: string, defaultSchema: string, flag = '--remove-table'): TableRemoval {
  const { schema, name, permissions } = splitTableSpec(spec, defaultSchema, flag);
  if (permissions === undefined) return { schema, name };
  return { schema, name, permissions: parseTablePermissions(permissions, `${flag} ${quote(spec)}`) };
}

/** `name[:create]`; `create` is the only permission a key can get on a schema, so it is the default. */
export function parseSchemaSpec(spec: string, flag = '--schema'): SchemaGrant {
  const where = `${flag} ${quote(spec)}`;
  const trimmed = checkSpecText(spec, where, SCHEMA_SPEC_FORMAT);
  const colon = trimmed.indexOf(':');
  const name = colon < 0 ? trimmed : trimmed.slice(0, colon);
  if (name.includes('.')) {
    throw grantError(`Invalid ${where}: a schema name has no "." (for a table use --table). ${SCHEMA_SPEC_FORMAT}`);
  }
  checkSpecIdentifier(name, 'schema', where, SCHEMA_SPEC_FORMAT);
  if (colon < 0) return { name, permissions: [...SCHEMA_PERMISSIONS] };
  const permissions = trimmed.slice(colon + 1);
  if (permissions.trim() === '') throw grantError(`Invalid ${where}: no permissions after ":". ${SCHEMA_SPEC_FORMAT}`);
  // `show` lists usage apart, as implied; a pasted `public:create,usage` gets the reason, not just "unknown".
  if (permissions.split(',').some((p) => p.trim().toLowerCase() === 'usage')) {
    throw grantError(
      `Invalid ${where}: "usage" cannot be given, it comes with every table grant in the schema. ${SCHEMA_SPEC_FORMAT}`,
      `Leave it out: ${flag} ${name}:create`,
    );
  }
  return { name, permissions: parseWordList([permissions], SCHEMA_PERMISSION_WORDS, where) };
}

/** The grant flags of create/clone/rotate as commander hands them over (raw strings). */
export interface GrantFlagInput {
  api?: string[];
  table?: string[];
  schema?: string[];
  tableMetadata?: boolean;
  service?: string[];
  dataset?: string[];
  /** Already parsed from --grants-file; the flags add to it. */
  fromFile?: GrantSet;
}

/** The union of the grants file and the flags (a table named twice gets both sets of permissions). */
export function buildGrantSet(input: GrantFlagInput, opts: { defaultSchema: string }): GrantSet {
  const file = input.fromFile ?? emptyGrantSet();
  return canonicalGrantSet({
    apis: [...file.apis, ...parseApis(input.api ?? [])],
    tables: [...file.tables, ...(input.table ?? []).map((spec) => parseTableSpec(spec, opts.defaultSchema))],
    schemas: [...file.schemas, ...(input.schema ?? []).map((spec) => parseSchemaSpec(spec))],
    tableMetadata: file.tableMetadata || input.tableMetadata === true,
    services: [...file.services, ...parseServices(input.service ?? [])],
    datasets: [...file.datasets, ...parseDatasets(input.dataset ?? [])],
  });
}
