// Shape checks for parsed JSON: API replies, the sandbox's state file, journals, the config file.

/** A JSON object: not null, not an array. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
