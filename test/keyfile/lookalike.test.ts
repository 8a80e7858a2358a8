// Look-alike key names in a keys file (issue 24): `wеb` with a Cyrillic е passed, and `apply --prune`
// deleted the real `web`. Invisible characters are refused by the parser (parse.test.ts); a key to
// create whose name looks like a key the file leaves out is flagged in the plan, text and --json.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { formatCharacters, looksAlike, skeleton } from '../../src/text/lookalike.js';
import { run } from '../helpers/harness.js';
import { testSandbox } from '../helpers/sandbox-fetch.js';

const CYRILLIC_WEB = 'w\u0435b';

describe('skeleton', () => {
  it('folds look-alike Cyrillic and Greek letters, fullwidth forms and invisible characters', () => {
    expect(skeleton(CYRILLIC_WEB)).toBe('web');
    expect(skeleton('\u0440\u043e\u0455t\u0433\u0435s')).toBe('postгes');
    expect(skeleton('ｗｅｂ')).toBe('web');
    expect(skeleton('web\u200b2')).toBe('web2');
    expect(looksAlike(CYRILLIC_WEB, 'web')).toBe(true);
    expect(looksAlike('web', 'web')).toBe(false);
    expect(looksAlike('web', 'wed')).toBe(false);
    expect(formatCharacters('a\u200bb\u202ec\u200b')).toEqual(['U+200B', 'U+202E']);
  });

  it('printable ASCII names are their own skeleton', () => {
    fc.assert(fc.property(fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) }), (s) => skeleton(s) === s));
  });
});

describe('plan flags a key to create that looks like one it leaves out', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  /** An account with the key `web`, and a keys file with `text` under `keys:`. */
  async function accountAndFile(keys: string) {
    const sb = testSandbox();
    expect((await run(['create', '--name', 'web', '--api', 'sql'], { env: sb.env, fetch: sb.fetch })).code).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), 'carto-keys-alike-'));
    dirs.push(dir);
    const file = join(dir, 'carto-keys.yaml');
    writeFileSync(file, `version: 1\nkeys:\n${keys}`);
    return { plan: (...args: string[]) => run(['plan', '-f', file, ...args], { env: sb.env, fetch: sb.fetch }), json: (...args: string[]) => run(['--json', 'plan', '-f', file, ...args], { env: sb.env, fetch: sb.fetch }) };
  }

  it('in text and in --json, with and without --prune', async () => {
    const f = await accountAndFile(`  ${CYRILLIC_WEB}:\n    apis: [sql]\n`);
    const text = await f.plan();
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`+ ${CYRILLIC_WEB} will be created\n      ! looks like "web", which is not in the file (\`apply --prune\` would delete it): they are different names (this one has U+0435); check which one the file means`);
    expect((await f.plan('--prune')).stdout).toContain('! looks like "web", which this --prune deletes');
    const json = JSON.parse((await f.json()).stdout) as { keys: { name: string; reasons: string[] }[] };
    expect(json.keys.find((k) => k.name === CYRILLIC_WEB)!.reasons.join('\n')).toContain('looks like "web"');
  });

  it('a name that only shares letters is not flagged', async () => {
    const f = await accountAndFile('  web2:\n    apis: [sql]\n');
    expect((await f.plan()).stdout).not.toContain('looks like');
  });
});
