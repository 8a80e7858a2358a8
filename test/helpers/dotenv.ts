// A dotenv reader, the oracle of the env-file tests: the value of a variable as a dotenv parser reads
// it. carto-keys itself only writes env files (src/rotate/env-text.ts); it never reads a value back.

import { ASSIGNMENT, parseText } from '../../src/rotate/env-text.js';

/** The value of the first assignment of `name`, as a dotenv parser reads it; undefined when absent. */
export function readEnvVar(text: string, name: string): string | undefined {
  const entry = parseText(text).entries.find((e) => e.name === name);
  if (entry === undefined) return undefined;
  const joined = entry.lines.map((l) => l.replace(/\r$/, '')).join('\n');
  const match = ASSIGNMENT.exec(joined);
  return unquote(joined.slice(match?.[0].length ?? 0));
}

function unquote(raw: string): string {
  const quote = raw[0];
  if (quote === "'" || quote === '`') {
    const end = raw.indexOf(quote, 1);
    if (end >= 0) return raw.slice(1, end);
  } else if (quote === '"') {
    let out = '';
    for (let i = 1; i < raw.length; i++) {
      const c = raw[i] as string;
      if (c === '"') return out;
      if (c !== '\\' || i + 1 >= raw.length) {
        out += c;
        continue;
      }
      const next = raw[++i] as string;
      out += next === 'n' ? '\n' : next === 'r' ? '\r' : next;
    }
  }
  // Bare, or a quote left open (read as is, quote included, as dotenv does): up to an inline
  // comment, trailing blanks dropped (dotenv's reading).
  return raw.replace(/\s+#.*$/, '').replace(/\s+$/, '');
}
