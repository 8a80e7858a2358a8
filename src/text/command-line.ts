// Every `carto-keys …` command the tool prints for a person to run (a hint, a fix, the way to resume
// or undo) is built here, so each one is quoted the same way and can be pasted into a shell as is.
// Key names are free text in CARTO (spaces, quotes, a leading dash, even control characters), so
// quoting is not optional, and a name that starts with a dash must come after `--`.

import { hasControl } from './escape.js';

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * One word for a POSIX shell. Plain words stay plain; others are single-quoted; a word with any
 * character the terminal escaper escapes (controls, line separators, bidi overrides such as U+202E)
 * uses ANSI-C quoting ($'…', bash, zsh and POSIX.1-2024 sh), so printing the command never sends raw
 * escape sequences or a reordering of the line to a terminal, and pasting it still gives the exact name.
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

/** Text printed as it is: a placeholder the person fills in (`<file>`), or words quoted already. */
export class Verbatim {
  constructor(readonly text: string) {}
}

/** A placeholder such as `<file>`, or options quoted once and shared by many commands. */
export function verbatim(text: string): Verbatim {
  return new Verbatim(text);
}

export type Word = string | Verbatim;

/** What the suggested command acts on besides its own words, so it reaches what the suggesting run did. */
export interface CommandScope {
  /** `--profile <name>`: the profile the run was told to use on its command line. */
  profile?: string;
  /** `--user <name>`: the member whose keys the command acts on, when they are not the caller's own. */
  user?: string;
  /** `--yes`: the command will run where nobody can answer a prompt. */
  yes?: boolean;
}

export interface CommandWords {
  /** The operands (key names, tokens, paths); if any starts with a dash, all of them come last, after `--`. */
  args?: readonly Word[];
  /** The command's own options and their values, after the scope's --profile and --user. */
  options?: readonly Word[];
}

function word(w: Word): string {
  return typeof w === 'string' ? shellWord(w) : w.text;
}

/**
 * `carto-keys <command> <args…> [--profile p] [--user u] [options…] [--yes] [-- <args…>]`.
 * `command` is the command's own words as written in this program (`rotate --resume`), never user data.
 */
export function commandLine(command: string, words: CommandWords = {}, scope: CommandScope = {}): string {
  const args = words.args ?? [];
  const dashed = args.some((k) => typeof k === 'string' && k.startsWith('-'));
  let out = `carto-keys ${command}`;
  if (!dashed) for (const a of args) out += ` ${word(a)}`;
  if (scope.profile !== undefined) out += ` --profile ${shellWord(scope.profile)}`;
  if (scope.user !== undefined) out += ` --user ${shellWord(scope.user)}`;
  for (const o of words.options ?? []) {
    const text = word(o);
    if (text !== '') out += ` ${text}`;
  }
  if (scope.yes === true) out += ' --yes';
  if (dashed) {
    out += ' --';
    for (const a of args) out += ` ${word(a)}`;
  }
  return out;
}
