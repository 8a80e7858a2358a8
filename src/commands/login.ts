import type { Command } from 'commander';
import type { Context, Target } from '../context.js';
import type { Env } from '../env.js';
import { globalsOf, type CommandKit } from '../args/kit.js';
import { resolveBaseUrl } from '../api/base-url.js';
import { AuthError, UsageError } from '../errors.js';
import { refuseMisplacedMasterKey } from '../domain/secret-guard.js';
import { DEFAULT_PROFILE } from '../config/settings.js';
import { fingerprint } from '../text/fingerprint.js';
import { isValidProfileName, type ConfigData, type ConfigStore } from '../config/store.js';
import { chooseStorage, leftoverWarning, parseStorage, saveKey, saveKeyCommand, type Storage } from '../config/key-store.js';
import { keyCommandTimeout } from '../args/flags.js';
import { info, printJson, success, warn } from '../ui/output.js';
import { displayPath } from '../ui/paths.js';
import {
  SANDBOX_BASE_URL,
  SANDBOX_ORG_ADMIN,
  SANDBOX_ORG_PROFILE,
  SANDBOX_ORG_USERS,
  SANDBOX_PROFILE,
  SANDBOX_USER,
  sandboxOrgBaseUrl,
} from '../sandbox/embedded-info.js';
import { registeredCommand } from './registered.js';

export interface LoginOptions {
  /** The profile to create or update; undefined: the current one (README.md "Log in"). */
  profile?: string;
  /** Where to log in; undefined: the profile's own account, else ask (a terminal), else a usage error. */
  target?: Omit<Target, 'token'>;
  /** Read the key from stdin (--with-key) rather than the environment or a prompt. */
  withKey: boolean;
  /** The built-in sandbox: its key comes from the embedded emulator. */
  sandbox: boolean;
  /** --storage; undefined: the profile's recorded choice, else CARTO_KEYS_STORAGE, else the file. */
  storage?: Storage;
  /** --key-cmd: a credential helper stored instead of the key, run now (to verify) and on every run; with its time limit. */
  keyCmd?: { command: string; timeoutMs: number };
  canPrompt: boolean;
}

type LoginFlags = { user?: string; baseUrl?: string; withKey?: boolean; sandbox?: boolean; org?: boolean; storage?: Storage; keyCmd?: string };

export function loginCommand(kit: CommandKit): Command {
  return registeredCommand('login')
    .option('--user <username>', "the account's CARTO username (alone: https://<username>.carto.com)")
    .option('--base-url <url>', 'API root: https://org.carto.com/u/<user> or https://host/user/<user> (on-premises)')
    .option('--with-key', 'read the Master key from stdin instead of prompting')
    .option('--sandbox', 'use the built-in sandbox (no CARTO account needed): profile "sandbox"')
    .option('--org', 'with --sandbox: its organization "acme", as alice (an admin) or --user olivia|bob|dave|carol: profile "sandbox-org"')
    .option('--storage <store>', 'where the key rests: file (0600 config file, default) or keychain (the OS keychain); also CARTO_KEYS_STORAGE', (v: string) => parseStorage(v))
    .option('--key-cmd <command>', 'store this command instead of the key: each run reads the Master key from its stdout (op read, vault kv get…)')
    .addHelpText(
      'after',
      `
The Master key is never accepted as a command-line value (it would show in the process list and
your shell history): it is read from a masked prompt, from stdin (--with-key), or from
CARTO_KEYS_MASTER_KEY. It is verified (it must be the account's Master key) before it is stored.
Here --user is the account you log in as. On the key commands, --user <member> means something else:
an organization admin acting on that member's keys.

Without --profile, login updates the current profile (a new one is named "default"; --sandbox uses
"sandbox"). --profile X login updates X, keeping its user and URL unless new ones are given.
--storage keychain keeps the key in the OS keychain and the config file holds only a reference; if
the keychain cannot be used, login fails and writes nothing. Move a stored key later with
\`carto-keys profile move-key <profile> --to keychain|file\`.
--key-cmd '<command>' stores no key at all: each run reads it from the command's stdout (run by
sh -c, without a terminal, within CARTO_KEYS_KEY_CMD_TIMEOUT, default 30s), as from a secret manager.
CARTO_KEYS_MASTER_KEY_CMD does the same from the environment, with no login.

Examples:
  $ carto-keys login --sandbox
  $ carto-keys login --sandbox --org                  # an organization: alice, admin of "acme"
  $ carto-keys login --sandbox --org --user bob --profile acme-bob
  $ carto-keys login --user jdoe
  $ carto-keys login --base-url https://acme.carto.com/u/jdoe --profile acme
  $ carto-keys login --user jdoe --with-key < master-key.txt
  $ carto-keys login --user jdoe --storage keychain
  $ carto-keys login --user jdoe --key-cmd 'op read op://ci/carto/master-key'
  $ carto-keys --profile acme login --with-key < new-master-key.txt`,
    )
    .action((o: LoginFlags, cmd: Command) => {
      const opts = parseLogin(o, globalsOf(cmd).profile, kit.env, kit.canPrompt());
      kit.run((ctx) => loginRun(ctx, opts));
    });
}

export function parseLogin(o: LoginFlags, flagProfile: string | undefined, env: Env, canPrompt: boolean): LoginOptions {
  if (flagProfile !== undefined && !isValidProfileName(flagProfile)) {
    throw new UsageError(`Invalid profile name "${flagProfile}".`, { hint: 'Profile names use letters, digits, ".", "_" and "-".' });
  }
  if (o.org && !o.sandbox) {
    throw new UsageError('--org goes with --sandbox: log in to the sandbox organization.', {
      hint: 'For a real organization: carto-keys login --base-url https://{org}.carto.com/u/{you}',
    });
  }
  if (o.keyCmd !== undefined) {
    const other = o.withKey ? '--with-key' : o.sandbox ? '--sandbox' : o.storage !== undefined ? '--storage' : undefined;
    if (other !== undefined) throw new UsageError(`--key-cmd and ${other} cannot be used together: with --key-cmd the key is read from the command each run and stored nowhere.`);
    if (o.keyCmd.trim() === '') throw new UsageError('--key-cmd needs a command that prints the Master key.');
  }
  if (o.sandbox && o.org) {
    if (o.baseUrl || o.withKey) throw new UsageError('--sandbox --org takes no --base-url or --with-key: the sandbox has its own accounts.');
    const username = o.user ?? SANDBOX_ORG_ADMIN;
    if (!SANDBOX_ORG_USERS.some((u) => u.startsWith(`${username} `))) {
      throw new UsageError(`The sandbox organization has no user "${username}".`, { hint: `Its users: ${SANDBOX_ORG_USERS.join(', ')}.` });
    }
    return {
      profile: flagProfile ?? SANDBOX_ORG_PROFILE,
      target: { baseUrl: sandboxOrgBaseUrl(username), username, sandbox: true },
      withKey: false,
      sandbox: true,
      ...(o.storage !== undefined && { storage: o.storage }),
      canPrompt,
    };
  }
  if (o.sandbox) {
    if (o.user || o.baseUrl || o.withKey) throw new UsageError('--sandbox takes no --user, --base-url or --with-key: the sandbox has its own account.');
    return {
      profile: flagProfile ?? SANDBOX_PROFILE,
      target: { baseUrl: SANDBOX_BASE_URL, username: SANDBOX_USER, sandbox: true },
      withKey: false,
      sandbox: true,
      ...(o.storage !== undefined && { storage: o.storage }),
      canPrompt,
    };
  }
  let user = o.user;
  let baseUrl = o.baseUrl;
  if (user === undefined && baseUrl === undefined) {
    user = env.CARTO_KEYS_USERNAME || undefined;
    baseUrl = env.CARTO_KEYS_BASE_URL || undefined;
  }
  const target = user === undefined && baseUrl === undefined ? undefined : accountTarget(user, baseUrl);
  return {
    ...(flagProfile !== undefined && { profile: flagProfile }),
    ...(target && { target }),
    withKey: o.withKey === true,
    sandbox: false,
    ...(o.storage !== undefined && { storage: o.storage }),
    ...(o.keyCmd !== undefined && { keyCmd: { command: o.keyCmd.trim(), timeoutMs: keyCommandTimeout(env) } }),
    canPrompt,
  };
}

function accountTarget(user: string | undefined, baseUrl: string | undefined): Omit<Target, 'token'> {
  return { ...resolveBaseUrl({ ...(user !== undefined && { user }), ...(baseUrl !== undefined && { baseUrl }) }), sandbox: false };
}

async function askTarget(ctx: Context): Promise<Omit<Target, 'token'>> {
  const answer = (await ctx.prompter.input('CARTO username or API base URL:')).trim();
  return /^https?:\/\//.test(answer) ? accountTarget(undefined, answer) : accountTarget(answer, undefined);
}

/** The key, from the embedded sandbox, stdin (--with-key), CARTO_KEYS_MASTER_KEY or a masked prompt. */
async function readKey(ctx: Context, opts: LoginOptions, username: string): Promise<string> {
  if (opts.sandbox) {
    const { ensureEmbeddedOrgSandbox, ensureEmbeddedSandbox } = await import('../sandbox/embedded.js');
    const { isSandboxOrgUrl } = await import('../sandbox/embedded-info.js');
    if (opts.target && isSandboxOrgUrl(opts.target.baseUrl)) return ensureEmbeddedOrgSandbox(ctx.paths.data, username).masterKey;
    return ensureEmbeddedSandbox(ctx.paths.data).masterKey;
  }
  if (opts.keyCmd) {
    const { runKeyCommand } = await import('../config/key-command.js');
    return runKeyCommand(opts.keyCmd.command, { env: ctx.env, timeoutMs: opts.keyCmd.timeoutMs, origin: '--key-cmd' });
  }
  if (opts.withKey) {
    if (ctx.io.stdin.isTTY) throw new UsageError('--with-key reads the key from stdin, but stdin is a terminal.', { hint: 'Use: carto-keys login --with-key < key-file' });
    return ctx.io.readStdin();
  }
  const envKey = ctx.env.CARTO_KEYS_MASTER_KEY;
  if (envKey) return envKey;
  if (!ctx.io.canPrompt()) throw new UsageError('No Master key: pass --with-key and the key on stdin, or set CARTO_KEYS_MASTER_KEY.');
  return ctx.prompter.password(`Master key of ${username}:`);
}

export async function loginRun(ctx: Context, opts: LoginOptions): Promise<void> {
  // A config file we could not write (another user's, unreadable) is refused before the key is sent anywhere.
  const store = await ctx.config();
  const data = store.read();
  const profile = opts.profile ?? defaultLoginProfile(data, opts.sandbox);
  const existing = data.profiles[profile];
  const storage = chooseStorage(opts.storage, existing, ctx.env);
  // --profile X login, with no account given: X's own account.
  const own = existing !== undefined && existing.sandbox !== true && !opts.sandbox ? { username: existing.username, baseUrl: existing.baseUrl, sandbox: false } : undefined;
  if (opts.target === undefined && own === undefined && !opts.canPrompt) throw new UsageError('Which account? Pass --user <username> or --base-url <url>.');
  const where = opts.target ?? own ?? (await askTarget(ctx));
  const token = (await readKey(ctx, opts, where.username)).trim();
  if (token === '') throw new UsageError('The Master key is empty.');
  if (/\s/.test(token)) throw new UsageError('The Master key contains spaces or line breaks; check what was pasted or piped.');
  const target: Target = { ...where, token };
  refuseMisplacedMasterKey(token, { ...ctx.typedValues(), username: target.username, baseUrl: target.baseUrl });
  const api = await ctx.clientFor(target);
  let key;
  try {
    key = await api.whoami();
  } catch (err) {
    if (err instanceof AuthError) {
      throw new AuthError(`CARTO rejected this key for user "${target.username}" at ${target.baseUrl}. Nothing was stored.`, {
        hint: 'Check the username and copy the Master key again from your CARTO dashboard (Settings > API keys).',
        code: 'key_rejected',
        status: 401,
      });
    }
    throw err;
  }
  if (key.type !== 'master') {
    throw new AuthError(`This is the ${key.type === 'default' ? 'Default public' : 'regular'} key "${key.name}", not the Master key. Nothing was stored.`, {
      hint: 'carto-keys needs the Master key: find it in your CARTO dashboard (Settings > API keys).',
      code: 'not_master_key',
    });
  }
  if (opts.keyCmd) return keyCommandLoggedIn(ctx, store, { profile, username: target.username, baseUrl: target.baseUrl, keyCmd: opts.keyCmd.command, token });
  // The keychain (when chosen) is written first: if it cannot be used, nothing at all is written.
  const { leftover } = await saveKey(
    { store, keychain: ctx.keychain },
    { profile, username: target.username, baseUrl: target.baseUrl, sandbox: opts.sandbox, token, storage, makeCurrent: true },
  );
  const backend = storage === 'keychain' ? (await ctx.keychain()).backend : undefined;
  if (ctx.globals.json) {
    printJson(ctx, {
      profile,
      username: target.username,
      baseUrl: target.baseUrl,
      sandbox: opts.sandbox,
      fingerprint: fingerprint(token),
      configPath: store.path,
      store: backend === undefined ? { kind: 'file', path: store.path } : { kind: 'keychain', backend },
    });
    if (leftover !== undefined) warn(ctx, leftoverWarning(leftover, profile));
    return;
  }
  // Two short lines rather than one of 130 characters: each fits an 80-column terminal.
  const rests = backend === undefined ? `in ${displayPath(store.path, ctx.env, { homeFirst: true })}` : `in the OS keychain (${backend})`;
  success(ctx, `Logged in as ${target.username} at ${opts.sandbox ? 'the built-in sandbox' : target.baseUrl}.`);
  info(ctx, `  Profile "${profile}", now current. Key ${rests}`);
  // The key is saved: an old keychain copy that could not be removed is a warning, never "nothing was written".
  if (leftover !== undefined) warn(ctx, leftoverWarning(leftover, profile));
}

/** A credential helper in place of a key: the profile records the command, and the key stays in memory. */
async function keyCommandLoggedIn(
  ctx: Context,
  store: ConfigStore,
  s: { profile: string; username: string; baseUrl: string; keyCmd: string; token: string },
): Promise<void> {
  await saveKeyCommand({ store, keychain: ctx.keychain }, { profile: s.profile, username: s.username, baseUrl: s.baseUrl, keyCmd: s.keyCmd, makeCurrent: true });
  if (ctx.globals.json) {
    const where = { profile: s.profile, username: s.username, baseUrl: s.baseUrl, sandbox: false, fingerprint: fingerprint(s.token), configPath: store.path };
    printJson(ctx, { ...where, store: { kind: 'command', command: s.keyCmd } });
    return;
  }
  success(ctx, `Logged in as ${s.username} at ${s.baseUrl}.`);
  info(ctx, `  Profile "${s.profile}", now current. Each run reads the Master key from \`${s.keyCmd}\`; it is stored nowhere.`);
}

/**
 * Without --profile: the current profile (README.md "Log in"), or "default" when there is none. A sandbox
 * login and an account login never overwrite each other's profile: \`login --sandbox\` uses "sandbox",
 * and a real account never replaces the current profile when that is the sandbox.
 */
function defaultLoginProfile(data: ConfigData, sandbox: boolean): string {
  if (sandbox) return SANDBOX_PROFILE;
  const current = data.currentProfile;
  if (current === undefined || data.profiles[current]?.sandbox === true) return DEFAULT_PROFILE;
  return current;
}
