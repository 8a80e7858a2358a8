// A fast reader for the plain YAML that `export` writes, so that `plan` of a large file costs little
// more than listing the account (the `yaml` package reads ~1 MB/s; this reads the same files ~10×
// faster). It accepts only a small, unambiguous subset and returns undefined for anything else —
// quotes, anchors, tabs, trailing comments, block sequences, numbers other than plain integers,
// scalars that YAML 1.2 would read as something other than a string — which the `yaml` package then
// reads instead. Within the subset it yields exactly what `yaml` yields (a property test checks it),
// with the same offsets, so errors point at the same line and column either way.

import type { KNode, KPair } from './nodes.js';

/** Plain scalars read as strings by YAML 1.2's core schema, and needing no quotes. */
const PLAIN = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const BOOL = /^(?:true|True|TRUE|false|False|FALSE)$/;
const NULL = /^(?:null|Null|NULL|~)$/;
const INT = /^[0-9]+$/;
const KEY_LINE = /^( *)([^ :#\t]+):(?: +(.*))?$/;

/** A scalar node; null for a YAML null; undefined when outside the subset. */
function scalar(text: string, offset: number): KNode | null | undefined {
  if (BOOL.test(text)) return { kind: 'scalar', offset, value: text[0] === 't' || text[0] === 'T' };
  if (NULL.test(text)) return null;
  if (INT.test(text)) return text.length > 1 && text[0] === '0' ? undefined : { kind: 'scalar', offset, value: Number(text) };
  return PLAIN.test(text) ? { kind: 'scalar', offset, value: text } : undefined;
}

/** `[a, b]`, `[]`, `{}` or a plain scalar, starting at `offset`. */
function value(text: string, offset: number): KNode | null | undefined {
  if (text === '{}') return { kind: 'map', offset, pairs: [] };
  if (text.startsWith('[') && text.endsWith(']')) {
    const inner = text.slice(1, -1);
    if (inner.trim() === '') return inner === '' ? { kind: 'seq', offset, items: [] } : undefined;
    const items: (KNode | null)[] = [];
    let at = 1;
    for (const part of inner.split(',')) {
      const lead = part.length - part.trimStart().length;
      const word = part.trim();
      const item = scalar(word, offset + at + lead);
      // Only strings in flow lists: `[1, true]` is left to the full parser.
      if (item === undefined || item === null || item.kind !== 'scalar' || typeof item.value !== 'string') return undefined;
      items.push(item);
      at += part.length + 1;
    }
    return { kind: 'seq', offset, items };
  }
  return scalar(text, offset);
}

interface Frame {
  indent: number;
  map: KNode & { kind: 'map' };
  keys: Set<string>;
}

export function fastYaml(text: string): KNode | null | undefined {
  // Printable ASCII and line feeds only: YAML and String#trim disagree on what else is white space
  // (a vertical tab or form feed is blank to trim, content or an error to YAML), and every name this
  // reader accepts is ASCII anyway.
  if (/[^\x20-\x7e\n]/.test(text)) return undefined;
  let root: (KNode & { kind: 'map' }) | undefined;
  const stack: Frame[] = [];
  /** A `key:` with nothing after it: its value is the block below, or null. */
  let open: { pair: KPair; indent: number } | undefined;
  let offset = 0;
  for (const line of text.split('\n')) {
    const start = offset;
    offset += line.length + 1;
    const trimmed = line.trimStart();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    if (line.includes('#') || line.endsWith(' ')) return undefined;
    const m = KEY_LINE.exec(line);
    if (m === null) return undefined;
    const indent = m[1]!.length;
    const keyText = m[2]!;
    const rest = m[3];
    const key = scalar(keyText, start + indent);
    if (key === undefined || key === null || key.kind !== 'scalar' || typeof key.value !== 'string') return undefined;
    let frame: Frame;
    if (open !== undefined && indent > open.indent) {
      const map: KNode & { kind: 'map' } = { kind: 'map', offset: start + indent, pairs: [] };
      open.pair.value = map;
      frame = { indent, map, keys: new Set() };
      stack.push(frame);
      open = undefined;
    } else {
      open = undefined;
      while (stack.length > 0 && stack[stack.length - 1]!.indent > indent) stack.pop();
      if (stack.length === 0) {
        if (indent !== 0 || root !== undefined) return undefined;
        root = { kind: 'map', offset: start, pairs: [] };
        stack.push({ indent: 0, map: root, keys: new Set() });
      }
      frame = stack[stack.length - 1]!;
      if (frame.indent !== indent) return undefined;
    }
    const name = key.value as string;
    if (frame.keys.has(name)) return undefined; // the full parser reports it, with its place
    frame.keys.add(name);
    const pair: KPair = { key, value: null };
    frame.map.pairs.push(pair);
    if (rest === undefined || rest === '') {
      open = { pair, indent };
    } else {
      const v = value(rest, start + line.length - rest.length);
      if (v === undefined) return undefined;
      pair.value = v;
    }
  }
  return root ?? null;
}
