// Keys that CARTO renders with the same grants are many in most accounts (a few kinds of key, many
// times over): what is derived from their grants can be derived once and shared.

/**
 * `make()` for an API key's rendered grants, made once per distinct rendering when a cache is given.
 * The value must never be modified: keys rendered alike share it.
 */
export function perRendering<T>(grants: unknown, cache: Map<string, T> | undefined, make: () => T): T {
  if (cache === undefined) return make();
  const rendering = JSON.stringify(grants);
  let value = cache.get(rendering);
  if (value === undefined) cache.set(rendering, (value = make()));
  return value;
}
