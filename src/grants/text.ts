// Helpers for the wording of grant errors, shared so every parser quotes and lists values the same way.

import { UsageError } from '../errors.js';

/** Error codes for `--json` errors raised by this module (all are usage errors: exit 2). */
export const GrantErrorCode = {
  invalidGrant: 'invalid_grant',
  grantNotHeld: 'grant_not_held',
  invalidKeyName: 'invalid_key_name',
  invalidGrantsFile: 'invalid_grants_file',
} as const;

// A pasted 10 kB string must not turn an error into a wall of text.
const MAX_QUOTED_CHARS = 60;

/** A value quoted for a message: control characters escaped (JSON style), long values cut. */
export function quote(value: string): string {
  const chars = [...value];
  const shown = chars.length > MAX_QUOTED_CHARS ? `${chars.slice(0, MAX_QUOTED_CHARS).join('')}…` : value;
  return JSON.stringify(shown);
}

export function hasControlChar(value: string): boolean {
  return /\p{Cc}/u.test(value);
}

export function hasWhitespace(value: string): boolean {
  return /\s/u.test(value);
}

/** `permission` or `permissions`, by count. */
export function plural(count: number, noun: string): string {
  return count === 1 ? noun : `${noun}s`;
}

export function listValues(values: readonly string[]): string {
  return values.length === 0 ? 'none' : values.join(', ');
}

/** A "did you mean" hint for a near miss (a typo of one or two letters, or a prefix). */
export function suggestion(input: string, valid: readonly string[]): string | undefined {
  const needle = input.toLowerCase();
  if (needle === '') return undefined;
  let best: { value: string; distance: number } | undefined;
  for (const value of valid) {
    const distance = value.startsWith(needle) ? 1 : editDistance(needle, value);
    if (distance <= 2 && (best === undefined || distance < best.distance)) best = { value, distance };
  }
  return best === undefined ? undefined : `Did you mean "${best.value}"?`;
}

function editDistance(a: string, b: string): number {
  // Long inputs cannot be near misses of our short keywords; skip the quadratic work.
  if (Math.abs(a.length - b.length) > 2) return Infinity;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? Infinity;
}

export function grantError(message: string, hint?: string): UsageError {
  return new UsageError(message, { code: GrantErrorCode.invalidGrant, ...(hint === undefined ? {} : { hint }) });
}
