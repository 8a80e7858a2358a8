// `list --json` and piped `list` render each page as it arrives (performance): the output must be
// byte for byte what rendering the whole listing at once gives, including when the pages do not add up
// to the listing (a key seen twice while keys change, a --limit that cuts a page).

import { describe, expect, it } from 'vitest';
import { createApiClient, type FetchLike } from '../../src/api/client.js';
import { embeddedFetch } from '../../src/api/http.js';
import type { WireApiKey } from '../../src/api/types.js';
import { keyJson } from '../../src/ui/key-output.js';
import { tablesOf } from '../../src/commands/list.js';
import { createSandboxHandler, createSandboxState } from '../../src/sandbox/index.js';
import { maskToken } from '../../src/ui/output.js';
import { isoTime } from '../../src/ui/time.js';
import { run } from '../helpers/harness.js';
import { BASE_URL, MASTER } from '../helpers/sandbox-fetch.js';

const env = { CARTO_KEYS_MASTER_KEY: MASTER, CARTO_KEYS_BASE_URL: BASE_URL };

/** A sandbox with `n` seeded regular keys (three pages at 100 a page for 250). */
function seeded(n: number) {
  const state = createSandboxState({ masterKey: MASTER, seedRegularKeys: n });
  const handler = createSandboxHandler(state);
  return { state, fetch: embeddedFetch(handler), handler };
}

/** The listing as the client returns it, rendered all at once: what the output must equal. */
async function reference(fetch: FetchLike, q: { limit?: number } = {}): Promise<WireApiKey[]> {
  return createApiClient({ baseUrl: BASE_URL, username: 'demo', token: MASTER, fetch }).listKeys(q);
}

const asJson = (keys: WireApiKey[], mode: 'masked' | 'full' = 'masked') =>
  `${JSON.stringify(keys.map((k) => keyJson(k, mode)), null, 2)}\n`;

const asTsv = (keys: WireApiKey[]) =>
  keys
    .map((k) => {
      const apis = k.grants.find((g) => g.type === 'apis')?.apis ?? [];
      return `${[k.name, k.type, apis.join(','), tablesOf(k, false), maskToken(k.token), isoTime(k.updated_at) ?? ''].join('\t')}\n`;
    })
    .join('');

describe('list output rendered page by page', () => {
  it('--json of several pages is exactly the whole listing rendered at once', async () => {
    const sb = seeded(250);
    const r = await run(['list', '--json'], { env, fetch: sb.fetch });
    expect(r.code, r.stderr).toBe(0);
    const keys = await reference(sb.fetch);
    expect(keys).toHaveLength(252);
    expect(r.stdout).toBe(asJson(keys));
  });

  it('--json --reveal too', async () => {
    const sb = seeded(150);
    const r = await run(['list', '--json', '--reveal'], { env, fetch: sb.fetch });
    expect(r.stdout).toBe(asJson(await reference(sb.fetch), 'full'));
  });

  it('piped TSV of several pages is exactly the whole listing, one line a key', async () => {
    const sb = seeded(250);
    const r = await run(['list'], { env, fetch: sb.fetch });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(asTsv(await reference(sb.fetch)));
  });

  it('--limit that cuts a page', async () => {
    const sb = seeded(250);
    const json = await run(['list', '--json', '--limit', '150'], { env, fetch: sb.fetch });
    const expected = await reference(sb.fetch, { limit: 150 });
    expect(expected).toHaveLength(150);
    expect(json.stdout).toBe(asJson(expected));
    const tsv = await run(['list', '--limit', '150'], { env, fetch: sb.fetch });
    expect(tsv.stdout).toBe(asTsv(expected));
  });

  it('a key that shows up on two pages (keys changed while paging) is printed once', async () => {
    const sb = seeded(250);
    // Before page 2 is served, a key that sorts first is created: everything shifts by one, so the
    // last key of page 1 comes again at the top of page 2.
    let created = false;
    const fetch: FetchLike = async (url, init) => {
      if (!created && url.includes('page=2&')) {
        created = true;
        const res = await sb.fetch(`${BASE_URL}/api/v3/api_keys`, {
          method: 'POST',
          headers: { Authorization: `Basic ${Buffer.from(`demo:${MASTER}`).toString('base64')}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ name: 'aaa-new', grants: [{ type: 'apis', apis: ['sql'] }] }),
        });
        expect(res.status).toBe(201);
      }
      return sb.fetch(url, init);
    };
    const r = await run(['list', '--json', '--order', 'name'], { env, fetch });
    expect(r.code, r.stderr).toBe(0);
    const names = (JSON.parse(r.stdout) as { name: string }[]).map((k) => k.name);
    expect(new Set(names).size).toBe(names.length);
    // The last key of page 1 was served again on page 2.
    expect(names.length).toBeGreaterThan(200);
    // Still the exact format of a document rendered at once.
    expect(r.stdout).toBe(`${JSON.stringify(JSON.parse(r.stdout), null, 2)}\n`);
  });

  it('an empty selection prints an empty document, and nothing when piped', async () => {
    const sb = seeded(0);
    const json = await run(['list', '--json', '--type', 'regular'], { env, fetch: sb.fetch });
    expect(json.stdout).toBe('[]\n');
    const tsv = await run(['list', '--type', 'regular'], { env, fetch: sb.fetch });
    expect(tsv.stdout).toBe('');
  });
});
