// Input prompts validate with the same parsers as the flags: a parser's UsageError becomes the
// message shown under the answer, so a typo is fixed in place instead of failing the rotation.

import { UsageError } from '../errors.js';

export function validateWith(parse: (value: string) => unknown): (value: string) => true | string {
  return (value) => {
    try {
      parse(value);
      return true;
    } catch (err) {
      if (err instanceof UsageError) return err.message;
      throw err;
    }
  };
}
