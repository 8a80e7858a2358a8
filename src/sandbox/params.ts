// Rails' `params`: the query string and the request body merged, the query string winning, and
// the last of repeated query keys winning (Rack's parser).

export class Params {
  constructor(
    readonly query: URLSearchParams,
    private readonly body: Record<string, unknown>,
  ) {}

  /** The value as sent: a string from the query, anything JSON from the body. */
  raw(name: string): unknown {
    const values = this.query.getAll(name);
    return values.length > 0 ? values[values.length - 1] : this.body[name];
  }

  /** The value as a string the way Rails casts scalars; undefined for nil, absent or structured. */
  get(name: string): string | undefined {
    const v = this.raw(name);
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    return undefined;
  }

  /** Rails' `.presence`: blank (absent, empty, whitespace) reads as absent. */
  present(name: string): string | undefined {
    const v = this.get(name);
    return v === undefined || v.trim() === '' ? undefined : v;
  }
}

/** Signals a request Rails cannot even parse; the handler answers 400 before any controller code. */
export class UnreadableRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnreadableRequestError';
  }
}

/**
 * Rails parses the body by its content type: JSON for `application/json` (a non-object JSON value
 * lands under `_json`, so it sets no named parameter), a form for urlencoded, nothing otherwise — a
 * client that forgets the content type gets "grants has to be an array", as it would from CARTO.
 */
export async function readBodyParams(request: Request): Promise<Record<string, unknown>> {
  if (request.method === 'GET' || request.method === 'HEAD') return {};
  const type = (request.headers.get('content-type') ?? '').toLowerCase();
  const text = await request.text();
  if (text.trim() === '') return {};
  if (/^application\/([\w.+-]*\+)?json\b/.test(type)) return parseJsonObject(text);
  if (type.startsWith('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text));
  return {};
}

function parseJsonObject(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new UnreadableRequestError(`malformed JSON body: ${(e as Error).message}`);
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
