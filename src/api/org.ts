// Organizations (docs/auth-api.md §8): acting for another member (`target_user`) and the members index of
// the user-management API ("EUMAPI"). That index carries every member's Master key in `api_key`: the
// parser below copies out the three fields carto-keys shows and nothing else, so no member's key ever
// reaches a caller, a cache, a trace or an error message.

import { ApiError, AuthError } from '../errors.js';
import type { Failure } from './failures.js';
import { isRecord } from '../json.js';
import type { Checked } from './wire-check.js';

/** A member as carto-keys keeps it: never more than this (no `api_key`, no profile fields). */
export interface OrgMember {
  username: string;
  email: string | null;
  /** `org_admin`: the owner and the admins, who may act for other members. */
  admin: boolean;
}

/** `{base}/api/v2/organization/{org}/users`: the members index (a plain array, not paged). */
export const MEMBERS_PATH = (org: string): string => `/api/v2/organization/${encodeURIComponent(org)}/users`;

// CARTO's own texts (docs/auth-api.md §8).
const FORBIDDEN = /you don't have permission to access that resource/i;
const NOT_IN_ORG = /^User '.*' not found in the organization '.*'$/;

/**
 * The members from the EUMAPI index. Builds fresh objects from `username`, `email` and `org_admin`
 * only; problems name the position, never a value (a value could be a key).
 */
export function checkMembers(value: unknown): Checked<OrgMember[]> {
  if (!Array.isArray(value)) return { ok: false, problem: 'the reply is not an array of users' };
  const members: OrgMember[] = [];
  for (const [i, item] of value.entries()) {
    if (!isRecord(item)) return { ok: false, problem: `user ${i} is not an object` };
    const { username, email, org_admin: admin } = item;
    if (typeof username !== 'string' || username === '') return { ok: false, problem: `user ${i} has no username` };
    if (email !== undefined && email !== null && typeof email !== 'string') return { ok: false, problem: `user ${i} has an email that is not text` };
    if (admin !== undefined && admin !== null && typeof admin !== 'boolean') return { ok: false, problem: `user ${i} has an org_admin that is not true or false` };
    members.push({ username, email: typeof email === 'string' && email !== '' ? email : null, admin: admin === true });
  }
  return { ok: true, value: members };
}

/**
 * A key endpoint's failure while acting for `target`, said in organization terms:
 * - 403 "You don't have permission…": the caller is not an owner or admin (exit 4: this login cannot
 *   do it, whatever the command). A DELETE of a built-in key answers the same text, so that one keeps
 *   its own meaning.
 * - 404 "User '…' not found in the organization '…'": no such member (its own kind, so that callers
 *   looking for a missing *key* do not mistake it for one).
 */
export function targetFailure(failure: Failure, target: string, builtInDelete: boolean): Failure {
  const { error } = failure;
  if (!(error instanceof ApiError)) return failure;
  const said = error.serverMessage === undefined ? '' : ` (CARTO says "${error.serverMessage}")`;
  if (error.kind === 'forbidden' && !builtInDelete && FORBIDDEN.test(error.serverMessage ?? '')) {
    const action = error.message.replace(/^Could not ([^:]*):.*$/s, '$1');
    return {
      ...failure,
      error: new AuthError(`Could not ${action}: only an organization owner or admin may act for another member (--user ${target})${said}.`, {
        code: 'not_org_admin',
        status: 403,
        hint: `Log in with the Master key of an owner or admin of the organization, or leave out --user ${target}.`,
      }),
    };
  }
  if (error.kind === 'not_found' && NOT_IN_ORG.test(error.serverMessage ?? '')) {
    return {
      ...failure,
      error: new ApiError('no_member', error.message, {
        ...(error.status !== undefined && { status: error.status }),
        ...(error.serverMessage !== undefined && { serverMessage: error.serverMessage }),
        hint: '`carto-keys org members` lists the users of your organization (usernames are lowercase).',
      }),
    };
  }
  return failure;
}

/** The members index answers `401 {}` both to a non-admin and for an organization that is not theirs. */
export function membersFailure(failure: Failure, org: string): Failure {
  if (!(failure.error instanceof AuthError)) return failure;
  return {
    ...failure,
    error: new AuthError(
      `Could not list the members of organization "${org}": CARTO answered 401, so this is not the Master key of an owner or admin of "${org}".`,
      {
        code: 'not_org_admin',
        status: 401,
        hint: `Check the organization's name (--org, as in https://${org}.carto.com/u/<you>), and log in with an owner's or admin's Master key.`,
      },
    ),
  };
}
