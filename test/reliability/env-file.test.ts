// The env-file deploy target over hostile files (test/rotate/env-text.test.ts covers well-formed
// ones): whatever the file holds — broken quotes, CRLF, bytes that are not UTF-8 — setting the token
// must read back, must be idempotent, and must not change or drop anything else. It never throws but
// for one refusal: a quote left open that any way of writing the token would close (see
// test/rotate/env-text.test.ts), which fails the deploy target instead of hiding the token.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { writeEnvVar } from '../../src/deploy/env-file.js';
import { setEnvVar } from '../../src/deploy/env-text.js';
import { readEnvVar } from '../../src/deploy/env-text.js';
import { envFileTarget } from '../../src/deploy/targets.js';
import { UsageError } from '../../src/errors.js';
import { hostile } from './helpers.js';

const NAME = 'CARTO_API_KEY';
const token = fc.stringMatching(/^[A-Za-z0-9_-]{22}$/);
const piece = fc.constantFrom(
  `${NAME}=`, `export ${NAME}=`, `  ${NAME} = `, 'OTHER=', 'B=', '"', "'", '`', '\\', '#', ' ', '\n', '\r\n', '\r', '=', 'x', 'é', '$', 'export ', '\t',
);
const envText = fc.oneof(fc.array(piece, { maxLength: 30 }).map((a) => a.join('')), fc.string({ unit: 'grapheme', maxLength: 60 }), hostile);

/** Assignments a dotenv parser finds, by name: the first one of each (as readEnvVar reads them). */
function names(text: string): string[] {
  return [...new Set([...text.matchAll(/^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/gm)].map((m) => m[1]!))];
}

const dir = mkdtempSync(join(tmpdir(), 'carto-keys-envfile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The text with the token set, or undefined for the one refusal (a quote left open, see above). */
function setOrRefuse(text: string, value: string): string | undefined {
  try {
    return setEnvVar(text, NAME, value);
  } catch (err) {
    expect((err as Error).message).toMatch(/^cannot set CARTO_API_KEY without changing how the lines around it read: close .*quote left open/);
    expect(text).toContain('`');
    return undefined;
  }
}

describe('setEnvVar over hostile text', () => {
  it('never throws, reads back the token, and is idempotent', () => {
    fc.assert(
      fc.property(envText, token, (text, value) => {
        const once = setOrRefuse(text, value);
        if (once === undefined) return;
        expect(readEnvVar(once, NAME)).toBe(value);
        expect(setEnvVar(once, NAME, value)).toBe(once);
      }),
      { numRuns: 2000 },
    );
  });

  it('leaves the other variables as they were', () => {
    fc.assert(
      fc.property(envText, token, (text, value) => {
        const after = setOrRefuse(text, value);
        if (after === undefined) return;
        for (const other of names(text).filter((n) => n !== NAME)) {
          expect(readEnvVar(after, other), `${other} in ${JSON.stringify(text)}`).toBe(readEnvVar(text, other));
        }
      }),
      { numRuns: 2000 },
    );
  });

  // Found by the properties above (fixed): a quote left open made the parser read every following
  // line as part of that value, where a dotenv parser reads a one-line value and carries on.
  it('an open quote on our own line does not swallow (and delete) the lines after it', () => {
    const text = `${NAME}="unclosed\nDATABASE_URL=postgres://x\nSECRET=keep\n`;
    const after = setEnvVar(text, NAME, 'A'.repeat(22));
    expect(after).toContain('DATABASE_URL=postgres://x\n');
    expect(after).toContain('SECRET=keep\n');
  });

  it("an open quote on the last line does not hide the token appended after it", () => {
    const after = setEnvVar("OTHER='", NAME, 'A'.repeat(22));
    expect(readEnvVar(after, NAME)).toBe('A'.repeat(22));
    expect(readEnvVar(after, 'OTHER')).toBe(readEnvVar("OTHER='", 'OTHER'));
  });
});

describe('writeEnvVar on disk', () => {
  const fileWith = async (other: Buffer, value: string): Promise<{ before: Buffer; after: Buffer }> => {
    const file = join(dir, '.env');
    const before = Buffer.concat([Buffer.from('# '), other, Buffer.from(`\n${NAME}=old\n`)]);
    writeFileSync(file, before);
    await writeEnvVar(file, NAME, value);
    return { before, after: readFileSync(file) };
  };

  it('keeps every other byte of a UTF-8 file', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme', maxLength: 40 }), token, async (text, value) => {
        const other = Buffer.from(text.replace(/[\r\n]/g, ''));
        const { after } = await fileWith(other, value);
        expect(after).toEqual(Buffer.concat([Buffer.from('# '), other, Buffer.from(`\n${NAME}=${value}\n`)]));
      }),
      { numRuns: 200 },
    );
  });

  // Found by this suite (fixed): the file was read as UTF-8 text, so bytes that are not UTF-8 (a
  // Latin-1 "é" in a comment) came back as U+FFFD on every rotation.
  it('keeps every other byte of a file with any bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 40 }), token, async (bytes, value) => {
        // NUL bytes mark UTF-16/32 or binary, which is refused (test/rotate/env-file.test.ts).
        const other = Buffer.from(bytes.filter((b) => b !== 0x0a && b !== 0x0d && b !== 0x00));
        const { after } = await fileWith(other, value);
        expect(after).toEqual(Buffer.concat([Buffer.from('# '), other, Buffer.from(`\n${NAME}=${value}\n`)]));
      }),
      { numRuns: 200 },
    );
  });

  it('keeps bytes that are not UTF-8', async () => {
    const other = Buffer.from('caf\xe9 \x80', 'latin1');
    const { after } = await fileWith(other, 'A'.repeat(22));
    expect(after).toEqual(Buffer.concat([Buffer.from('# '), other, Buffer.from(`\n${NAME}=${'A'.repeat(22)}\n`)]));
  });
});

describe('--deploy-env-file targets', () => {
  it('any spec: a target in an existing folder, or a UsageError; never a crash', () => {
    fc.assert(
      fc.property(fc.oneof(hostile, fc.constantFrom(join(dir, '.env'), `${join(dir, '.env')}:APP_KEY`, `${dir}/nope/.env`, `${dir}\u0000/.env`)), (spec) => {
        try {
          const target = envFileTarget(spec);
          expect(target.kind).toBe('env-file');
        } catch (err) {
          expect(err).toBeInstanceOf(UsageError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
