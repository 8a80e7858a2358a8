// `GET /api_keys` (docs/auth-api.md §5): parameter validation as CARTO's PagedSearcher does it, the
// type-weighted ordering, and the `_links` block.

import { KEY_TYPES, type KeyType, type ListOrder, type WireListPage } from '../api/types.js';
import { cgiEscape, compare } from './render.js';
import type { Params } from './params.js';
import type { SandboxKey } from './state.js';

export interface Paging {
  page: number;
  perPage: number;
  order: ListOrder;
}

/** A 400 message, in CARTO's words. */
export class ListParamError extends Error {}

const ORDERS: readonly ListOrder[] = ['type', 'name', 'updated_at'];
const DIRECTIONS: readonly string[] = ['asc', 'desc'];

/**
 * The contract says "integer > 0", so `1.5` or `2abc` are refused (Rails' to_i would read 1 and 2);
 * values past 2^53 are refused too rather than paged with lost precision.
 */
function positiveInteger(params: Params, name: string, fallback: number): number {
  const raw = params.present(name);
  if (raw === undefined) return fallback;
  const n = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) throw new ListParamError(`Wrong '${name}' parameter value.`);
  return n;
}

/** Carto::ParamInvalidError with the valid values, printed as Ruby prints the array. */
function invalid(name: string, valid: readonly string[], asSymbols: boolean): ListParamError {
  const list = valid.map((v) => (asSymbols ? `:${v}` : `"${v}"`)).join(', ');
  return new ListParamError(`Wrong '${name}' parameter value. Valid values are one of [${list}]`);
}

export function parsePaging(params: Params): Paging {
  const page = positiveInteger(params, 'page', 1);
  const perPage = positiveInteger(params, 'per_page', 20);
  const order = params.present('order') ?? 'updated_at';
  if (!(ORDERS as readonly string[]).includes(order)) throw invalid('order', ORDERS, true);
  // Validated then ignored: results always come in ascending order.
  const direction = params.present('order_direction') ?? 'desc';
  if (!direction.split(',').every((d) => DIRECTIONS.includes(d))) throw invalid('order_direction', DIRECTIONS, true);
  return { page, perPage, order: order as ListOrder };
}

/** Ruby's `split(',')` drops trailing empty fields; `strip` then leaves `""` for a blank one, refused. */
export function parseTypes(params: Params): KeyType[] {
  const fields = (params.get('type') ?? '').split(',');
  while (fields.length > 0 && fields[fields.length - 1] === '') fields.pop();
  const types = fields.map((t) => t.trim());
  if (!types.every((t) => (KEY_TYPES as readonly string[]).includes(t))) throw invalid('type', KEY_TYPES, false);
  return types as KeyType[];
}

const TYPE_WEIGHT: Record<KeyType, number> = { master: 0, default: 1, regular: 2 };

/** Master, Default public, then regular keys; then by `order` ascending; ties by name. */
export function keyComparator(order: ListOrder): (a: SandboxKey, b: SandboxKey) => number {
  return (a, b) =>
    TYPE_WEIGHT[a.type] - TYPE_WEIGHT[b.type] ||
    (order === 'updated_at' ? compare(a.updatedAt, b.updatedAt) : 0) ||
    compare(a.name, b.name);
}

/** Rails' Hash#to_query: CGI-escaped pairs, sorted as strings. */
function toQuery(pairs: Map<string, string>): string {
  return [...pairs]
    .map(([k, v]) => `${cgiEscape(k)}=${cgiEscape(v)}`)
    .sort()
    .join('&');
}

/**
 * Every query parameter is echoed (the real server even echoes `api_key`), with page and per_page
 * normalized. An empty result has `last` page 0, as CARTO computes it: ceil(0 / per_page).
 */
export function pageLinks(collectionUrl: string, query: URLSearchParams, paging: Paging, total: number): WireListPage['_links'] {
  const href = (page: number): { href: string } => {
    const pairs = new Map<string, string>();
    for (const [k, v] of query) pairs.set(k, v);
    pairs.set('page', String(page));
    pairs.set('per_page', String(paging.perPage));
    return { href: `${collectionUrl}?${toQuery(pairs)}` };
  };
  const lastPage = Math.ceil(total / paging.perPage);
  const links: Record<string, { href: string }> = { first: href(1), last: href(lastPage) };
  if (paging.page > 1) links.prev = href(paging.page - 1);
  if (lastPage > paging.page) links.next = href(paging.page + 1);
  return links;
}
