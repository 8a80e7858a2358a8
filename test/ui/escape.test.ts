// Control characters from the server or the user never reach a terminal or a TSV line raw
// (product.md §6; issue 11: key names and CARTO error text carrying escape sequences or newlines).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { copyName, rotationName } from '../../src/grants/names.js';
import { escapeControl, escapeTerminal } from '../../src/text/escape.js';
import { run } from '../helpers/harness.js';
import { testSandbox } from '../helpers/sandbox-fetch.js';

const RAW = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const TITLE = '\x1b]0;pwned\x07';
const CLEAR = '\x1b[2J\x1b[H';
const EVIL = `evil${TITLE}${CLEAR}\nforged\trow\u202e`;

describe('escapeControl / escapeTerminal', () => {
  it('escapeControl leaves no control character, and is the identity on text without one', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const out = escapeControl(s);
        return !RAW.test(out) && (RAW.test(s) || out === s);
      }),
    );
    expect(escapeControl(EVIL)).toBe('evil\\x1b]0;pwned\\x07\\x1b[2J\\x1b[H\\nforged\\trow\\u202e');
  });

  it('escapeTerminal keeps line breaks and colour, and nothing else that drives a terminal', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => !RAW.test(escapeTerminal(s).replace(/\x1b\[[0-9;]*m/g, '').replace(/[\n\t]/g, ''))),
    );
    expect(escapeTerminal('\x1b[31mred\x1b[39m\nnext')).toBe('\x1b[31mred\x1b[39m\nnext');
    expect(escapeTerminal(TITLE)).toBe('\\x1b]0;pwned\\x07');
  });

  it('names made up from a hostile name do not carry its control characters', () => {
    expect(copyName(EVIL, new Set())).not.toMatch(RAW);
    expect(rotationName(EVIL, new Date('2026-11-22T00:00:00Z'), new Set())).not.toMatch(RAW);
  });
});

describe('renderers', () => {
  function hostile() {
    const sb = testSandbox();
    return sb;
  }

  async function withEvilKey() {
    const sb = hostile();
    const r = await run(['create', '--api', 'sql', '--name', 'plain'], { env: sb.env, fetch: sb.fetch });
    expect(r.code, r.stderr).toBe(0);
    // The server is the attacker here: it hands back a name no client would have been allowed to send.
    const key = sb.state.users[0]!.keys.find((k) => k.name === 'plain')!;
    key.name = EVIL;
    return sb;
  }

  it('piped list: one TSV line per key, no raw control character', async () => {
    const sb = await withEvilKey();
    const r = await run(['list'], { env: sb.env, fetch: sb.fetch });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line.split('\t')).toHaveLength(6);
    expect(r.stdout.replace(/[\n\t]/g, '')).not.toMatch(RAW);
    expect(r.stdout).toContain('evil\\x1b]0;pwned\\x07');
  });

  it('list on a terminal and show: escaped', async () => {
    const sb = await withEvilKey();
    const table = await run(['list'], { env: sb.env, fetch: sb.fetch, tty: true });
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout.replace(/\n/g, '')).not.toMatch(RAW);
    const show = await run(['show', EVIL], { env: sb.env, fetch: sb.fetch });
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout.replace(/\n/g, '')).not.toMatch(RAW);
    expect(show.stdout).toContain('\\x1b[2J');
  });

  it('an error naming the key, and CARTO error text, reach stderr escaped', async () => {
    const sb = testSandbox();
    const r = await run(['show', `nope${CLEAR}\nError: forged`], { env: sb.env, fetch: sb.fetch });
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('Error:'))).toHaveLength(1);
    expect(r.stderr.replace(/\n/g, '')).not.toMatch(RAW);
  });
});
