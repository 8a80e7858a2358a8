// The registry (src/commands/index.ts) is what `carto-keys --help` lists without importing any
// command: each entry must say exactly what its module builds.

import { Command, Help } from 'commander';
import { describe, expect, it } from 'vitest';
import { commandWord } from '../../src/cli.js';
import { COMMANDS, findCommand } from '../../src/commands/index.js';
import { LOADERS } from '../../src/commands/load.js';
import { help } from '../../src/help.js';
import { run } from '../helpers/harness.js';

const kit = { run: () => {}, canPrompt: () => false, env: {} };

describe('the command registry', () => {
  it.each(COMMANDS.map((c) => [c.name, c] as const))('%s: name, aliases, help term and description match the module', async (_name, entry) => {
    const cmd = (await LOADERS[entry.name]())(kit);
    // The help term is computed inside a program, as `carto-keys --help` shows it.
    new Command('carto-keys').addCommand(cmd);
    expect(cmd.name()).toBe(entry.name);
    expect(cmd.aliases()).toEqual(entry.aliases);
    expect(cmd.description()).toBe(entry.description);
    expect(new Help().subcommandTerm(cmd)).toBe(entry.term);
  });

  it('finds a command by name or alias', () => {
    expect(findCommand('rm')?.name).toBe('revoke');
    expect(findCommand('inspect')?.name).toBe('show');
    expect(findCommand('nope')).toBeUndefined();
  });

  it('picks the command word out of argv: options and the value of --profile are skipped', () => {
    expect(commandWord(['--profile', 'list', 'show', 'x'])).toBe('show');
    expect(commandWord(['--profile=acme', '--json', 'ls'])).toBe('ls');
    expect(commandWord(['-y', 'revoke', 'a'])).toBe('revoke');
    expect(commandWord(['help', 'create'])).toBe('create');
    expect(commandWord(['help', '--json', 'rotate'])).toBe('rotate');
    expect(commandWord(['--', 'list'])).toBe('list');
    expect(commandWord(['--help'])).toBeUndefined();
  });

  it('`help <command>` and `<command> --help` print the full help of that command', async () => {
    const a = await run(['help', 'create']);
    const b = await run(['create', '--help']);
    expect(b.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).toContain('--grants-file <path>');
  });

  it('`--help` alone (dist/help.cjs, no command loaded) prints exactly what the CLI prints', async () => {
    let text = '';
    expect(help({ write: (s: string | Uint8Array) => (text += String(s)) })).toBe(0);
    const cli = await run(['--help']);
    expect(cli.code).toBe(0);
    expect(text).toBe(cli.stdout);
    for (const c of COMMANDS) expect(text).toContain(`  ${c.term} `);
  });

  it('an unknown command still gets a suggestion from the registry', async () => {
    const r = await run(['lsit']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Did you mean list\?/);
  });
});
