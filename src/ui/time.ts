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

/** ISO-8601 for --json; the raw text if it could not be parsed (never drop data). */
export function isoTime(s: string | undefined): string | null {
  if (s === undefined) return null;
  return parseCartoTime(s)?.toISOString() ?? s;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** Local time, minutes precision, for tables. */
export function shortLocalTime(s: string | undefined): string {
  const d = parseCartoTime(s);
  if (!d) return s ?? '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
