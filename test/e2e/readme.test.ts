// The README's examples work as written, in the order shown: every ```sh block runs with the built
// binary, in one fresh temporary HOME logged in to the embedded sandbox. A block that cannot run
// unattended carries a marker with its reason (see the comment at the top of README.md).
// And the README's output is what the tool prints: every ```console block marked as checked is run,
// command by command, on a terminal of 80 columns in a fresh sandbox, and its output compared (after
// the ```sh blocks of its section before it, when its marker says so).

import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, cliEnv, ROOT, tempHome, type Home } from '../helpers/e2e.js';
import { cliInProcess } from '../helpers/in-process.js';

export interface ReadmeBlock {
  /** 1-based line of the opening fence. */
  line: number;
  text: string;
  /** Why it is not run, from its marker; undefined when it runs. */
  skip?: string;
}

const SKIP = /^<!--\s*readme-test:\s*skip\s*\((.+)\)\s*-->$/;
const CHECK = /^<!--\s*readme-test:\s*check(\s*\(after the section's sh blocks\))?\s*-->$/;

export interface ConsoleStep {
  /** What follows `$ ` on its line. */
  command: string;
  /** The lines printed, as the README shows them; a line `...` stands for any number of lines. */
  output: string[];
}

export interface ConsoleBlock {
  line: number;
  /** Marked `readme-test: check`: compared with a real run. */
  checked: boolean;
  /** Marked `check (after the section's sh blocks)`: the ```sh blocks of its section before it run first. */
  setup?: ReadmeBlock[];
  /** Why it is not checked, from a `readme-test: skip (…)` marker. */
  skip?: string;
  steps: ConsoleStep[];
}

/** The ```console blocks of a Markdown text, each split into `$ command` steps and their output. */
export function consoleBlocks(markdown: string): ConsoleBlock[] {
  const lines = markdown.split('\n');
  const blocks: ConsoleBlock[] = [];
  const sh = shellBlocks(markdown);
  let section = 0;
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.startsWith('## ')) section = i + 1;
    const fence = /^(`{3,})(\S*)/.exec(lines[i]!);
    if (!fence) continue;
    const end = lines.findIndex((l, j) => j > i && l.trim() === fence[1]);
    const close = end === -1 ? lines.length : end;
    if (fence[2] === 'console') {
      const steps: ConsoleStep[] = [];
      for (const l of lines.slice(i + 1, close)) {
        if (l.startsWith('$ ')) steps.push({ command: l.slice(2), output: [] });
        else steps.at(-1)?.output.push(l);
      }
      const marker = CHECK.exec((lines[i - 1] ?? '').trim());
      const setup = marker?.[1] !== undefined ? sh.filter((b) => b.line > section && b.line < i + 1) : undefined;
      const skip = SKIP.exec((lines[i - 1] ?? '').trim())?.[1];
      blocks.push({ line: i + 1, checked: marker !== null, ...(setup && { setup }), ...(skip !== undefined && { skip }), steps });
    }
    i = close;
  }
  return blocks;
}

/**
 * What changes from run to run, made the same on both sides, at the same width so that columns stay
 * aligned: tokens, masked tokens, times, the dates in generated names, fingerprints, the HOME folder.
 */
export function normalizeOutput(text: string, home?: string): string[] {
  let t = text.replace(/\r\n/g, '\n').replace(/\r/g, '');
  if (home) t = t.split(home).join('~');
  t = t
    .replace(/(?<![\w-])(?=[A-Za-z0-9_-]*[A-Z])(?=[A-Za-z0-9_-]*[a-z])[A-Za-z0-9_-]{22}(?![\w-])/g, 'T'.repeat(22))
    .replace(/(?<![\w-])(?!hidd)[A-Za-z0-9_-]{4}…(?=\s|$)/g, 'TTTT…')
    .replace(/\d{4}-\d\d-\d\d \d\d:\d\d UTC/g, 'YYYY-MM-DD HH:MM UTC')
    .replace(/\d{8}-\d{4}/g, 'YYYYMMDD-HHMM')
    .replace(/-r\d{8}/g, '-rYYYYMMDD')
    .replace(/sha256:[0-9a-f]{12}/g, 'sha256:XXXXXXXXXXXX');
  const lines = t.split('\n').map((l) => l.trimEnd());
  while (lines.length > 0 && lines.at(-1) === '') lines.pop();
  return lines;
}

/** `expected` (with `...` lines standing for any number of lines) matches `actual` line for line. */
export function matchesOutput(expected: readonly string[], actual: readonly string[]): boolean {
  const go = (i: number, j: number): boolean => {
    if (i === expected.length) return j === actual.length;
    if (expected[i] === '...') {
      for (let k = j; k <= actual.length; k++) if (go(i + 1, k)) return true;
      return false;
    }
    return j < actual.length && expected[i] === actual[j] && go(i + 1, j + 1);
  };
  return go(0, 0);
}

/** The ```sh blocks of a Markdown text, each with the skip reason of the marker line before it. */
export function shellBlocks(markdown: string): ReadmeBlock[] {
  const lines = markdown.split('\n');
  const blocks: ReadmeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^(`{3,})(\S*)/.exec(lines[i]!);
    if (!fence) continue;
    const end = lines.findIndex((l, j) => j > i && l.startsWith(fence[1]!) && l.trim() === fence[1]);
    const close = end === -1 ? lines.length : end;
    if (fence[2] === 'sh') {
      const marker = SKIP.exec((lines[i - 1] ?? '').trim());
      blocks.push({ line: i + 1, text: lines.slice(i + 1, close).join('\n'), ...(marker && { skip: marker[1]! }) });
    }
    i = close;
  }
  return blocks;
}

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const blocks = shellBlocks(README);

describe('the README marks what it does not run', () => {
  it('has runnable blocks, and every skipped one says why', () => {
    expect(blocks.filter((b) => !b.skip).length).toBeGreaterThan(1);
    for (const b of blocks) if (b.skip !== undefined) expect(b.skip.trim().length, `README.md:${b.line}`).toBeGreaterThan(5);
  });

  it('finds blocks and markers as written', () => {
    const md = ['x', '<!-- readme-test: skip (needs an account) -->', '```sh', 'a', '```', '```console', '$ b', '```', '```sh', 'c', 'd', '```'].join('\n');
    expect(shellBlocks(md)).toEqual([
      { line: 3, text: 'a', skip: 'needs an account' },
      { line: 9, text: 'c\nd' },
    ]);
  });
});

describe('the README\'s output blocks', () => {
  const consoles = consoleBlocks(README);

  it('marks output blocks as checked, and the parser reads them as written', () => {
    expect(consoles.filter((b) => b.checked).length).toBeGreaterThanOrEqual(3);
    // Every output block is checked, or says why not: a new one cannot drift unnoticed.
    for (const b of consoles) expect(b.checked || (b.skip ?? '').length > 5, `README.md:${b.line}: a console block neither checked nor skipped with a reason`).toBe(true);
    const md = ['<!-- readme-test: check -->', '```console', '$ a', 'x', '...', '$ b', '```', '```console', '$ c', '```'].join('\n');
    expect(consoleBlocks(md)).toEqual([
      { line: 2, checked: true, steps: [{ command: 'a', output: ['x', '...'] }, { command: 'b', output: [] }] },
      { line: 8, checked: false, steps: [{ command: 'c', output: [] }] },
    ]);
    const sectioned = ['## One', '```sh', 'x', '```', '## Two', '```sh', 'y', '```', "<!-- readme-test: check (after the section's sh blocks) -->", '```console', '$ z', '```', '```sh', 'w', '```'].join('\n');
    expect(consoleBlocks(sectioned)).toEqual([{ line: 10, checked: true, setup: [{ line: 6, text: 'y' }], steps: [{ command: 'z', output: [] }] }]);
    expect(matchesOutput(['a', '...', 'd'], ['a', 'b', 'c', 'd'])).toBe(true);
    expect(matchesOutput(['a', '...'], ['a'])).toBe(true);
    expect(matchesOutput(['a', 'd'], ['a', 'b', 'd'])).toBe(false);
    expect(normalizeOutput('Token  Xl2Wq3r7tF0oZ0bJp8aS9Q\r\nab12…  2026-12-07 00:10 UTC  sql-t-20261207-0010')).toEqual([
      `Token  ${'T'.repeat(22)}`,
      'TTTT…  YYYY-MM-DD HH:MM UTC  sql-t-YYYYMMDD-HHMM',
    ]);
  });

  for (const block of consoles.filter((b) => b.checked)) {
    // Each in a HOME of its own: at once.
    it.concurrent(`README.md:${block.line} prints what the tool prints (80 columns, a fresh sandbox)`, async () => {
      const home = tempHome();
      try {
        const binDir = join(home.dir, 'bin');
        mkdirSync(binDir, { recursive: true });
        writeFileSync(join(binDir, 'carto-keys'), `#!/bin/sh\nexec ${CLI.map((a) => `'${a}'`).join(' ')} "$@"\n`);
        chmodSync(join(binDir, 'carto-keys'), 0o755);
        const env = cliEnv({ ...home.env, PATH: `${binDir}:${process.env.PATH}`, COLUMNS: '80', TERM: 'xterm' });
        expect((await cliInProcess(['login', '--sandbox'], { env: home.env })).code).toBe(0);
        for (const sh of block.setup ?? []) {
          const r = await runScript(sh.text, home.dir, env);
          expect(r.code, `README.md:${sh.line} (set-up of README.md:${block.line})\n${sh.text}\n---\n${r.out}`).toBe(0);
        }
        for (const step of block.steps) {
          // A terminal of 80 columns (script(1) gives the command a pty): tables, not tab-separated lines.
          const out = await onTerminal(step.command, home.dir, env);
          const actual = normalizeOutput(out, home.dir);
          const expected = normalizeOutput(step.output.join('\n'));
          expect(matchesOutput(expected, actual), `README.md:${block.line}: $ ${step.command}\n--- the README shows:\n${step.output.join('\n')}\n--- the tool printed:\n${out}`).toBe(true);
        }
      } finally {
        home.cleanup();
      }
    }, 60_000);
  }
});

/** Runs a command line in bash on a pseudo-terminal of 80 columns; what the user would see (stdout and stderr). */
async function onTerminal(command: string, cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  const child = spawn('script', ['-qec', `stty cols 80 rows 50 2>/dev/null; ${command}`, '/dev/null'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise((resolve) => child.on('close', resolve));
  return out;
}

/** A ```sh block as one bash script that stops at the first failure; its exit code and output. */
async function runScript(text: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  const child = spawn('bash', ['-c', `set -e -o pipefail\n${text}\n`], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, out };
}

describe('the README examples, in order, on a fresh sandbox', () => {
  let home: Home;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    home = tempHome();
    // `carto-keys` on the PATH, as after `npm install -g .`: the built binary.
    const binDir = join(home.dir, 'bin');
    mkdirSync(binDir, { recursive: true });
    writeFileSync(join(binDir, 'carto-keys'), `#!/bin/sh\nexec ${CLI.map((a) => `'${a}'`).join(' ')} "$@"\n`);
    chmodSync(join(binDir, 'carto-keys'), 0o755);
    env = cliEnv({ ...home.env, PATH: `${binDir}:${process.env.PATH}` });
    const login = await cliInProcess(['login', '--sandbox'], { env: home.env });
    expect(login.code, login.stderr).toBe(0);
  });
  afterAll(() => home?.cleanup());

  for (const block of blocks.filter((b) => !b.skip)) {
    it(`README.md:${block.line}`, async () => {
      const { code, out } = await runScript(`trap 'echo "README.md:${block.line}: failed: $BASH_COMMAND" >&2' ERR\n${block.text}`, home.dir, env);
      expect(code, `${block.text}\n---\n${out}`).toBe(0);
    }, 60_000);
  }
});
