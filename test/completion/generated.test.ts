// The generated completion files match the program, `carto-keys completion` prints them, and the
// completion fast path stays free of the heavy modules.

import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generatedFiles } from '../../src/build/completions.js';
import { SCRIPT_FILES, SHELLS } from '../../src/completion/shells.js';
import { ROOT } from '../helpers/e2e.js';
import { run } from '../helpers/harness.js';

const files = await generatedFiles(ROOT);

describe('generated files', () => {
  it.each(Object.keys(files))('%s is up to date (else run `npm run completions`)', (path) => {
    let onDisk: string | undefined;
    try {
      onDisk = readFileSync(join(ROOT, path), 'utf8');
    } catch {
      onDisk = undefined;
    }
    expect(onDisk, `${path} is stale: run \`npm run completions\` and commit the result`).toBe(files[path]);
  });

  it('writes one script per shell, each calling carto-keys __complete', () => {
    for (const shell of SHELLS) expect(files[`completions/${SCRIPT_FILES[shell]}`]).toContain('carto-keys __complete');
    expect(files['completions/_carto-keys']!.split('\n')[0]).toBe('#compdef carto-keys');
  });
});

describe('carto-keys completion <shell>', () => {
  it.each(SHELLS)('prints completions/ for %s', async (shell) => {
    const r = await run(['completion', shell]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe(readFileSync(join(ROOT, 'completions', SCRIPT_FILES[shell]), 'utf8'));
  });

  it('refuses another shell with a usage error', async () => {
    const r = await run(['completion', 'powershell']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bash, zsh, fish/);
  });

  it('says how to install each script', async () => {
    const r = await run(['completion', '--help']);
    for (const where of ['bash-completion/completions', '> $dir/carto-keys', '~/.zfunc/_carto-keys', '~/.config/fish/completions/carto-keys.fish']) {
      expect(r.stdout).toContain(where);
    }
  });
});

describe('the completion fast path', () => {
  // Every module src/complete.ts loads, following relative imports (type-only ones load nothing).
  function loadedModules(entry: string): { files: string[]; packages: string[] } {
    const files = new Set<string>();
    const packages = new Set<string>();
    const visit = (file: string) => {
      if (files.has(file)) return;
      files.add(file);
      const source = readFileSync(file, 'utf8');
      const specifiers = [
        ...source.matchAll(/^\s*(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?'([^']+)'/gm),
        ...source.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g),
      ].map((m) => m[1]!);
      for (const spec of specifiers) {
        if (spec.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
        else packages.add(spec);
      }
    };
    visit(entry);
    return { files: [...files].map((f) => f.slice(ROOT.length)), packages: [...packages] };
  }

  it('loads only node built-ins, the spec and the small readers', () => {
    const { files, packages } = loadedModules(join(ROOT, 'src', 'complete.ts'));
    expect(packages.every((p) => p.startsWith('node:')), `packages: ${packages.join(', ')}`).toBe(true);
    expect(files.sort()).toEqual(
      ['src/complete.ts', 'src/cache/names.ts', 'src/config/paths.ts', 'src/completion/engine.ts', 'src/completion/spec.generated.ts', 'src/fs/bounded-read.ts', 'src/records/account.ts'].sort(),
    );
  });
});
