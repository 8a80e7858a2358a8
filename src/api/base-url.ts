// The user's API root (docs/auth-api.md §1) from `--user` and/or `--base-url`. Everything is checked here,
// before any request, so a typo is a usage error (exit 2) rather than a confusing 404 from a server.

import { domainToASCII, domainToUnicode } from 'node:url';
import { UsageError } from '../errors.js';
import { redactUrl } from './redact.js';

export const API_KEYS_PATH = '/api/v3/api_keys';

const ACCEPTED_FORMS = [
  'https://{user}.carto.com',
  'https://{org}.carto.com/u/{user}',
  'https://{host}/user/{user}',
];
const FORMS_HINT = `Accepted base URLs: ${ACCEPTED_FORMS.join(', ')}`;

// CARTO usernames: lowercase letters, digits and dashes. A leading dash is refused too: it would read
// as a flag on every command line the user copies it into.
const USERNAME = /^[a-z0-9][a-z0-9-]*$/;
const CLOUD_HOST = /^([a-z0-9][a-z0-9-]*)\.carto\.com$/;
// Path user forms: `/u/{user}` (organization member) and `/user/{user}` (subdomainless).
const PATH_USER = /^\/(u|user)\/([^/]+)$/;

export interface ResolvedBaseUrl {
  /** Normalized: no trailing slash, no `/api/v3/api_keys`. */
  baseUrl: string;
  username: string;
}

/** Throws a UsageError unless `name` can be a CARTO username. */
export function validateUsername(name: string, source = '--user'): string {
  if (USERNAME.test(name)) return name;
  const lower = name.toLowerCase();
  const hint = USERNAME.test(lower)
    ? `CARTO usernames are lowercase: use ${lower}`
    : 'CARTO usernames contain only lowercase letters, digits and dashes';
  return fail(`Invalid CARTO username "${name}" (from ${source})`, hint);
}

export function resolveBaseUrl(input: { user?: string; baseUrl?: string }): ResolvedBaseUrl {
  const user = input.user === undefined || input.user === '' ? undefined : validateUsername(input.user);
  if (input.baseUrl === undefined || input.baseUrl === '') {
    if (user === undefined) {
      return fail('No CARTO account given: pass --user <username> or --base-url <url>', FORMS_HINT);
    }
    return { baseUrl: cloudUrl(user), username: user };
  }

  const { origin, path, shown } = parseBaseUrl(input.baseUrl);
  const pathMatch = PATH_USER.exec(path);
  let derived: string | undefined;
  let canonical = origin;
  if (pathMatch?.[1] !== undefined && pathMatch[2] !== undefined) {
    derived = validateUsername(decodePathSegment(pathMatch[2]), `the base URL ${shown}`);
    canonical = `${origin}/${pathMatch[1]}/${derived}`;
  } else if (path !== '') {
    return fail(`The base URL ${shown} has an unexpected path "${path}"`, FORMS_HINT);
  } else {
    derived = CLOUD_HOST.exec(new URL(origin).hostname)?.[1];
  }

  if (derived === undefined) {
    if (user === undefined) {
      return fail(`Cannot tell the CARTO username from the base URL ${shown}: pass --user <username>`, FORMS_HINT);
    }
    return { baseUrl: origin, username: user };
  }
  if (user !== undefined && user !== derived) {
    return fail(
      `--user ${user} does not match the user "${derived}" of the base URL ${shown}`,
      'Pass only one of them, or make them agree',
    );
  }
  return { baseUrl: canonical, username: derived };
}

/** Origin and normalized path of a pasted base URL; throws a UsageError for anything unusable. */
function parseBaseUrl(raw: string): { origin: string; path: string; shown: string } {
  // Echo the input only redacted: a pasted URL may carry `api_key=` or a password.
  const shown = redactUrl(raw.trim());
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return fail(`Not a valid URL: ${shown}`, FORMS_HINT);
  }
  // http:// stays allowed: the local sandbox (`sandbox serve`) listens on plain HTTP on 127.0.0.1.
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return fail(`The base URL must start with https:// (got ${url.protocol}//)`, FORMS_HINT);
  }
  if (badPunycode(url.hostname)) {
    return fail(`The base URL ${shown} has a host name that is not valid ("xn--" starts an internationalized name)`, FORMS_HINT);
  }
  if (url.username !== '' || url.password !== '') {
    return fail('The base URL must not contain credentials (user:password@)', 'The key is sent in a header, never in the URL');
  }
  if (url.search !== '' || url.hash !== '') {
    return fail(`The base URL must not contain a query or fragment: ${shown}`, FORMS_HINT);
  }
  let path = url.pathname.replace(/\/+$/, '');
  // People paste the endpoint they saw in the docs; the client appends it again itself.
  if (path.endsWith(API_KEYS_PATH)) path = path.slice(0, -API_KEYS_PATH.length).replace(/\/+$/, '');
  return { origin: url.origin, path, shown };
}

/**
 * `https://{user}.carto.com`, refused when the username cannot be a host name label (see badPunycode).
 */
function cloudUrl(user: string): string {
  const host = `${user}.carto.com`;
  if (!badPunycode(host)) {
    try {
      if (new URL(`https://${host}`).hostname === host) return `https://${host}`;
    } catch {
      // Refused below.
    }
  }
  return fail(
    `The CARTO username "${user}" cannot be a host name (${host} is not a valid one: "xn--" starts an internationalized name)`,
    'Check the username; for an account on another host, pass its base URL with --base-url',
  );
}

/**
 * A label starting with `xn--` is punycode (an internationalized name). One that does not decode to a
 * non-ASCII name and back (`xn--a`) is no host name, but Node versions disagree about it: Node 20's URL
 * parser refuses it (so no request could be built: a fast-check counterexample failed as a bug), Node
 * 24's accepts it. Judged here, so the answer is a usage error on every version.
 */
function badPunycode(hostname: string): boolean {
  return hostname.split('.').some((label) => {
    if (!label.toLowerCase().startsWith('xn--')) return false;
    const unicode = domainToUnicode(label);
    return unicode === '' || unicode === label || domainToASCII(unicode) !== label.toLowerCase();
  });
}

function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment; // malformed escapes: validateUsername refuses it with the raw text
  }
}

function fail(message: string, hint: string): never {
  throw new UsageError(message, { hint });
}

/** Tables live in `public`, except for an organization member, whose tables live in a schema named after them. */
export function defaultSchemaFor(baseUrl: string, username: string): string {
  return /\/u\/[^/]+$/.test(new URL(baseUrl).pathname) ? username : 'public';
}
