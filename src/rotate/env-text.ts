// The text transform behind the env-file deploy target: set one variable in a dotenv/shell file and
// keep everything else byte for byte. Pure, so the rules are property-tested (test/rotate); the I/O
// (atomic replace, mode, symlinks) is in env-file.ts.
//
// Rules:
// - `VAR=…` and `export VAR=…` lines are ours: the first one is replaced in place (keeping its
//   indentation and `export`), later ones are removed, so the file has exactly one value.
// - No such line: `VAR=…` is appended.
// - Every other line, comment and blank line stays as it was, in order; so do CRLF line endings and
//   whether the file ends with a newline (an empty or new file gets one; removing an unterminated last
//   line leaves the newline of the line before it).
// - A value is written bare when it is only `[A-Za-z0-9_-]` (every CARTO token is), else double-quoted
//   with `\`, `"`, `$`, backtick, newline and carriage return escaped, so neither a shell sourcing the
//   file nor a dotenv parser reads something else.
// - Quoted values spanning several lines (dotenv allows them) are kept together as one entry, so a
//   line inside another variable's value is never mistaken for ours.

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const BARE_VALUE = /^[A-Za-z0-9_-]+$/;
const ASSIGNMENT = /^(\s*)(export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*/;

export function isEnvVarName(name: string): boolean {
  return ENV_NAME.test(name);
}

export function formatEnvValue(value: string): string {
  if (BARE_VALUE.test(value)) return value;
  const escaped = value.replace(/[\\"$`\n\r]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : `\\${c}`));
  return `"${escaped}"`;
}

/** One assignment (possibly several physical lines) or one other line. Lines keep a trailing `\r`. */
interface Entry {
  lines: string[];
  name?: string;
}

interface ParsedText {
  entries: Entry[];
  trailingNewline: boolean;
  crlf: boolean;
}

/** Index just past the closing quote of a value starting with `quote` at `from`, or -1 if unclosed. */
function closingQuote(text: string, from: number, quote: string): number {
  for (let i = from + 1; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && quote === '"') i++;
    else if (c === quote) return i + 1;
  }
  return -1;
}

function parseText(text: string): ParsedText {
  const trailingNewline = text.endsWith('\n');
  const lines = text === '' ? [] : text.split('\n');
  if (trailingNewline) lines.pop();
  const entries: Entry[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const match = ASSIGNMENT.exec(line);
    if (match === null) {
      entries.push({ lines: [line] });
      continue;
    }
    const entry: Entry = { lines: [line], name: match[3] as string };
    const valueStart = match[0].length;
    const quote = line[valueStart];
    if (quote === '"' || quote === "'" || quote === '`') {
      // An unclosed quote continues on the next lines, up to the line that closes it.
      let joined = line;
      while (closingQuote(joined, valueStart, quote) < 0 && i + 1 < lines.length) {
        i++;
        entry.lines.push(lines[i] as string);
        joined = `${joined}\n${lines[i] as string}`;
      }
    }
    entries.push(entry);
  }
  return { entries, trailingNewline, crlf: text.includes('\r\n') };
}

/** `text` with `name` set to `value` (see the rules at the top). */
export function setEnvVar(text: string, name: string, value: string): string {
  if (!isEnvVarName(name)) throw new Error(`not an environment variable name: ${name}`);
  const parsed = parseText(text);
  const formatted = `${name}=${formatEnvValue(value)}`;
  const out: string[] = [];
  let placed = false;
  let lastRemoved = false;
  for (const entry of parsed.entries) {
    lastRemoved = false;
    if (entry.name !== name) {
      out.push(...entry.lines);
      continue;
    }
    if (placed) {
      // A duplicate: the first one now holds the value.
      lastRemoved = true;
      continue;
    }
    const first = entry.lines[0] as string;
    const match = ASSIGNMENT.exec(first);
    const indent = match?.[1] ?? '';
    const exported = match?.[2] === undefined ? '' : 'export ';
    const last = entry.lines[entry.lines.length - 1] as string;
    out.push(`${indent}${exported}${formatted}${last.endsWith('\r') ? '\r' : ''}`);
    placed = true;
  }
  if (!placed) out.push(`${formatted}${parsed.crlf ? '\r' : ''}`);
  // Removing a line removes its bytes only: when it was the last one, unterminated, the line before
  // it keeps its newline.
  const newline = parsed.trailingNewline || text === '' || lastRemoved;
  return `${out.join('\n')}${newline ? '\n' : ''}`;
}

function unquote(raw: string): string {
  const quote = raw[0];
  if (quote === "'" || quote === '`') {
    const end = raw.indexOf(quote, 1);
    return raw.slice(1, end < 0 ? undefined : end);
  }
  if (quote === '"') {
    let out = '';
    for (let i = 1; i < raw.length; i++) {
      const c = raw[i] as string;
      if (c === '"') break;
      if (c !== '\\' || i + 1 >= raw.length) {
        out += c;
        continue;
      }
      const next = raw[++i] as string;
      out += next === 'n' ? '\n' : next === 'r' ? '\r' : next;
    }
    return out;
  }
  // Bare: up to an inline comment, trailing blanks dropped (dotenv's reading).
  return raw.replace(/\s+#.*$/, '').replace(/\s+$/, '');
}

/** The value of the first assignment of `name`, as a dotenv parser reads it; undefined when absent. */
export function readEnvVar(text: string, name: string): string | undefined {
  const entry = parseText(text).entries.find((e) => e.name === name);
  if (entry === undefined) return undefined;
  const joined = entry.lines.map((l) => l.replace(/\r$/, '')).join('\n');
  const match = ASSIGNMENT.exec(joined);
  return unquote(joined.slice(match?.[0].length ?? 0));
}
