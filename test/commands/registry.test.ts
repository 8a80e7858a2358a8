// The registry (src/commands/index.ts) is what `carto-keys --help` lists without importing any
// command: each entry must say exactly what its module builds.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Help } from 'commander';
import { describe, expect, it } from 'vitest';
import { commandWord } from '../../src/route.js';
import { COMMANDS, findCommand } from '../../src/commands/index.js';
import { LOADERS } from '../../src/commands/load.js';
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

  it('`--help` lists every command of the registry, as its help term', async () => {
    const cli = await run(['--help']);
    expect(cli.code).toBe(0);
    for (const c of COMMANDS) expect(cli.stdout).toContain(`  ${c.term} `);
  });

  it('an unknown command still gets a suggestion from the registry', async () => {
    const r = await run(['lsit']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Did you mean list\?/);
  });
});

describe('each command is a bundle of its own', () => {
  // Text that only one command module has (its help examples), never the registry.
  const MARKERS = { rotate: '--deploy-env-file .env --delete-old --yes', create: 'carto-keys create --name etl' } as const;
  const text = (file: string) => readFileSync(join(ROOT, 'dist', file), 'utf8');

  it('dist/program.cjs (no command, --help) holds no command module', () => {
    for (const marker of Object.values(MARKERS)) expect(text('program.cjs')).not.toContain(marker);
  });

  it.each(Object.entries(MARKERS))('dist/commands/%s.cjs holds its own module and no other', (name, marker) => {
    expect(text(`commands/${name}.cjs`)).toContain(marker);
    for (const [other, otherMarker] of Object.entries(MARKERS)) if (other !== name) expect(text(`commands/${name}.cjs`)).not.toContain(otherMarker);
  });

  it('there is one bundle per command of the registry, and nothing else in dist/commands/ but their code caches', () => {
    const files = readdirSync(join(ROOT, 'dist', 'commands')).sort();
    expect(files).toEqual(COMMANDS.flatMap((c) => [`${c.name}.cjs`, `${c.name}.v8`]).sort());
  });
});
