import type { Command } from 'commander';
import { escapeControl } from '../text/escape.js';
import type { Context } from '../context.js';
import { DEFAULT_PUBLIC_KEY_NAME, MASTER_KEY_NAME, type WireApiKey } from '../api/types.js';
import { describeKeySource, keyStoredByUs, requireCredentials } from '../config/settings.js';
import { keychainAccount } from '../config/key-store.js';
import type { ApiClient } from '../api/client.js';
import { withHint } from '../api/failures.js';
import { ApiError, AuthError, CancelledError, FileError, UsageError } from '../errors.js';
import { globalsOf, type CommandKit } from '../args/kit.js';
import { addMemberOption, checkTokenOnly, requireYesOrTty } from '../args/flags.js';
import { printCreatedKey } from '../ui/key-output.js';
import { info, printJson, printLine, success, warn } from '../ui/output.js';
import { confirmOrCancel } from '../ui/prompts.js';
import { commandLine } from '../text/command-line.js';
import { registeredCommand } from './registered.js';

export interface RegenerateOptions {
  name: string;
  tokenOnly: boolean;
  printToken: boolean;
  /** `--user`: an organization member's key. */
  user?: string;
  /** Say what would be regenerated, after the same checks; only reads. */
  dryRun?: boolean;
}

export function regenerateCommand(kit: CommandKit): Command {
  const cmd = registeredCommand('regenerate')
    .argument('<name>', 'name of the API key ("Master" included)')
    .option('--token-only', 'print only the new token, for $(...)')
    .option('--print-token', 'for Master with the key in CARTO_KEYS_MASTER_KEY: print the new Master key once')
    .option('--dry-run', 'say what would be regenerated; change nothing');
  return addMemberOption(cmd)
    .addHelpText(
      'after',
      `
Apps using the old token break until they get the new one. To replace a key without downtime, use
\`carto-keys rotate <name>\`. Regenerating Master stores the new key in the profile that used the old one.
Regenerating another member's Master key (--user) asks for their username to be typed; without a
terminal it needs --yes. Their new Master key is neither stored nor printed: it is theirs.

Examples:
  $ carto-keys regenerate app
  $ carto-keys regenerate Master --yes
  $ carto-keys regenerate app --dry-run
  $ carto-keys regenerate bob-dashboard --user bob`,
    )
    .action((name: string, o: { tokenOnly?: boolean; printToken?: boolean; user?: string; dryRun?: boolean }, cmd: Command) => {
      if (name === DEFAULT_PUBLIC_KEY_NAME) {
        throw new UsageError('The Default public key has a fixed token ("default_public") and cannot be regenerated.');
      }
      checkTokenOnly(o.tokenOnly === true, globalsOf(cmd).json);
      if (o.dryRun !== true) requireYesOrTty(globalsOf(cmd).yes, kit.canPrompt(), 'Regenerating a token');
      const opts: RegenerateOptions = {
        name,
        tokenOnly: o.tokenOnly === true,
        printToken: o.printToken === true,
        ...(o.user !== undefined && { user: o.user }),
        ...(o.dryRun === true && { dryRun: true }),
      };
      kit.run((ctx) => regenerateRun(ctx, opts));
    });
}

export async function regenerateRun(ctx: Context, opts: RegenerateOptions): Promise<void> {
  const creds = requireCredentials(await ctx.settings());
  if (opts.user !== undefined && opts.user !== creds.username) return regenerateForMember(ctx, opts, opts.user);
  const master = opts.name === MASTER_KEY_NAME;
  // With the key only in the environment (or read from a command) there is no place of ours to store
  // a new Master key in: the user must ask for it to be printed, or it would be lost (and the account
  // locked out of this tool).
  const stored = keyStoredByUs(creds.keySource);
  if (master && !stored && !opts.printToken) {
    throw new UsageError(`The Master key comes from ${describeKeySource(creds.keySource)}, so carto-keys has nowhere to store the new one.`, {
      hint: 'Pass --print-token to print the new Master key once on stdout, then put it where the key comes from.',
    });
  }
  // A stored Master key is replaced in its profile and never printed: a flag asking to print it would
  // otherwise be dropped without a word.
  if (master && stored && (opts.printToken || opts.tokenOnly)) {
    throw new UsageError(`${opts.printToken ? '--print-token' : '--token-only'} cannot print a Master key stored in profile "${creds.profile}": the new key is stored there, never printed.`, {
      hint: '--print-token is for a Master key that comes from CARTO_KEYS_MASTER_KEY or a command, which carto-keys cannot store the new one in.',
    });
  }
  const api = await ctx.api();
  const key = await api.getKey(opts.name, { verb: 'regenerate' });
  if (opts.dryRun) return printDryRun(ctx, key);
  if (!ctx.globals.json) {
    warn(ctx, `Apps using the current token of "${escapeControl(key.name)}" will stop working until they get the new one.`);
    if (key.type === 'regular') warn(ctx, `To switch apps over without downtime, use \`${commandLine('rotate', { args: [key.name] }, { user: api.targetUser })}\` instead.`);
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
  if (key.type === 'master' && !(opts.printToken && !stored)) {
    await regenerateStoredMaster(ctx, creds.profile, regenerate);
    return;
  }
  const updated = await regenerate();
  if (updated.type === 'master') {
    printLine(ctx, updated.token);
    if (!ctx.globals.json) warn(ctx, `Update ${creds.keySource.kind === 'command' ? 'the secret store your command reads' : 'CARTO_KEYS_MASTER_KEY (and any secret store holding it)'} with the new Master key.`);
    return;
  }
  printCreatedKey(ctx, updated, opts.tokenOnly, 'Regenerated');
}

function printDryRun(ctx: Context, key: WireApiKey, member?: string): void {
  const of = member === undefined ? '' : ` of ${member}`;
  if (ctx.globals.json) printJson(ctx, { dryRun: true, regenerate: key.name, ...(member !== undefined && { user: member }), type: key.type });
  else info(ctx, `Dry run: would give "${key.name}"${of} a new token; apps using the current one would stop working. Nothing was changed.`);
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
  let where = store.path;
  try {
    key = await store.update(
      async (data) => {
        const stored = data.profiles[profile];
        if (!stored) throw new FileError(`Profile "${profile}" is not in the config file ${store.path}: there is nowhere to store a new Master key.`);
        if (stored.storage !== 'keychain') {
          regenerated = await regenerate();
          stored.masterKey = regenerated.token;
          return regenerated;
        }
        // The profile keeps its key in the OS keychain: the new one goes there. Its entry is written
        // back unchanged first, so a keychain that cannot be written refuses with nothing regenerated.
        const keychain = await ctx.keychain();
        const account = stored.keychainAccount ?? keychainAccount(profile, stored.baseUrl);
        const current = await keychain.get(account);
        if (current !== undefined) await keychain.set(account, current);
        regenerated = await regenerate();
        await keychain.set(account, regenerated.token);
        stored.keychainAccount = account;
        where = `the OS keychain (${keychain.backend})`;
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
  else success(ctx, `Regenerated the Master key and stored it in profile "${profile}" (${where}).`);
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

/**
 * `--user bob`: bob's key, through target_user. Bob's Master key is bob's own: regenerating it locks
 * bob (and everything using it) out, so on a terminal the person types bob's username to confirm, as
 * for deleting a repository in gh; its new value is neither stored (this profile is not bob's) nor
 * printed.
 */
async function regenerateForMember(ctx: Context, opts: RegenerateOptions, member: string): Promise<void> {
  if (opts.printToken) {
    throw new UsageError(`--print-token is for your own Master key: ${member}'s new Master key is never printed.`);
  }
  const api = (await ctx.api()).forUser(member);
  const key = await api.getKey(opts.name, { verb: 'regenerate' });
  if (opts.dryRun) return printDryRun(ctx, key, member);
  const json = ctx.globals.json;
  if (key.type === 'master') {
    if (!json) warn(ctx, `This changes the Master key of ${member}: everything using it stops working, and ${member} must copy the new one from their dashboard.`);
    if (!ctx.globals.yes) {
      const typed = await ctx.prompter.input(`Type the username "${member}" to regenerate their Master key:`);
      if (typed.trim() !== member) throw new CancelledError(`"${typed.trim()}" is not "${member}": nothing was changed.`);
    }
  } else {
    if (!json) warn(ctx, `Apps using the current token of "${escapeControl(key.name)}" of ${member} will stop working until they get the new one.`);
    await confirmOrCancel(ctx, `Regenerate the token of "${key.name}" of ${member}?`);
  }
  let updated: WireApiKey;
  try {
    updated = await api.regenerateKey(key.name);
  } catch (err) {
    updated = await afterFailedRegenerate(api, key, err);
  }
  if (updated.type !== 'master') {
    printCreatedKey(ctx, updated, opts.tokenOnly, 'Regenerated', member);
    return;
  }
  if (json) printJson(ctx, { name: updated.name, type: updated.type, user: member, regenerated: true, stored: false });
  else success(ctx, `Regenerated the Master key of ${member}. It was not stored or printed: ${member} finds the new one in their CARTO dashboard (Settings > API keys).`);
}

/**
 * The request failed in a way that leaves the token's fate unknown (the reply was lost or unreadable):
 * look at the key again instead of leaving the user to guess. Returns the key if its token did change;
 * otherwise throws an error that says which way it went.
 */
async function afterFailedRegenerate(api: ApiClient, before: WireApiKey, err: unknown): Promise<WireApiKey> {
  if (!(err instanceof ApiError) || err.delivery !== 'ambiguous') throw err;
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
