// Inputs that used to end in "Unexpected error: this is a bug" with a stack (issue 12, point 8): each
// now gets its one clear message and exit code.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createNetworkFetch } from '../../src/api/http.js';
import { UsageError } from '../../src/errors.js';
import { normalizeRenderedGrants } from '../../src/grants/index.js';
import { run, tempPaths } from '../helpers/harness.js';
import { noNetwork } from '../helpers/sandbox-fetch.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

describe('a proxy variable that is not a proxy URL', () => {
  for (const value of ['http://', '::::', 'http://user:s3cret@[bad', 'notaurl', 'proxy.example.com:3128']) {
    it(`HTTPS_PROXY=${JSON.stringify(value)}: a usage error naming the variable, not its value`, async () => {
      const err = await createNetworkFetch({ HTTPS_PROXY: value }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(UsageError);
      expect((err as UsageError).message).toBe('HTTPS_PROXY is not a proxy URL carto-keys can use.');
      expect(`${(err as UsageError).message} ${(err as UsageError).hint}`).not.toContain('s3cret');
    });
  }
});

describe('a config folder that cannot be a folder', () => {
  it('login when the config path is a file, or under one: exit 1, one message naming the folder', async () => {
    const p = tempPaths();
    cleanups.push(p.cleanup);
    mkdirSync(p.root, { recursive: true });
    const file = join(p.root, 'a-file');
    writeFileSync(file, 'x');
    for (const config of [file, join(file, 'sub')]) {
      const r = await run(['login', '--sandbox'], { paths: { ...p, config }, fetch: noNetwork });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain(`Cannot use the folder ${config}: a file is in the way`);
      expect(r.stderr).not.toMatch(/Unexpected error|\n\s+at /);
    }
  });
});

describe('a very large grants document', () => {
  it('200,000 tables are normalized without overflowing the stack', () => {
    const tables = Array.from({ length: 200_000 }, (_, i) => ({ schema: 'public', name: `t${i}`, permissions: ['select'] }));
    const { grants } = normalizeRenderedGrants([{ type: 'apis', apis: ['sql'] }, { type: 'database', tables }]);
    expect(grants.tables).toHaveLength(200_000);
  });
});

describe('a grants file that is not a regular file (issue 12, point 9)', () => {
  it('a FIFO is refused at once instead of hanging; a folder is named as one', async () => {
    const p = tempPaths();
    cleanups.push(p.cleanup);
    mkdirSync(p.root, { recursive: true });
    const fifo = join(p.root, 'grants.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    for (const [path, why] of [
      [fifo, /: a FIFO, not a regular file\./],
      [p.root, /: a directory, not a regular file\./],
    ] as const) {
      const r = await run(['create', '--name', 'x', '--grants-file', path], { paths: p, env: { CARTO_KEYS_MASTER_KEY: 'k'.repeat(24), CARTO_KEYS_USERNAME: 'demo' }, fetch: noNetwork });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(why);
    }
  });
});
