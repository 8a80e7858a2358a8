// The README's examples work as written, in the order shown: every ```sh block runs with the built
// binary, in one fresh temporary HOME logged in to the embedded sandbox. A block that cannot run
// unattended carries a marker with its reason (see the comment at the top of README.md).

import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, cli, cliEnv, ROOT, tempHome, type Home } from '../helpers/e2e.js';

export interface ReadmeBlock {
  /** 1-based line of the opening fence. */
  line: number;
  text: string;
  /** Why it is not run, from its marker; undefined when it runs. */
  skip?: string;
}

const SKIP = /^<!--\s*readme-test:\s*skip\s*\((.+)\)\s*-->$/;

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
    const login = await cli(['login', '--sandbox'], { env: home.env });
    expect(login.code, login.stderr).toBe(0);
  });
  afterAll(() => home?.cleanup());

  for (const block of blocks.filter((b) => !b.skip)) {
    it(`README.md:${block.line}`, async () => {
      const script = `set -e -o pipefail\ntrap 'echo "README.md:${block.line}: failed: $BASH_COMMAND" >&2' ERR\n${block.text}\n`;
      const child = spawn('bash', ['-c', script], { cwd: home.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(code, `${block.text}\n---\n${out}`).toBe(0);
    }, 60_000);
  }
});
