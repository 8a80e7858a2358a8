// The account a base URL names, spelled one way: the first part of every key reference (./key-ref.ts).
// A module of its own, with nothing but the URL parser, so that shell completion's fast path can find
// the key-name cache of a profile's account without loading anything else.

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
