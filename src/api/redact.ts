// Redaction for everything the client may write to the --debug trace. A trace is pasted into bug
// reports and CI logs, so a token must never survive into it, whatever shape it arrives in.

export const REDACTED = '***';

// The `api_key` parameter, in a URL or in a form/query-looking text. CARTO's list `_links` echo it
// when a token was sent in the query, so it can appear even though this client never sends one.
const API_KEY_PARAM = /([?&;]api_key=)[^&#\s"']*/gi;
// `scheme://user:password@host`: credentials pasted into a base URL.
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^/?#@\s:]*:)[^/?#@\s]*@/gi;
// JSON members holding a secret: a key object's `token`, or an `api_key` sent in a body.
const JSON_SECRET_MEMBER = /("(?:token|api_key|password)"\s*:\s*)"(?:[^"\\]|\\.)*"/gi;
// An Authorization header value, printed alone or as `Authorization: Basic …`. Credentials are long
// (base64 of `user:token`); the length floor keeps prose such as "your Basic plan" intact.
const AUTH_SCHEME = /\b(Basic|Bearer)\s+[A-Za-z0-9+/=._~-]{16,}/g;

/** A URL with any `api_key` query value and any userinfo password replaced; the rest is untouched. */
export function redactUrl(url: string): string {
  // Regexes rather than URL/URLSearchParams: re-serialising would re-encode the rest of the URL
  // (a `%20` could come back as `+`), and the trace must show what was actually requested.
  // Most URLs hold neither: then the two expressions are not even compiled (every run redacts its base URL).
  const lower = url.toLowerCase();
  const key = lower.includes('api_key=') ? url.replace(API_KEY_PARAM, `$1${REDACTED}`) : url;
  return key.includes('@') ? key.replace(URL_PASSWORD, `$1${REDACTED}@`) : key;
}

/**
 * Text with every known secret string, every `api_key` parameter, every JSON `token` value and every
 * Authorization credential replaced. `secrets` are exact strings (the client's own token and its
 * Basic credential); empty ones are ignored because they would match everywhere.
 */
export function redactText(text: string, secrets: readonly string[]): string {
  let out = text;
  // Longest first, so a secret that contains another is replaced whole.
  for (const secret of [...secrets].filter((s) => s.length > 0).sort((a, b) => b.length - a.length)) {
    out = out.split(secret).join(REDACTED);
  }
  return redactUrl(out)
    .replace(JSON_SECRET_MEMBER, `$1"${REDACTED}"`)
    .replace(AUTH_SCHEME, `$1 ${REDACTED}`);
}
