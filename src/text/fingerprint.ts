import { createHash } from 'node:crypto';

/** Identifies a key without revealing it: a truncated SHA-256, the only form in which output, records and incidents name a token. */
export function fingerprint(key: string): string {
  return `sha256:${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;
}
