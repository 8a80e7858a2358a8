// The registry (src/commands/index.ts) is what `carto-keys --help` lists without importing any
// command: each entry must say exactly what its module builds.

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Command, Help } from 'commander';
import { describe, expect, it } from 'vitest';
import { commandWord } from '../../src/cli.js';
import { COMMANDS, findCommand } from '../../src/commands/index.js';
import { LOADERS } from '../../src/commands/load.js';
import { help } from '../../src/help.js';
import { ROOT } from '../helpers/e2e.js';
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

describe('the bundle loads commands lazily', () => {
  /** Files a bundle file loads when it starts: static imports only, followed through chunks. */
  function staticClosure(entry: string): string[] {
    const seen = new Set<string>();
    const queue = [entry];
    while (queue.length > 0) {
      const file = queue.shift()!;
      if (seen.has(file)) continue;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/^(?:import|export)\b[^;"]*?(?:from\s*)?"(\.{1,2}\/[^"]+)";?$/gm)) queue.push(join(dirname(file), m[1]!));
    }
    return [...seen];
  }
  // Text that only a command module has (its help examples), never the registry.
  const onlyInCommands = ['The old key is deleted only after the', '--deploy-env-file .env --delete-old --yes', 'carto-keys create --name etl'];

  it.each(['dist/main.js', 'dist/help.cjs'])('%s starts without any command module', (entry) => {
    const files = staticClosure(join(ROOT, entry));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const marker of onlyInCommands) expect(text.includes(marker), `${marker} in ${file}`).toBe(false);
    }
    // Not vacuous: the markers are in the bundle, in chunks loaded on demand.
    const all = readdirSync(join(ROOT, 'dist', 'chunks')).map((f) => readFileSync(join(ROOT, 'dist', 'chunks', f), 'utf8')).join('\n');
    for (const marker of onlyInCommands) expect(all).toContain(marker);
  });
});
