// Flag parsers and checks shared by several commands' parse layers. Pure: no I/O.

import { Option, type Command } from 'commander';
import { validateUsername } from '../api/base-url.js';
import { UsageError } from '../errors.js';
import { parseDuration } from '../domain/duration.js';
import { DEFAULT_KEY_CMD_TIMEOUT_MS, KEY_CMD_TIMEOUT_ENV } from '../config/key-command.js';
import type { Env } from '../env.js';

/** commander collector for repeatable options. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function positiveInt(flag: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
      throw new UsageError(`${flag} must be a positive whole number, got "${value}".`);
    }
    return Number(value);
  };
}

/** `--token-only` prints the token alone, `--json` one JSON document: asking for both is a contradiction. */
export function checkTokenOnly(tokenOnly: boolean, json: boolean): void {
  if (tokenOnly && json) {
    throw new UsageError('--token-only and --json cannot be used together: one prints the token alone, the other a JSON document.', {
      hint: 'For the token from JSON, use --json and read its "token" field.',
    });
  }
}

/** Destructive commands: refuse without --yes when nobody can be asked. */
export function requireYesOrTty(yes: boolean, canPrompt: boolean, what: string): void {
  if (!yes && !canPrompt) {
    throw new UsageError(`${what} needs confirmation: pass --yes when not running in a terminal.`);
  }
}

/**
 * `--user <member>`: act on an organization member's keys (docs/auth-api.md §8: `target_user`). An
 * invalid username is a usage error here, before anything is read or sent.
 */
export function addMemberOption(cmd: Command): Command {
  return cmd.option(
    '--user <member>',
    "act on this organization member's keys (organization owners and admins, with their own Master key)",
    (value: string) => validateUsername(value, '--user'),
  );
}

export type OutputFormat = 'text' | 'markdown';

/**
 * `--format markdown`: GitHub Flavored Markdown on stdout, for pull-request comments and CI job
 * summaries (tables, names escaped, never a token). `text` is the default terminal or TSV output.
 */
export function formatOption(): Option {
  return new Option('--format <format>', 'text (default) or markdown: tables for pull requests and CI job summaries').choices(['text', 'markdown']);
}

/** The chosen format; `--format markdown` with `--json` asks for two documents at once. */
export function outputFormat(format: OutputFormat | undefined, json: boolean): OutputFormat {
  if (format === 'markdown' && json) throw new UsageError('--format markdown and --json cannot be used together: pick one document.');
  return format ?? 'text';
}

/** The time limit of a Master key command: CARTO_KEYS_KEY_CMD_TIMEOUT (a duration: 10s, 2m), else 30 s. */
export function keyCommandTimeout(env: Env): number {
  const raw = env[KEY_CMD_TIMEOUT_ENV];
  if (raw === undefined || raw.trim() === '') return DEFAULT_KEY_CMD_TIMEOUT_MS;
  return parseDuration(raw, KEY_CMD_TIMEOUT_ENV).ms;
}
