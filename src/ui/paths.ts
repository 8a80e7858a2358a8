// Paths for people: what a line holds at 80 columns. A file under the current folder is shown
// relative to it (`deploy/.env`), one under the home folder from `~`, anything else in full. Files
// that belong to the user rather than to a project (the config file) read better from `~` even when
// the current folder is above them: `homeFirst`.

import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { Env } from '../env.js';

export function displayPath(path: string, env: Env, opts: { cwd?: string; homeFirst?: boolean } = {}): string {
  const cwd = opts.cwd ?? resolve('.');
  const absolute = resolve(cwd, path);
  const inside = (rel: string) => rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
  const fromCwd = relative(cwd, absolute);
  const home = env.HOME && isAbsolute(env.HOME) ? env.HOME : undefined;
  const fromHome = home === undefined ? undefined : relative(home, absolute);
  const tilde = fromHome !== undefined && inside(fromHome) ? `~${sep}${fromHome}` : undefined;
  if (opts.homeFirst && tilde) return tilde;
  if (inside(fromCwd)) return fromCwd;
  return tilde ?? absolute;
}
