// The width of the terminal output goes to: what `list` fits its table to, and help its text.

import type { WritableLike } from '../context.js';
import type { Env } from '../env.js';

/** COLUMNS when set (a user's override, and what tests fix), else the terminal's own, else 80. */
export function widthOf(env: Env, stdout: Pick<WritableLike, 'columns'>): number {
  const fromEnv = env.COLUMNS;
  if (fromEnv !== undefined && /^\d+$/.test(fromEnv) && Number(fromEnv) >= 20) return Number(fromEnv);
  const columns = stdout.columns;
  return typeof columns === 'number' && columns >= 20 ? columns : 80;
}
