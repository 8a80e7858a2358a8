// The `path[:VAR]` parser of --deploy-env-file, and the targets' descriptions.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { commandTarget, describeTarget, envFileTarget, parseEnvFileSpec } from '../../src/deploy/targets.js';

const varName = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,12}$/);
const pathText = fc.string({ unit: fc.constantFrom('a', '.', '/', '\\', ':', ' ', '-', 'C', 'é'), minLength: 1, maxLength: 20 });

describe('parseEnvFileSpec', () => {
  it('examples', () => {
    expect(parseEnvFileSpec('.env')).toEqual({ path: '.env', variable: 'CARTO_API_KEY' });
    expect(parseEnvFileSpec('deploy/.env:CARTO_TOKEN')).toEqual({ path: 'deploy/.env', variable: 'CARTO_TOKEN' });
    expect(parseEnvFileSpec('a:b:VAR')).toEqual({ path: 'a:b', variable: 'VAR' });
    // What follows the last colon is no variable name: the colon belongs to the path.
    expect(parseEnvFileSpec('C:\\app\\.env')).toEqual({ path: 'C:\\app\\.env', variable: 'CARTO_API_KEY' });
    expect(parseEnvFileSpec('./a:b/.env')).toEqual({ path: './a:b/.env', variable: 'CARTO_API_KEY' });
  });

  it('refuses a bad variable name after the last colon instead of writing a file named so (issue 12, point 6)', () => {
    for (const spec of ['web.env:web-key', 'x.env:1ABC', 'a.env:b.c']) {
      expect(() => parseEnvFileSpec(spec)).toThrow(/is not a valid variable name/);
    }
    // The hint's way out works: the file "web.env:web-key", variable CARTO_API_KEY.
    expect(parseEnvFileSpec('web.env:web-key:CARTO_API_KEY')).toEqual({ path: 'web.env:web-key', variable: 'CARTO_API_KEY' });
  });

  it('refuses an empty spec, a trailing colon and a missing path, naming the flag', () => {
    for (const spec of ['', '  ', '.env:', ':VAR']) {
      expect(() => parseEnvFileSpec(spec)).toThrow(UsageError);
      expect(() => parseEnvFileSpec(spec)).toThrow(/--deploy-env-file/);
    }
  });

  it('property: path:VAR splits at the last colon into exactly path and VAR', () => {
    fc.assert(
      fc.property(pathText.filter((p) => p.trim() !== ''), varName, (path, variable) => {
        expect(parseEnvFileSpec(`${path}:${variable}`)).toEqual({ path, variable });
      }),
    );
  });

  it('property: without a colon, or with a folder after the last one, the whole spec is the path', () => {
    fc.assert(
      fc.property(pathText, (spec) => {
        const after = spec.slice(spec.lastIndexOf(':') + 1);
        fc.pre(spec.trim() !== '' && !spec.endsWith(':') && (!spec.includes(':') || /[/\\]/.test(after)));
        expect(parseEnvFileSpec(spec)).toEqual({ path: spec, variable: 'CARTO_API_KEY' });
      }),
    );
  });

  it('property: any outcome is a split or a UsageError, never a crash', () => {
    fc.assert(
      fc.property(fc.string(), (spec) => {
        try {
          const { path, variable } = parseEnvFileSpec(spec);
          expect(path === spec || `${path}:${variable}` === spec).toBe(true);
        } catch (err) {
          expect(err).toBeInstanceOf(UsageError);
        }
      }),
    );
  });
});

describe('envFileTarget and commandTarget', () => {
  it('resolves the path and checks its folder exists, before anything is sent', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ck-targets-'));
    expect(envFileTarget(`${dir}/.env:TOKEN`)).toEqual({ kind: 'env-file', path: join(dir, '.env'), variable: 'TOKEN' });
    expect(() => envFileTarget(`${dir}/missing/.env`)).toThrow(/folder .*missing does not exist/);
    expect(() => commandTarget('  ')).toThrow(/--deploy-cmd is empty/);
  });

  it('describes each kind', () => {
    expect(describeTarget({ kind: 'env-file', path: '/a/.env', variable: 'K' })).toBe('/a/.env (K)');
    expect(describeTarget({ kind: 'command', command: 'gh secret set X' })).toBe('`gh secret set X`');
    expect(describeTarget({ kind: 'manual' })).toBe('the token shown on screen');
  });
});
