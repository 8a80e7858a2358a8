// stdout carries results only; everything a person reads while waiting goes to stderr.

import type { Context } from '../context.js';
import { colors } from './color.js';
import { escapeLine, escapeTerminal } from '../text/escape.js';
import { widthOf } from './width.js';

export function printJson(ctx: Context, value: unknown): void {
  ctx.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLine(ctx: Context, line = ''): void {
  ctx.io.stdout.write(`${escapeTerminal(line)}\n`);
}

// Progress, success and warning lines are one line each: a line break inside one (from a name that was
// not escaped where it was put in) is shown escaped rather than starting a forged line.
export function info(ctx: Context, line: string): void {
  ctx.io.stderr.write(`${escapeLine(line)}\n`);
}

export function success(ctx: Context, line: string): void {
  ctx.io.stderr.write(`${colors(ctx.io.colorStderr).green('✓')} ${escapeLine(line)}\n`);
}

export function warn(ctx: Context, line: string): void {
  ctx.io.stderr.write(`${colors(ctx.io.colorStderr).yellow('!')} ${escapeLine(line)}\n`);
}

/** What read-only views show of the Master token: not one character of it. */
export const HIDDEN_MASTER_TOKEN = 'hidden';

/**
 * Masks a token for read-only views: enough to recognise a regular key, not enough to use it. The
 * Master token shows nothing at all: it grants everything, and `status` identifies it by fingerprint.
 */
export function maskToken(token: string, type?: string): string {
  if (type === 'master') return HIDDEN_MASTER_TOKEN;
  if (token === 'default_public') return token; // Public by definition; masking it would only confuse.
  return `${token.slice(0, 4)}…`;
}

/** The width tables fit into on a terminal (see widthOf). */
export function terminalWidth(ctx: Context): number {
  return widthOf(ctx.env, ctx.io.stdout);
}
