// The one builder of every `carto-keys …` command the tool prints: what it prints, read back by a real
// shell, is exactly the words it was given, in its one order, with any operand that starts with a dash
// after `--`; and it never prints a raw control character.

import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { commandLine, shellWord, verbatim, type CommandScope, type Word } from '../../src/text/command-line.js';

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

// Anything a key name, a path or a profile could hold but NUL (which no argument can carry).
const text = fc.string({
  maxLength: 10,
  unit: fc.oneof(
    fc.constantFrom("'", '"', '\\', '$', '`', ' ', '-', '\n', '\t', '\x1b', '\x7f', '\u0085', '\u202e', '\u2066', '\u2028', '!', '*', ';', '#', '~', '<', '&', 'é'),
    fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  ),
});
const dashed = fc.oneof(text, text.map((t) => `-${t}`), fc.constantFrom('--', '--yes', '-', '--user'));

interface Case {
  command: string;
  args: string[];
  options: Word[];
  /** The options as words, as a shell must read them back. */
  optionWords: string[];
  scope: CommandScope;
}

const caseOf: fc.Arbitrary<Case> = fc
  .record({
    command: fc.constantFrom('revoke', 'show', 'rotate --resume', 'apply --abort', 'sandbox reset'),
    args: fc.array(dashed, { maxLength: 3 }),
    // Each option is a word, or (as the audit does for fixes shared by many keys) words quoted once.
    options: fc.array(fc.oneof(dashed.map((w) => [w]), fc.array(dashed, { minLength: 1, maxLength: 3 }).map((ws) => ({ quoted: ws }))), { maxLength: 3 }),
    profile: fc.option(text, { nil: undefined }),
    user: fc.option(text, { nil: undefined }),
    yes: fc.boolean(),
  })
  .map(({ command, args, options, profile, user, yes }) => ({
    command,
    args,
    options: options.map((o) => (Array.isArray(o) ? o[0]! : verbatim(o.quoted.map(shellWord).join(' ')))),
    optionWords: options.flatMap((o) => (Array.isArray(o) ? o : o.quoted)),
    scope: { ...(profile !== undefined && { profile }), ...(user !== undefined && { user }), yes },
  }));

/** The argv a person's shell hands to carto-keys: the one order of the builder, written out. */
function expectedArgv(c: Case): string[] {
  const late = c.args.some((a) => a.startsWith('-'));
  return [
    ...c.command.split(' '),
    ...(late ? [] : c.args),
    ...(c.scope.profile !== undefined ? ['--profile', c.scope.profile] : []),
    ...(c.scope.user !== undefined ? ['--user', c.scope.user] : []),
    ...c.optionWords,
    ...(c.scope.yes ? ['--yes'] : []),
    ...(late ? ['--', ...c.args] : []),
  ];
}

/** Runs the lines in `shell`, carto-keys replaced by a function that prints its argc and argv, NUL-separated. */
function argvsFrom(shell: string, lines: string[]): string[][] {
  // dash takes no dash in a function name: the program's name is the one word never quoted.
  const script = [`ck() { printf '%s\\0' "$#" "$@"; }`, ...lines.map((l) => l.replace(/^carto-keys /, 'ck '))].join('\n');
  // --norc: bash reads ~/.bashrc when its stdin is a socket (as Node's pipes are), as if run by sshd.
  const args = shell === 'bash' ? ['--norc', '--noprofile', '-c', script] : ['-c', script];
  const r = spawnSync(shell, args, { encoding: 'utf8', env: { PATH: process.env.PATH, LC_ALL: 'C.UTF-8' } });
  expect(r.status, r.stderr).toBe(0);
  const fields = r.stdout.split('\0').slice(0, -1);
  const out: string[][] = [];
  for (let i = 0; i < fields.length; ) {
    const n = Number(fields[i]);
    out.push(fields.slice(i + 1, i + 1 + n));
    i += 1 + n;
  }
  return out;
}

describe('commandLine', () => {
  it('bash reads back exactly the words it was given, an operand starting with a dash after --, and sees no control character', () => {
    fc.assert(
      fc.property(fc.array(caseOf, { minLength: 1, maxLength: 25 }), (cases) => {
        const lines = cases.map((c) => commandLine(c.command, { args: c.args, options: c.options }, c.scope));
        for (const line of lines) expect(line).not.toMatch(CONTROL);
        expect(argvsFrom('bash', lines)).toEqual(cases.map(expectedArgv));
      }),
      { numRuns: 40 },
    );
  });

  it('a POSIX sh (dash) reads back the same words when none holds a control character', () => {
    const plain = caseOf.filter((c) => ![...c.args, ...c.optionWords, c.scope.profile ?? '', c.scope.user ?? ''].some((w) => CONTROL.test(w)));
    fc.assert(
      fc.property(fc.array(plain, { minLength: 1, maxLength: 25 }), (cases) => {
        const lines = cases.map((c) => commandLine(c.command, { args: c.args, options: c.options }, c.scope));
        expect(argvsFrom('sh', lines)).toEqual(cases.map(expectedArgv));
      }),
      { numRuns: 25 },
    );
  });

  it('plain words stay plain, a placeholder is printed as is, nothing is empty', () => {
    expect(commandLine('rotate', { args: ['app'], options: ['--deploy-env-file', verbatim('<file>'), '--delete-old'] }, { user: 'bob', yes: true })).toBe(
      'carto-keys rotate app --user bob --deploy-env-file <file> --delete-old --yes',
    );
    expect(commandLine('show', { args: ["bob's key"] }, { profile: 'acme' })).toBe(`carto-keys show 'bob'\\''s key' --profile acme`);
    expect(commandLine('revoke', { args: ['-x', 'y'] }, { yes: true })).toBe('carto-keys revoke --yes -- -x y');
    expect(commandLine('list')).toBe('carto-keys list');
    expect(shellWord('')).toBe("''");
  });
});
