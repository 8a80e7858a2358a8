// carto-keys.yaml → KeyFile. Everything is checked here, before any request: a bad file exits 2 with
// `file:line:column`, what is wrong and the valid values. The grant vocabulary and its messages are
// those of the grant flags (src/grants/parse.ts), so `tables` means exactly what `--table` means.
//
// YAML 1.2 (the `yaml` package): JSON is valid YAML and is read as is. Duplicate keys are refused
// (a later `web-map:` silently replacing an earlier one would lose a key's grants).

import { dirname, isAbsolute, resolve } from 'node:path';
import { parseDurationResult } from '../domain/duration.js';
import { UsageError } from '../errors.js';
import { tableKey, tableLabel } from '../grants/canonical.js';
import { canonicalGrantSet } from '../grants/canonical.js';
import type { GrantSet, SchemaGrant, TableGrant } from '../grants/model.js';
import { validateKeyName } from '../grants/names.js';
import { escapeControl } from '../text/escape.js';
import { formatCharacters } from '../text/lookalike.js';
import { parseApis, parseDatasets, parseSchemaSpec, parseServices, parseTableSpec } from '../grants/parse.js';
import { quote, suggestion } from '../grants/text.js';
import { TOKEN_VARIABLE } from '../deploy/command.js';
import { envFileProblem } from '../deploy/env-file.js';
import { isEnvVarName } from '../deploy/env-text.js';
import {
  CMD_TARGET_FIELDS,
  ENTRY_FIELDS,
  ENV_TARGET_FIELDS,
  KEY_FILE_VERSION,
  TOP_FIELDS,
  type FileDeployTarget,
  type KeyEntry,
  type KeyFile,
} from './model.js';
import type { KNode, KPair } from './nodes.js';

export const KEY_FILE_ERROR = 'invalid_key_file';

export interface ParseKeyFileOptions {
  /** The file's name as the user gave it: every message starts with it. */
  path: string;
  /** The schema of `[schema.]table` without one (`public`, or an organization member's own). */
  defaultSchema: string;
  /** Relative env_file paths are relative to this folder (the file's own); default: the path's folder. */
  baseDir?: string;
  /** Check that every env_file's folder exists (default true). */
  checkFolders?: boolean;
}

/** Words of a token's length (22: regular; 40: Master), whole: not part of a longer word. */
const TOKEN_SIZED = /(?<![A-Za-z0-9_-])(?:[A-Za-z0-9_-]{22}|[A-Za-z0-9_-]{40})(?![A-Za-z0-9_-])/g;

/**
 * Whether a word is shaped like a CARTO token. A regular token is random base64, so it mixes upper
 * case, lower case and digits; names people choose (liked_cities_reader_v2) do not, at that length.
 */
export function looksLikeToken(word: string): boolean {
  if (/^[0-9a-f]{40}$/.test(word)) return true;
  return word.length === 22 && /[A-Z]/.test(word) && /[a-z]/.test(word) && /[0-9]/.test(word);
}

type KMap = Extract<KNode, { kind: 'map' }>;
type KSeq = Extract<KNode, { kind: 'seq' }>;
type KScalar = Extract<KNode, { kind: 'scalar' }>;
const isMap = (n: KNode | null | undefined): n is KMap => n?.kind === 'map';
const isSeq = (n: KNode | null | undefined): n is KSeq => n?.kind === 'seq';
const isScalar = (n: KNode | null | undefined): n is KScalar => n?.kind === 'scalar';

/** 1-based line and column of character offsets: the line starts found once, then a binary search. */
function lineFinder(text: string): (offset: number) => { line: number; col: number } {
  let starts: number[] | undefined;
  return (offset) => {
    if (starts === undefined) {
      starts = [0];
      for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
    }
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - starts[lo]! + 1 };
  };
}

/** Reads the text into a tree, or calls `fail` with the offset of a syntax error. */
export type TreeReader = (fail: (offset: number | undefined, message: string) => never) => KNode | null;

/** The file's text and its tree (from fast-yaml.ts or yaml-tree.ts) → KeyFile, or a positioned UsageError. */
export function parseKeyTree(text: string, opts: ParseKeyFileOptions, read: TreeReader): KeyFile {
  const linePos = lineFinder(text);
  const fail = (offset: number | undefined, message: string, hint?: string): never => {
    const pos = offset === undefined ? { line: 1, col: 1 } : linePos(offset);
    throw new UsageError(`${opts.path}:${pos.line}:${pos.col}: ${message}`, {
      code: KEY_FILE_ERROR,
      ...(hint !== undefined && { hint }),
    });
  };

  // The raw text, not the parsed values, so a token in a comment is caught too: the file is meant to
  // be committed. First of all checks: a file with a token is refused even if it is broken otherwise.
  for (const m of text.matchAll(TOKEN_SIZED)) {
    if (looksLikeToken(m[0])) {
      fail(m.index, 'this looks like an API key token. carto-keys.yaml never holds tokens: it is meant to be reviewed and committed.', 'Remove it (apply deploys tokens through the entry\'s `deploy` targets), and rotate the key if the file was shared.');
    }
  }
  const root = read(fail);
  const offsetOf = (node: KNode | null | undefined): number | undefined => node?.offset;
  if (root === null || (isScalar(root) && root.value === '')) {
    fail(0, `the file is empty: expected \`version: ${KEY_FILE_VERSION}\` and \`keys\`.`);
  }
  if (!isMap(root)) fail(offsetOf(root), `expected a mapping with \`version: ${KEY_FILE_VERSION}\` and \`keys\`.`);
  const top = root as KMap;

  const keyName = (pair: KPair): string => {
    const k = pair.key;
    if (!isScalar(k) || typeof k.value !== 'string') fail(offsetOf(k), 'expected a field name (a string).');
    return (k as { value: string }).value;
  };
  const fieldsOf = (map: KMap, valid: readonly string[], where: string): Map<string, KPair> => {
    const out = new Map<string, KPair>();
    for (const pair of map.pairs) {
      const name = keyName(pair);
      if (!valid.includes(name)) {
        const near = suggestion(name, valid);
        fail(offsetOf(pair.key), `unknown field ${quote(name)}${where}. Valid fields: ${valid.join(', ')}.${near ? ` ${near}` : ''}`);
      }
      out.set(name, pair);
    }
    return out;
  };
  const stringOf = (node: KNode | null, what: string): string => {
    if (!isScalar(node) || typeof node.value !== 'string') {
      fail(offsetOf(node) ?? offsetOf(top), `${what}: expected a string${isScalar(node) ? ` (quote it: "${String(node.value)}")` : ''}.`);
    }
    return (node as { value: string }).value;
  };
  const stringsOf = (node: KNode | null, what: string, allowOne: boolean): { value: string; offset: number | undefined }[] => {
    if (isSeq(node)) return node.items.map((item) => ({ value: stringOf(item, what), offset: offsetOf(item) ?? node.offset }));
    if (allowOne && isScalar(node) && typeof node.value === 'string') return [{ value: node.value, offset: offsetOf(node) }];
    return fail(offsetOf(node), `${what}: expected a list${allowOne ? ' (or one value)' : ''}, like [${what.endsWith('apis') ? 'sql, maps' : '…'}].`);
  };
  /** Runs a grant parser on one value; its UsageError (with the valid values) gets the value's position. */
  const at = <T>(offset: number | undefined, parse: () => T): T => {
    try {
      return parse();
    } catch (err) {
      if (err instanceof UsageError) return fail(offset, err.message.replace(/\.?$/, '.'), err.hint);
      throw err;
    }
  };

  // A thousand keys repeat a few APIs, tables and permissions: each distinct value is parsed once
  // (only results are kept; a bad value throws, with this entry's place, every time).
  const parsed = new Map<string, unknown>();
  const once = <T>(key: string, parse: () => T): T => {
    if (parsed.has(key)) return parsed.get(key) as T;
    const value = parse();
    parsed.set(key, value);
    return value;
  };

  const top_ = fieldsOf(top, TOP_FIELDS, '');
  const version = top_.get('version');
  if (version === undefined) fail(0, `missing \`version: ${KEY_FILE_VERSION}\`.`);
  if (!isScalar(version!.value) || version!.value.value !== KEY_FILE_VERSION) {
    fail(offsetOf(version!.value), `unsupported version: expected \`version: ${KEY_FILE_VERSION}\`.`);
  }
  const keysPair = top_.get('keys');
  if (keysPair === undefined) fail(0, 'missing `keys`: a mapping of key names to their grants.');
  const keysNode = keysPair!.value;
  const entries: KeyEntry[] = [];
  if (keysNode === null) return { path: opts.path, entries };
  if (!isMap(keysNode)) fail(offsetOf(keysNode) ?? offsetOf(keysPair!.key), '`keys`: expected a mapping of key names to their grants.');

  const baseDir = opts.baseDir ?? dirname(resolve(opts.path));
  // Each (env file, variable) is written by one entry only: two would overwrite each other, and an app
  // reading that variable would get whichever key apply deployed last.
  const writers = new Map<string, string>();
  for (const pair of (keysNode as KMap).pairs) {
    const keyOffset = offsetOf(pair.key);
    const raw = stringOf(pair.key, 'key name');
    const name = at(keyOffset, () => validateKeyName(raw, 'key name'));
    if (name !== raw) fail(keyOffset, `key name ${quote(raw)} has leading or trailing blanks.`);
    const invisible = formatCharacters(name);
    if (invisible.length > 0) {
      fail(
        keyOffset,
        `key name "${escapeControl(name)}" contains an invisible format character (${invisible.join(', ')}): it would look like another name and be a different key.`,
        'Type the name again with visible characters only.',
      );
    }
    const where = ` in key ${quote(name)}`;
    const value = pair.value;
    if (!isMap(value)) {
      fail(offsetOf(value) ?? keyOffset, `key ${quote(name)}: expected a mapping of its grants (\`{}\` for a key that grants nothing).`);
    }
    const fields = fieldsOf(value as KMap, ENTRY_FIELDS, where);
    const label = (field: string): string => `keys.${name}.${field}`;
    const node = (field: string): KNode | null => fields.get(field)?.value ?? null;
    const has = (field: string): boolean => fields.has(field);

    const apis = has('apis')
      ? stringsOf(node('apis'), label('apis'), false).map((v) => at(v.offset, () => once(`a\0${v.value}`, () => parseApis([v.value], label('apis')))))
      : [];
    const services = has('services')
      ? stringsOf(node('services'), label('services'), false).map((v) => at(v.offset, () => once(`s\0${v.value}`, () => parseServices([v.value], label('services')))))
      : [];
    const datasets = has('datasets')
      ? stringsOf(node('datasets'), label('datasets'), false).map((v) => at(v.offset, () => parseDatasets([v.value], label('datasets'))))
      : [];

    const tables: TableGrant[] = [];
    if (has('tables')) {
      const map = node('tables');
      if (!isMap(map)) fail(offsetOf(map) ?? offsetOf(fields.get('tables')!.key), `${label('tables')}: expected a mapping of [schema.]table to permissions, like \`liked_cities: [select, insert]\`.`);
      const seen = new Map<string, string>();
      for (const t of (map as KMap).pairs) {
        const spec = stringOf(t.key, `${label('tables')} table name`);
        const tOffset = offsetOf(t.key);
        if (spec.includes(':')) fail(tOffset, `${label('tables')}: table name ${quote(spec)} contains ":"; put the permissions in the list after it.`);
        const perms = stringsOf(t.value, `${label('tables')}.${spec}`, true);
        if (perms.length === 0) fail(offsetOf(t.value) ?? tOffset, `${label('tables')}.${spec}: no permissions. Valid table permissions: select, insert, update, delete, all (or remove the table).`);
        // One permission at a time, so an error points at the bad one; the union is the table's grant.
        const parts = perms.map((p) => at(p.offset, () => once(`t\0${spec}\0${p.value}`, () => parseTableSpec(`${spec}:${p.value}`, opts.defaultSchema, label('tables')))));
        const grant: TableGrant = { ...parts[0]!, permissions: parts.flatMap((g) => g.permissions) };
        const id = tableKey(grant);
        const earlier = seen.get(id);
        if (earlier !== undefined) fail(tOffset, `${label('tables')}: ${quote(spec)} is the table ${tableLabel(grant)} again (as ${quote(earlier)}): list it once.`);
        seen.set(id, spec);
        tables.push(grant);
      }
    }

    const schemas: SchemaGrant[] = [];
    if (has('schemas')) {
      const map = node('schemas');
      if (!isMap(map)) fail(offsetOf(map) ?? offsetOf(fields.get('schemas')!.key), `${label('schemas')}: expected a mapping of schema to permissions, like \`public: [create]\`.`);
      for (const s of (map as KMap).pairs) {
        const schema = stringOf(s.key, `${label('schemas')} schema name`);
        const perms = stringsOf(s.value, `${label('schemas')}.${schema}`, true);
        if (perms.length === 0) fail(offsetOf(s.value) ?? offsetOf(s.key), `${label('schemas')}.${schema}: no permissions. Valid schema permissions: create (or remove the schema).`);
        if (schema.includes(':')) fail(offsetOf(s.key), `${label('schemas')}: schema name ${quote(schema)} contains ":".`);
        for (const p of perms) schemas.push(at(p.offset, () => once(`c\0${schema}\0${p.value}`, () => parseSchemaSpec(`${schema}:${p.value}`, label('schemas')))));
      }
    }

    let tableMetadata = false;
    if (has('table_metadata')) {
      const v = node('table_metadata');
      if (!isScalar(v) || typeof v.value !== 'boolean') fail(offsetOf(v), `${label('table_metadata')}: expected true or false.`);
      tableMetadata = (v as { value: boolean }).value;
    }

    let rotateAfter: KeyEntry['rotateAfter'];
    if (has('rotate_after')) {
      const v = node('rotate_after');
      const r = parseDurationResult(stringOf(v, label('rotate_after')));
      if ('error' in r) fail(offsetOf(v), `${label('rotate_after')}: ${r.error}`);
      else rotateAfter = r;
    }

    const deploy: FileDeployTarget[] = [];
    if (has('deploy')) {
      const list = node('deploy');
      if (!isSeq(list)) fail(offsetOf(list), `${label('deploy')}: expected a list of targets, like \`- env_file: .env\` or \`- cmd: ./deploy.sh\`.`);
      for (const item of (list as KSeq).items) {
        const target = deployTarget(item, label('deploy'), baseDir, opts.checkFolders !== false, { fail, offsetOf, stringOf, fieldsOf });
        if (target.kind === 'env-file') {
          const slot = `${target.path}\0${target.variable}`;
          const other = writers.get(slot);
          if (other !== undefined) {
            fail(
              offsetOf(item),
              `${label('deploy')}: ${quote(target.path)} (${target.variable}) is also deployed to by ${other === name ? 'this key' : `key "${escapeControl(other)}"`}: one variable of one env file holds one key's token.`,
              'Give each key its own variable (`var: …`) or its own env file.',
            );
          }
          writers.set(slot, name);
        }
        deploy.push(target);
      }
    }

    let check: string | undefined;
    if (has('check')) {
      const v = node('check');
      check = stringOf(v, label('check'));
      if (check.trim() === '') fail(offsetOf(v), `${label('check')}: expected a shell command that tests the app (the token on its stdin).`);
    }

    const grants: GrantSet = canonicalGrantSet({ apis: apis.flat(), tables, schemas, tableMetadata, services: services.flat(), datasets: datasets.flat() });
    const line = keyOffset === undefined ? 1 : linePos(keyOffset).line;
    entries.push({ name, grants, deploy, ...(rotateAfter !== undefined && { rotateAfter }), ...(check !== undefined && { check }), line });
  }
  return { path: opts.path, entries };
}

interface Helpers {
  fail: (offset: number | undefined, message: string, hint?: string) => never;
  offsetOf: (node: KNode | null | undefined) => number | undefined;
  stringOf: (node: KNode | null, what: string) => string;
  fieldsOf: (map: KMap, valid: readonly string[], where: string) => Map<string, KPair>;
}

function deployTarget(item: KNode | null, where: string, baseDir: string, checkFolders: boolean, h: Helpers): FileDeployTarget {
  const kinds = 'Each target is `env_file: <path>` (with an optional `var`) or `cmd: <command>`';
  if (!isMap(item)) h.fail(h.offsetOf(item), `${where}: expected a target. ${kinds}.`);
  const map = item as KMap;
  const names = map.pairs.map((p) => (isScalar(p.key) ? p.key.value : undefined));
  if (names.includes('cmd')) {
    const fields = h.fieldsOf(map, CMD_TARGET_FIELDS, ` in a \`cmd\` target of ${where}`);
    const command = h.stringOf(fields.get('cmd')!.value, `${where} cmd`);
    if (command.trim() === '') h.fail(h.offsetOf(fields.get('cmd')!.value), `${where}: \`cmd\` is empty: expected a shell command.`);
    return { kind: 'command', command };
  }
  if (!names.includes('env_file')) h.fail(h.offsetOf(map), `${where}: a target needs \`env_file\` or \`cmd\`. ${kinds}.`);
  const fields = h.fieldsOf(map, ENV_TARGET_FIELDS, ` in an \`env_file\` target of ${where}`);
  const pathNode = fields.get('env_file')!.value;
  const path = h.stringOf(pathNode, `${where} env_file`);
  if (path.trim() === '') h.fail(h.offsetOf(pathNode), `${where}: \`env_file\` is empty: expected a file path.`);
  let variable = TOKEN_VARIABLE;
  const varPair = fields.get('var');
  if (varPair !== undefined) {
    variable = h.stringOf(varPair.value, `${where} var`);
    if (!isEnvVarName(variable)) {
      h.fail(h.offsetOf(varPair.value), `${where}: ${quote(variable)} is not a variable name: letters, digits and "_", not starting with a digit.`);
    }
  }
  const absolute = isAbsolute(path) ? path : resolve(baseDir, path);
  if (checkFolders) {
    const problem = envFileProblem(absolute);
    if (problem !== undefined) h.fail(h.offsetOf(pathNode), `${where}: cannot write env_file ${quote(path)}: ${problem}.`, 'Relative paths are relative to the folder of the file.');
  }
  return { kind: 'env-file', path: absolute, variable };
}
