// Minimal structural checks of success replies. They are not a schema: they check what the rest of
// the CLI relies on, so a proxy's JSON or another service's reply fails here with a clear error
// instead of as a TypeError deep inside a command.

import { isRecord } from '../json.js';
import { KEY_TYPES, type WireApiKey, type WireListPage } from './types.js';

export type Checked<T> = { ok: true; value: T } | { ok: false; problem: string };


export function checkApiKey(value: unknown, where = 'the key'): Checked<WireApiKey> {
  const problem = apiKeyProblem(value, where);
  // The cast is what apiKeyProblem just established.
  return problem === undefined ? { ok: true, value: value as WireApiKey } : { ok: false, problem };
}

export function checkListPage(value: unknown): Checked<WireListPage> {
  if (!isRecord(value)) return { ok: false, problem: 'the reply is not an object' };
  const total = value['total'];
  if (typeof total !== 'number' || !Number.isSafeInteger(total) || total < 0) {
    return { ok: false, problem: 'its total is not a count' };
  }
  const result = value['result'];
  if (!Array.isArray(result)) return { ok: false, problem: 'its result is not an array' };
  for (const [i, item] of result.entries()) {
    const problem = apiKeyProblem(item, `result[${i}]`);
    if (problem !== undefined) return { ok: false, problem };
  }
  const page = value as unknown as WireListPage;
  // `count` is informative only; a server that omits it should not fail the listing.
  return { ok: true, value: typeof value['count'] === 'number' ? page : { ...page, count: result.length } };
}

function apiKeyProblem(value: unknown, where: string): string | undefined {
  if (!isRecord(value)) return `${where} is not an object`;
  if (typeof value['name'] !== 'string') return `${where} has no name`;
  const type = value['type'];
  if (typeof type !== 'string' || !(KEY_TYPES as readonly string[]).includes(type)) {
    return `${where} has type ${JSON.stringify(type) ?? 'undefined'}, not one of ${KEY_TYPES.join(', ')}`;
  }
  if (typeof value['token'] !== 'string') return `${where} has no token`;
  if (!Array.isArray(value['grants'])) return `${where} has no grants array`;
  return undefined;
}
