// Whatever is in config.json — random bytes, any JSON, almost-valid profiles, text that is not UTF-8 —
// every command either works with it or stops with a clear FileError (exit 1) naming the file, and
// the file is never changed by a command that could not read it. (It holds the Master key: carto-keys
// must never "repair" it by overwriting.)

import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { FileError } from '../../src/errors.js';
import { openConfigStore } from '../../src/config/store.js';
import { run, tempPaths } from '../helpers/harness.js';
import { BASE_URL, MASTER, testSandbox } from '../helpers/sandbox-fetch.js';
import { expectTyped } from './helpers.js';

const p = tempPaths();
const file = join(p.config, 'config.json');
afterAll(() => p.cleanup());

const anyValue = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 }), fc.constant({}));
const almostProfile = fc.record(
  {
    username: fc.oneof(fc.constantFrom('demo', ''), anyValue),
    baseUrl: fc.oneof(fc.constantFrom(BASE_URL, 'x', ''), anyValue),
    masterKey: fc.oneof(fc.constant(MASTER), anyValue),
    sandbox: fc.oneof(fc.boolean(), anyValue),
  },
  { requiredKeys: [] },
);
const almostConfig = fc
  .record(
    {
      currentProfile: fc.oneof(fc.constantFrom('default', 'other', 'constructor'), anyValue),
      profiles: fc.oneof(fc.dictionary(fc.constantFrom('default', 'other', '__proto__', 'toString'), almostProfile, { maxKeys: 3 }), anyValue),
    },
    { requiredKeys: [] },
  )
  .map((v) => JSON.stringify(v));

const content: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
  fc.json().map((t) => Buffer.from(t)),
  almostConfig.map((t) => Buffer.from(t)),
  // Valid JSON cut short, or with bytes that are not UTF-8 inside a string.
  almostConfig.map((t) => Buffer.from(t.slice(0, Math.max(1, t.length - 3)))),
  fc.constantFrom(
    Buffer.from('{"profiles":{"default":{"username":"demo","baseUrl":"http://sandbox.test/user/demo","masterKey":"\xff\xfe"}}}', 'latin1'),
    Buffer.from('\ufeff{"profiles":{}}'),
    Buffer.from(''),
    Buffer.from('null'),
    Buffer.from('[]'),
  ),
);

/** The oracle: what the store makes of the file. */
function readable(): boolean {
  try {
    openConfigStore(p.config).read();
    return true;
  } catch (err) {
    if (!(err instanceof FileError)) throw err;
    return false;
  }
}

const COMMANDS: string[][] = [
  ['profile', 'list'],
  ['status'],
  ['list'],
  ['logout'],
  ['profile', 'use', 'default'],
  ['profile', 'remove', 'other', '--yes'],
  ['login', '--base-url', BASE_URL, '--with-key'],
  ['create', '--name', 'x', '--api', 'sql'],
];

describe('config.json with arbitrary content', () => {
  it('a clear FileError (exit 1) naming the file, and the file unchanged; or a typed outcome', async () => {
    const sb = testSandbox();
    mkdirSync(p.config, { recursive: true, mode: 0o700 });
    let unreadable = 0;
    await fc.assert(
      fc.asyncProperty(content, fc.constantFrom(...COMMANDS), async (bytes, argv) => {
        writeFileSync(file, bytes, { mode: 0o600 });
        chmodSync(file, 0o600);
        const ok = readable();
        const r = await run([...argv], { fetch: sb.fetch, paths: p, stdin: MASTER });
        const context = `${argv.join(' ')} with ${JSON.stringify(bytes.toString('latin1'))}`;
        if (ok) {
          expectTyped(r, [0, 1, 2, 4], context);
          return;
        }
        unreadable++;
        expectTyped(r, [1], context);
        expect(r.stderr, context).toContain(`The config file ${file} cannot be read`);
        expect(r.stderr, context).toMatch(/will not overwrite it/);
        expect(r.stderr.trim().split('\n').length, context).toBeLessThanOrEqual(2);
        expect(readFileSync(file).equals(bytes), `${context}: file changed`).toBe(true);
        expect(statSync(file).mode & 0o777).toBe(0o600);
      }),
      { numRuns: 300 },
    );
    expect(unreadable).toBeGreaterThan(100);
  });

  // A counterexample of the property above: `create` parsed a profile's base URL "x" while choosing
  // the default schema and failed with a TypeError (reported as a bug).
  it('a profile whose baseUrl is no URL makes the file unreadable (exit 1), never a bug', async () => {
    const sb = testSandbox();
    mkdirSync(p.config, { recursive: true, mode: 0o700 });
    for (const baseUrl of ['x', 'ftp://sandbox.test/user/demo', '/user/demo']) {
      const text = JSON.stringify({ currentProfile: 'default', profiles: { default: { username: 'demo', baseUrl, masterKey: MASTER } } });
      writeFileSync(file, text, { mode: 0o600 });
      expect(readable(), baseUrl).toBe(false);
      const r = await run(['create', '--name', 'x', '--api', 'sql'], { fetch: sb.fetch, paths: p });
      expectTyped(r, [1], baseUrl);
      expect(r.stderr, baseUrl).toContain('"baseUrl" must be an http(s) URL');
      expect(readFileSync(file, 'utf8')).toBe(text);
    }
  });

  // A bug found while writing the property above: V8's JSON errors quote the text around the error
  // (`..."asterKey":'4b7d1c0e9"...`), and in this file that text is the Master key.
  it('a syntax error next to the key does not quote any of it', async () => {
    const key = 'Zq9XkT4mW2pL8vR3nB6cY1hJ5gF0dS7a';
    const valid = JSON.stringify({ currentProfile: 'default', profiles: { default: { username: 'demo', baseUrl: BASE_URL, masterKey: key } } });
    const at = valid.indexOf(key);
    const corrupted = fc.oneof(
      fc.constant(valid.replace(`"${key}"`, `'${key}'`)),
      fc.constant(valid.replace(`"${key}"`, key)),
      fc.tuple(fc.integer({ min: at - 14, max: at + key.length + 2 }), fc.constantFrom("'", 'x', '}', ',', '"', '\\', '\u0001', ' ')).map(
        ([i, c]) => `${valid.slice(0, i)}${c}${valid.slice(i)}`,
      ),
    );
    mkdirSync(p.config, { recursive: true, mode: 0o700 });
    await fc.assert(
      fc.asyncProperty(corrupted, fc.constantFrom(['list'], ['status'], ['profile', 'list'], ['logout']), async (text, argv) => {
        writeFileSync(file, text, { mode: 0o600 });
        if (readable()) return;
        const r = await run([...argv], { paths: p });
        expectTyped(r, [1], text);
        for (let i = 0; i + 5 <= key.length; i++) expect(r.stdout + r.stderr, text).not.toContain(key.slice(i, i + 5));
      }),
      { numRuns: 200 },
    );
  });

  // A bug found while writing the property above: the file was decoded with replacement characters,
  // so a later write (login of another profile) saved U+FFFD in place of the bytes that were there.
  it('bytes that are not UTF-8 are refused, not replaced', async () => {
    const sb = testSandbox();
    const bytes = Buffer.from('{"profiles":{"old":{"username":"demo","baseUrl":"http://x.test/user/demo","masterKey":"caf\xe9"}}}', 'latin1');
    mkdirSync(p.config, { recursive: true, mode: 0o700 });
    writeFileSync(file, bytes, { mode: 0o600 });
    const r = await run(['login', '--profile', 'new', '--base-url', BASE_URL, '--with-key'], { fetch: sb.fetch, paths: p, stdin: MASTER });
    expectTyped(r, [1]);
    expect(r.stderr).toContain('not UTF-8 text');
    expect(readFileSync(file).equals(bytes)).toBe(true);
  });
});
