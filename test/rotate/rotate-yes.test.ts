// Issue 21: `--yes` means nothing is asked, on a terminal too; every question of rotate has a flag;
// --dry-run on rotate and retire only reads; a missing key names its known successor.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scriptedPrompter } from '../helpers/harness.js';
import { NEW, rotationFixture } from './helpers.js';

/** A terminal whose prompter fails the test on any question. */
const noQuestions = () => ({ tty: true, prompter: scriptedPrompter([]) });

describe('rotate --yes on a terminal asks nothing', () => {
  it('the README line: rotate app --deploy-env-file .env --delete-old --yes (it stopped at "Grants of the new key")', async () => {
    const f = await rotationFixture();
    const env = join(f.dir, '.env');
    const r = await f.rotate(['app', '--deploy-env-file', env, '--delete-old', '--yes'], noQuestions());
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(env, 'utf8')).toBe(`CARTO_API_KEY=${f.sb.token(NEW)}\n`);
    expect(f.sb.names()).toEqual(['Master', 'Default public', NEW]);
  });

  it('--name, --keep-old: the new key named as asked, the old one kept', async () => {
    const f = await rotationFixture();
    const r = await f.rotate(['app', '--name', 'app-2', '--deploy-env-file', join(f.dir, '.env'), '--keep-old', '--yes'], noQuestions());
    expect(r.code, r.stderr).toBe(0);
    expect(f.sb.names()).toEqual(['Master', 'Default public', 'app', 'app-2']);
  });

  it('a missing answer under --yes is a usage error naming the flags, before anything is sent', async () => {
    const f = await rotationFixture();
    const r = await f.rotate(['app', '--deploy-env-file', join(f.dir, '.env'), '--yes'], noQuestions());
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--delete-old, --keep-old or --grace');
    expect(f.posts()).toBe(0);
  });

  it('--keep-grants answers "Grants of the new key" on a terminal without --yes', async () => {
    const f = await rotationFixture();
    const prompter = scriptedPrompter([
      { input: '', match: /Name of the new API key/ },
      { confirm: true, match: /Create API key/ },
      { select: 'done', match: /Deploy the new token/ },
      { confirm: false, match: /Delete the old key "app" now/ },
    ]);
    const r = await f.rotate(['app', '--keep-grants'], { tty: true, prompter });
    expect(r.code, r.stderr).toBe(0);
    expect(prompter.asked.some((q) => /Grants of the new key/.test(q))).toBe(false);
    expect(prompter.remaining()).toBe(0);
  });

  it('--keep-grants with a change flag is a contradiction: usage error', async () => {
    const f = await rotationFixture();
    const r = await f.rotate(['app', '--keep-grants', '--remove-api', 'maps', '--keep-old', '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--keep-grants');
  });
});
