// Where journals, the deployment registry and their locks live: CARTO_KEYS_STATE_DIR when set (a folder
// a CI pipeline saves and restores, so a second job on a fresh machine finishes what the first began),
// else the config folder. It holds no token and no Master key.

import type { Env } from '../env.js';
import type { AppPaths } from '../config/paths.js';

export const STATE_DIR_ENV = 'CARTO_KEYS_STATE_DIR';
export const CONFIG_DIR_ENV = 'CARTO_KEYS_CONFIG_DIR';

export function stateDir(ctx: { env: Env; paths: Pick<AppPaths, 'config'> }): string {
  const named = (ctx.env[STATE_DIR_ENV] ?? '').trim();
  return named !== '' ? named : ctx.paths.config;
}

/** Whether a folder to keep state in was named, as a CI job does with a folder it caches. */
export function stateDirNamed(env: Env): boolean {
  return (env[STATE_DIR_ENV] ?? '').trim() !== '' || (env[CONFIG_DIR_ENV] ?? '').trim() !== '';
}
