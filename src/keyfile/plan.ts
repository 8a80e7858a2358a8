// The planner: file entries + live keys + now → what apply would do. Pure: no I/O, no clock of its own.
//
// Matching (docs/keys-as-code.md): an entry `web-map` is the live regular key named `web-map`, or one a
// rotation made from it (`web-map-rYYYYMMDD`, `-N` when made unique: the names src/grants/names.ts
// `rotationName` gives). An exact name wins; a successor is matched by its base name (the name
// without its rotation suffix), so an entry that was itself exported under a rotated name
// (`web-map-r20261122`) still finds that key's later successors. Two live keys for one entry (a
// grace window, a rotation that kept its old key) are shown as such and never silently chosen.

import type { WireApiKey } from '../api/types.js';
import { tableLabel } from '../grants/canonical.js';
import { diffGrants, type GrantDiffLine } from '../grants/diff.js';
import type { GrantSet } from '../grants/model.js';
import { rotationBase, rotationName } from '../grants/names.js';
import { normalizeRenderedGrants } from '../grants/normalize.js';
import { perRendering } from '../grants/per-rendering.js';
import { formatDuration } from '../domain/duration.js';
import { parseCartoTime } from '../ui/time.js';
import type { KeyEntry } from './model.js';

export const PLAN_ACTIONS = ['create', 'replace', 'rotate', 'unmanaged', 'ambiguous', 'none'] as const;
export type PlanAction = (typeof PLAN_ACTIONS)[number];

/** One grant item that differs, as a path: ["tables", "public.cities", "insert"], ["apis", "maps"]. */
export interface GrantChange {
  sign: '+' | '-';
  path: string[];
}

export interface LiveKey {
  name: string;
  /** ISO-8601, or null when CARTO's timestamp could not be read. */
  createdAt: string | null;
  grants: GrantSet;
  /** What normalization left out (owner-only permissions, unknown values): a replacement loses it. */
  dropped: string[];
}

export interface PlannedKey {
  action: PlanAction;
  /** The entry's name; for an unmanaged key, the live key's name. */
  name: string;
  entry?: KeyEntry;
  /** The live keys this entry matched (for an unmanaged key: that key). */
  live: LiveKey[];
  /** replace, rotate: the live key that goes. */
  from?: string;
  /** create: the entry's name; replace, rotate: the successor's name. */
  to?: string;
  /** replace: what the new key gains (+) and loses (-), per API, table, schema, service, dataset. */
  diff: GrantDiffLine[];
  changes: GrantChange[];
  /** One line each: why this action. */
  reasons: string[];
  /** unmanaged: why deleting it would break something (recorded as deployed, in a grace rotation). */
  inUse?: string;
}

export interface PlanSummary {
  create: number;
  replace: number;
  rotate: number;
  unmanaged: number;
  ambiguous: number;
  unchanged: number;
}

export interface Plan {
  keys: PlannedKey[];
  summary: PlanSummary;
  /** Something apply would do: create, replace, rotate; and delete the unmanaged keys, with `prune`. */
  changesPending: boolean;
}

export interface PlanOptions {
  /** Unmanaged keys are to be deleted (apply --prune): they count as pending changes. */
  prune?: boolean;
  /** Keys the deployment registry knows to be in use, and why: --prune keeps them. */
  inUse?: ReadonlyMap<string, string>;
}

type Normalized = ReturnType<typeof normalizeRenderedGrants>;

/**
 * A live key in the planner's terms. `cache`: keys with the same rendered grants (a thousand keys
 * share a few dozen shapes) are normalized once; the results are never modified, so they are shared.
 */
export function liveKeyOf(k: WireApiKey, cache?: Map<string, Normalized>): LiveKey {
  const normalized = perRendering(k.grants, cache, () => normalizeRenderedGrants(k.grants));
  return { name: k.name, createdAt: parseCartoTime(k.created_at)?.toISOString() ?? null, grants: normalized.grants, dropped: normalized.dropped };
}

/** Per-item differences with paths, for --json (diffGrants groups permissions for people). */
export function grantChanges(before: GrantSet, after: GrantSet): GrantChange[] {
  const out: GrantChange[] = [];
  const words = (field: string, a: readonly string[], b: readonly string[]): void => {
    for (const v of a) if (!b.includes(v)) out.push({ sign: '-', path: [field, v] });
    for (const v of b) if (!a.includes(v)) out.push({ sign: '+', path: [field, v] });
  };
  const perms = (field: string, a: Map<string, readonly string[]>, b: Map<string, readonly string[]>): void => {
    const labels = [...new Set([...a.keys(), ...b.keys()])].sort();
    for (const label of labels) {
      const was = a.get(label) ?? [];
      const is = b.get(label) ?? [];
      for (const p of was) if (!is.includes(p)) out.push({ sign: '-', path: [field, label, p] });
      for (const p of is) if (!was.includes(p)) out.push({ sign: '+', path: [field, label, p] });
    }
  };
  words('apis', before.apis, after.apis);
  perms('tables', new Map(before.tables.map((t) => [tableLabel(t), t.permissions])), new Map(after.tables.map((t) => [tableLabel(t), t.permissions])));
  perms('schemas', new Map(before.schemas.map((s) => [s.name, s.permissions])), new Map(after.schemas.map((s) => [s.name, s.permissions])));
  if (before.tableMetadata !== after.tableMetadata) out.push({ sign: after.tableMetadata ? '+' : '-', path: ['table_metadata'] });
  words('services', before.services, after.services);
  words('datasets', before.datasets, after.datasets);
  return out;
}

const DAY = 86_400_000;

/** Both sides are canonical (the parser and liveKeyOf make them so): equal text, equal grants. */
const texts = new WeakMap<GrantSet, string>();
function sameGrants(a: GrantSet, b: GrantSet): boolean {
  const text = (g: GrantSet): string => {
    let t = texts.get(g);
    if (t === undefined) texts.set(g, (t = JSON.stringify(g)));
    return t;
  };
  return a === b || text(a) === text(b);
}

function age(createdAt: string | null, now: Date): number | undefined {
  return createdAt === null ? undefined : now.getTime() - Date.parse(createdAt);
}

export function planKeys(entries: readonly KeyEntry[], keys: readonly WireApiKey[], now: Date, opts: PlanOptions = {}): Plan {
  const regular = keys.filter((k) => k.type === 'regular');
  const taken = new Set(keys.map((k) => k.name));
  const byName = new Map(regular.map((k) => [k.name, k]));
  const matched = new Map<string, WireApiKey[]>(entries.map((e) => [e.name, []]));
  const claimed = new Set<string>();
  for (const e of entries) {
    const exact = byName.get(e.name);
    if (exact !== undefined) {
      matched.get(e.name)!.push(exact);
      claimed.add(exact.name);
    }
  }
  // Successors, by base name: one map lookup per live key, so 1,000 entries × 1,000 keys stays linear.
  const byBase = new Map<string, KeyEntry[]>();
  for (const e of entries) {
    const base = rotationBase(e.name);
    byBase.set(base, [...(byBase.get(base) ?? []), e]);
  }
  const contested = new Map<string, string[]>();
  for (const k of regular) {
    if (claimed.has(k.name)) continue;
    const base = rotationBase(k.name);
    if (base === k.name) continue;
    const owners = byBase.get(base) ?? [];
    if (owners.length === 0) continue;
    claimed.add(k.name);
    for (const e of owners) matched.get(e.name)!.push(k);
    if (owners.length > 1) contested.set(k.name, owners.map((e) => e.name));
  }

  const planned: PlannedKey[] = [];
  const shapes = new Map<string, Normalized>();
  const live_ = (k: WireApiKey): LiveKey => liveKeyOf(k, shapes);
  for (const e of entries) {
    const live = matched.get(e.name)!.map(live_);
    const base: PlannedKey = { action: 'none', name: e.name, entry: e, live, diff: [], changes: [], reasons: [] };
    if (live.length === 0) {
      planned.push({ ...base, action: 'create', to: e.name, reasons: ['no live key has this name or a rotated name of it'] });
      continue;
    }
    if (live.length > 1) {
      const reasons = live.map((k) => {
        const same = sameGrants(k.grants, e.grants);
        const shared = contested.get(k.name);
        return `live key "${k.name}"${k.createdAt ? ` (created ${k.createdAt.slice(0, 10)})` : ''} ${same ? 'grants what the file declares' : 'grants something else'}${shared ? `; it could also belong to ${shared.filter((n) => n !== e.name).map((n) => `"${n}"`).join(', ')}` : ''}`;
      });
      planned.push({ ...base, action: 'ambiguous', reasons });
      continue;
    }
    const [k] = live as [LiveKey];
    const shared = contested.get(k.name);
    if (shared !== undefined) {
      planned.push({ ...base, action: 'ambiguous', reasons: [`live key "${k.name}" could be the rotated successor of ${shared.map((n) => `"${n}"`).join(' or ')}`] });
      continue;
    }
    const diff = sameGrants(k.grants, e.grants) ? [] : diffGrants(k.grants, e.grants);
    if (diff.length > 0) {
      const to = rotationName(k.name, now, taken);
      taken.add(to);
      const reasons = ['its grants differ from the file, and a key cannot be edited: a new key replaces it (create, deploy, verify, then delete)'];
      for (const note of k.dropped) reasons.push(`the new key will not have what the old one holds beyond the create form: ${note}`);
      planned.push({ ...base, action: 'replace', from: k.name, to, diff, changes: grantChanges(k.grants, e.grants), reasons });
      continue;
    }
    const old = age(k.createdAt, now);
    if (e.rotateAfter !== undefined && old !== undefined && old >= e.rotateAfter.ms) {
      const to = rotationName(k.name, now, taken);
      taken.add(to);
      const days = Math.floor(old / DAY);
      planned.push({ ...base, action: 'rotate', from: k.name, to, reasons: [`created ${k.createdAt!.slice(0, 10)} (${days} ${days === 1 ? 'day' : 'days'} ago), older than rotate_after ${formatDuration(e.rotateAfter.ms)}`] });
      continue;
    }
    planned.push(base);
  }
  for (const k of regular) {
    if (!claimed.has(k.name)) {
      const inUse = opts.inUse?.get(k.name);
      const reason =
        inUse !== undefined
          ? `a live regular key that the file does not declare, and in use: ${inUse} (--prune keeps it; --prune-deployed deletes it)`
          : opts.prune
            ? 'a live regular key that the file does not declare: --prune deletes it'
            : 'a live regular key that the file does not declare (apply --prune would delete it)';
      planned.push({ action: 'unmanaged', name: k.name, live: [live_(k)], diff: [], changes: [], reasons: [reason], ...(inUse !== undefined && { inUse }) });
    }
  }
  const count = (a: PlanAction): number => planned.filter((p) => p.action === a).length;
  const summary: PlanSummary = {
    create: count('create'),
    replace: count('replace'),
    rotate: count('rotate'),
    unmanaged: count('unmanaged'),
    ambiguous: count('ambiguous'),
    unchanged: count('none'),
  };
  return { keys: planned, summary, changesPending: summary.create + summary.replace + summary.rotate + (opts.prune ? summary.unmanaged : 0) > 0 };
}
