// Durations as users type them for --grace, --max-age and rotate_after: a whole number and one unit
// (90s, 30m, 24h, 7d, 2w). One unit only: "1d12h" reads ambiguously in a YAML file and nobody needs it.

import { UsageError } from '../errors.js';

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
export type DurationUnit = keyof typeof UNIT_MS;

/** Longer than any key will live (100 years): a typo of extra digits is an error, not a forever. */
const MAX_MS = 100 * 365 * UNIT_MS.d;

export interface Duration {
  /** As the user wrote it, normalized (`7d`). */
  text: string;
  ms: number;
}

/** Parses `90s`, `30m`, `24h`, `7d`, `2w`; returns an error message instead of throwing. */
export function parseDurationResult(raw: string): Duration | { error: string } {
  const m = /^\s*(\d{1,9})\s*([smhdw])\s*$/.exec(raw);
  if (!m) return { error: `"${raw}" is not a duration: use a whole number and one unit, like 90s, 30m, 24h, 7d or 2w.` };
  const n = Number(m[1]);
  const unit = m[2] as DurationUnit;
  const ms = n * UNIT_MS[unit];
  if (n === 0) return { error: `"${raw}" is zero: a duration must be at least 1${unit}.` };
  if (ms > MAX_MS) return { error: `"${raw}" is longer than 100 years.` };
  return { text: `${n}${unit}`, ms };
}

/** For flags: a bad duration is a usage error (exit 2) that names the flag, before anything is sent. */
export function parseDuration(raw: string, flag: string): Duration {
  const r = parseDurationResult(raw);
  if ('error' in r) throw new UsageError(`${flag}: ${r.error}`);
  return r;
}

/** The largest unit that divides the duration exactly: 172800000 → "2d". */
export function formatDuration(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm', 's'] as const) {
    if (ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${Math.round(ms / 1000)}s`;
}
