// What export, plan and apply share: reading carto-keys.yaml (every file error exit 2 before any
// request), listing the account once, refusing a file that holds a live token, and planning.

import type { ApiClient } from '../api/client.js';
import type { WireApiKey } from '../api/types.js';
import { UsageError } from '../errors.js';
import { BoundedReadError, MiB, readRegularFile } from '../fs/bounded-read.js';
import type { KeyFile } from './model.js';
import { fastYaml } from './fast-yaml.js';
import { KEY_FILE_ERROR, parseKeyTree } from './validate.js';
import { planKeys, type Plan } from './plan.js';

export interface LoadedFile {
  file: KeyFile;
  /** The file's text: checked again for live tokens once the keys are listed. */
  text: string;
}

/** A keys file of 10,000 keys is a few MB. */
export const MAX_KEY_FILE_BYTES = 16 * MiB;

export async function readKeyFile(path: string, defaultSchema: string, limit = MAX_KEY_FILE_BYTES): Promise<LoadedFile> {
  let text: string;
  try {
    // A regular file only, bounded: a FIFO would hang plan, and /dev/zero (or a committed symlink to
    // it) would fill the memory.
    text = readRegularFile(path, limit).toString('utf8');
  } catch (err) {
    if (!(err instanceof BoundedReadError)) throw err;
    if (err.refusal.reason === 'missing') {
      throw new UsageError(`${path}: no such file.`, {
        code: KEY_FILE_ERROR,
        hint: 'Write one from the account with `carto-keys export -o carto-keys.yaml`, or name another with -f.',
      });
    }
    throw new UsageError(`${path}: ${err.message}.`, {
      code: KEY_FILE_ERROR,
      ...(err.refusal.reason === 'not-regular' && { hint: 'Name the keys file itself with -f (a regular file).' }),
    });
  }
  // The full YAML parser is loaded only for a file the fast reader of export's plain form declines.
  const fast = fastYaml(text);
  const read = fast !== undefined ? () => fast : (await import('./yaml-tree.js')).yamlReader(text);
  return { file: parseKeyTree(text, { path, defaultSchema }, read), text };
}

/**
 * The shape check of the parser cannot know every token; with the keys listed it can be exact. A
 * file holding a live token (or the Master key) is refused, with its position and never the token.
 */
export function refuseLiveTokens(loaded: LoadedFile, keys: readonly WireApiKey[], masterKey: string | undefined): void {
  const secrets = new Map<string, WireApiKey | undefined>();
  for (const k of keys) if (k.type !== 'default' && k.token.length >= 8) secrets.set(k.token, k);
  if (masterKey !== undefined && masterKey.length >= 8) secrets.set(masterKey, undefined);
  // One pass over the words of the file (tokens are [A-Za-z0-9_-] words), not one search per key.
  for (const m of loaded.text.matchAll(/[A-Za-z0-9_-]{8,}/g)) {
    if (!secrets.has(m[0])) continue;
    const which = secrets.get(m[0]);
    const before = loaded.text.slice(0, m.index);
    const line = before.split('\n').length;
    const col = m.index - before.lastIndexOf('\n');
    throw new UsageError(`${loaded.file.path}:${line}:${col}: this is the token of ${which ? `the API key "${which.name}"` : 'the Master key'}. carto-keys.yaml never holds tokens.`, {
      code: KEY_FILE_ERROR,
      hint: 'Remove it, and rotate that key if the file was shared or committed.',
    });
  }
}

export async function planFromAccount(
  api: ApiClient,
  loaded: LoadedFile,
  opts: { now: Date; prune: boolean; masterKey?: string; inUse?: ReadonlyMap<string, string> },
): Promise<{ plan: Plan; keys: WireApiKey[] }> {
  const keys = await api.listKeys();
  refuseLiveTokens(loaded, keys, opts.masterKey);
  return { plan: planKeys(loaded.file.entries, keys, opts.now, { prune: opts.prune, ...(opts.inUse !== undefined && { inUse: opts.inUse }) }), keys };
}
