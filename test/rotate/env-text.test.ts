// The env-file transform: examples for each rule, then properties over generated files.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatEnvValue, isEnvVarName, readEnvVar, setEnvVar } from '../../src/deploy/env-text.js';

const TOKEN = 'rKxVUQHCG1sJAhlf0N2IJQ';

describe('setEnvVar', () => {
  it('replaces VAR= in place and keeps every other line, comment and blank line', () => {
    const before = '# app settings\nDB_URL=postgres://x\n\nCARTO_API_KEY=old # the old one\nPORT=8080\n';
    expect(setEnvVar(before, 'CARTO_API_KEY', TOKEN)).toBe(
      `# app settings\nDB_URL=postgres://x\n\nCARTO_API_KEY=${TOKEN}\nPORT=8080\n`,
    );
  });

  it('keeps `export` and indentation of the first line; removes duplicates', () => {
    const before = '  export CARTO_API_KEY="old"\nA=1\nCARTO_API_KEY=older\nexport  CARTO_API_KEY = oldest\n';
    expect(setEnvVar(before, 'CARTO_API_KEY', TOKEN)).toBe(`  export CARTO_API_KEY=${TOKEN}\nA=1\n`);
  });

  it('appends when absent, keeping whether the file ended with a newline', () => {
    expect(setEnvVar('A=1\n', 'K', 'v')).toBe('A=1\nK=v\n');
    expect(setEnvVar('A=1', 'K', 'v')).toBe('A=1\nK=v');
    expect(setEnvVar('', 'K', 'v')).toBe('K=v\n');
  });

  it('keeps CRLF line endings', () => {
    expect(setEnvVar('A=1\r\nK=old\r\nB=2\r\n', 'K', 'v')).toBe('A=1\r\nK=v\r\nB=2\r\n');
    expect(setEnvVar('A=1\r\n', 'K', 'v')).toBe('A=1\r\nK=v\r\n');
  });

  it('does not touch variables whose name only starts like ours', () => {
    expect(setEnvVar('CARTO_API_KEY_NAME=app\nXCARTO_API_KEY=1\n', 'CARTO_API_KEY', 'v')).toBe(
      'CARTO_API_KEY_NAME=app\nXCARTO_API_KEY=1\nCARTO_API_KEY=v\n',
    );
  });

  it('treats a multi-line quoted value as one entry: a line inside it is not ours', () => {
    const pem = 'KEY="-----BEGIN-----\nCARTO_API_KEY=inside\n-----END-----"\n';
    expect(setEnvVar(pem, 'CARTO_API_KEY', 'v')).toBe(`${pem}CARTO_API_KEY=v\n`);
    // And our own multi-line value is replaced whole.
    expect(setEnvVar('CARTO_API_KEY="a\nb"\nZ=1\n', 'CARTO_API_KEY', 'v')).toBe('CARTO_API_KEY=v\nZ=1\n');
  });

  it('a quote left open is a one-line value: the lines after it stay, as dotenv reads them', () => {
    for (const q of ['"', "'", '`']) {
      // Ours left open: replaced alone; the next line is another variable, not part of our value.
      expect(setEnvVar(`CARTO_API_KEY=${q}abc\nDB=postgres://x\nSECRET=keep\n`, 'CARTO_API_KEY', TOKEN)).toBe(
        `CARTO_API_KEY=${TOKEN}\nDB=postgres://x\nSECRET=keep\n`,
      );
      expect(setEnvVar(`CARTO_API_KEY=${q}abc\r\nDB=1\r\n`, 'CARTO_API_KEY', TOKEN)).toBe(`CARTO_API_KEY=${TOKEN}\r\nDB=1\r\n`);
      // Another one left open on the last line: the token appended after it is a line of its own.
      const after = setEnvVar(`A=1\nOTHER=${q}x`, 'CARTO_API_KEY', TOKEN);
      expect(after).toBe(`A=1\nOTHER=${q}x\nCARTO_API_KEY=${TOKEN}`);
      expect(readEnvVar(after, 'CARTO_API_KEY')).toBe(TOKEN);
      // Read as dotenv does: as written, the quote included.
      expect(readEnvVar(after, 'OTHER')).toBe(`${q}x`);
    }
  });

  it('a quote closes a multi-line value only when nothing but a comment follows it on its line', () => {
    // The first quote after the open one is followed by more: the open quote is a one-line value.
    const open = 'CARTO_API_KEY="abc\nDB=postgres://x\nNAME="app" # the name\n';
    expect(setEnvVar(open, 'CARTO_API_KEY', TOKEN)).toBe(`CARTO_API_KEY=${TOKEN}\nDB=postgres://x\nNAME="app" # the name\n`);
    expect(readEnvVar(open, 'NAME')).toBe('app');
    // A closing quote followed by blanks and a comment ends a multi-line value.
    const pem = 'KEY="-----BEGIN-----\nCARTO_API_KEY=inside\n-----END-----"  # a PEM\n';
    expect(readEnvVar(pem, 'KEY')).toBe('-----BEGIN-----\nCARTO_API_KEY=inside\n-----END-----');
    expect(setEnvVar(pem, 'CARTO_API_KEY', 'v')).toBe(`${pem}CARTO_API_KEY=v\n`);
    // An escaped quote does not close a double-quoted value; in single quotes there are no escapes.
    expect(readEnvVar('A="x\\"\nB=1"\n', 'A')).toBe('x"\nB=1');
    expect(readEnvVar("A='x\\'\nB=1\n", 'B')).toBe('1');
  });

  it('keeps a quote left open where it stopped: the new value is quoted when written bare it would be taken in', () => {
    // The first `"` after A's open quote was in our line, so A stops there. Written bare, the token
    // would let A run on to the `"` ending B's line, taking in our line: it is written in quotes.
    const text = 'A="x\nCARTO_API_KEY="old"\nB=y"\n';
    const after = setEnvVar(text, 'CARTO_API_KEY', TOKEN);
    expect(after).toBe(`A="x\nCARTO_API_KEY="${TOKEN}"\nB=y"\n`);
    expect(readEnvVar(after, 'CARTO_API_KEY')).toBe(TOKEN);
    expect(readEnvVar(after, 'A')).toBe(readEnvVar(text, 'A'));
    expect(readEnvVar(after, 'B')).toBe(readEnvVar(text, 'B'));
    expect(setEnvVar(after, 'CARTO_API_KEY', TOKEN)).toBe(after);
    // The same for a removed duplicate that held the quote, and with single quotes.
    expect(setEnvVar('A="x\nCARTO_API_KEY=1\nCARTO_API_KEY="old" y\nB=y"\n', 'CARTO_API_KEY', TOKEN)).toBe(
      `A="x\nCARTO_API_KEY="${TOKEN}"\nB=y"\n`,
    );
    expect(setEnvVar("A='x\nCARTO_API_KEY='old'\nB=y'\n", 'CARTO_API_KEY', TOKEN)).toBe(`A='x\nCARTO_API_KEY='${TOKEN}'\nB=y'\n`);
  });

  it('refuses, naming the line, when no way of writing the value keeps the lines around it as they read', () => {
    // A backtick left open: neither bare nor quoted values stop it, and a backtick would run a command.
    expect(() => setEnvVar('# app\nA=`x\nCARTO_API_KEY=`old` y\nB=y`\n', 'CARTO_API_KEY', TOKEN)).toThrow(
      'cannot set CARTO_API_KEY without changing how the lines around it read: close the quote left open on line 2 first',
    );
  });

  it('quotes and escapes values that are not plain', () => {
    expect(formatEnvValue(TOKEN)).toBe(TOKEN);
    expect(formatEnvValue('a b')).toBe('"a b"');
    expect(formatEnvValue('$(rm -rf /)')).toBe('"\\$(rm -rf /)"');
    expect(formatEnvValue('q"\\`\n')).toBe('"q\\"\\\\\\`\\n"');
    expect(formatEnvValue('')).toBe('""');
  });

  it('refuses a variable name that is not one', () => {
    expect(() => setEnvVar('', '1X', 'v')).toThrow();
    expect(isEnvVarName('CARTO_API_KEY')).toBe(true);
    expect(isEnvVarName('a-b')).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

const NAME = 'CARTO_API_KEY';
const oursLine = new RegExp(`^\\s*(export\\s+)?${NAME}\\s*=`);

const otherName = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}$/).filter((n) => n !== NAME);
const anyValue = fc.string({ unit: fc.constantFrom('a', 'Z', '0', '-', '_', ' ', '"', "'", '\\', '$', '`', '#', '=', '\n', '\r', 'é', '🔑') });
const lineText = fc.string({ unit: 'grapheme', maxLength: 30 }).filter((s) => !/[\n\r]/.test(s));

/** Lines that are not assignments of NAME, and never leave a quote open (that would swallow lines). */
const unrelatedLine = fc.oneof(
  lineText.map((s) => `# ${s}`),
  fc.constantFrom('', '   ', '\t'),
  fc.tuple(otherName, anyValue).map(([n, v]) => `${n}=${formatEnvValue(v)}`),
  fc.tuple(otherName, anyValue).map(([n, v]) => `export ${n}=${formatEnvValue(v)}`),
  lineText.filter((s) => !s.includes('=')),
);
const ourLine = fc.tuple(fc.constantFrom('', 'export ', '  ', '  export '), anyValue).map(([prefix, v]) => `${prefix}${NAME}=${formatEnvValue(v)}`);

const envFile = fc
  .record({
    lines: fc.array(fc.oneof({ weight: 4, arbitrary: unrelatedLine.map((l) => ({ ours: false, l })) }, { weight: 1, arbitrary: ourLine.map((l) => ({ ours: true, l })) }), { maxLength: 12 }),
    trailingNewline: fc.boolean(),
  })
  .map(({ lines, trailingNewline }) => ({
    // A last line that is empty needs its newline: without one, it is no line at all.
    text: lines.length === 0 ? '' : lines.map((x) => x.l).join('\n') + (trailingNewline || lines.at(-1)?.l === '' ? '\n' : ''),
    unrelated: lines.filter((x) => !x.ours).map((x) => x.l),
    firstOurs: lines.findIndex((x) => x.ours),
    lines,
  }));

function physicalLines(text: string): string[] {
  const lines = text.split('\n');
  if (text.endsWith('\n')) lines.pop();
  return text === '' ? [] : lines;
}

describe('setEnvVar properties', () => {
  it('never loses or reorders an unrelated line', () => {
    fc.assert(
      fc.property(envFile, anyValue, (file, value) => {
        const out = physicalLines(setEnvVar(file.text, NAME, value));
        expect(out.filter((l) => !oursLine.test(l))).toEqual(file.unrelated);
      }),
    );
  });

  it('leaves exactly one assignment, where the first one was', () => {
    fc.assert(
      fc.property(envFile, anyValue, (file, value) => {
        const out = physicalLines(setEnvVar(file.text, NAME, value));
        const at = out.flatMap((l, i) => (oursLine.test(l) ? [i] : []));
        expect(at).toHaveLength(1);
        const expected = file.firstOurs < 0 ? file.unrelated.length : file.lines.slice(0, file.firstOurs).filter((x) => !x.ours).length;
        expect(at[0]).toBe(expected);
      }),
    );
  });

  it('parses back to the value written', () => {
    fc.assert(
      fc.property(envFile, anyValue, (file, value) => {
        expect(readEnvVar(setEnvVar(file.text, NAME, value), NAME)).toBe(value);
      }),
    );
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(envFile, anyValue, (file, value) => {
        const once = setEnvVar(file.text, NAME, value);
        expect(setEnvVar(once, NAME, value)).toBe(once);
      }),
    );
  });

  it('keeps the trailing newline (an empty file gets one)', () => {
    fc.assert(
      fc.property(envFile, anyValue, (file, value) => {
        // Removing a duplicate that was the last line can leave an empty last line, which only a
        // trailing newline can express.
        const last = file.lines.length - 1;
        fc.pre(!(file.lines[last]?.ours === true && file.firstOurs !== last));
        const out = setEnvVar(file.text, NAME, value);
        expect(out.endsWith('\n')).toBe(file.text === '' || file.text.endsWith('\n'));
      }),
    );
  });

  it('reads back every other variable unchanged', () => {
    fc.assert(
      fc.property(envFile, anyValue, (file, value) => {
        const out = setEnvVar(file.text, NAME, value);
        for (const line of file.unrelated) {
          const name = /^(?:export )?([A-Za-z_][A-Za-z0-9_]*)=/.exec(line)?.[1];
          if (name !== undefined) expect(readEnvVar(out, name)).toBe(readEnvVar(file.text, name));
        }
      }),
    );
  });
});

/**
 * Like envFile, with lines that leave a quote open, and no quote that could close one: each quote is
 * followed by text on its line, so it is not the end of a multi-line value.
 */
const plainText = lineText.filter((s) => !/["'`\\]/.test(s));
const openLine = fc.tuple(fc.constantFrom('', 'export ', '  '), otherName, fc.constantFrom('"', "'", '`'), plainText).map(([p, n, q, s]) => `${p}${n}=${q}v${s}`);
const ourOpenLine = fc.tuple(fc.constantFrom('', 'export '), fc.constantFrom('"', "'", '`'), plainText).map(([p, q, s]) => `${p}${NAME}=${q}v${s}`);
const barely = fc.stringMatching(/^[A-Za-z0-9_-]{0,8}$/);
const withOpenQuotes = fc
  .array(
    fc.oneof(
      { weight: 3, arbitrary: fc.oneof(openLine, plainText.map((s) => `# ${s}`), fc.tuple(otherName, barely).map(([n, v]) => `${n}=${v}`)).map((l) => ({ ours: false, l })) },
      { weight: 1, arbitrary: fc.oneof(ourOpenLine, barely.map((v) => `${NAME}=${v}`)).map((l) => ({ ours: true, l })) },
    ),
    { maxLength: 10 },
  )
  .map((lines) => ({ text: lines.map((x) => `${x.l}\n`).join(''), unrelated: lines.filter((x) => !x.ours).map((x) => x.l) }));

describe('setEnvVar properties over quotes left open', () => {
  it('never loses an unrelated line; leaves one assignment that reads back; is idempotent', () => {
    fc.assert(
      fc.property(withOpenQuotes, fc.stringMatching(/^[A-Za-z0-9_-]{1,22}$/), (file, value) => {
        const once = setEnvVar(file.text, NAME, value);
        const out = physicalLines(once);
        expect(out.filter((l) => !oursLine.test(l))).toEqual(file.unrelated);
        expect(out.filter((l) => oursLine.test(l))).toHaveLength(1);
        expect(readEnvVar(once, NAME)).toBe(value);
        expect(setEnvVar(once, NAME, value)).toBe(once);
        for (const line of file.unrelated) {
          const name = /^\s*(?:export )?([A-Za-z_][A-Za-z0-9_]*)=/.exec(line)?.[1];
          if (name !== undefined) expect(readEnvVar(once, name)).toBe(readEnvVar(file.text, name));
        }
      }),
    );
  });
});

describe('setEnvVar edge cases found by the properties', () => {
  it('removing an unterminated duplicate last line keeps the blank line before it', () => {
    expect(setEnvVar('K=a\n\nK=b', 'K', 'v')).toBe('K=v\n\n');
  });
});
