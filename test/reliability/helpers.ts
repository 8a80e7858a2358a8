// Shared by the reliability properties: in-process runs that must end in a typed outcome, and
// generators of the input people (and their shells, editors and clipboards) actually produce.

import fc from 'fast-check';
import { expect } from 'vitest';
import type { RunResult } from '../helpers/harness.js';

/** Names, paths and values from the worst of what a terminal can pass: unicode, controls, blanks, `/`. */
export const hostile: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({
    unit: fc.constantFrom('/', ' ', '.', '..', ':', '-', '_', '\u0000', '\n', '\r', '\t', '\u001b[31m', '\u200b', 'é', '𝕏', '%', '%2F', '+', '?', '#', '&', '"', "'", '\\', 'a', 'Z', '0'),
    maxLength: 30,
  }),
  fc.constantFrom('', ' ', '.', '..', '/', 'Master', 'Default public', 'constructor', '__proto__', 'toString', 'x'.repeat(300)),
);

/** A run ended as the CLI promises: one of `allowed`, and never "a bug in carto-keys" with a stack. */
export function expectTyped(r: RunResult, allowed: number[], context = ''): void {
  const transcript = `${context}\nexit ${r.code}\n${r.stdout}${r.stderr}`;
  expect(allowed, transcript).toContain(r.code);
  expect(r.stderr, transcript).not.toMatch(/Unexpected error|this is a bug/);
  expect(r.stderr, transcript).not.toMatch(/\n\s+at /);
}
