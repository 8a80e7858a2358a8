// One name for a key everywhere carto-keys keeps something about it — journals, locks, the deployment
// registry, retirements, the key-name cache: the account it lives in, the organization member it belongs to (when acting
// with `--user`), and its name. A member's key is never confused with the caller's key of the same name.

import { createHash } from 'node:crypto';
import { accountOf } from './account.js';

export interface KeyRef {
  /** The account: its base URL, spelled one way (see accountOf). */
  account: string;
  /** The organization member whose key it is; absent for the caller's own keys. */
  member?: string;
  name: string;
}

export { accountOf };

/** `--user` naming yourself is your own key. */
export function memberOf(member: string | undefined, username: string): string | undefined {
  return member === undefined || member === username ? undefined : member;
}

export function keyRef(baseUrl: string, member: string | undefined, name: string): KeyRef {
  return { account: accountOf(baseUrl), ...(member !== undefined && { member }), name };
}

/** The same owner of keys: the same organization member, or both the caller (no member). */
export function sameMember(a: string | undefined, b: string | undefined): boolean {
  return (a ?? '') === (b ?? '');
}

export function sameKey(a: KeyRef, b: KeyRef): boolean {
  return accountOf(a.account) === accountOf(b.account) && sameMember(a.member, b.member) && a.name === b.name;
}

/** A short, file-name-safe id of a reference: journals and locks are named after it. */
export function refId(ref: KeyRef): string {
  return createHash('sha256').update(`${accountOf(ref.account)}\n${ref.member ?? ''}\n${ref.name}`).digest('hex').slice(0, 16);
}

/** `"app"`, or `"app" of bob`: how messages name a key. */
export function describeRef(ref: Pick<KeyRef, 'member' | 'name'>): string {
  return `"${ref.name}"${ref.member === undefined ? '' : ` of ${ref.member}`}`;
}
