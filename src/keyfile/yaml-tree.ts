// The full YAML reader (the `yaml` package, YAML 1.2): for every file the fast reader declines. It is
// loaded only then, so `plan` of the plain file `export` writes does not pay for it.

import { isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { KNode } from './nodes.js';
import type { TreeReader } from './validate.js';

interface YamlNode {
  range?: [number, number, number] | null;
}

/** The `yaml` package's nodes → KNode (a null scalar is no node, as in fast-yaml.ts). */
export function fromYaml(node: unknown): KNode | null {
  if (node === null || node === undefined) return null;
  const offset = (node as YamlNode).range?.[0] ?? 0;
  if (isMap(node)) {
    return { kind: 'map', offset, pairs: node.items.map((p) => ({ key: fromYaml(p.key), value: fromYaml(p.value) })) };
  }
  if (isSeq(node)) return { kind: 'seq', offset, items: node.items.map(fromYaml) };
  if (isScalar(node)) return node.value === null ? null : { kind: 'scalar', offset, value: node.value };
  return { kind: 'other', offset };
}

/** Duplicate keys refused: a later `web-map:` silently replacing an earlier one would lose grants. */
export function yamlReader(text: string): TreeReader {
  return (fail) => {
    const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false, strict: true });
    const [error] = doc.errors;
    if (error !== undefined) {
      const first = error.message.split('\n')[0] ?? error.message;
      fail(error.pos[0], `not valid YAML: ${first.replace(/ at line \d+, column \d+:?$/, '')}`);
    }
    return fromYaml(doc.contents);
  };
}
