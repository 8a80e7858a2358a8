import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { findJsonSyntaxProblem } from '../../src/grants/json-syntax.js';

describe('findJsonSyntaxProblem', () => {
  it.each([
    ['{"a": }', 1, 7, 'unexpected "}"'],
    ['[1,]', 1, 4, 'unexpected "]"'],
    ['{"a":1}}', 1, 8, 'unexpected content after the end of the JSON value'],
    ['{a: 1}', 1, 2, 'expected a property name in double quotes'],
    ['{"a" 1}', 1, 6, 'expected ":" after the property name'],
    ['"abc', 1, 5, 'unterminated string'],
    ['"a\tb"', 1, 3, 'control character inside a string (escape it)'],
    ['"\\x"', 1, 3, 'invalid escape in a string'],
    ['"\\u12"', 1, 3, 'invalid \\u escape'],
    ['-', 1, 1, 'invalid number'],
    ['01', 1, 2, 'unexpected content after the end of the JSON value'],
    ['tru', 1, 1, 'unexpected "t"'],
    ['[\n  1\n  2]', 3, 3, 'expected "," or "]"'],
  ])('finds the problem in %j', (text, line, column, reason) => {
    expect(findJsonSyntaxProblem(text)).toEqual({ line, column, reason });
  });

  it('reports a file nested too deeply for the scanner', () => {
    expect(findJsonSyntaxProblem('['.repeat(200_000))?.reason).toMatch(/nested too deeply|unexpected end of input/);
  });

  it('agrees with JSON.parse about what is valid', () => {
    const jsonParses = (text: string): boolean => {
      try {
        JSON.parse(text);
        return true;
      } catch {
        return false;
      }
    };
    const texts = fc.oneof(
      fc.json(),
      fc.json().map((text) => text.slice(0, Math.floor(text.length / 2))),
      fc.string({ unit: fc.constantFrom('[', ']', '{', '}', '"', ':', ',', '1', '-', '.', 'e', 't', 'n', ' ', '\\', 'u') }),
    );
    fc.assert(
      fc.property(texts, (text) => {
        expect(findJsonSyntaxProblem(text) === undefined).toBe(jsonParses(text));
      }),
    );
  });
});
