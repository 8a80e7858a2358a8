// --grants-file: a JSON grants array in the create-request form (docs/auth-api.md §4), checked as strictly
// as CARTO's own JSON schema so a bad file fails here (exit 2, with a JSON path) and not as a 422.
// Leniently, the form CARTO renders (owner flags, `usage` schemas, owner-only table permissions) is
// accepted too, so `curl …/api_keys/x` output can be fed back; it is normalized like a clone.

import { UsageError } from '../errors.js';
import type { WireDatabaseGrant, WireGrant, WireSchema, WireTable } from '../api/types.js';
import { findJsonSyntaxProblem } from './json-syntax.js';
import { APIS, SCHEMA_PERMISSIONS, SERVICES, TABLE_PERMISSIONS, type GrantSet } from './model.js';
import {
  OWNER_ONLY_TABLE_PERMISSIONS,
  RENDERED_ONLY_SCHEMA_PERMISSIONS,
  normalizeRenderedGrants,
} from './normalize.js';
import { GrantErrorCode, hasControlChar, quote, suggestion } from './text.js';

/** The properties an object allows (additionalProperties: false) and those it requires. */
interface Shape {
  allowed: readonly string[];
  required: readonly string[];
}

const GRANT_SHAPES = {
  apis: { allowed: ['type', 'apis'], required: ['apis'] },
  database: { allowed: ['type', 'tables', 'schemas', 'table_metadata'], required: [] },
  dataservices: { allowed: ['type', 'services'], required: ['services'] },
  'data-observatory': { allowed: ['type', 'datasets'], required: ['datasets'] },
  // Ignored, so only its shape is checked: what `data` holds is CARTO's business.
  user: { allowed: ['type', 'data'], required: [] },
} as const satisfies Record<string, Shape>;
type GrantType = keyof typeof GRANT_SHAPES;
/** The grant section types a create request may hold. */
export const GRANT_TYPES = Object.keys(GRANT_SHAPES) as GrantType[];

const TABLE_SHAPE: Shape = {
  allowed: ['schema', 'name', 'permissions', 'owner'],
  required: ['schema', 'name', 'permissions'],
};
const SCHEMA_SHAPE: Shape = { allowed: ['name', 'permissions'], required: ['name', 'permissions'] };

/**
 * A closed list of string values. `tolerated` are values CARTO renders but refuses on create: accepted
 * so rendered grants can be read back, then dropped by normalization (which reports them).
 */
interface WordList {
  valid: readonly string[];
  noun: string;
  tolerated: readonly string[];
}

const API_LIST: WordList = { valid: APIS, noun: 'an API', tolerated: [] };
const SERVICE_LIST: WordList = { valid: SERVICES, noun: 'a service', tolerated: [] };
const TABLE_PERMISSION_LIST: WordList = {
  valid: TABLE_PERMISSIONS,
  noun: 'a table permission',
  tolerated: OWNER_ONLY_TABLE_PERMISSIONS,
};
const SCHEMA_PERMISSION_LIST: WordList = {
  valid: SCHEMA_PERMISSIONS,
  noun: 'a schema permission',
  tolerated: RENDERED_ONLY_SCHEMA_PERMISSIONS,
};

function describeJsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function childPath(path: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${quote(key)}]`;
}

/** Walks the parsed JSON; every failure names the file and the JSON path. */
class GrantsFileChecker {
  readonly notes: string[] = [];

  constructor(private readonly source: string) {}

  fail(path: string, problem: string, hint?: string): never {
    throw new UsageError(`${this.source}: ${path}: ${problem}`, {
      code: GrantErrorCode.invalidGrantsFile,
      ...(hint === undefined ? {} : { hint }),
    });
  }

  grants(document: unknown): WireGrant[] {
    const list = Array.isArray(document) ? document : this.unwrap(document);
    const firstOfType = new Map<GrantType, number>();
    const grants: WireGrant[] = [];
    list.forEach((item, index) => {
      const path = `grants[${index}]`;
      const grant = this.grant(item, path);
      if (grant === undefined) return;
      const first = firstOfType.get(grant.type);
      if (first !== undefined) {
        this.fail(path, `a second "${grant.type}" section (the first is grants[${first}]); only one is allowed`);
      }
      firstOfType.set(grant.type, index);
      grants.push(grant);
    });
    return grants;
  }

  // A create request body or a whole key object carries its grants under "grants"; the rest is ignored.
  private unwrap(document: unknown): unknown[] {
    const expected = 'expected a JSON array of grants, or an object with a "grants" array';
    const problem = `${expected}; got ${describeJsonType(document)}`;
    if (typeof document !== 'object' || document === null) this.fail('(top level)', problem);
    const grants = (document as Record<string, unknown>)['grants'];
    if (grants === undefined) this.fail('(top level)', problem);
    return this.array(grants, 'grants');
  }

  private grant(value: unknown, path: string): WireGrant | undefined {
    const object = this.object(value, path, 'a grant object');
    const typeValue = object['type'];
    const validTypes = `Valid: ${GRANT_TYPES.join(', ')}`;
    if (typeValue === undefined) this.fail(path, `missing "type". ${validTypes}`);
    const type = this.string(typeValue, `${path}.type`);
    if (!(GRANT_TYPES as string[]).includes(type)) {
      this.fail(`${path}.type`, `${quote(type)} is not a grant type. ${validTypes}`, suggestion(type, GRANT_TYPES));
    }
    const grantType = type as GrantType;
    const article = /^[aeiou]/.test(grantType) ? 'an' : 'a';
    this.shape(object, path, GRANT_SHAPES[grantType], `${article} "${grantType}" grant`);
    switch (grantType) {
      case 'apis':
        return { type: 'apis', apis: this.words(object['apis'], `${path}.apis`, API_LIST) };
      case 'database':
        return this.database(object, path);
      case 'dataservices':
        return { type: 'dataservices', services: this.words(object['services'], `${path}.services`, SERVICE_LIST) };
      case 'data-observatory':
        return { type: 'data-observatory', datasets: this.names(object['datasets'], `${path}.datasets`) };
      case 'user':
        // Allowed by CARTO (profile data), but carto-keys neither shows nor sends it.
        this.notes.push(`${path}: the "user" grant is ignored (carto-keys does not manage it)`);
        return undefined;
    }
  }

  private database(object: Record<string, unknown>, path: string): WireDatabaseGrant {
    const grant: WireDatabaseGrant = { type: 'database' };
    if (object['tables'] !== undefined) {
      grant.tables = this.array(object['tables'], `${path}.tables`).map((table, i) =>
        this.table(table, `${path}.tables[${i}]`),
      );
    }
    if (object['schemas'] !== undefined) {
      grant.schemas = this.array(object['schemas'], `${path}.schemas`).map((schema, i) =>
        this.schema(schema, `${path}.schemas[${i}]`),
      );
    }
    if (object['table_metadata'] !== undefined) {
      this.array(object['table_metadata'], `${path}.table_metadata`);
      grant.table_metadata = [];
    }
    return grant;
  }

  private table(value: unknown, path: string): WireTable {
    const object = this.object(value, path, 'a table object');
    this.shape(object, path, TABLE_SHAPE, 'a table');
    if (object['owner'] !== undefined && typeof object['owner'] !== 'boolean') {
      this.fail(`${path}.owner`, `expected a boolean, got ${describeJsonType(object['owner'])}`);
    }
    return {
      schema: this.name(object['schema'], `${path}.schema`),
      name: this.name(object['name'], `${path}.name`),
      permissions: this.words(object['permissions'], `${path}.permissions`, TABLE_PERMISSION_LIST),
    };
  }

  private schema(value: unknown, path: string): WireSchema {
    const object = this.object(value, path, 'a schema object');
    this.shape(object, path, SCHEMA_SHAPE, 'a schema');
    return {
      name: this.name(object['name'], `${path}.name`),
      permissions: this.words(object['permissions'], `${path}.permissions`, SCHEMA_PERMISSION_LIST),
    };
  }

  private shape(object: Record<string, unknown>, path: string, shape: Shape, what: string): void {
    for (const key of Object.keys(object)) {
      if (!shape.allowed.includes(key)) {
        const problem = `unknown property of ${what}. Valid: ${shape.allowed.join(', ')}`;
        this.fail(childPath(path, key), problem, suggestion(key, shape.allowed));
      }
    }
    for (const key of shape.required) {
      if (object[key] === undefined) this.fail(path, `missing "${key}" (required in ${what})`);
    }
  }

  private words(value: unknown, path: string, list: WordList): string[] {
    return this.array(value, path).map((item, i) => {
      const word = this.string(item, `${path}[${i}]`);
      if (!list.valid.includes(word) && !list.tolerated.includes(word)) {
        const problem = `${quote(word)} is not ${list.noun}. Valid: ${list.valid.join(', ')}`;
        this.fail(`${path}[${i}]`, problem, suggestion(word, list.valid));
      }
      return word;
    });
  }

  private names(value: unknown, path: string): string[] {
    return this.array(value, path).map((item, i) => this.name(item, `${path}[${i}]`));
  }

  private name(value: unknown, path: string): string {
    const name = this.string(value, path);
    if (name.trim() === '') this.fail(path, 'must not be empty');
    if (hasControlChar(name)) this.fail(path, `${quote(name)} contains a control character`);
    return name;
  }

  private object(value: unknown, path: string, what: string): Record<string, unknown> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.fail(path, `expected ${what}, got ${describeJsonType(value)}`);
    }
    return value as Record<string, unknown>;
  }

  private array(value: unknown, path: string): unknown[] {
    if (!Array.isArray(value)) this.fail(path, `expected an array, got ${describeJsonType(value)}`);
    return value;
  }

  private string(value: unknown, path: string): string {
    if (typeof value !== 'string') this.fail(path, `expected a string, got ${describeJsonType(value)}`);
    return value;
  }
}

function parseJson(text: string, source: string): unknown {
  // Editors on Windows may save a BOM, which JSON.parse refuses.
  const body = text.replace(/^\uFEFF/, '');
  const fail = (problem: string, cause?: unknown): never => {
    throw new UsageError(`${source}: ${problem}`, {
      code: GrantErrorCode.invalidGrantsFile,
      hint: 'Expected a JSON grants array such as [{"type": "apis", "apis": ["sql"]}]',
      ...(cause === undefined ? {} : { cause }),
    });
  };
  if (body.trim() === '') return fail('the file is empty');
  try {
    return JSON.parse(body) as unknown;
  } catch (error) {
    const problem = findJsonSyntaxProblem(body);
    if (problem !== undefined) {
      return fail(`invalid JSON at line ${problem.line}, column ${problem.column}: ${problem.reason}`, error);
    }
    // Only if the scanner and JSON.parse ever disagree: the parser's own words are better than none.
    return fail(`invalid JSON: ${error instanceof Error ? error.message : String(error)}`, error);
  }
}

/**
 * The grants of a grants file plus notes for the person: what was ignored or dropped (a `user`
 * grant, owner-only permissions from a rendered key). `source` names the file in messages.
 */
export function readGrantsFile(text: string, source: string): { grants: GrantSet; notes: string[] } {
  const checker = new GrantsFileChecker(source);
  const wire = checker.grants(parseJson(text, source));
  const { grants, dropped } = normalizeRenderedGrants(wire);
  return { grants, notes: [...checker.notes, ...dropped] };
}

export function parseGrantsFile(text: string, source: string): GrantSet {
  return readGrantsFile(text, source).grants;
}
