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

/** Local time, minutes precision, for tables. */
export function shortLocalTime(s: string | undefined): string {
  const d = parseCartoTime(s);
  if (!d) return s ?? '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
