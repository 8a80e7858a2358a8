// `list --json` and piped `list` render each page as it arrives (performance): the output must be
// byte for byte what rendering the whole listing at once gives, including when the pages do not add up
// to the listing (a key seen twice while keys change, a --limit that cuts a page). The reference is the
// same command with the whole listing served as one page (so it is rendered at once): the test does
// not re-implement the formatter it checks. What the format itself is, is pinned on one key below.

import { describe, expect, it } from 'vitest';
import type { FetchLike } from '../../src/api/client.js';
import { embeddedFetch } from '../../src/api/http.js';
import { createSandboxHandler, createSandboxState } from '../../src/sandbox/index.js';
import { run, type RunResult } from '../helpers/harness.js';
import { BASE_URL, MASTER } from '../helpers/sandbox-fetch.js';

const env = { CARTO_KEYS_MASTER_KEY: MASTER, CARTO_KEYS_BASE_URL: BASE_URL };

/** A sandbox with `n` seeded regular keys (three pages at 100 a page for 250). */
function seeded(n: number) {
  const state = createSandboxState({ masterKey: MASTER, seedRegularKeys: n });
  const handler = createSandboxHandler(state);
  return { state, fetch: embeddedFetch(handler), handler };
}

/** Counts the listing requests a run makes. */
function counting(fetch: FetchLike): { fetch: FetchLike; pages: () => number } {
  let pages = 0;
  return {
    fetch: (url, init) => {
      if (init.method === 'GET' && /\/api_keys\?/.test(url)) pages++;
      return fetch(url, init);
    },
    pages: () => pages,
  };
}

/** The page-by-page run and the same command with the whole listing (`size` keys) served as one page. */
async function both(args: string[], fetch: FetchLike, size: number): Promise<{ paged: RunResult; atOnce: RunResult }> {
  const paged = counting(fetch);
  const p = await run(args, { env, fetch: paged.fetch });
  expect(p.code, p.stderr).toBe(0);
  expect(paged.pages(), 'the paged run fetched several pages').toBeGreaterThan(1);
  const whole = counting((url, init) => fetch(url.replace(/([?&])per_page=\d+/, `$1per_page=${size}`), init));
  const o = await run(args, { env, fetch: whole.fetch });
  expect(o.code, o.stderr).toBe(0);
  expect(whole.pages(), 'the reference run got everything in one page').toBe(1);
  return { paged: p, atOnce: o };
}

describe('list output rendered page by page', () => {
  it('--json of several pages is exactly the whole listing rendered at once', async () => {
    const sb = seeded(250);
    const { paged, atOnce } = await both(['list', '--json'], sb.fetch, 252);
    expect(JSON.parse(atOnce.stdout)).toHaveLength(252);
    expect(paged.stdout).toBe(atOnce.stdout);
  });

  it('--json --reveal too', async () => {
    const sb = seeded(150);
    const { paged, atOnce } = await both(['list', '--json', '--reveal'], sb.fetch, 152);
    expect(JSON.parse(atOnce.stdout)).toHaveLength(152);
    expect(paged.stdout).toBe(atOnce.stdout);
  });

  it('piped TSV of several pages is exactly the whole listing, one line a key', async () => {
    const sb = seeded(250);
    const { paged, atOnce } = await both(['list'], sb.fetch, 252);
    expect(atOnce.stdout.split('\n')).toHaveLength(253);
    expect(paged.stdout).toBe(atOnce.stdout);
  });

  it('--limit that cuts a page', async () => {
    const sb = seeded(250);
    const json = await both(['list', '--json', '--limit', '150'], sb.fetch, 150);
    expect(JSON.parse(json.atOnce.stdout)).toHaveLength(150);
    expect(json.paged.stdout).toBe(json.atOnce.stdout);
    const tsv = await both(['list', '--limit', '150'], sb.fetch, 150);
    expect(tsv.atOnce.stdout.split('\n')).toHaveLength(151);
    expect(tsv.paged.stdout).toBe(tsv.atOnce.stdout);
  });

  it('the format, on one key: JSON fields in camelCase with ISO times and a masked token; TSV columns', async () => {
    const sb = seeded(150);
    const key = sb.state.users[0]!.keys.find((k) => k.name === 'seed-00003')!;
    // The Auth API reports whole seconds.
    const iso = (t: string): string => new Date(Math.floor(Date.parse(t) / 1000) * 1000).toISOString();
    const json = await run(['list', '--json'], { env, fetch: sb.fetch });
    const entry = (JSON.parse(json.stdout) as { name: string }[]).find((k) => k.name === 'seed-00003');
    expect(entry).toEqual({
      name: 'seed-00003',
      type: 'regular',
      token: `${key.token.slice(0, 4)}…`,
      username: 'demo',
      grants: {
        apis: [],
        tables: [{ schema: 'public', name: 'world_population', owner: false, permissions: ['select'] }],
        schemas: [{ name: 'public', permissions: ['usage'] }],
        tableMetadata: false,
        services: [],
        datasets: [],
      },
      createdAt: iso(key.createdAt),
      updatedAt: iso(key.updatedAt),
    });
    const tsv = await run(['list'], { env, fetch: sb.fetch });
    const line = tsv.stdout.split('\n').find((l) => l.startsWith('seed-00003\t'))!;
    const [name, type, , tables, token, updated] = line.split('\t');
    expect([name, type, token, updated]).toEqual(['seed-00003', 'regular', `${key.token.slice(0, 4)}…`, iso(key.updatedAt)]);
    expect(tables).toBe('public.world_population:select');
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
