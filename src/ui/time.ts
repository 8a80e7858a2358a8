// CARTO timestamps are `YYYY-MM-DD HH:MM:SS +0000` (maybe `UTC`), not ISO-8601.

const CARTO_TS = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?)\s*(?:([+-])(\d{2}):?(\d{2})|UTC|Z)?$/;

/** Parses leniently; returns undefined for anything unrecognised rather than inventing a date. */
export function parseCartoTime(s: string | undefined): Date | undefined {
  if (typeof s !== 'string') return undefined;
  const m = CARTO_TS.exec(s.trim());
  let d: Date;
  if (m) {
    const offset = m[3] ? `${m[3]}${m[4]}:${m[5]}` : 'Z';
    d = new Date(`${m[1]}T${m[2]}${offset}`);
  } else {
    d = new Date(s);
  }
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** CARTO's form in UTC, the one its replies carry: `2026-11-22 05:54:33 +0000`. */
const CARTO_UTC = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** ISO-8601 for --json; the raw text if it could not be parsed (never drop data). */
export function isoTime(s: string | undefined): string | null {
  if (s === undefined) return null;
  // A listing of 10,000 keys has 20,000 timestamps: a valid one in CARTO's UTC form is rewritten
  // without building a Date (same result, several times faster); anything else takes the general path.
  if (CARTO_UTC.test(s)) {
    const n = (at: number): number => (s.charCodeAt(at) - 48) * 10 + s.charCodeAt(at + 1) - 48;
    const year = n(0) * 100 + n(2);
    const month = n(5);
    const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 1 : 0;
    const day = n(8);
    if (month >= 1 && month <= 12 && day >= 1 && day <= DAYS_IN_MONTH[month - 1]! + leap && n(11) <= 23 && n(14) <= 59 && n(17) <= 59) {
      return `${s.slice(0, 10)}T${s.slice(11, 19)}.000Z`;
    }
  }
  return parseCartoTime(s)?.toISOString() ?? s;
}

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * The one form of a time for people, wherever it is printed: `2026-12-07 00:10 UTC`. UTC rather than
 * local time, so that what a CI log, a colleague's terminal and CARTO's dashboard show agree.
 */
export function humanTime(at: Date | string | undefined): string {
  const d = at instanceof Date ? at : parseCartoTime(at);
  if (!d) return typeof at === 'string' ? at : '';
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
}

/** How far `at` is from `now`, for people: `in 23 h`, `5 min ago`, `in 3 days`. */
export function relativeTime(at: Date, now: Date): string {
  const ms = at.getTime() - now.getTime();
  const abs = Math.abs(ms);
  const minutes = Math.round(abs / 60_000);
  const hours = Math.round(abs / 3_600_000);
  const days = Math.round(abs / 86_400_000);
  const span = abs < 60_000 ? 'less than a minute' : minutes < 60 ? `${minutes} min` : hours < 48 ? `${hours} h` : `${days} days`;
  if (abs < 60_000) return ms >= 0 ? 'in less than a minute' : 'less than a minute ago';
  return ms >= 0 ? `in ${span}` : `${span} ago`;
}

/** A time to come or past, both ways: `2026-12-08 00:10 UTC (in 23 h)`. */
export function humanTimeFrom(at: Date, now: Date): string {
  return `${humanTime(at)} (${relativeTime(at, now)})`;
}
