// Text from the server (key names, table names, CARTO's error text) and from the user reaches a
// terminal or a TSV line. Raw control characters there can set the window title, clear the screen,
// move the cursor, or forge extra rows and columns in a piped listing. They are shown escaped instead,
// in a form a person can read and recognise (`\n`, `\x1b`, `\u202e`).

// C0 controls, DEL, C1 controls, the Unicode line/paragraph separators and the bidirectional
// overrides and isolates (which reorder what a terminal shows: "Trojan Source").
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

// In text meant for a whole line or message: our own colour sequences (the few SGR codes of
// src/ui/color.ts and the grant diff: bold, dim, red, green, yellow, cyan and their resets), line breaks
// and tabs (the TSV separator) are kept; every other control character is escaped, so a name that
// carries `ESC[8m` (conceal) or any other SGR is shown escaped even where a field was not.
const CONTROL_OR_SGR = /\x1b\[(?:1|2|22|31|32|33|36|39)m|[\n\t]|[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

// CONTROL without the global flag: test() then keeps no lastIndex between calls.
const HAS_CONTROL = new RegExp(CONTROL.source);

/** Whether `text` holds a character escapeControl would escape. */
export function hasControl(text: string): boolean {
  return HAS_CONTROL.test(text);
}

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeOne(ch: string): string {
  const named = NAMED[ch];
  if (named !== undefined) return named;
  const code = ch.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** One field (a name, a cell, a quoted server message): every control character escaped, line breaks and tabs included. */
export function escapeControl(text: string): string {
  return text.replace(CONTROL, escapeOne);
}

/**
 * A one-line message (a progress, success or warning line on stderr): as escapeTerminal, but a line
 * break or tab is escaped too, so a name that was not escaped at its source still cannot add a line.
 */
export function escapeLine(text: string): string {
  return text.replace(CONTROL_OR_SGR, (m) => (m.length > 1 ? m : escapeOne(m)));
}

/**
 * A field of a tab-separated line that a program may split and decode: escapeControl, with the
 * backslash itself doubled first, so `\t` in a name and an escaped tab stay two different things.
 */
export function escapeField(text: string): string {
  return escapeControl(text.replace(/\\/g, '\\\\'));
}

/**
 * A line or message on its way to a terminal: line breaks, tabs and colour (SGR) sequences stay, anything
 * else that could drive the terminal is escaped. Fields inside it should already have gone through
 * escapeControl; this is the last guard for text that did not.
 */
export function escapeTerminal(text: string): string {
  return text.replace(CONTROL_OR_SGR, (m) => (m.length > 1 || m === '\n' || m === '\t' ? m : escapeOne(m)));
}
