// One name for a key everywhere carto-keys keeps something about it — journals, locks, the deployment
// registry, retirements: the account it lives in, the organization member it belongs to (when acting
// with `--user`), and its name. A member's key is never confused with the caller's key of the same name.

import { createHash } from 'node:crypto';

export interface KeyRef {
  /** The account: its base URL, spelled one way (see accountOf). */
  account: string;
  /** The organization member whose key it is; absent for the caller's own keys. */
  member?: string;
  name: string;
}

const LOOPBACK = new Set(['localhost', '[::1]', '127.0.0.1']);

/**
 * The account of a base URL, however it was spelled: the host in any case, `localhost` or `127.0.0.1`,
 * a trailing slash. A base URL names its user (host or path), so it identifies the account.
 */
export function accountOf(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return baseUrl;
  }
  const host = LOOPBACK.has(url.hostname) ? `127.0.0.1${url.port === '' ? '' : `:${url.port}`}` : url.host;
  return `${url.protocol}//${host}${url.pathname.replace(/\/+$/, '')}`;
}

/** `--user` naming yourself is your own key. */
export function memberOf(member: string | undefined, username: string): string | undefined {
  return member === undefined || member === username ? undefined : member;
}

export function keyRef(baseUrl: string, member: string | undefined, name: string): KeyRef {
  return { account: accountOf(baseUrl), ...(member !== undefined && { member }), name };
}

export function sameKey(a: KeyRef, b: KeyRef): boolean {
  return accountOf(a.account) === accountOf(b.account) && (a.member ?? '') === (b.member ?? '') && a.name === b.name;
}

/** A short, file-name-safe id of a reference: journals and locks are named after it. */
export function refId(ref: KeyRef): string {
  return createHash('sha256').update(`${accountOf(ref.account)}\n${ref.member ?? ''}\n${ref.name}`).digest('hex').slice(0, 16);
}

/** `"app"`, or `"app" of bob`: how messages name a key. */
export function describeRef(ref: Pick<KeyRef, 'member' | 'name'>): string {
  return `"${ref.name}"${ref.member === undefined ? '' : ` of ${ref.member}`}`;
}
