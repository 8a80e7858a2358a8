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
//   line inside another variable's value is never mistaken for ours. A value is multi-line only when
//   its closing quote exists: the first unescaped matching quote on a later line, with nothing but
//   blanks or a comment after it on that line (dotenv's reading). A quote left open — no such closing
//   quote — is a one-line value, as dotenv and docker's env-file loader read it, so it never takes
//   the lines after it (which would delete them on replacement, or hide the token appended after).
// - Replacing or removing our assignment never changes how another line reads: when the line we
//   remove held the quote that stopped a quote left open above it, the value is written in that same
//   quote (`"…"` or `'…'`) so it stops there still; when no form can (a backtick left open), setEnvVar
//   throws, naming the line, and the file is not written.

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const BARE_VALUE = /^[A-Za-z0-9_-]+$/;
export const ASSIGNMENT = /^(\s*)(export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*/;

export function isEnvVarName(name: string): boolean {
  return ENV_NAME.test(name);
}

export function formatEnvValue(value: string): string {
  return BARE_VALUE.test(value) ? value : doubleQuoted(value);
}

function doubleQuoted(value: string): string {
  return `"${value.replace(/[\\"$`\n\r]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : `\\${c}`))}"`;
}

/** One assignment (possibly several physical lines) or one other line. Lines keep a trailing `\r`. */
export interface Entry {
  lines: string[];
  name?: string;
}

export interface ParsedText {
  entries: Entry[];
  trailingNewline: boolean;
  crlf: boolean;
}

/** What may follow the closing quote of a multi-line value on its line: blanks, then maybe a comment. */
const AFTER_CLOSING = /^\s*(?:#.*)?$/;

/**
 * The index of the last line of the value whose quote opens at `valueStart` of `lines[first]`: the
 * line of its closing quote (the first unescaped one; `\` escapes in double quotes only), or `first`
 * — a one-line value — when that quote is on the same line, is followed by more than a comment, or
 * does not exist.
 */
function lastLineOfValue(lines: string[], first: number, valueStart: number, quote: string): number {
  for (let i = first; i < lines.length; i++) {
    const line = lines[i] as string;
    for (let k = i === first ? valueStart + 1 : 0; k < line.length; k++) {
      const c = line[k];
      if (c === '\\' && quote === '"') k++;
      else if (c === quote) return i > first && AFTER_CLOSING.test(line.slice(k + 1).replace(/\r$/, '')) ? i : first;
    }
    // A `\` ending a line escapes its newline, which ends the escape: the next line starts afresh.
  }
  return first;
}

/** The text as assignments (with the lines of a multi-line value) and other lines. */
export function parseText(text: string): ParsedText {
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
    const valueStart = match[0].length;
    const quote = line[valueStart];
    const last = quote === '"' || quote === "'" || quote === '`' ? lastLineOfValue(lines, i, valueStart, quote) : i;
    entries.push({ lines: lines.slice(i, last + 1), name: match[3] as string });
    i = last;
  }
  return { entries, trailingNewline, crlf: text.includes('\r\n') };
}

/** `text` with `name` set to `value` (see the rules at the top). */
export function setEnvVar(text: string, name: string, value: string): string {
  if (!isEnvVarName(name)) throw new Error(`not an environment variable name: ${name}`);
  const parsed = parseText(text);
  // Written bare (or double-quoted when it must be), unless that changes how the lines around it read
  // (see quotedForms): then in quotes that keep them as they were.
  let changed: Entry | undefined;
  for (const form of [formatEnvValue(value), ...quotedForms(value)]) {
    const set = withAssignment(text, parsed, name, `${name}=${form}`);
    changed = firstChanged(set.text, set.entries);
    if (changed === undefined) return set.text;
  }
  // Only an assignment with a quote left open reads on further: name it, by the line it is on.
  const at = changed === undefined ? -1 : parsed.entries.indexOf(changed);
  const where =
    at < 0 ? 'a quote left open' : `the quote left open on line ${parsed.entries.slice(0, at).reduce((n, e) => n + e.lines.length, 1)}`;
  throw new Error(`cannot set ${name} without changing how the lines around it read: close ${where} first`);
}

/**
 * Other ways to write `value`. A quote left open (a one-line value) can be closed by a quote further
 * down: the first matching quote after it ends its reading, as a multi-line value if only a comment
 * follows that quote on its line. So when an assignment replaced or removed held the first such quote,
 * writing the value bare lets the open quote run on over lines it did not cover before, ours
 * included; the same quote around the new value stops it where it stopped before.
 */
function quotedForms(value: string): string[] {
  const forms = [doubleQuoted(value)];
  if (!/['\n\r]/.test(value)) forms.push(`'${value}'`);
  return forms;
}

/** `text` with the assignment `line` in place of ours, and the entries it is meant to parse into. */
function withAssignment(text: string, parsed: ParsedText, name: string, line: string): { text: string; entries: Entry[] } {
  const entries: Entry[] = [];
  let placed = false;
  let lastRemoved = false;
  for (const entry of parsed.entries) {
    lastRemoved = false;
    if (entry.name !== name) {
      entries.push(entry);
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
    entries.push({ lines: [`${indent}${exported}${line}${last.endsWith('\r') ? '\r' : ''}`], name });
    placed = true;
  }
  if (!placed) entries.push({ lines: [`${line}${parsed.crlf ? '\r' : ''}`], name });
  // Removing a line removes its bytes only: when it was the last one, unterminated, the line before
  // it keeps its newline.
  const newline = parsed.trailingNewline || text === '' || lastRemoved;
  return { text: `${entries.flatMap((e) => e.lines).join('\n')}${newline ? '\n' : ''}`, entries };
}

/** The first of `entries` that `text` does not parse into (the one now reading more lines), if any. */
function firstChanged(text: string, entries: Entry[]): Entry | undefined {
  const actual = parseText(text).entries;
  const at = entries.findIndex((e, i) => actual[i]?.lines.length !== e.lines.length);
  return at >= 0 ? entries[at] : actual.length === entries.length ? undefined : entries.at(-1);
}
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
