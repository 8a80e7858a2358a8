// `rotate` on a terminal, in-process: the same engine, with the decisions coming from prompts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalizeRenderedGrants } from '../../src/grants/index.js';
import { renderKey } from '../../src/sandbox/render.js';
import { scriptedPrompter, type ScriptedAnswer } from '../helpers/harness.js';
import { expectStopped, NEW, rotationFixture } from './helpers.js';

type Fixture = Awaited<ReturnType<typeof rotationFixture>>;

function grantsOf(f: Fixture, name: string) {
  const user = f.sb.state.users[0]!;
  return normalizeRenderedGrants(renderKey(user, user.keys.find((k) => k.name === name)!).grants).grants;
}

async function interactive(f: Fixture, args: string[], answers: ScriptedAnswer[]) {
  const prompter = scriptedPrompter(answers);
  const r = await f.rotate(args, { tty: true, prompter });
  return { ...r, prompter };
}

describe('rotate on a terminal', () => {
  it('clone → edit → save → deploy to an env file → verify → delete', async () => {
    const f = await rotationFixture();
    const env = join(f.dir, '.env');
    const r = await interactive(f, ['app'], [
      { select: 'edit', match: /Grants of the new key/ },
      { select: 'apis', match: /Edit the grants/ },
      { checkbox: ['sql'], match: /APIs of the new key/ },
      { select: 'done' },
      { input: '', match: /Name of the new API key/ },
      { confirm: true, match: new RegExp(`Create API key "${NEW}"`) },
      { select: 'env-file', match: /Deploy the new token/ },
      { input: env, match: /Env file/ },
      { select: 'done', match: /Deploy the new token/ },
      { confirm: true, match: /Delete the old key "app" now/ },
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.prompter.remaining()).toBe(0);
    // The deploy menu: no default the first time, "done" once a target was deployed (issue 13).
    expect(r.prompter.selectDefaults.slice(-2)).toEqual([undefined, 'done']);
    // Step 1 showed the old key's grants; step 3 the diff.
    expect(r.stderr).toContain('Rotating API key "app". It grants:');
    expect(r.stderr).toMatch(/APIs\s+sql,maps/);
    expect(r.stderr).toContain('- api maps');
    expect(r.stderr).toContain(`✓ Verified "${NEW}"`);
    expect(readFileSync(env, 'utf8')).toBe(`CARTO_API_KEY=${f.sb.token(NEW)}\n`);
    expect(f.sb.names()).toEqual(['Master', 'Default public', NEW]);
    expect(grantsOf(f, NEW).apis).toEqual(['sql']);
    expect(f.journals()).toEqual([]);
  });

  it('keep all grants, a command target and "show the token"; answering no keeps the old key and prints the revoke command', async () => {
    const f = await rotationFixture();
    const out = join(f.dir, 'got');
    const r = await interactive(f, ['app'], [
      { select: 'keep' },
      { input: 'app-2' },
      { confirm: true },
      { select: 'command' },
      { input: `cat > ${out}`, match: /Command/ },
      { select: 'manual' },
      { confirm: true, match: /Have you deployed it/ },
      { select: 'done' },
      { confirm: false, match: /Delete the old key/ },
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(f.sb.token('app-2'));
    // The token is shown on stderr (the terminal), never on stdout.
    expect(r.stderr).toContain(f.sb.token('app-2'));
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('carto-keys revoke app');
    expect(f.sb.names()).toEqual(['Master', 'Default public', 'app', 'app-2']);
    expect(grantsOf(f, 'app-2')).toEqual(grantsOf(f, 'app'));
  });

  it('flags answer their questions: no grant editor with change flags, no name prompt with --new-name, no deploy menu with targets', async () => {
    const f = await rotationFixture();
    const r = await interactive(f, ['app', '--remove-api', 'maps', '--new-name', 'app-3', '--deploy-env-file', join(f.dir, '.env'), '--delete-old'], [
      { confirm: true, match: /Create API key "app-3"/ },
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(f.sb.names()).toEqual(['Master', 'Default public', 'app-3']);
  });

  it('a failed deploy target can be retried, dropped, or stop the rotation', async () => {
    const f = await rotationFixture();
    const r = await interactive(f, ['app'], [
      { select: 'keep' },
      { input: '' },
      { confirm: true },
      { select: 'command' },
      { input: 'exit 7' },
      { select: 'drop', match: /What now/ },
      { select: 'done' },
      { confirm: false },
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('the command exited with status 7');
    expect(r.stderr).toContain('Dropped the deploy target `exit 7`');

    const g = await rotationFixture();
    const stopped = await interactive(g, ['app'], [
      { select: 'keep' },
      { input: '' },
      { confirm: true },
      { select: 'command' },
      { input: 'exit 7' },
      { select: 'stop' },
    ]);
    expectStopped(stopped);
    expect(stopped.stderr).toContain('carto-keys rotate --abort app\n');
  });

  it('Ctrl-C before the key exists: exit 3, nothing created, no journal', async () => {
    for (const answers of [
      [{ cancel: true } as const],
      [{ select: 'keep' }, { cancel: true } as const],
      [{ select: 'keep' }, { input: '' }, { confirm: false }],
    ] satisfies ScriptedAnswer[][]) {
      const f = await rotationFixture();
      const r = await interactive(f, ['app'], answers);
      expect(r.code, r.stderr).toBe(3);
      expect(f.sb.names()).toEqual(['Master', 'Default public', 'app']);
      expect(f.posts()).toBe(0);
      expect(f.journals()).toEqual([]);
    }
  });

  it('Ctrl-C after the key exists: exit 5 saying what exists; --resume on the terminal goes back to the deploy menu', async () => {
    const f = await rotationFixture();
    const env = join(f.dir, '.env');
    const r = await interactive(f, ['app'], [{ select: 'keep' }, { input: '' }, { confirm: true }, { cancel: true, match: /Deploy the new token/ }]);
    expectStopped(r);
    expect(r.stderr).toContain('stopped: cancelled');
    expect(r.stderr).toContain('not deployed anywhere');
    expect(f.journals()[0]).toMatchObject({ addingTargets: true, deleteOld: null });

    const resumed = await interactive(f, ['--resume'], [
      { select: 'env-file' },
      { input: env },
      { select: 'done' },
      { confirm: true, match: /Delete the old key "app"/ },
    ]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(f.sb.names()).toEqual(['Master', 'Default public', NEW]);
    expect(readFileSync(env, 'utf8')).toBe(`CARTO_API_KEY=${f.sb.token(NEW)}\n`);
  });

  it('Ctrl-C at the delete question: exit 5, the new key verified; --abort on the terminal confirms, then undoes', async () => {
    const f = await rotationFixture();
    const r = await interactive(f, ['app'], [{ select: 'keep' }, { input: '' }, { confirm: true }, { select: 'done' }, { cancel: true }]);
    expectStopped(r);
    expect(r.stderr).toContain('not deployed anywhere, verified');
    const declined = await interactive(f, ['--abort'], [{ confirm: false, match: /Undo the rotation of "app": revoke/ }]);
    expect(declined.code).toBe(3);
    expect(f.sb.names()).toContain(NEW);
    const aborted = await interactive(f, ['--abort'], [{ confirm: true }]);
    expect(aborted.code, aborted.stderr).toBe(0);
    expect(f.sb.names()).toEqual(['Master', 'Default public', 'app']);
    expect(f.journals()).toEqual([]);
  });
});
