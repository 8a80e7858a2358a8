// src/grants/index.ts is the grants domain's public face: everything it exports is used by carto-keys
// itself. An export nothing uses is code that ships for no one (or only for tests): this test
// names it, so it is removed or moved to test/ rather than kept alive by a test pinning it.

import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as grants from '../../src/grants/index.js';
import { ROOT } from '../helpers/e2e.js';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

const files = sources(join(ROOT, 'src')).map((path) => ({ path: relative(ROOT, path), text: readFileSync(path, 'utf8') }));

/**
 * The file that declares `name` (export function/const/class/enum), and the files that use it: any
 * other file naming it, or the declaring file naming it again (a limit used by its own module).
 */
function uses(name: string): { declaredIn?: string; usedIn: string[] } {
  const declaration = new RegExp(`export\\s+(?:async\\s+)?(?:function\\*?|const|let|class|enum)\\s+${name}\\b`);
  const word = new RegExp(`\\b${name}\\b`, 'g');
  const declaredIn = files.find((f) => f.path.startsWith('src/grants/') && declaration.test(f.text))?.path;
  const usedIn = files
    .filter((f) => f.path !== 'src/grants/index.ts' && (f.text.match(word)?.length ?? 0) > (f.path === declaredIn ? 1 : 0))
    .map((f) => f.path);
  return { ...(declaredIn !== undefined && { declaredIn }), usedIn };
}

describe('src/grants/index.ts', () => {
  it('exports the domain (a sample that every command relies on)', () => {
    for (const name of ['buildGrantSet', 'normalizeRenderedGrants', 'toCreateGrants', 'applyGrantChanges', 'diffGrants', 'validateKeyName']) {
      expect(typeof (grants as Record<string, unknown>)[name], name).toBe('function');
    }
  });

  it('exports nothing that carto-keys itself does not use', () => {
    const unused = Object.keys(grants).filter((name) => {
      const u = uses(name);
      expect(u.declaredIn, `where ${name} is declared`).toBeDefined();
      return u.usedIn.length === 0;
    });
    expect(unused, `exported but used by no source file: ${unused.join(', ')}`).toEqual([]);
  });
});
