// A real terminal for tests: tmux runs a script (the built binary, a script of ours) in a window of a
// given size, the test types keys and reads the screen as a person would. Without tmux, `describeTty`
// skips (with the reason) on a laptop and fails under CI=true, so CI never passes by skipping.

import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { tempHome } from './e2e.js';
import { serveInProcess, type ServeOptions } from './served.js';

export const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const SKIP_REASON = 'tmux is not installed (apt-get install tmux); CI installs it and fails without it';

/** `describe` when tmux exists; otherwise one skipped test (or, under CI=true, one failing test). */
export function describeTty(name: string, body: () => void): void {
  describe(name, () => {
    if (hasTmux) return body();
    if (process.env.CI === 'true') {
      it('has tmux', () => {
        throw new Error(`CI=true but ${SKIP_REASON}`);
      });
    } else {
      console.warn(`[${name}] skipped: ${SKIP_REASON}`);
      it.skip(`skipped: ${SKIP_REASON}`, () => {});
    }
  });
}

export interface Terminal {
  /** The whole pane, scrollback included, lines joined where they wrapped. */
  screen(): string;
  /** The pane as displayed: wrapped lines stay wrapped (what a person sees at this width). */
  rows(): string;
  /** Polls the screen until `pattern` appears `times` times; fails with the screen after the timeout. */
  waitFor(pattern: RegExp, times?: number, timeoutMs?: number): Promise<string>;
  keys(...keys: string[]): void;
  type(text: string): void;
  close(): void;
}

/** A tmux server of our own (a unique socket), running `script` in a `width`×`height` window. */
export function openTerminal(script: string, size: { width?: number; height?: number } = {}): Terminal {
  const socket = `carto-keys-test-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  const tmux = (...args: string[]): string => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
  tmux('-f', '/dev/null', 'new-session', '-d', '-s', 'main', '-x', String(size.width ?? 200), '-y', String(size.height ?? 50), `sh ${script}`);
  const socketPath = tmux('display-message', '-p', '#{socket_path}').trim();
  const screen = (): string => tmux('capture-pane', '-p', '-J', '-S', '-', '-t', 'main');
  return {
    screen,
    rows: () => tmux('capture-pane', '-p', '-S', '-', '-t', 'main'),
    async waitFor(pattern, times = 1, timeoutMs = 15_000) {
      const global = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`);
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const text = screen();
        if ((text.match(global) ?? []).length >= times) return text;
        if (Date.now() > deadline) throw new Error(`Timed out waiting for ${pattern} (×${times}). Screen:\n${text}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    keys: (...keys) => void tmux('send-keys', '-t', 'main', ...keys),
    type: (text) => void tmux('send-keys', '-t', 'main', '-l', text),
    close: () => {
      spawnSync('tmux', ['-L', socket, 'kill-server']);
      rmSync(socketPath, { force: true });
    },
  };
}

const q = (v: string): string => `'${v.replace(/'/g, `'\\''`)}'`;

/**
 * Writes a script that runs `argv` in `cwd` with exactly `env` (plus PATH, LANG, TERM), then prints
 * `EXIT:<code>` and stays open so the screen can be read.
 */
export function terminalScript(dir: string, argv: string[], env: Record<string, string>, cwd = dir): string {
  const script = join(dir, `run-${Math.random().toString(36).slice(2, 8)}.sh`);
  const exports = Object.entries({ PATH: process.env.PATH ?? '', NO_COLOR: '1', LANG: 'C.UTF-8', TERM: 'xterm-256color', ...env })
    .map(([k, v]) => `export ${k}=${q(v)}`)
    .join('\n');
  writeFileSync(script, `${exports}\ncd ${q(cwd)}\n${argv.map(q).join(' ')}\necho "EXIT:$?"\nsleep 600\n`);
  return script;
}

/**
 * For one test: a sandbox served from the test process, a temporary HOME, and a terminal opened with
 * `open` (one at a time: opening another closes the last), all stopped or removed when the test ends.
 * Tests built on it share nothing, so they can run at once.
 */
export async function servedTerminal(onTestFinished: (fn: () => Promise<void>) => void, serve: ServeOptions = {}) {
  const sb = await serveInProcess(serve);
  const home = tempHome();
  let term: Terminal | undefined;
  onTestFinished(async () => {
    term?.close();
    await sb.stop();
    home.cleanup();
  });
  const open = (script: string, size?: { width?: number; height?: number }): Terminal => {
    term?.close();
    return (term = openTerminal(script, size));
  };
  return { sb, home, open };
}
