import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileError } from '../../src/errors.js';
import { createSandboxState, loadSandboxState, saveSandboxState } from '../../src/sandbox/index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'carto-keys-sandbox-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const mode = (path: string): number => statSync(path).mode & 0o777;

describe('loadSandboxState', () => {
  it('answers undefined when the file does not exist', () => {
    expect(loadSandboxState(join(dir, 'sandbox.json'))).toBeUndefined();
  });

  it('reads back what was saved', () => {
    const path = join(dir, 'sandbox.json');
    const state = createSandboxState({ seedRegularKeys: 3 });
    saveSandboxState(path, state);
    expect(loadSandboxState(path)).toEqual(state);
  });

  it('throws a FileError naming the file and `carto-keys sandbox reset` for a corrupt file', () => {
    const path = join(dir, 'sandbox.json');
    writeFileSync(path, '{"version": 1, "users": [');
    expect(() => loadSandboxState(path)).toThrow(FileError);
    expect(() => loadSandboxState(path)).toThrow(path);
    expect(() => loadSandboxState(path)).toThrow('carto-keys sandbox reset');
  });

  it('throws a FileError for valid JSON of the wrong shape, and leaves the file alone', () => {
    const path = join(dir, 'sandbox.json');
    writeFileSync(path, '{"version": 1, "revision": 0, "users": [{"username": "demo"}]}');
    expect(() => loadSandboxState(path)).toThrow(/sandbox\.json.*state\.users\[0\]\.schemas.*sandbox reset/);
    expect(readdirSync(dir)).toEqual(['sandbox.json']);
  });

  it('throws a FileError for a path it cannot read (a folder)', () => {
    expect(() => loadSandboxState(dir)).toThrow(FileError);
  });
});

describe('saveSandboxState', () => {
  it('writes the file with mode 0600', () => {
    const path = join(dir, 'sandbox.json');
    saveSandboxState(path, createSandboxState());
    expect(mode(path)).toBe(0o600);
  });

  it('creates missing folders with mode 0700', () => {
    const path = join(dir, 'data', 'carto-keys', 'sandbox.json');
    saveSandboxState(path, createSandboxState());
    expect(mode(join(dir, 'data', 'carto-keys'))).toBe(0o700);
    expect(mode(join(dir, 'data'))).toBe(0o700);
  });

  it('replaces the file by renaming a complete new one over it, leaving no temporary file', () => {
    const path = join(dir, 'sandbox.json');
    saveSandboxState(path, createSandboxState());
    const before = statSync(path).ino;
    const state = createSandboxState({ seedRegularKeys: 1 });
    saveSandboxState(path, state);
    expect(statSync(path).ino).not.toBe(before);
    expect(readdirSync(dir)).toEqual(['sandbox.json']);
    expect(loadSandboxState(path)).toEqual(state);
  });

  it('leaves no temporary file behind when the final rename fails', () => {
    const path = join(dir, 'sandbox.json');
    mkdirSync(path);
    writeFileSync(join(path, 'occupied'), '');
    expect(() => saveSandboxState(path, createSandboxState())).toThrow(FileError);
    expect(readdirSync(dir)).toEqual(['sandbox.json']);
  });

  it('keeps the old file when the new state cannot be serialized', () => {
    const path = join(dir, 'sandbox.json');
    const state = createSandboxState();
    saveSandboxState(path, state);
    const cyclic = createSandboxState() as unknown as Record<string, unknown>;
    cyclic.self = cyclic;
    expect(() => saveSandboxState(path, cyclic as never)).toThrow(FileError);
    expect(loadSandboxState(path)).toEqual(state);
  });

  it('throws a FileError naming the file when the folder cannot be made', () => {
    writeFileSync(join(dir, 'blocker'), '');
    expect(() => saveSandboxState(join(dir, 'blocker', 'sandbox.json'), createSandboxState())).toThrow(/blocker\/sandbox\.json/);
  });
});
