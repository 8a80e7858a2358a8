// Which user and which endpoint a URL addresses, for the three base-URL forms of docs/auth-api.md §1:
//   {user}.{domain}/api/v3/api_keys…   (cloud, personal: the user is the first host label)
//   {host}/u/{user}/api/v3/api_keys…   (cloud, organization member)
//   {host}/user/{user}/api/v3/api_keys… (on-premises / subdomainless)

export type Route =
  | { action: 'list' }
  | { action: 'create' }
  | { action: 'show'; name: string }
  | { action: 'destroy'; name: string }
  | { action: 'regenerate'; name: string }
  // The user-management API (docs/auth-api.md §8): v2 has the index and show, v1 only show.
  | { action: 'members'; org: string }
  | { action: 'member'; org: string; username: string };

export interface Addressed {
  username: string;
  /** Absolute URL of the collection as the client addressed it, for `_links`. */
  collectionUrl: string;
  /** undefined: no such route (Rails answers its 404 page). */
  route: Route | undefined;
}

const PATH_USER_RE = /^\/(?:user|u)\/([^/]+)(\/.*)?$/;
const COLLECTION = '/api/v3/api_keys';

/**
 * undefined: the URL names no user at all (no path form, and a host that cannot carry a subdomain).
 * Throws URIError on bad percent-encoding, which Rails refuses with a 400.
 */
export function addressOf(url: URL, method: string): Addressed | undefined {
  const origin = `${url.protocol}//${url.host}`;
  const m = PATH_USER_RE.exec(url.pathname);
  if (m) {
    const rawUser = m[1] as string;
    const prefix = url.pathname.startsWith('/u/') ? '/u/' : '/user/';
    return {
      username: decodeURIComponent(rawUser),
      collectionUrl: `${origin}${prefix}${rawUser}${COLLECTION}`,
      route: routeOf(method, m[2] ?? ''),
    };
  }
  const subdomainUser = userFromHost(url.hostname);
  if (subdomainUser === undefined || !/^\/api\/v[123](\/|$)/.test(url.pathname)) return undefined;
  return { username: subdomainUser, collectionUrl: `${origin}${COLLECTION}`, route: routeOf(method, url.pathname) };
}

/** `demo.carto.com` → `demo`; an IP address or a single-label host (`localhost`) has no subdomain. */
function userFromHost(hostname: string): string | undefined {
  if (hostname.startsWith('[') || /^\d{1,3}(\.\d{1,3}){3}$/.test(hostname)) return undefined;
  const labels = hostname.split('.');
  if (labels.length < 2 || labels.some((l) => l === '')) return undefined;
  return labels[0];
}

const MEMBER_RE = /^\/api\/v3\/api_keys\/([^/]+)(\/token\/regenerate)?\/?$/;
const ORG_USERS_RE = /^\/api\/(v1|v2)\/organization\/([^/]+)\/users(?:\/([^/]+))?\/?$/;

function routeOf(method: string, path: string): Route | undefined {
  const org = ORG_USERS_RE.exec(path);
  if (org) {
    if (method !== 'GET') return undefined;
    const name = decodeURIComponent(org[2] as string);
    if (org[3] !== undefined) return { action: 'member', org: name, username: decodeURIComponent(org[3]) };
    return org[1] === 'v2' ? { action: 'members', org: name } : undefined;
  }
  if (path === COLLECTION || path === `${COLLECTION}/`) {
    if (method === 'GET') return { action: 'list' };
    if (method === 'POST') return { action: 'create' };
    return undefined;
  }
  const m = MEMBER_RE.exec(path);
  if (!m) return undefined;
  // decodeURIComponent leaves `+` alone, as Rails does for path segments.
  const name = decodeURIComponent(m[1] as string);
  if (m[2] !== undefined) return method === 'POST' ? { action: 'regenerate', name } : undefined;
  if (method === 'GET') return { action: 'show', name };
  if (method === 'DELETE') return { action: 'destroy', name };
  return undefined;
}
