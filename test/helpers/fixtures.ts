// Replies of the real Auth API (/work/shared/fixtures/auth-api, see its README), as msw responses.
// The fixtures live beside the repo, so the path is resolved from this file, not from the cwd.

import { readFileSync } from 'node:fs';
import { HttpResponse } from 'msw';

const FIXTURES_DIR = new URL('../../../shared/fixtures/auth-api/', import.meta.url);

export type FixtureName =
  | 'create-201'
  | 'create-bad-permission-422'
  | 'create-duplicate-422'
  | 'create-unknown-table-422'
  | 'delete-204'
  | 'delete-master-403'
  | 'list-as-public-key'
  | 'list-bad-page-400'
  | 'list-page1-of-2'
  | 'list-page2-of-2'
  | 'no-engine-404'
  | 'not-found-404'
  | 'proxy-502-html'
  | 'quota-403'
  | 'regenerate-200'
  | 'show-creator-with-owned-table'
  | 'show-regular'
  | 'unauthorized-401';

export interface Fixture {
  status: number;
  headers: Record<string, string>;
  /** JSON body, or null when the body is not JSON (then `raw` holds it). */
  body: unknown;
  raw?: string;
}

const cache = new Map<FixtureName, Fixture>();

export function loadFixture(name: FixtureName): Fixture {
  let fixture = cache.get(name);
  if (fixture === undefined) {
    fixture = JSON.parse(readFileSync(new URL(`${name}.json`, FIXTURES_DIR), 'utf8')) as Fixture;
    cache.set(name, fixture);
  }
  return fixture;
}

/** The fixture's JSON body, typed by the caller (a fresh copy: tests may change it). */
export function fixtureBody<T>(name: FixtureName): T {
  return structuredClone(loadFixture(name).body) as T;
}

/** The fixture as an msw response: same status, headers and body bytes. */
export function fixtureResponse(name: FixtureName): HttpResponse<string> {
  const { status, headers, body, raw } = loadFixture(name);
  if (raw !== undefined || body === null) {
    // 204 and 401 must have no body at all; `raw: ""` means exactly that.
    return new HttpResponse(raw === undefined || raw === '' ? null : raw, { status, headers });
  }
  return new HttpResponse(JSON.stringify(body), { status, headers });
}
