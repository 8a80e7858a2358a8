// How a key is printed: the --json object every command shares, and the block a token-making command
// (create, clone, regenerate, rotate) shows.

import { escapeControl } from '../text/escape.js';
import type { Context } from '../context.js';
import type { WireApiKey } from '../api/types.js';
import { describeKeySource } from '../config/settings.js';
import { colors } from './color.js';
import { keyDetailLines } from './key-view.js';
import { isoTime } from './time.js';
import { maskToken, printJson, printLine, success } from './output.js';

export type RevealMode = 'masked' | 'full';

/** The key object of --json: camelCase, ISO-8601, grants as CARTO rendered them. */
export function keyJson(key: WireApiKey, token: RevealMode | 'omit'): Record<string, unknown> {
  const db = key.grants.find((g) => g.type === 'database');
  const apis = key.grants.find((g) => g.type === 'apis');
  const ds = key.grants.find((g) => g.type === 'dataservices');
  const dobs = key.grants.find((g) => g.type === 'data-observatory');
  return {
    name: key.name,
    type: key.type,
    ...(token !== 'omit' && { token: token === 'full' && key.type !== 'master' ? key.token : maskToken(key.token, key.type) }),
    username: key.user?.username ?? null,
    grants: {
      apis: apis?.apis ?? [],
      tables: (db?.tables ?? []).map((t) => ({ schema: t.schema, name: t.name, owner: t.owner === true, permissions: t.permissions })),
      schemas: (db?.schemas ?? []).map((s) => ({ name: s.name, permissions: s.permissions })),
      tableMetadata: db?.table_metadata !== undefined,
      services: ds?.services ?? [],
      datasets: dobs?.datasets ?? [],
    },
    createdAt: isoTime(key.created_at),
    updatedAt: isoTime(key.updated_at),
  };
}

/** Where the Master key in use is kept, for the notes and refusals that never print it. */
export async function masterKeyLocation(ctx: Context): Promise<string> {
  const s = await ctx.settings();
  return s.keySource ? describeKeySource(s.keySource) : 'your profile';
}

/** Shared by create, clone and regenerate: a token-making command shows its token. */
/** `member`: the organization member the key belongs to (`--user`), named in the success line. */
export function printCreatedKey(ctx: Context, key: WireApiKey, tokenOnly: boolean, verb = 'Created', member?: string): void {
  if (tokenOnly) {
    printLine(ctx, key.token);
    return;
  }
  if (ctx.globals.json) {
    printJson(ctx, keyJson(key, 'full'));
    return;
  }
  success(ctx, `${verb} API key "${escapeControl(key.name)}"${member === undefined ? '' : ` of ${member}`}`);
  // The one layout of a key, as `show` prints it; the token in full, since making it was the point.
  for (const line of keyDetailLines(key, key.token, colors(ctx.io.colorStdout))) printLine(ctx, line);
}
