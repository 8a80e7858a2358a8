// A few ANSI styles. Not chalk: chalk costs ~20 ms of start-up for what is eight escape codes here,
// and whether colour is on is decided once, in main.ts, from TTY + NO_COLOR + --no-color.

export interface Colors {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
}

const wrap = (open: number, close: number) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`;

const ON: Colors = {
  bold: wrap(1, 22),
  dim: wrap(2, 22),
  red: wrap(31, 39),
  green: wrap(32, 39),
  yellow: wrap(33, 39),
  cyan: wrap(36, 39),
};

const id = (s: string) => s;
const OFF: Colors = { bold: id, dim: id, red: id, green: id, yellow: id, cyan: id };

export function colors(enabled: boolean): Colors {
  return enabled ? ON : OFF;
}

/** NO_COLOR (https://no-color.org): any non-empty value disables colour. */
export function colorAllowed(env: { NO_COLOR?: string | undefined; TERM?: string | undefined }, isTTY: boolean | undefined, flag: boolean): boolean {
  return flag && isTTY === true && !env.NO_COLOR && env.TERM !== 'dumb';
}
