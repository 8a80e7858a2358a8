// The parsed shape of a keys file, whichever reader produced it (fast-yaml.ts for the plain form
// `export` writes, the `yaml` package for everything else): mappings, sequences and scalars, each
// with the offset of its first character, which errors turn into line and column. A null (`key:`,
// `key: null`) is no node at all.

export type KNode =
  | { kind: 'map'; offset: number; pairs: KPair[] }
  | { kind: 'seq'; offset: number; items: (KNode | null)[] }
  | { kind: 'scalar'; offset: number; value: unknown }
  /** An alias, a tag of another kind: what the file format never uses. */
  | { kind: 'other'; offset: number };

export interface KPair {
  key: KNode | null;
  value: KNode | null;
}
