// Organization-wide views for owners and admins (README.md "Organizations"): every member's keys at once, for
// `list --all-members` and `audit --all-members`. A member whose listing fails is reported beside the
// others rather than failing the whole view; a refusal of the login itself (not an admin, a rejected
// key) stops everything, since it would refuse every member alike.

import type { ApiClient, ListKeysQuery } from '../api/client.js';
import type { OrgMember } from '../api/org.js';
import { runPool } from '../api/pool.js';
import type { WireApiKey } from '../api/types.js';
import { ApiError, AuthError, CliError, UsageError, type ApiErrorKind } from '../errors.js';
import { commandLine } from '../text/command-line.js';

export interface MemberKeys {
  member: OrgMember;
  keys: WireApiKey[];
}

export interface MemberFailure {
  member: OrgMember;
  error: CliError;
}

export interface AllMembersKeys {
  org: string;
  /** Every member, in the order of the members index. */
  members: OrgMember[];
  /** The members whose keys were listed, in the same order. */
  listed: MemberKeys[];
  failed: MemberFailure[];
}

/**
 * Members listed at once, and pages per member: at most MEMBERS × PAGES requests in flight, so a large
 * organization neither waits on one member at a time nor opens a connection per member and page.
 */
export const MEMBER_CONCURRENCY = 4;
export const PAGE_CONCURRENCY_PER_MEMBER = 2;

export async function listAllMembersKeys(
  client: ApiClient,
  opts: { org: string; query?: Pick<ListKeysQuery, 'type' | 'order'>; memberConcurrency?: number },
): Promise<AllMembersKeys> {
  const members = await client.listMembers(opts.org);
  const results: (MemberKeys | MemberFailure | undefined)[] = new Array(members.length);
  let fatal: unknown;
  await runPool(0, members.length - 1, opts.memberConcurrency ?? MEMBER_CONCURRENCY, async (i) => {
    const member = members[i]!;
    try {
      const keys = await client.forUser(member.username).listKeys({ ...opts.query, concurrency: PAGE_CONCURRENCY_PER_MEMBER });
      results[i] = { member, keys };
    } catch (err) {
      // Anything that is not a typed, per-member failure (a bug, or the login refused) ends the view.
      if (!(err instanceof CliError) || err instanceof AuthError) {
        fatal ??= err;
        return 'stop';
      }
      results[i] = { member, error: err };
    }
    return 'continue';
  });
  if (fatal !== undefined) throw fatal;
  const listed: MemberKeys[] = [];
  const failed: MemberFailure[] = [];
  for (const r of results) {
    if (r === undefined) continue;
    if ('keys' in r) listed.push(r);
    else failed.push(r);
  }
  return { org: opts.org, members, listed, failed };
}

/** After a report over every member: the members it missed are a failure, whatever else it says. */
export function membersFailed(all: AllMembersKeys, report: string): ApiError {
  const names = all.failed.map((f) => f.member.username);
  const first = all.failed[0]!.error;
  const kind: ApiErrorKind = first instanceof ApiError ? first.kind : 'http';
  return new ApiError(kind, `Could not list the keys of ${names.length} of ${all.members.length} members (${names.join(', ')}): ${report} does not cover them.`, {
    hint: `Try again, or look at one member: ${commandLine('list', {}, { user: names[0] })}`,
  });
}

export const ORG_ENV = 'CARTO_KEYS_ORG';

/**
 * The organization's name, which the members index needs and no Auth API reply carries: `--org`, else
 * CARTO_KEYS_ORG, else the first label of an organization URL (`https://{org}.carto.com/u/{user}`).
 */
export function resolveOrgName(baseUrl: string, flag: string | undefined, env: string | undefined): string {
  const given = flag ?? (env === undefined || env.trim() === '' ? undefined : env.trim());
  if (given !== undefined) {
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(given)) {
      throw new UsageError(`Invalid organization name "${given}" (from ${flag !== undefined ? '--org' : ORG_ENV}).`, {
        hint: 'An organization name is the first part of its URL, as in https://{org}.carto.com/u/{user}.',
      });
    }
    return given;
  }
  const fromUrl = orgFromBaseUrl(baseUrl);
  if (fromUrl === undefined) {
    throw new UsageError(`Which organization? The base URL ${baseUrl} does not name one.`, {
      hint: `Pass --org <name> (or set ${ORG_ENV}): the name in https://{org}.carto.com/u/{user}.`,
    });
  }
  return fromUrl;
}

/** `acme` from `https://acme.carto.com/u/alice`; undefined for other forms (on-premises, an IP address). */
export function orgFromBaseUrl(baseUrl: string): string | undefined {
  const url = new URL(baseUrl);
  if (!/^\/u\/[^/]+$/.test(url.pathname)) return undefined;
  const labels = url.hostname.split('.');
  if (labels.length < 3 || /^\d+$/.test(labels[labels.length - 1]!)) return undefined;
  return labels[0];
}

/**
 * The API root of another member of the caller's organization: their own URL, where their own tokens
 * authenticate (verifying a new key of theirs, or finding a key by its token). Only the path forms
 * name a user; a `{user}.carto.com` account is in no organization.
 */
export function memberBaseUrl(baseUrl: string, member: string): string | undefined {
  const url = new URL(baseUrl);
  const m = /^\/(u|user)\/[^/]+$/.exec(url.pathname);
  return m === null ? undefined : `${url.origin}/${m[1]}/${member}`;
}
