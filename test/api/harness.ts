// msw harness for the API client tests, in the style of gh's httpmock registry: every stub answers
// exactly once and in the order registered, a request no stub matches fails the test, and so does a
// stub no request used.

import { http, type HttpHandler } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { createApiClient, type ApiClient, type ApiClientOptions } from '../../src/api/client.js';
import { ApiError } from '../../src/errors.js';
import { fixtureResponse, type FixtureName } from '../helpers/fixtures.js';

export const BASE = 'https://jdoe.carto.com';
export const ENDPOINT = `${BASE}/api/v3/api_keys`;
/** The Master token of the fixtures' user. */
export const MASTER_TOKEN = '4b7d1c0e9f2a8b3c6d5e4f708192a3b4c5d6e7f8';

export type Method = 'GET' | 'POST' | 'DELETE';
export type Responder = FixtureName | ((request: Request) => Response | Promise<Response>);

export interface RecordedRequest {
  method: string;
  url: URL;
  headers: Headers;
  body: string;
}

interface Stub {
  label: string;
  used: boolean;
  handler: HttpHandler;
}

export interface MockApi {
  /**
   * Expect one request: `path` is what follows `/api/v3/api_keys`, exactly as encoded on the wire;
   * `query` entries must all be present with these values.
   */
  stub(method: Method, path: string, reply: Responder, query?: Record<string, string>): void;
  /** Every request that reached a stub, in arrival order. */
  readonly requests: RecordedRequest[];
}

export function useMockApi(): MockApi {
  const server = setupServer();
  const stubs: Stub[] = [];
  const requests: RecordedRequest[] = [];
  const unhandled: string[] = [];

  beforeAll(() => {
    server.listen({ onUnhandledRequest: 'error' });
    server.events.on('request:unhandled', ({ request }) => {
      unhandled.push(`${request.method} ${request.url}`);
    });
  });
  afterEach(() => {
    const unused = stubs.filter((s) => !s.used).map((s) => s.label);
    const stray = [...unhandled];
    stubs.length = 0;
    requests.length = 0;
    unhandled.length = 0;
    server.resetHandlers();
    if (unused.length > 0) throw new Error(`stubs never requested: ${unused.join('; ')}`);
    if (stray.length > 0) throw new Error(`requests no stub matched: ${stray.join('; ')}`);
  });
  afterAll(() => server.close());

  return {
    requests,
    stub(method, path, reply, query = {}) {
      const label = `${method} ${path}${Object.keys(query).length > 0 ? ` ${JSON.stringify(query)}` : ''}`;
      const stub: Stub = {
        label,
        used: false,
        handler: http.all(
          ({ request }) => {
            const url = new URL(request.url);
            return (
              request.method === method &&
              url.origin === BASE &&
              url.pathname === `/api/v3/api_keys${path}` &&
              Object.entries(query).every(([k, v]) => url.searchParams.get(k) === v)
            );
          },
          async ({ request }) => {
            stub.used = true;
            requests.push({
              method: request.method,
              url: new URL(request.url),
              headers: request.headers,
              body: await request.clone().text(),
            });
            return typeof reply === 'string' ? fixtureResponse(reply) : reply(request);
          },
          { once: true },
        ),
      };
      stubs.push(stub);
      // resetHandlers keeps the given order (server.use would put the newest first).
      server.resetHandlers(...stubs.map((s) => s.handler));
    },
  };
}

export interface TestClient {
  client: ApiClient;
  /** Every delay the client slept, in order. */
  sleeps: number[];
  /** The --debug trace. */
  trace: string[];
}

export function makeClient(over: Partial<ApiClientOptions> = {}): TestClient {
  const sleeps: number[] = [];
  const trace: string[] = [];
  const client = createApiClient({
    baseUrl: BASE,
    username: 'jdoe',
    token: MASTER_TOKEN,
    // Looked up at call time: msw patches globalThis.fetch in server.listen().
    fetch: (url, init) => globalThis.fetch(url, init),
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    debug: (line) => trace.push(line),
    ...over,
  });
  return { client, sleeps, trace };
}

/** The rejection of `promise`, failing the test if it resolves. */
/** The ApiError a promise rejects with (fails the test if it resolves or rejects with something else). */
export async function apiError(promise: Promise<unknown>): Promise<ApiError> {
  const err = await rejectionOf(promise);
  expect(err).toBeInstanceOf(ApiError);
  return err as ApiError;
}

export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection, but the promise resolved');
}
