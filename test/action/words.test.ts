// The Action's own parsing: the `args` input split into words the way a POSIX shell would split
// quoted words (without expansion), and the token-shaped words it masks before printing.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fit, splitWords, tokensIn } from '../../src/action/run.js';
import { shellWord } from '../../src/text/command-line.js';

describe('args', () => {
  it('words quoted for a shell come back as the same words', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 1, maxLength: 12 }), { maxLength: 6 }), fc.constantFrom(' ', '  ', '\n', ' \t '), (words, gap) => {
        expect(splitWords(words.map(shellWord).join(gap))).toEqual(words);
      }),
    );
  });

  it('double quotes, backslashes, and an unmatched quote', () => {
    expect(splitWords(`app --deploy-cmd "gh secret set \\"KEY\\"" --name=a' 'b \\ x`)).toEqual(['app', '--deploy-cmd', 'gh secret set "KEY"', '--name=a b', ' x']);
    expect(splitWords('  ')).toEqual([]);
    expect(() => splitWords(`--name 'oops`)).toThrow(/unmatched '/);
  });
});

describe('the words masked', () => {
  const hex = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 40, maxLength: 40 }).filter((t) => /[0-9]/.test(t));
  const regular = fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'), minLength: 22, maxLength: 22 }).filter((t) => /[0-9A-Z]/.test(t));
  const around = fc.constantFrom(' ', '"', "'", '=', ':', '\n', '(', '/', '');

  it('find every Master key and regular token in any text around them', () => {
    fc.assert(
      fc.property(fc.oneof(hex, regular), around, around, fc.string({ maxLength: 20 }), (token, l, r, rest) => {
        const line = `${rest.replace(/[A-Za-z0-9_-]+$/, '')}${l}${token}${r} done`;
        expect(tokensIn(line)).toContain(token);
      }),
    );
  });

  it('leave names people choose alone', () => {
    expect(tokensIn('Rotated "web-map" → "web-map-r20261207"; deployed to deploy/.env')).toEqual([]);
  });
});

describe('a long plan', () => {
  it('is cut at a line to fit what GitHub shows, and says so', () => {
    const rows = Array.from({ length: 5000 }, (_, i) => `| delete | <code>key-${i}</code> |`).join('\n');
    const out = fit(rows, 60_000, 'The job summary of this run has more.');
    expect(out.length).toBeLessThanOrEqual(60_000);
    expect(out).toMatch(/\| <code>key-\d+<\/code> \|\n\n\*\*Cut here: the whole text is longer than GitHub shows\. The job summary of this run has more\.\*\*\n$/);
    expect(fit('short\n', 60_000, 'x')).toBe('short\n');
  });
});
