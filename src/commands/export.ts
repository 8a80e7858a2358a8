import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { requireCredentials } from '../config/settings.js';
import { FileError, UsageError } from '../errors.js';
import { printJson, success, warn } from '../ui/output.js';
import { defaultSchemaFor } from '../api/base-url.js';
import { addMemberOption } from '../args/flags.js';
import type { CommandKit } from '../args/kit.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { commandLine } from '../text/command-line.js';
import { DEFAULT_KEY_FILE } from '../keyfile/model.js';
import { registeredCommand } from './registered.js';

export interface ExportOptions {
  /** `--user`: an organization member's keys. */
  user?: string;
  /** undefined: stdout. */
  output?: string;
  force: boolean;
}

export function exportCommand(kit: CommandKit): Command {
  return addMemberOption(registeredCommand('export'))
    .option('-o, --output <file>', 'write to this file instead of stdout (.json: as JSON)')
    .option('--force', 'overwrite the file if it exists')
    .addHelpText(
      'after',
      `
Every regular key, in the normalized create form (as clone uses); the Master and Default public keys
are not managed. No token is written. \`carto-keys plan\` right after shows no changes.

Examples:
  $ carto-keys export -o carto-keys.yaml
  $ carto-keys export > carto-keys.yaml
  $ carto-keys export --json > carto-keys.json      # JSON is valid YAML: plan -f reads it as is`,
    )
    .action((o: { output?: string; force?: boolean; user?: string }) => {
      if (o.output !== undefined && o.output.trim() === '') throw new UsageError('-o/--output is empty: expected a file name.');
      const opts: ExportOptions = { ...(o.output !== undefined && { output: o.output }), force: o.force === true, ...(o.user !== undefined && { user: o.user }) };
      kit.run((ctx) => exportRun(ctx, opts));
    });
}

export async function exportRun(ctx: Context, opts: ExportOptions): Promise<void> {
  // Refused before anything is fetched: the file is somebody's work.
  if (opts.output !== undefined && !opts.force && existsSync(opts.output)) {
    throw new UsageError(`${opts.output} already exists.`, { hint: 'Pass --force to overwrite it, or choose another file with -o.' });
  }
  const creds = requireCredentials(await ctx.settings());
  const { exportKeys } = await import('../keyfile/export.js');
  const api = (await ctx.api()).forUser(opts.user);
  const keys = await api.listKeys({ type: ['regular'] });
  const json = ctx.globals.json;
  const asJson = opts.output === undefined ? json : opts.output.toLowerCase().endsWith('.json');
  const result = exportKeys(keys, { defaultSchema: defaultSchemaFor(creds.baseUrl, api.targetUser ?? creds.username), asJson });
  for (const w of result.warnings) warn(ctx, w);
  if (opts.output === undefined) {
    ctx.io.stdout.write(result.text);
    return;
  }
  await writeKeyFile(opts.output, result.text, opts.force);
  const names = result.keys.map((k) => k.name);
  if (json) printJson(ctx, { file: opts.output, keys: names });
  else success(ctx, `Wrote ${names.length} ${names.length === 1 ? 'key' : 'keys'} to ${opts.output}. Next: ${commandLine('plan', { options: opts.output === DEFAULT_KEY_FILE ? [] : ['-f', opts.output] }, { user: api.targetUser })}`);
}

/** Without --force the file is created exclusively (never overwritten); with it, replaced atomically. */
async function writeKeyFile(path: string, text: string, force: boolean): Promise<void> {
  try {
    writeFileAtomic(path, text, { mode: 0o644, exclusive: !force });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new UsageError(`${path} already exists.`, { hint: 'Pass --force to overwrite it.' });
    throw new FileError(`Cannot write ${path}: ${code ?? String(err)}.`);
  }
}
