// `--format markdown` on plan, audit and where, in-process against the emulator: a table per section,
// names escaped (a name full of Markdown stays inert, in one cell), the same story as --json, and
// never a token.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { text } from '../../src/ui/markdown.js';
import { run } from '../helpers/harness.js';
import { MASTER, testSandbox, type TestSandbox } from '../helpers/sandbox-fetch.js';
import { NEW, rotationFixture } from '../rotate/helpers.js';

const NOW = new Date('2026-11-30T12:00:00Z');
const dir = mkdtempSync(join(tmpdir(), 'ck-md-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A name that would split a table cell, open code, a link, HTML, a mention and emphasis if it were not escaped.
const NASTY = 'a|b `c` [d](e) <img> @team *f*';
const NASTY_MD = '<code>a&#124;b \\`c\\` \\[d\\]\\(e\\) \\<img\\> \\@team \\*f\\*</code>';

function expectNoToken(out: string, sb: TestSandbox): void {
  expect(out).not.toContain(MASTER);
  for (const k of sb.state.users[0]!.keys) if (k.type !== 'default') expect(out).not.toContain(k.token);
}

async function account() {
  const sb = testSandbox();
  const cli = (args: string[]) => run(args, { env: sb.env, fetch: sb.fetch, now: NOW });
  for (const args of [
    ['--name', 'web-map', '--api', 'sql,maps', '--table', 'world_population'],
    ['--name', NASTY, '--api', 'sql', '--table', 'liked_cities:insert'],
  ]) {
    const r = await cli(['create', ...args]);
    expect(r.code, r.stderr).toBe(0);
  }
  return { sb, cli };
}

describe('plan --format markdown', () => {
  it('the summary, a table of changes and one of unmanaged keys; exit 6 with --detailed-exitcode', async () => {
    const { sb, cli } = await account();
    const file = join(dir, 'plan.yaml');
    writeFileSync(file, 'version: 1\nkeys:\n  web-map:\n    apis: [sql]\n    tables:\n      world_population: [select]\n  new-app:\n    apis: [maps]\n');
    const r = await cli(['plan', '-f', file, '--format', 'markdown', '--detailed-exitcode']);
    expect(r.code, r.stderr).toBe(6);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 8)).toEqual([
      '## carto-keys plan',
      '',
      `Keys file <code>${text(file)}</code>: **Plan: 1 to create, 1 to replace, 0 to rotate, 1 unmanaged.**`,
      '',
      '### Changes',
      '',
      '| Action | Key | Replaces | New key | Grants changed | Deploy to | Notes |',
      '| --- | --- | --- | --- | --- | --- | --- |',
    ]);
    expect(lines[8]).toMatch(
      /^\| replace \| <code>web\\-map<\/code> \| <code>web\\-map<\/code> \| <code>web\\-map\\-r20261130<\/code> \| <code>\\- apis maps<\/code> \| none: <code>web\\-map<\/code> is kept; revoke it once unused \| its grants differ/,
    );
    expect(lines[9]).toBe('| create | <code>new\\-app</code> |  | <code>new\\-app</code> |  |  | no live key has this name or a rotated name of it |');
    expect(lines.slice(10, 16)).toEqual(['', '### Not in the file', '', 'Unmanaged: `apply --prune` would delete them.', '', '| Key | Created |']);
    expect(lines[17]).toMatch(new RegExp(`^\\| ${NASTY_MD.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')} \\| \\d{4}\\\\-`));
    expect(lines.slice(18)).toEqual(['']);
    expectNoToken(r.stdout, sb);

    // --prune: the unmanaged key is a deletion among the changes.
    const pruned = await cli(['plan', '-f', file, '--format', 'markdown', '--prune']);
    expect(pruned.stdout).toContain(`| delete | ${NASTY_MD} |  |  |  |  | not in the file (--prune) |`);
    expect(pruned.stdout).not.toContain('### Not in the file');
  });

  it('nothing to do: the count of keys as declared, no table', async () => {
    const { cli } = await account();
    const file = join(dir, 'same.yaml');
    expect((await cli(['export', '-o', file])).code).toBe(0);
    const r = await cli(['plan', '-f', file, '--format', 'markdown', '--detailed-exitcode']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`## carto-keys plan\n\nKeys file <code>${text(file)}</code>: **No changes.**\n\n2 keys are as declared.\n`);
  });

  it('--format markdown with --json, or an unknown format, is a usage error before anything is sent', async () => {
    const sb = testSandbox();
    for (const args of [['plan', '--format', 'markdown', '--json'], ['audit', '--format', 'html'], ['--json', 'where', 'x', '--format', 'markdown']]) {
      const r = await run(args, { env: sb.env, fetch: sb.fetch });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/--format/);
    }
    expect(sb.requests).toEqual([]);
  });
});

describe('audit --format markdown', () => {
  it('a table per severity, most severe first, each finding with its fix; exit 7 still gates', async () => {
    const { sb, cli } = await account();
    const r = await cli(['audit', '--format', 'markdown', '--fail-on', 'high']);
    expect(r.code, r.stderr).toBe(7);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 8)).toEqual([
      '## carto-keys audit',
      '',
      '2 findings in 4 keys: 1 high, 1 info. Findings at or above --fail-on high: exit 7.',
      '',
      '### High (1)',
      '',
      '| Rule | Key | Where | Why | Fix |',
      '| --- | --- | --- | --- | --- |',
    ]);
    expect(lines[8]).toBe(
      `| <code>table\\-write</code> | ${NASTY_MD} |  | can change data in public\\.liked\\_cities \\(insert\\) | <code>carto\\-keys rotate \\'${NASTY_MD.slice(6, -7)}\\' \\-\\-remove\\-table public\\.liked\\_cities\\:insert \\-\\-keep\\-old \\-\\-yes</code> |`,
    );
    expect(lines.slice(9, 12)).toEqual(['', '### Info (1)', '']);
    expectNoToken(r.stdout, sb);
  });

  it('a token found in a file is named by its fingerprint, never shown', async () => {
    const { sb, cli } = await account();
    const env = join(dir, 'leak.env');
    writeFileSync(env, `# config\nCARTO_KEY=${MASTER}\nAPP=${sb.token('web-map')}\n`);
    const r = await cli(['audit', '--format', 'markdown', '--scan', env]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`| <code>master\\-key\\-in\\-file</code> | <code>Master</code> | <code>${text(`${env}:2`)}</code> |`);
    expect(r.stdout).toContain('sha256');
    expectNoToken(r.stdout, sb);
  });
});

describe('where --format markdown', () => {
  it('a table of places with their state now, and the retirement', async () => {
    const f = await rotationFixture();
    const envFile = join(f.dir, '.env');
    writeFileSync(envFile, 'CARTO_API_KEY=old\n');
    const env = { ...f.sb.env, CARTO_KEYS_CONFIG_DIR: f.paths.config };
    const rotated = await f.cli(['rotate', 'app', '--deploy-env-file', envFile, '--deploy-cmd', 'true', '--grace', '24h', '--yes'], { env });
    expect(rotated.code, rotated.stderr).toBe(0);
    const r = await f.cli(['where', NEW, '--format', 'markdown'], { env });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 5)).toEqual([`## Where <code>${text(NEW)}</code> is deployed`, '', '| Kind | Place | Now | Deployed |', '| --- | --- | --- | --- |', expect.stringMatching(/^\| env file \| <code>.*\\\.env<\/code> \(CARTO\\_API\\_KEY\) \| holds its token \| 2026/)]);
    expect(lines[5]).toMatch(/^\| command \| <code>true<\/code> \| cannot be checked \| 2026/);
    expect(lines[7]).toMatch(new RegExp(`^<code>${text(NEW).replace(/\\/g, '\\\\')}</code> replaced <code>app</code>, which is kept until 2026`));
    expect(r.stdout).not.toContain(f.sb.token(NEW)!);
    expect(r.stdout).not.toContain(MASTER);
  });
});
