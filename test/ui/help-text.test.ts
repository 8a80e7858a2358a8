// Help fits the terminal: at 80 columns no line is longer (so the terminal never breaks a word in two),
// and no word is lost or cut — the same words as at 120 columns.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { COMMANDS } from '../../src/commands/index.js';
import { fitHelpText, fitMessage } from '../../src/ui/help-text.js';
import { run } from '../helpers/harness.js';
import { cli } from '../helpers/e2e.js';

const words = (text: string) =>
  text
    .split(/\s+/)
    .filter((w) => w !== '' && w !== '\\' && w !== '#')
    .map((w) => w.replace(/^#/, ''))
    .sort();

describe('fitHelpText', () => {
  it('re-flows prose paragraphs and keeps indented lines that fit', () => {
    const text = 'One two three four five six seven\neight nine.\n\nExamples:\n  $ carto-keys list';
    expect(fitHelpText(text, 20)).toBe('One two three four\nfive six seven eight\nnine.\n\nExamples:\n  $ carto-keys list');
  });

  it('an example too long: its comment above it, the command continued with \\ outside quotes', () => {
    const line = `  $ carto-keys rotate app --deploy-cmd 'gh secret set CARTO_API_KEY' --delete-old --yes   # in CI`;
    expect(fitHelpText(line, 50)).toBe(
      ["  # in CI", "  $ carto-keys rotate app --deploy-cmd \\", "      'gh secret set CARTO_API_KEY' --delete-old \\", '      --yes'].join('\n'),
    );
  });

  it('property: every line fits (unless one word is longer), and every word survives', () => {
    const word = fc.stringMatching(/^[a-z]{1,12}$/);
    const line = fc.oneof(
      fc.array(word, { minLength: 1, maxLength: 30 }).map((ws) => ws.join(' ')),
      fc.array(word, { minLength: 1, maxLength: 30 }).map((ws) => `  $ ${ws.join(' ')}`),
      fc.constant(''),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 8 }), fc.integer({ min: 30, max: 120 }), (lines, width) => {
        const text = lines.join('\n');
        const out = fitHelpText(text, width);
        for (const l of out.split('\n')) expect(l.length).toBeLessThanOrEqual(width);
        expect(words(out)).toEqual(words(text));
      }),
    );
  });
});

describe('fitMessage: an error and its hint at the terminal width', () => {
  it('wraps under the text after "Error: "; a hint line two spaces in; a `quoted command` never split', () => {
    const message = 'Error: --delete-old needs a deploy target (--deploy-env-file or --deploy-cmd), and none is recorded for this key.';
    expect(fitMessage(message, 60)).toEqual([
      'Error: --delete-old needs a deploy target (--deploy-env-file',
      '       or --deploy-cmd), and none is recorded for this key.',
    ]);
    expect(fitMessage('Names are case-sensitive, and this line is long: `carto-keys list --user someone` shows them.', 50)).toEqual([
      'Names are case-sensitive, and this line is long:',
      '  `carto-keys list --user someone` shows them.',
    ]);
  });

  it('a command a line ends with stays runnable: whole on its own line, or continued with \\ under a short label', () => {
    expect(fitMessage('Nothing to revoke here, the key that replaced it is in use: carto-keys show app-r20261207', 60)).toEqual([
      'Nothing to revoke here, the key that replaced it is in use:',
      '  carto-keys show app-r20261207',
    ]);
    expect(fitMessage('Use the successor: carto-keys where web-map-production-eu-west-1-customer-facing-r20261207', 80)).toEqual([
      'Use the successor:',
      '  carto-keys where web-map-production-eu-west-1-customer-facing-r20261207',
    ]);
    expect(fitMessage("Continue: carto-keys rotate --resume 'a very long key name' --profile acme-production --user bob", 50)).toEqual([
      "Continue: carto-keys rotate --resume \\",
      "            'a very long key name' --profile \\",
      '            acme-production --user bob',
    ]);
  });

  it('property: every line fits (unless one word is longer), and every word survives', () => {
    const word = fc.oneof(fc.stringMatching(/^[a-z]{1,12}$/), fc.constantFrom('`carto-keys list`', 'carto-keys', 'Error:', 'Undo:'));
    const line = fc.array(word, { minLength: 1, maxLength: 30 }).map((ws) => ws.join(' '));
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 4 }), fc.integer({ min: 30, max: 120 }), (lines, width) => {
        const text = lines.join('\n');
        const out = fitMessage(text, width);
        // A longer line is one word, after the label it follows (`Error: `) when there is one.
        for (const l of out) if ([...l].length > width) expect(l.replace(/^ *[^\s:`][^:`]{0,19}: +/, '').match(/(?:`[^`]*`|[^\s\\])+/g), l).toHaveLength(1);
        expect(words(out.join('\n'))).toEqual(words(text));
      }),
    );
  });
});

describe('--help at a fixed COLUMNS', () => {
  const commands = [[], ...COMMANDS.map((c) => [c.name]), ['sandbox', 'serve'], ['sandbox', 'reset'], ['profile', 'remove']];
  for (const cmd of commands) {
    it(`carto-keys ${cmd.join(' ')} --help: at 80 columns no line is longer, and no word is lost`, async () => {
      const narrow = await run([...cmd, '--help'], { env: { COLUMNS: '80' } });
      const wide = await run([...cmd, '--help'], { env: { COLUMNS: '120' } });
      expect(narrow.code).toBe(0);
      for (const line of narrow.stdout.split('\n')) expect([...line].length, line).toBeLessThanOrEqual(80);
      expect(words(narrow.stdout)).toEqual(words(wide.stdout));
    });
  }

  // Issue 21: `login --help` and `org --help` broke a sentence after its ":" onto an indented line,
  // and `completion --help` broke a command across two lines.
  for (const cmd of commands) {
    it(`carto-keys ${cmd.join(' ')} --help at 80 columns: no sentence broken onto an indented line, every example whole`, async () => {
      const narrow = (await run([...cmd, '--help'], { env: { COLUMNS: '80' } })).stdout.split('\n');
      const source = (await run([...cmd, '--help'], { env: { COLUMNS: '1000' } })).stdout.split('\n');
      narrow.forEach((line, i) => {
        const before = narrow[i - 1];
        // An indented line follows a heading ("Options:"), a blank line or another indented line; after a
        // line of prose it is the rest of a sentence pushed under it.
        if (/^\s+\S/.test(line) && before !== undefined && /^\S/.test(before)) expect(before, `${before}\n${line}`).toMatch(/:$/);
        expect(line, 'a command continued on the next line').not.toMatch(/ \\$/);
      });
      // Each example's command (its trailing comment may move above it) is on one line, as written.
      for (const example of source.filter((l) => /^\s+\$ /.test(l))) {
        const command = example.replace(/ {2,}# .*$/, '').trim();
        expect(narrow.some((l) => l.trim().startsWith(command)), `${command}\n---\n${narrow.join('\n')}`).toBe(true);
      }
    });
  }

  it('help <unknown command> says it is unknown, exit 2, and does not print the whole help', async () => {
    const r = await run(['help', 'nosuch']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Unknown command 'nosuch'");
    expect(r.stdout).toBe('');
    const near = await run(['help', 'lis']);
    expect(near.code).toBe(2);
    expect(near.stderr).toContain('Did you mean list?');
  });

  it('carto-keys help list exits 0 like list --help, with the same text', async () => {
    const viaHelp = await run(['help', 'list'], { env: { COLUMNS: '80' } });
    const viaFlag = await run(['list', '--help'], { env: { COLUMNS: '80' } });
    expect(viaHelp.code).toBe(0);
    expect(viaHelp.stdout).toBe(viaFlag.stdout);
  });

  it('the built binary\'s --help (its own fast path) fits COLUMNS too, and says what the CLI says', async () => {
    const fast = await cli(['--help'], { env: { COLUMNS: '80' } });
    expect(fast.code).toBe(0);
    for (const line of fast.stdout.split('\n')) expect([...line].length, line).toBeLessThanOrEqual(80);
    expect(fast.stdout).toBe((await run(['--help'], { env: { COLUMNS: '80' } })).stdout);
  });

  it('a missing command still shows help as a usage error (exit 2)', async () => {
    expect((await run([])).code).toBe(2);
  });
});
