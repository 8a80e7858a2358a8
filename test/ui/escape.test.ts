// Control characters from the server or the user never reach a terminal or a TSV line raw
// (SECURITY.md; issue 11: key names and CARTO error text carrying escape sequences or newlines).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { copyName, rotationName } from '../../src/grants/names.js';
import { escapeControl, escapeLine, escapeTerminal } from '../../src/text/escape.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FetchLike } from '../../src/api/client.js';
import { run } from '../helpers/harness.js';
import { MASTER as MASTER_KEY, testSandbox } from '../helpers/sandbox-fetch.js';

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
    // One-line messages (progress, success, warnings): a line break or tab is escaped too.
    expect(escapeLine('a\nb\tc\x1b[31mred\x1b[39m\x1b[8m')).toBe('a\\nb\\tc\x1b[31mred\x1b[39m\\x1b[8m');
    // Only our own colour codes are kept: conceal, blink or a 256-colour code from a name are not.
    expect(escapeTerminal('\x1b[8mx\x1b[5m\x1b[38;5;1m')).toBe('\\x1b[8mx\\x1b[5m\\x1b[38;5;1m');
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

  // Names that drive a terminal through the colour codes escapeTerminal keeps for our own colours, or
  // that reorder a line (bidi override): every output that names a key escapes them at the source.
  const CONCEAL = 'x\x1b[8mhidden';
  const RED = 'r\x1b[31mred\x1b[39m';
  const BIDI = 'abc\u202edef';
  const NAMES = [EVIL, CONCEAL, RED, BIDI];
  const SGR_OR_RAW = /\x1b|[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

  async function withNames() {
    const sb = testSandbox();
    for (const [i, name] of NAMES.entries()) {
      const r = await run(['create', '--api', 'sql', '--name', `plain${i}`], { env: sb.env, fetch: sb.fetch });
      expect(r.code, r.stderr).toBe(0);
      sb.state.users[0]!.keys.find((k) => k.name === `plain${i}`)!.name = name;
    }
    return sb;
  }

  it('plan: an unmanaged key with SGR, a newline or a bidi override in its name cannot forge or colour a plan line', async () => {
    const sb = await withNames();
    const dir = mkdtempSync(join(tmpdir(), 'carto-keys-esc-'));
    try {
      writeFileSync(join(dir, 'carto-keys.yaml'), 'version: 1\nkeys: {}\n');
      for (const tty of [false, true]) {
        const r = await run(['plan', '-f', join(dir, 'carto-keys.yaml')], { env: sb.env, fetch: sb.fetch, tty });
        expect(r.code, r.stderr).toBe(0);
        const out = r.stdout + r.stderr;
        expect(out).not.toMatch(SGR_OR_RAW);
        expect(out).toContain('x\\x1b[8mhidden');
        expect(out).toContain('abc\\u202edef');
        // One line per unmanaged key: the name's newline did not make a second one.
        expect(out.split('\n').filter((l) => l.includes('is not in the file'))).toHaveLength(NAMES.length);
        expect(out).not.toMatch(/^forged/m);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("export's warnings, revoke's confirmation and success lines: escaped", async () => {
    const sb = await withNames();
    const exported = await run(['export'], { env: sb.env, fetch: sb.fetch });
    expect(exported.stderr).not.toMatch(SGR_OR_RAW);
    for (const name of NAMES) {
      const r = await run(['revoke', '--yes', '--', name], { env: sb.env, fetch: sb.fetch });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/^✓ Revoked API key ".*"\n$/);
      expect(r.stderr).not.toMatch(SGR_OR_RAW);
    }
    expect(sb.names()).toEqual(['Master', 'Default public']);
  });

  it('piped audit: TSV cells and fix commands carry no raw control or bidi override', async () => {
    const sb = await withNames();
    const r = await run(['audit'], { env: sb.env, fetch: sb.fetch });
    expect(r.stdout).not.toMatch(/\x1b|[\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
    for (const line of r.stdout.replace(/\n$/, '').split('\n')) expect(line.split('\t')).toHaveLength(8);
    // ANSI-C quoted, then TSV-escaped (its backslash doubled, so a program that decodes the cell gets the command).
    expect(r.stdout).toContain("carto-keys revoke $'abc\\\\u202edef'");
    const table = await run(['audit'], { env: sb.env, fetch: sb.fetch, tty: true });
    expect(table.stdout).not.toMatch(SGR_OR_RAW);
  });

  it('org members: a username or email with a newline, SGR or bidi override cannot forge a row', async () => {
    const members = [
      { username: `mallory\nforged\tadmin\t`, email: `m\x1b[8m@x.test`, org_admin: false, api_key: 'k'.repeat(40) },
      { username: `bob\u202e`, email: null, org_admin: true },
    ];
    const fetch: FetchLike = async (url) => {
      expect(new URL(url).pathname).toBe('/u/olivia/api/v2/organization/acme/users');
      return new Response(JSON.stringify(members), { status: 200, headers: { 'content-type': 'application/json' } });
    };
    for (const tty of [false, true]) {
      const r = await run(['org', 'members', '--org', 'acme'], { env: { CARTO_KEYS_MASTER_KEY: MASTER_KEY, CARTO_KEYS_BASE_URL: 'https://acme.carto.test/u/olivia' }, fetch, tty });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).not.toMatch(SGR_OR_RAW);
      expect(r.stdout).not.toMatch(/^forged/m);
      if (!tty) expect(r.stdout.replace(/\n$/, '').split('\n').map((l) => l.split('\t').length)).toEqual([3, 3]);
    }
  });

  it("rotate's lines name a hostile key escaped: no forged line, no raw control", async () => {
    const sb = await withNames();
    const r = await run(['rotate', '--yes', '--deploy-cmd', 'true', '--keep-old', '--', EVIL], { env: sb.env, fetch: sb.fetch });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(SGR_OR_RAW);
    expect(r.stderr).not.toMatch(/^forged/m);
    expect(r.stderr).toContain('evil\\x1b]0;pwned\\x07');
  });
});
