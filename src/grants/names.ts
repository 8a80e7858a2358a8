// API key names: checking the ones people choose, and making up the ones they do not.

import { RESERVED_KEY_NAMES } from '../api/types.js';
import { UsageError } from '../errors.js';
import type { GrantSet } from './model.js';
import { GrantErrorCode, hasControlChar, quote } from './text.js';

/** CARTO has no length rule of its own; its column is (probably) varchar(255), counted in characters. */
export const MAX_KEY_NAME_LENGTH = 255;
/** Generated names stay short enough for a list column and a shell prompt. */
export const MAX_GENERATED_NAME_LENGTH = 64;

function nameError(message: string, hint?: string): UsageError {
  return new UsageError(message, { code: GrantErrorCode.invalidKeyName, ...(hint === undefined ? {} : { hint }) });
}

/** A name for a new key, trimmed; refuses what CARTO would refuse and what it would accept but regret. */
export function validateKeyName(name: string, flag = '--name'): string {
  const trimmed = name.trim();
  if (trimmed === '') throw nameError(`${flag} is empty: an API key needs a name`);
  const where = `${flag} ${quote(trimmed)}`;
  if (hasControlChar(trimmed)) throw nameError(`Invalid ${where}: contains a control character`);
  if (trimmed.includes('/')) {
    // CARTO creates it, but no URL can reach /api_keys/a/b afterwards: it could never be shown or revoked.
    throw nameError(
      `Invalid ${where}: a name with "/" can be created but never addressed again (show, revoke, regenerate)`,
      'Use letters, digits, "-" or "_"',
    );
  }
  if (trimmed === '.' || trimmed === '..') {
    // Same trap as "/": every URL parser resolves a dot segment (even as %2E), so /api_keys/.. is not the key.
    throw nameError(`Invalid ${where}: "." and ".." can be created but never addressed again (show, revoke, regenerate)`, 'Use letters, digits, "-" or "_"');
  }
  if (RESERVED_KEY_NAMES.includes(trimmed)) {
    const reserved = RESERVED_KEY_NAMES.join(', ');
    throw nameError(`Invalid ${where}: the name is reserved for a built-in key (reserved: ${reserved})`);
  }
  const length = [...trimmed].length;
  if (length > MAX_KEY_NAME_LENGTH) {
    throw nameError(`Invalid ${where}: ${length} characters long; the limit is ${MAX_KEY_NAME_LENGTH}`);
  }
  return trimmed;
}

/** `base` + `suffix`, cutting `base` so the result stays within the name length limit. */
function withSuffix(base: string, suffix: string, max = MAX_KEY_NAME_LENGTH): string {
  const room = max - [...suffix].length;
  return `${[...base].slice(0, Math.max(0, room)).join('')}${suffix}`;
}

/** Lower-case ASCII for generated names: accents folded, anything else collapsed to `_`. */
function slug(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '_')
    .replace(/^[_-]+|[_-]+$/g, '');
}

function timestamp(now: Date, withTime: boolean): string {
  const pad = (value: number): string => String(value).padStart(2, '0');
  const date = `${now.getUTCFullYear()}${pad(now.getUTCMonth() + 1)}${pad(now.getUTCDate())}`;
  return withTime ? `${date}-${pad(now.getUTCHours())}${pad(now.getUTCMinutes())}` : date;
}

/**
 * `sql-maps-world_population-20261122-1930`: the APIs, what the key reads (its table, or `3-tables`),
 * and the UTC time; `key-…` when there is neither. Only `[a-z0-9_-]`, at most 64 characters, so never
 * a reserved name.
 */
export function defaultKeyName(set: GrantSet, now: Date): string {
  const apis = set.apis.join('-');
  const stamp = timestamp(now, true);
  const [only] = set.tables;
  const subject = set.tables.length > 1 ? `${set.tables.length}-tables` : only === undefined ? '' : slug(only.name);
  const room = MAX_GENERATED_NAME_LENGTH - stamp.length - 1 - (apis === '' ? 0 : apis.length + 1);
  const fitted = subject.slice(0, room).replace(/[_-]+$/, '');
  const parts = [apis, fitted].filter((part) => part !== '');
  return [...(parts.length > 0 ? parts : ['key']), stamp].join('-');
}

/** `base`, else `base-2`, `base-3`…: the first one not taken (reserved names count as taken). */
export function uniqueName(base: string, taken: ReadonlySet<string>): string {
  const free = (name: string): boolean => !taken.has(name) && !RESERVED_KEY_NAMES.includes(name);
  if (free(base)) return base;
  for (let n = 2; ; n++) {
    const candidate = withSuffix(base, `-${n}`);
    if (free(candidate)) return candidate;
  }
}

// A name from the server may carry control characters (escape sequences, line breaks): a name we make
// up from it must not pass them on to the next listing, so each run of them becomes one "_".
const CONTROL_RUN = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]+/g;

function cleanBase(old: string): string {
  return old.replace(CONTROL_RUN, '_');
}

/** The default name of a clone: `<old>-copy`, made unique. */
export function copyName(old: string, taken: ReadonlySet<string>): string {
  return uniqueName(withSuffix(cleanBase(old), '-copy'), taken);
}

// `-r20261122` as added below, plus the `-N` that uniqueName may have appended to it.
const ROTATION_SUFFIX = /-r\d{8}(?:-\d+)?$/;

/** The name a rotated key derives from: `app` for `app-r20261122` and `app-r20261122-2`; else the name itself. */
export function rotationBase(name: string): string {
  return name.replace(ROTATION_SUFFIX, '') || name;
}

/**
 * The default name of a rotated key: `<old>-rYYYYMMDD` (UTC), unique. A previous rotation suffix is
 * replaced, so a key rotated monthly stays `app-r20261122`, not `app-r20261022-r20261122`.
 */
export function rotationName(old: string, now: Date, taken: ReadonlySet<string>): string {
  return uniqueName(withSuffix(rotationBase(cleanBase(old)), `-r${timestamp(now, false)}`), taken);
}
