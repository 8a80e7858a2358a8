// The command line that fixes a finding, quoted so it can be pasted into a POSIX shell as is. Key
// names are free text in CARTO (spaces, quotes, even control characters), so quoting is not optional.

import { hasControl } from '../text/escape.js';

/** Where the fix will run: the profile given on the command line, the member for an organization audit. */
export interface FixContext {
  /** `--profile <name>` of the audit run, repeated so the fix acts on the same account. */
  profile?: string;
  /** The username whose keys the fix acts on, when it is not the caller's own (organization audit). */
  targetUser?: string;
}

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * One word for a POSIX shell. Plain words stay plain; others are single-quoted; a word with any
 * character the terminal escaper escapes (controls, line separators, bidi overrides such as U+202E)
 * uses bash/zsh ANSI-C quoting ($'…'), so printing the command never sends raw escape sequences or a
 * reordering of the line to a terminal, and pasting it still gives the exact name.
 */
export function shellWord(word: string): string {
  if (SAFE.test(word)) return word;
  if (hasControl(word)) {
    let out = "$'";
    for (const ch of word) {
      const code = ch.codePointAt(0)!;
      if (ch === '\\' || ch === "'") out += `\\${ch}`;
      else if (code < 0x80 && hasControl(ch)) out += `\\x${code.toString(16).padStart(2, '0')}`;
      else if (hasControl(ch)) out += `\\u${code.toString(16).padStart(4, '0')}`;
      else out += ch;
    }
    return `${out}'`;
  }
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * `carto-keys <verb> <key> [options…]`, as people write it; a key whose name starts with a dash comes
 * last, after `--`, so it is never read as an option.
 */
export function fixCommand(verb: string, key: string, options: readonly string[], ctx: FixContext = {}): string {
  return fixCommandQuoted(verb, key, options.map(shellWord).join(' '), ctx);
}

/** fixCommand with the options already quoted: one text shared by the many keys that need the same change. */
export function fixCommandQuoted(verb: string, key: string, quotedOptions: string, ctx: FixContext = {}): string {
  const dashed = key.startsWith('-');
  let out = `carto-keys ${verb}`;
  if (!dashed) out += ` ${shellWord(key)}`;
  if (ctx.profile !== undefined) out += ` --profile ${shellWord(ctx.profile)}`;
  if (ctx.targetUser !== undefined) out += ` --user ${shellWord(ctx.targetUser)}`;
  if (quotedOptions !== '') out += ` ${quotedOptions}`;
  if (dashed) out += ` -- ${shellWord(key)}`;
  return out;
}
