// Bounds on what a server can make carto-keys hold in memory (issue 12, point 9): a reply larger than
// MAX_REPLY_BYTES, as sent or once decompressed (a gzip bomb), is refused instead of read whole.
import { createServer } from 'node:http';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createNodeFetch, MAX_REPLY_BYTES } from '../../src/api/http.js';
import { useLocalServers } from '../helpers/local-server.js';

const servers = useLocalServers();

async function fetchFrom(handler: Parameters<typeof createServer>[1]): Promise<unknown> {
  const port = await servers.listen(createServer(handler));
  const f = createNodeFetch();
  try {
    await f(`http://127.0.0.1:${port}/api/v3/api_keys`, { method: 'GET', headers: {} });
    return undefined;
  } catch (err) {
    return err;
  } finally {
    await f.close?.();
  }
}

const innermost = (err: unknown): Error => {
  let e = err as Error & { cause?: unknown };
  while (e.cause instanceof Error) e = e.cause as Error & { cause?: unknown };
  return e;
};

describe('reply size bounds', () => {
  it('a body larger than the limit is cut off, not read whole', async () => {
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    const err = await fetchFrom((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      let sent = 0;
      const more = (): void => {
        // Stops by itself once the client hangs up, a little past the limit at most.
        while (sent <= MAX_REPLY_BYTES + chunk.length && !res.destroyed) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', more);
        }
        res.end();
      };
      more();
    });
    expect(innermost(err).message).toMatch(/larger than 64 MB/);
  });

  it('a gzip bomb is refused once it expands past the limit', async () => {
    const bomb = gzipSync(Buffer.alloc(MAX_REPLY_BYTES + 1024 * 1024));
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const err = await fetchFrom((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(bomb);
    });
    expect(innermost(err).message).toMatch(/larger than 64 MB/);
  });
});
