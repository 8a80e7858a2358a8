// The stores of what carto-keys keeps about keys, opened once per run and reached through the Context
// (`await ctx.records()`): the journals of unfinished flows and the lock of each key they name, the
// deployment registry (deployments, retirements, successions), and the folder they live in
// (CARTO_KEYS_STATE_DIR, else the config folder). Each store names a key by its reference
// (./key-ref.ts). Loaded only by the commands that use them.

import type { AppPaths } from '../config/paths.js';
import type { Env } from '../env.js';
import { journalStore, type JournalStore } from './journal.js';
import { registry, type Registry } from './registry.js';
import { stateDir } from './state-dir.js';

export interface Records {
  /** The state folder: journals, the registry, incidents. */
  readonly dir: string;
  readonly journals: JournalStore;
  readonly registry: Registry;
}

export function openRecords(ctx: { env: Env; paths: Pick<AppPaths, 'config'> }): Records {
  const dir = stateDir(ctx);
  return { dir, journals: journalStore(dir), registry: registry(dir) };
}
