// Flag parsers and checks shared by several commands' parse layers. Pure: no I/O.

import { UsageError } from '../errors.js';

/** commander collector for repeatable options. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function positiveInt(flag: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
      throw new UsageError(`${flag} must be a positive whole number, got "${value}".`);
    }
    return Number(value);
  };
}

/** Destructive commands: refuse without --yes when nobody can be asked. */
export function requireYesOrTty(yes: boolean, canPrompt: boolean, what: string): void {
  if (!yes && !canPrompt) {
    throw new UsageError(`${what} needs confirmation: pass --yes when not running in a terminal.`);
  }
}
