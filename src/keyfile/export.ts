// The account's regular keys → carto-keys.yaml (export). Each key is written in the normalized create
// form clone uses, and read back before it is kept: a key the format cannot carry exactly (a name
// CARTO cannot address, a table name with a "." or blanks, a name shaped like a token) is left out
// with a warning instead of producing a file that plans changes, or does not parse.

import { escapeControl } from '../text/escape.js';
import type { WireApiKey } from '../api/types.js';
import { compareStrings, grantSetsEqual } from '../grants/canonical.js';
import { UsageError } from '../errors.js';
import { liveKeyOf } from './plan.js';
import { parseKeyFile } from './parse.js';
import { KEY_FILE_VERSION } from './model.js';
import { entryObject, renderKeyFile, type RenderedKey } from './render.js';

export interface ExportResult {
  text: string;
  keys: RenderedKey[];
  /** One line per thing left out: a key, or what a key holds beyond the create form. */
  warnings: string[];
}

export function exportKeys(live: readonly WireApiKey[], opts: { defaultSchema: string; asJson: boolean }): ExportResult {
  const warnings: string[] = [];
  const keys: RenderedKey[] = [];
  const regular = live.filter((k) => k.type === 'regular').sort((a, b) => compareStrings(a.name, b.name));
  for (const k of regular) {
    const { grants, dropped } = liveKeyOf(k);
    const one: RenderedKey = { name: k.name, grants };
    let problem: string | undefined;
    try {
      const back = parseKeyFile(renderKeyFile([one]), { path: k.name, defaultSchema: opts.defaultSchema, checkFolders: false }).entries[0];
      if (back === undefined || back.name !== k.name || !grantSetsEqual(back.grants, grants)) problem = 'it does not read back the same';
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      problem = err.message.replace(/^.*?:\d+:\d+: /, '');
    }
    if (problem !== undefined) {
      warnings.push(`Left out "${escapeControl(k.name)}": carto-keys.yaml cannot hold it (${escapeControl(problem.replace(/\.$/, ''))}). plan will show it as unmanaged.`);
      continue;
    }
    for (const note of dropped) warnings.push(`"${escapeControl(k.name)}": ${escapeControl(note)} (not in the file: CARTO would refuse it on a new key).`);
    keys.push(one);
  }
  const text = opts.asJson ? `${JSON.stringify(asJsonFile(keys), null, 2)}\n` : renderKeyFile(keys);
  return { text, keys, warnings };
}

/** The same document as the YAML (JSON is YAML): `carto-keys plan -f keys.json` reads it as is. */
function asJsonFile(keys: readonly RenderedKey[]): unknown {
  return { version: KEY_FILE_VERSION, keys: Object.fromEntries(keys.map((k) => [k.name, entryObject(k.grants)])) };
}
