// `carto-keys __complete`, in-process: what each kind of word completes to, where key names come
// from, and that nothing can make it fail or print an error into the user's shell.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { complete } from '../../src/complete.js';
import { SPEC } from '../../src/completion/spec.generated.js';
import type { CommandSpec } from '../../src/completion/types.js';
import { profileNamesPath } from '../helpers/names-cache.js';
import { ACME_NAMES, DEFAULT_NAMES, preparedHome, PROFILES, type CompletionHome } from './helpers.js';

let home: CompletionHome;
beforeEach(() => {
  home = preparedHome();
});
afterEach(() => home.cleanup());

interface Answer {
  code: number;
  output: string;
  values: string[];
  directive: number | undefined;
}

async function ask(words: string[], env: Record<string, string> = {}): Promise<Answer> {
  let output = '';
  const code = await complete(words, { env: { ...home.env, ...env }, write: (s) => (output += s) });
  const lines = output.split('\n').filter(Boolean);
  const last = lines.at(-1);
  const directive = last?.match(/^:(\d+)$/) ? Number(last.slice(1)) : undefined;
  if (directive !== undefined) lines.pop();
  return { code, output, values: lines.map((l) => l.split('\t')[0]!), directive };
}

const values = async (...words: string[]) => (await ask(words)).values;

describe('commands', () => {
  it('lists every command but not aliases or the hidden __complete', async () => {
    const v = await values('');
    for (const name of ['list', 'show', 'create', 'revoke', 'regenerate', 'login', 'logout', 'status', 'profile', 'completion', 'sandbox']) {
      expect(v).toContain(name);
    }
    for (const name of ['ls', 'inspect', 'delete', 'rm', '__complete']) expect(v).not.toContain(name);
  });

  it('completes a prefix, with descriptions for zsh and fish', async () => {
    const a = await ask(['re']);
    expect(a.values.sort()).toEqual(['regenerate', 'respond', 'retire', 'revoke']);
    expect(a.output).toMatch(/^revoke\tRevoke .+$/m);
    expect(a.directive).toBe(0);
  });

  it('offers an alias when only the alias matches', async () => {
    expect(await values('i')).toEqual(['inspect']);
    expect(await values('de')).toEqual(['delete']);
    expect(await values('l')).toEqual(expect.arrayContaining(['list', 'login', 'logout']));
    expect(await values('l')).not.toContain('ls');
  });

  it('completes subcommands', async () => {
    expect(await values('profile', '')).toEqual(expect.arrayContaining(['list', 'use', 'remove']));
    expect(await values('sandbox', '')).toEqual(expect.arrayContaining(['serve', 'reset']));
    expect(await values('help', 'pro')).toEqual(['profile']);
  });

  it('treats no words at all as an empty current word', async () => {
    expect(await values()).toEqual(await values(''));
  });
});

describe('options', () => {
  const globals = ['--profile', '--json', '--no-color', '--debug', '--yes', '--help'];

  it('offers the command options and the global ones', async () => {
    const v = await values('show', '--');
    expect(v).toEqual(expect.arrayContaining(['--reveal', '--token-only', ...globals]));
    expect(v).not.toContain('--version');
    expect(v).not.toContain('--api');
    expect(await values('create', '--')).toEqual(expect.arrayContaining(['--api', '--table', '--service', '--grants-file', ...globals]));
    expect(await values('--')).toEqual(expect.arrayContaining(['--version', ...globals]));
  });

  it('offers the global options after a subcommand too', async () => {
    expect(await values('profile', 'use', '--j')).toEqual(['--json']);
  });

  it('offers short forms only when asked for', async () => {
    expect(await values('list', '-')).not.toContain('-y');
    expect(await values('list', '-y')).toEqual(['-y']);
  });

  it('does not offer a flag that is already on the line', async () => {
    expect(await values('list', '--json', '--j')).toEqual([]);
  });
});

describe('option values', () => {
  it.each([
    [['create', '--api', ''], ['sql', 'maps', 'do']],
    [['create', '--api', 'sql,'], ['sql,maps', 'sql,do']],
    [['create', '--api', 'sql,m'], ['sql,maps']],
    [['create', '--api=s'], ['--api=sql']],
    [['clone', 'app', '--add-api', 'maps,'], ['maps,sql', 'maps,do']],
    [['clone', 'app', '--remove-api', ''], ['sql', 'maps', 'do']],
    [['create', '--table', 't:'], ['t:select', 't:insert', 't:update', 't:delete', 't:all']],
    [['create', '--table', 'public.t:select,'], ['public.t:select,insert', 'public.t:select,update', 'public.t:select,delete', 'public.t:select,all']],
    [['create', '--table=t:ins'], ['--table=t:insert']],
    [['clone', 'app', '--add-table', 't:d'], ['t:delete']],
    [['clone', 'app', '--remove-table', 't:u'], ['t:update']],
    [['create', '--schema', 'public:'], ['public:create']],
    [['create', '--service', 'geo'], ['geocoding']],
    [['clone', 'app', '--add-service', 'r'], ['routing']],
    [['clone', 'app', '--remove-service', 'routing,i'], ['routing,isolines']],
    [['list', '--type', ''], ['master', 'default', 'regular']],
    [['list', '--type', 'master,'], ['master,default', 'master,regular']],
    [['list', '--order', ''], ['name', 'type', 'updated_at']],
    [['completion', ''], ['bash', 'zsh', 'fish']],
    [['completion', 'z'], ['zsh']],
  ])('%j → %j', async (words, expected) => {
    expect(await values(...words)).toEqual(expected);
  });

  it('offers nothing for a table name (not known locally), and no file names either', async () => {
    expect(await ask(['create', '--table', 'wor'])).toMatchObject({ values: [], directive: 0 });
    expect(await ask(['create', '--name', ''])).toMatchObject({ values: [], directive: 0 });
  });

  it('lets the shell complete file names for a path', async () => {
    expect(await ask(['create', '--grants-file', ''])).toMatchObject({ values: [], directive: 1 });
    expect(await ask(['sandbox', 'serve', '--state', 'x'])).toMatchObject({ values: [], directive: 1 });
  });

  it('takes the word after a value-taking option as its value, not as a command or an argument', async () => {
    expect(await values('--profile', 'show', '')).toEqual(expect.arrayContaining(['list', 'show']));
    expect(await values('create', '--name', 'x', '--api', 'd')).toEqual(['do']);
  });
});

describe('profiles', () => {
  it('completes --profile and profile use/remove from the config file', async () => {
    expect(await values('--profile', '')).toEqual(['acme', 'default']);
    expect(await values('show', '--profile', 'a')).toEqual(['acme']);
    expect(await values('--profile=')).toEqual(['--profile=acme', '--profile=default']);
    expect(await values('profile', 'use', '')).toEqual(['acme', 'default']);
    expect(await values('profile', 'remove', 'd')).toEqual(['default']);
    expect(await values('profile', 'rm', '')).toEqual(['acme', 'default']);
  });

  it('offers no profiles without a config file', async () => {
    home.writeRaw(join(home.configDir, 'config.json'), '');
    expect(await ask(['profile', 'use', ''])).toMatchObject({ code: 0, values: [] });
  });
});

/** Commands whose first argument is a key name, read from the spec: rotate joins when it is added. */
function keyCommands(): CommandSpec[] {
  return SPEC.program.commands.filter((c) => c.args[0]?.value.kind === 'key');
}

describe('key names', () => {
  it('are completed for show, revoke, regenerate and clone (and any command taking a key name)', () => {
    expect(keyCommands().map((c) => c.name)).toEqual(expect.arrayContaining(['show', 'revoke', 'regenerate', 'clone']));
  });

  it.each(keyCommands().flatMap((c) => [c.name, ...c.aliases]))('%s completes cached names', async (command) => {
    const v = await values(command, '');
    expect(v.length).toBeGreaterThan(0);
    for (const name of v) expect(DEFAULT_NAMES).toContain(name);
  });

  it('show and inspect offer every name, spaces included (quoting is the shell script’s job)', async () => {
    expect((await values('show', '')).sort()).toEqual([...DEFAULT_NAMES].sort());
    expect(await values('inspect', 'Def')).toEqual(['Default public', 'Deforestation map']);
  });

  it('revoke offers neither Master nor Default public, which cannot be revoked', async () => {
    for (const command of ['revoke', 'delete', 'rm']) {
      expect((await values(command, '')).sort()).toEqual(['Deforestation map', 'app', 'etl-2024']);
    }
    expect(await values('revoke', 'Def')).toEqual(['Deforestation map']);
  });

  it('revoke takes several names and does not offer one already on the line', async () => {
    expect((await values('revoke', 'app', '')).sort()).toEqual(['Deforestation map', 'etl-2024']);
  });

  it('regenerate offers Master but not Default public, whose token is fixed', async () => {
    const v = await values('regenerate', '');
    expect(v).toContain('Master');
    expect(v).not.toContain('Default public');
  });

  it('stops after the one name show takes', async () => {
    expect(await values('show', 'app', '')).toEqual([]);
  });

  it('completes after --, where every word is an argument', async () => {
    expect(await values('show', '--', 'ap')).toEqual(['app']);
  });

  it('uses the profile given by --profile on the line', async () => {
    expect(await values('--profile', 'acme', 'show', '')).toEqual(ACME_NAMES);
    expect(await values('show', '--profile=acme', '')).toEqual(ACME_NAMES);
  });

  it('uses CARTO_KEYS_PROFILE, then the current profile, then "default"', async () => {
    expect((await ask(['show', ''], { CARTO_KEYS_PROFILE: 'acme' })).values).toEqual(ACME_NAMES);
    // --profile wins over the environment.
    expect((await ask(['show', '--profile', 'default', 'a'], { CARTO_KEYS_PROFILE: 'acme' })).values).toEqual(['app']);
    home.writeConfig({ currentProfile: 'acme', profiles: PROFILES });
    expect(await values('show', '')).toEqual(ACME_NAMES);
    home.writeConfig({ profiles: PROFILES });
    expect(await values('show', 'ap')).toEqual(['app']);
  });

  it('completes nothing without a cache (and never asks the network)', async () => {
    expect(await ask(['--profile', 'nocache', 'show', ''])).toMatchObject({ code: 0, values: [], directive: 0 });
  });

  it('never reads outside the cache folder for a strange --profile', async () => {
    // A cache is named by its account, never by a typed profile: an unknown profile has none. (When
    // it was named by the profile, names-../escape.json was <cache>/escape.json once names-.. existed.)
    mkdirSync(join(home.cacheDir, 'names-..'));
    home.writeRaw(join(home.cacheDir, 'escape.json'), JSON.stringify({ names: ['outside'] }));
    expect(await values('--profile', '../escape', 'show', '')).toEqual([]);
  });
});

describe('failures are silent', () => {
  it.each([
    ['a cache that is not JSON', () => home.writeRaw(profileNamesPath({ config: home.configDir, cache: home.cacheDir }), '{"names": [tru')],
    ['a cache of the wrong shape', () => home.writeRaw(profileNamesPath({ config: home.configDir, cache: home.cacheDir }), '{"names": "app"}')],
  ])('%s: no names, exit 0', async (_what, breakIt) => {
    breakIt();
    expect(await ask(['show', ''])).toMatchObject({ code: 0, values: [] });
  });

  it.each(['{not json', 'null', '[]', '{"currentProfile": 7, "profiles": []}'])('a broken config file (%s): no profiles, and no names (a profile\'s account is in it)', async (text) => {
    home.writeRaw(join(home.configDir, 'config.json'), text);
    expect(await ask(['--profile', ''])).toMatchObject({ code: 0, values: [] });
    expect(await ask(['show', ''])).toMatchObject({ code: 0, values: [] });
  });

  it('skips a cached name that cannot be one line', async () => {
    home.writeNames('default', ['ok', 'two\nlines', 'tab\there']);
    expect(await values('show', '')).toEqual(['ok']);
  });

  it('an unexpected error prints nothing at all and exits 0', async () => {
    let output = '';
    const env = new Proxy({}, { get: () => { throw new Error('boom'); } });
    expect(await complete(['show', ''], { env, write: (s) => (output += s) })).toBe(0);
    expect(output).toBe('');
  });

  it('an unknown command or option is simply not completed', async () => {
    expect(await ask(['nosuch', ''])).toMatchObject({ code: 0, values: [] });
    expect(await ask(['show', '--nosuch', 'ap'])).toMatchObject({ code: 0, values: ['app'] });
  });
});

describe('organization members (--user)', () => {
  it("completes key names from the member's own cache after --user, for every command that names a key", async () => {
    home.writeNames('default', ['bob-dashboard', 'bob-etl'], 'bob');
    for (const cmd of ['show', 'revoke', 'regenerate', 'clone', 'rotate']) {
      expect(await values(cmd, '--user', 'bob', 'bob-'), cmd).toEqual(['bob-dashboard', 'bob-etl']);
      expect(await values(cmd, '--user=bob', 'bob-d'), cmd).toEqual(['bob-dashboard']);
    }
    // Without --user: the profile's own names.
    expect(await values('show', 'bob-')).toEqual([]);
    expect(await values('show', 'ap')).toEqual(['app']);
  });

  it('completes the value of --user from the members the profile has seen, but not login --user', async () => {
    home.writeMembers('default', ['alice', 'bob', 'dave', 'olivia']);
    expect(await values('list', '--user', '')).toEqual(['alice', 'bob', 'dave', 'olivia']);
    expect(await values('create', '--user', 'd')).toEqual(['dave']);
    expect(await values('login', '--user', '')).toEqual([]);
  });

  it('never reads outside the cache folder for a typed member name', async () => {
    home.writeNames('default', ['bob-dashboard'], 'bob');
    expect(await values('show', '--user', '../bob', '')).toEqual([]);
    expect(await values('show', '--user', 'Bob', '')).toEqual([]);
  });
});
