// stdout carries results only; everything a person reads while waiting goes to stderr.

import type { Context } from '../context.js';
import { colors } from './color.js';
import { widthOf } from './width.js';

export function printJson(ctx: Context, value: unknown): void {
  ctx.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLine(ctx: Context, line = ''): void {
  ctx.io.stdout.write(`${line}\n`);
}

export function info(ctx: Context, line: string): void {
  ctx.io.stderr.write(`${line}\n`);
}

export function success(ctx: Context, line: string): void {
  ctx.io.stderr.write(`${colors(ctx.io.colorStderr).green('✓')} ${line}\n`);
}

export function warn(ctx: Context, line: string): void {
  ctx.io.stderr.write(`${colors(ctx.io.colorStderr).yellow('!')} ${line}\n`);
}

/** Masks a token for read-only views: enough to recognise it, not enough to use it. */
export function maskToken(token: string): string {
  if (token === 'default_public') return token; // Public by definition; masking it would only confuse.
  return `${token.slice(0, 4)}…`;
}

/** The width tables fit into on a terminal (see widthOf). */
export function terminalWidth(ctx: Context): number {
  return widthOf(ctx.env, ctx.io.stdout);
}
