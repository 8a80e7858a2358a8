// docs/auth-api.md §5: listing — paging, `_links`, ordering, the type filter and every 400.

import { describe, expect, it } from 'vitest';
import { createSandboxHandler, createSandboxState } from '../../src/sandbox/index.js';
import { BASE, basic, errorsOf, listOf, makeSandbox, MASTER, type Sandbox } from './harness.js';

/** Master, Default public and `n` regular keys created one second apart: r1 oldest. */
async function withRegulars(n: number): Promise<Sandbox> {
  const sandbox = makeSandbox();
  for (let i = 1; i <= n; i++) {
    sandbox.clock.tick(1);
    await sandbox.create(`r${i}`);
  }
  return sandbox;
}

async function names(sandbox: Sandbox, query: string): Promise<string[]> {
  const res = await sandbox.call('GET', `${BASE}?${query}`);
  expect(res.status).toBe(200);
  return (await listOf(res)).result.map((k) => k.name);
}

describe('§5 paging', () => {
  it('defaults to page 1 of 20 and says so in first and last', async () => {
    const page = await listOf(await makeSandbox().call('GET', BASE));
    expect(page).toMatchObject({ total: 2, count: 2 });
    expect(page._links).toEqual({ first: { href: `${BASE}?page=1&per_page=20` }, last: { href: `${BASE}?page=1&per_page=20` } });
  });

  it('gives next but no prev on the first of several pages', async () => {
    const page = await listOf(await (await withRegulars(3)).call('GET', `${BASE}?per_page=2`));
    expect(page).toMatchObject({ total: 5, count: 2 });
    expect(page._links).toEqual({
      first: { href: `${BASE}?page=1&per_page=2` },
      last: { href: `${BASE}?page=3&per_page=2` },
      next: { href: `${BASE}?page=2&per_page=2` },
    });
  });

  it('gives prev and next on a middle page', async () => {
    const page = await listOf(await (await withRegulars(3)).call('GET', `${BASE}?per_page=2&page=2`));
    expect(page._links?.prev).toEqual({ href: `${BASE}?page=1&per_page=2` });
    expect(page._links?.next).toEqual({ href: `${BASE}?page=3&per_page=2` });
  });

  it('gives prev but no next on the last page', async () => {
    const page = await listOf(await (await withRegulars(3)).call('GET', `${BASE}?per_page=2&page=3`));
    expect(page).toMatchObject({ total: 5, count: 1 });
    expect(page._links).toHaveProperty('prev');
    expect(page._links).not.toHaveProperty('next');
  });

  it('answers a page past the end with 200 and an empty result', async () => {
    const res = await makeSandbox().call('GET', `${BASE}?page=9`);
    expect(res.status).toBe(200);
    expect(await listOf(res)).toMatchObject({ total: 2, count: 0, result: [] });
  });

  it('echoes every query parameter in the hrefs, api_key included, sorted and CGI-escaped', async () => {
    const res = await makeSandbox().call('GET', `${BASE}?type=master,%20default&api_key=${MASTER}&order=name&per_page=1`, { token: null });
    const page = await listOf(res);
    expect(page._links?.next?.href).toBe(`${BASE}?api_key=${MASTER}&order=name&page=2&per_page=1&type=master%2C+default`);
  });

  it('has no maximum per_page', async () => {
    const page = await listOf(await (await withRegulars(3)).call('GET', `${BASE}?per_page=100000`));
    expect(page).toMatchObject({ total: 5, count: 5 });
  });

  it('reads an empty page or per_page as the default', async () => {
    const page = await listOf(await makeSandbox().call('GET', `${BASE}?page=&per_page=`));
    expect(page._links?.first?.href).toBe(`${BASE}?page=1&per_page=20`);
  });

  it('gives each list item _links.self, its name encoded with + for spaces', async () => {
    const page = await listOf(await makeSandbox().call('GET', BASE));
    expect(page.result.map((k) => k._links)).toEqual([{ self: `${BASE}/Master` }, { self: `${BASE}/Default+public` }]);
  });

  // Speed is measured by `npm run bench`, not asserted here: a timed test fails on a busy machine.
  it('walks 10,000 keys 100 per page, each key exactly once', async () => {
    const state = createSandboxState({ masterKey: MASTER, seedRegularKeys: 10_000 });
    const handler = createSandboxHandler(state);
    const seen = new Set<string>();
    for (let page = 1; page <= 101; page++) {
      const res = await handler(new Request(`${BASE}?page=${page}&per_page=100`, { headers: basic(MASTER) }));
      for (const key of (await listOf(res)).result) seen.add(key.name);
    }
    expect(seen.size).toBe(10_002);
  });
});

describe('§5 ordering', () => {
  it('orders master, default, then regular keys by updated_at ascending by default', async () => {
    const sandbox = await withRegulars(3);
    sandbox.clock.tick(10);
    await sandbox.call('POST', `${BASE}/r1/token/regenerate`); // r1 becomes the most recently updated
    expect(await names(sandbox, '')).toEqual(['Master', 'Default public', 'r2', 'r3', 'r1']);
  });

  it('orders by name with order=name', async () => {
    const sandbox = makeSandbox();
    for (const n of ['b', 'C', 'a']) await sandbox.create(n);
    expect(await names(sandbox, 'order=name')).toEqual(['Master', 'Default public', 'C', 'a', 'b']);
  });

  it('breaks updated_at ties by name', async () => {
    const sandbox = makeSandbox();
    for (const n of ['zz', 'aa', 'mm']) await sandbox.create(n); // same clock: same updated_at
    expect(await names(sandbox, 'order=updated_at')).toEqual(['Master', 'Default public', 'aa', 'mm', 'zz']);
  });

  it('orders by type, then name, with order=type', async () => {
    const sandbox = makeSandbox();
    for (const n of ['b', 'a']) await sandbox.create(n);
    expect(await names(sandbox, 'order=type')).toEqual(['Master', 'Default public', 'a', 'b']);
  });

  it('validates order_direction but always answers ascending', async () => {
    const sandbox = await withRegulars(2);
    expect(await names(sandbox, 'order=name&order_direction=desc')).toEqual(await names(sandbox, 'order=name&order_direction=asc'));
  });
});

describe('§5 type filter', () => {
  it('filters by one type', async () => {
    const sandbox = await withRegulars(2);
    expect(await names(sandbox, 'type=regular')).toEqual(['r1', 'r2']);
  });

  it('takes a comma list with spaces trimmed', async () => {
    const sandbox = await withRegulars(1);
    expect(await names(sandbox, 'type=%20regular%20,%20master')).toEqual(['Master', 'r1']);
  });

  it('counts total after the filter', async () => {
    const page = await listOf(await (await withRegulars(2)).call('GET', `${BASE}?type=default`));
    expect(page).toMatchObject({ total: 1, count: 1 });
  });

  it('filters a regular key’s own view too (a filter that excludes it gives total 0)', async () => {
    const sandbox = makeSandbox();
    const key = await sandbox.create('r');
    const page = await listOf(await sandbox.call('GET', `${BASE}?type=master`, { token: key.token }));
    expect(page).toMatchObject({ total: 0, count: 0, result: [] });
  });
});

describe('§5 bad parameters: 400', () => {
  const cases: [string, string][] = [
    ['page=0', "Wrong 'page' parameter value."],
    ['page=-1', "Wrong 'page' parameter value."],
    ['page=abc', "Wrong 'page' parameter value."],
    ['page=1.5', "Wrong 'page' parameter value."],
    ['per_page=0', "Wrong 'per_page' parameter value."],
    ['per_page=lots', "Wrong 'per_page' parameter value."],
    ['order=created_at', "Wrong 'order' parameter value. Valid values are one of [:type, :name, :updated_at]"],
    ['order=name,type', "Wrong 'order' parameter value. Valid values are one of [:type, :name, :updated_at]"],
    ['order_direction=up', "Wrong 'order_direction' parameter value. Valid values are one of [:asc, :desc]"],
    ['type=oauth', `Wrong 'type' parameter value. Valid values are one of ["master", "default", "regular"]`],
    ['type=regular,,master', `Wrong 'type' parameter value. Valid values are one of ["master", "default", "regular"]`],
  ];
  for (const [query, message] of cases) {
    it(`refuses ${query}`, async () => {
      const res = await makeSandbox().call('GET', `${BASE}?${query}`);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(await errorsOf(res)).toBe(message);
    });
  }
});
