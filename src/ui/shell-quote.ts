/** Quotes a word for a POSIX shell, only when it needs it: for commands we suggest in hints. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_.,:@%+=\/-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
