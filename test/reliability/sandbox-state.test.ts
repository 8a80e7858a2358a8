// Whatever is in the embedded sandbox's state file, every command of the sandbox profile either works
// or stops with a clear error that names the file and `carto-keys sandbox reset` — and the file is
// left exactly as it was (it may hold keys someone is testing with). `sandbox serve --state` reports
// a bad file the same way, with advice that fits it (reset does not touch that file).

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileError } from '../../src/errors.js';
import { loadSandboxState } from '../../src/sandbox/index.js';
import { run, tempPaths } from '../helpers/harness.js';
import { expectTyped } from './helpers.js';

const p = tempPaths();
const file = join(p.data, 'sandbox.json');
let valid: Record<string, unknown>;

beforeAll(async () => {
  expectTyped(await run(['login', '--sandbox'], { paths: p }), [0]);
  expectTyped(await run(['create', '--name', 'kept', '--api', 'sql'], { paths: p }), [0]);
  valid = JSON.parse(readFileSync(file, 'utf8'));
});
afterAll(() => p.cleanup());

/** The valid state with one part replaced by anything: the shapes a hand edit or a bad merge leaves. */
function mutated(): fc.Arbitrary<string> {
  const anyValue = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(undefined));
  return fc
    .tuple(fc.constantFrom('version', 'revision', 'users', 'users.0', 'users.0.keys', 'users.0.keys.0', 'users.0.keys.0.token', 'users.0.keys.1.type', 'users.0.username', 'users.0.tables'), anyValue)
    .map(([path, value]) => {
      const copy = structuredClone(valid) as Record<string, unknown>;
      const parts = path.split('.');
      let node = copy as Record<string, unknown>;
      for (const part of parts.slice(0, -1)) node = node[part] as Record<string, unknown>;
      const last = parts.at(-1)!;
      if (value === undefined) delete node[last];
      else node[last] = value;
      return JSON.stringify(copy);
    });
}

const content: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  fc.json().map((t) => Buffer.from(t)),
  mutated().map((t) => Buffer.from(t)),
  mutated().map((t) => Buffer.from(t.slice(0, Math.floor(t.length / 2)))),
  fc.constantFrom(Buffer.from(''), Buffer.from('{}'), Buffer.from('null')),
);

function readable(): boolean {
  try {
    return loadSandboxState(file) !== undefined;
  } catch (err) {
    if (!(err instanceof FileError)) throw err;
    return false;
  }
}

const COMMANDS: string[][] = [['list'], ['show', 'kept'], ['create', '--name', 'x', '--api', 'sql'], ['revoke', 'kept', '--yes'], ['status'], ['login', '--sandbox']];

describe('the sandbox state file with arbitrary content', () => {
  it('a clear error naming the file and `carto-keys sandbox reset`, and the file unchanged', async () => {
    const original = readFileSync(file);
    let unreadable = 0;
    await fc.assert(
      fc.asyncProperty(content, fc.constantFrom(...COMMANDS), async (bytes, argv) => {
        writeFileSync(file, bytes);
        const ok = readable();
        const r = await run(argv, { paths: p });
        const context = `${argv.join(' ')} with ${JSON.stringify(bytes.toString('latin1').slice(0, 200))}`;
        if (ok) {
          // A hand-edited but valid state may hold another Master token than the profile: exit 4.
          expectTyped(r, [0, 1, 2, 4], context);
          return;
        }
        unreadable++;
        expectTyped(r, [1], context);
        // status prints its report (the reason included) on stdout; the others print an error.
        const said = r.stdout + r.stderr;
        expect(said, context).toContain(file);
        expect(said, context).toContain('carto-keys sandbox reset');
        expect(readFileSync(file).equals(bytes), `${context}: file changed`).toBe(true);
      }),
      { numRuns: 250 },
    );
    expect(unreadable).toBeGreaterThan(100);
    writeFileSync(file, original);
  });

  it('`sandbox reset` recovers from any content, and the profile works again', async () => {
    writeFileSync(file, '{"not": "a state"');
    expectTyped(await run(['list'], { paths: p }), [1]);
    expectTyped(await run(['sandbox', 'reset', '--yes'], { paths: p }), [0]);
    expectTyped(await run(['list'], { paths: p }), [0]);
  });

  it('`sandbox serve --state` with a bad file: exit 1 before serving, advice that fits, file unchanged', async () => {
    const state = join(p.root, 'served.json');
    await fc.assert(
      fc.asyncProperty(content, async (bytes) => {
        writeFileSync(state, bytes);
        let ok: boolean;
        try {
          ok = loadSandboxState(state) !== undefined;
        } catch {
          ok = false;
        }
        fc.pre(!ok); // a valid state would start a server that runs until stopped
        const r = await run(['sandbox', 'serve', '--port', '0', '--state', state], { paths: p });
        expectTyped(r, [1]);
        expect(r.stderr).toContain(state);
        expect(r.stderr).toContain('move it away');
        expect(r.stderr).not.toContain('sandbox reset');
        expect(readFileSync(state).equals(bytes)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });
});
