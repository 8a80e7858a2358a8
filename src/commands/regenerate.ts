import { Command } from 'commander';
import type { Context } from '../context.js';
import { DEFAULT_PUBLIC_KEY_NAME, MASTER_KEY_NAME, type WireApiKey } from '../api/types.js';
import { requireCredentials } from '../config/settings.js';
import type { ApiClient } from '../api/client.js';
import { withHint } from '../api/failures.js';
import { ApiError, AuthError, FileError, UsageError } from '../errors.js';
import { globalsOf, type CommandKit } from '../args/kit.js';
import { requireYesOrTty } from '../args/flags.js';
import { printCreatedKey } from '../ui/key-output.js';
import { printJson, printLine, success, warn } from '../ui/output.js';
import { confirmOrCancel } from '../ui/prompts.js';
import { shellQuote } from '../ui/shell-quote.js';

export interface RegenerateOptions {
  name: string;
  tokenOnly: boolean;
  printToken: boolean;
}

export function regenerateCommand(kit: CommandKit): Command {
  return new Command('regenerate')
    .description('Give an API key a new token, after confirmation (the old token stops working at once)')
    .argument('<name>', 'name of the API key ("Master" included)')
    .option('--token-only', 'print only the new token, for $(...)')
    .option('--print-token', 'for Master with the key in CARTO_KEYS_MASTER_KEY: print the new Master key once')
    .addHelpText(
      'after',
      `
Apps using the old token break until they get the new one. To replace a key without downtime, use
\`carto-keys rotate <name>\`. Regenerating Master stores the new key in the profile that used the old one.

Examples:
  $ carto-keys regenerate app
  $ carto-keys regenerate Master --yes`,
    )
    .action((name: string, o: { tokenOnly?: boolean; printToken?: boolean }, cmd: Command) => {
      if (name === DEFAULT_PUBLIC_KEY_NAME) {
        throw new UsageError('The Default public key has a fixed token ("default_public") and cannot be regenerated.');
      }
      requireYesOrTty(globalsOf(cmd).yes, kit.canPrompt(), 'Regenerating a token');
      const opts: RegenerateOptions = { name, tokenOnly: o.tokenOnly === true, printToken: o.printToken === true };
      kit.run((ctx) => regenerateRun(ctx, opts));
    });
}

export async function regenerateRun(ctx: Context, opts: RegenerateOptions): Promise<void> {
  const creds = requireCredentials(await ctx.settings());
  const master = opts.name === MASTER_KEY_NAME;
  // With the key only in the environment there is no profile to store a new Master key in: the user
  // must ask for it to be printed, or it would be lost (and the account locked out of this tool).
  if (master && creds.keySource.kind === 'env' && !opts.printToken) {
    throw new UsageError('The Master key comes from CARTO_KEYS_MASTER_KEY, so there is no profile to store the new one in.', {
      hint: 'Pass --print-token to print the new Master key once on stdout, then update CARTO_KEYS_MASTER_KEY.',
    });
  }
  const api = await ctx.api();
  const key = await api.getKey(opts.name);
  if (!ctx.globals.json) {
    warn(ctx, `Apps using the current token of "${key.name}" will stop working until they get the new one.`);
    if (key.type === 'regular') warn(ctx, `To switch apps over without downtime, use \`carto-keys rotate ${shellQuote(key.name)}\` instead.`);
  }
  await confirmOrCancel(ctx, `Regenerate the token of "${key.name}"?`);
  const regenerate = async (): Promise<WireApiKey> => {
    let updated: WireApiKey;
    let recovered = false;
    try {
      updated = await api.regenerateKey(key.name);
    } catch (err) {
      updated = await afterFailedRegenerate(api, key, err);
      recovered = true;
    }
    if (recovered && !ctx.globals.json) warn(ctx, 'The token was regenerated but the reply was lost or unreadable; fetched the new one.');
    return updated;
  };
  if (key.type === 'master' && !(opts.printToken && creds.keySource.kind === 'env')) {
    await regenerateStoredMaster(ctx, creds.profile, regenerate);
    return;
  }
  const updated = await regenerate();
  if (updated.type === 'master') {
    printLine(ctx, updated.token);
    if (!ctx.globals.json) warn(ctx, 'Update CARTO_KEYS_MASTER_KEY (and any secret store holding it) with the new Master key.');
    return;
  }
  printCreatedKey(ctx, updated, opts.tokenOnly, 'Regenerated');
}

/**
 * The new Master key exists only in the reply: losing it locks the user out of this tool. So the config
 * lock is taken and the file proven writable (written back unchanged) BEFORE the request, and held
 * until the new key is stored: another process holding the lock, a read-only folder or a full disk
 * then refuse with nothing regenerated.
 */
async function regenerateStoredMaster(ctx: Context, profile: string, regenerate: () => Promise<WireApiKey>): Promise<void> {
  const store = await ctx.config();
  let regenerated: WireApiKey | undefined;
  let key: WireApiKey;
  try {
    key = await store.update(
      async (data) => {
        if (!data.profiles[profile]) throw new FileError(`Profile "${profile}" is not in the config file ${store.path}: there is nowhere to store a new Master key.`);
        regenerated = await regenerate();
        data.profiles[profile]!.masterKey = regenerated.token;
        return regenerated;
      },
      { prove: true, wait: false },
    );
  } catch (err) {
    if (regenerated === undefined) {
      if (err instanceof FileError) throw new FileError(`Nothing was regenerated: ${lowerFirst(err.message)}`, { ...(err.hint !== undefined && { hint: err.hint }), cause: err });
      throw err;
    }
    throw new FileError(`The Master key was regenerated, but the new key could not be stored in profile "${profile}": ${err instanceof Error ? err.message : String(err)}`, {
      hint: 'Copy the new Master key from your CARTO dashboard (API keys) and run `carto-keys login` again.',
      cause: err,
    });
  }
  if (ctx.globals.json) printJson(ctx, { name: key.name, type: key.type, stored: true, profile });
  else success(ctx, `Regenerated the Master key and stored it in profile "${profile}" (${store.path}).`);
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

/** Failures after which the server may or may not have changed the token. */
const UNKNOWN_OUTCOME: readonly string[] = ['network', 'timeout', 'server', 'bad_response', 'http'];

/**
 * The request failed in a way that leaves the token's fate unknown (the reply was lost or unreadable):
 * look at the key again instead of leaving the user to guess. Returns the key if its token did change;
 * otherwise throws an error that says which way it went.
 */
async function afterFailedRegenerate(api: ApiClient, before: WireApiKey, err: unknown): Promise<WireApiKey> {
  if (!(err instanceof ApiError) || !UNKNOWN_OUTCOME.includes(err.kind)) throw err;
  let now: WireApiKey;
  try {
    now = await api.getKey(before.name);
  } catch (lookup) {
    if (lookup instanceof AuthError && before.type === 'master') {
      // The old Master key is rejected now: it was regenerated, and the only copy of the new one was
      // in the reply that got lost.
      throw new ApiError(err.kind, `The Master key was regenerated, but the reply with the new key was lost: ${err.message.replace(/^Could not [^:]*: /, '')}`, {
        hint: 'The stored key no longer works: copy the new Master key from your CARTO dashboard (Settings > API keys) and run `carto-keys login` again.',
        ...(err.status !== undefined && { status: err.status }),
        cause: err,
      });
    }
    throw err;
  }
  if (now.token !== before.token) return now;
  throw withHint(err, `The token has not changed (checked just now): "${before.name}" still works with its old token; try again.`);
}
