// Builds a Context from its dependencies and the parsed global flags. Production (main.ts, through
// cli.ts) and tests (test/helpers/harness.ts) both use it, so the lazy wiring of config, settings and
// API clients is the same code under test and in use.

import type { ApiClient, FetchLike } from './api/client.js';
import type { ClosableFetch } from './api/http.js';
import type { Context, GlobalOptions, Io, Prompter, Target } from './context.js';
import type { Env } from './env.js';
import type { Shell } from './deploy/command.js';
import type { Records } from './records/records.js';
import { appPaths, type AppPaths } from './config/paths.js';
import { keyFromEnvironment, requireCredentials, resolveSettings, type ResolvedSettings } from './config/settings.js';
import { keyCommandTimeout } from './args/flags.js';
import { openConfigStore } from './config/store.js';
import { recordingNames, writeMembers, writeNames, type NamesChange } from './cache/recorder.js';
import { accountOf } from './records/account.js';
import { refuseClearText, refuseInsecureTls } from './api/clear-text.js';
import type { Keychain } from './config/keychain.js';
import { refuseMisplacedMasterKey } from './domain/secret-guard.js';
import { UsageError } from './errors.js';
import { escapeControl } from './text/escape.js';

export interface ContextDeps {
  io: Io;
  prompter: Prompter;
  env: Env;
  now?: () => Date;
  stopSignal?: () => Promise<string>;
  paths?: AppPaths;
  /** The network transport. Production: node:http, or undici behind a proxy (lazy); tests: msw's fetch or a sandbox handler. */
  fetch?: () => Promise<FetchLike>;
  /** The raw command line: checked for a Master key typed where it must never be (src/domain/secret-guard.ts). */
  argv?: readonly string[];
  /** How deploy commands run. Production: `sh` (src/deploy/command.ts); tests may interpret them in-process. */
  shell?: Shell;
  /** Options for every API client (tests make retries instant). */
  clientOptions?: { sleep?: (ms: number) => Promise<void>; timeoutMs?: number; retries?: number };
}

export function createContext(deps: ContextDeps, globals: GlobalOptions): Context & { dispose(): Promise<void> } {
  const paths = deps.paths ?? appPaths(deps.env);
  const frozen = Object.freeze({ ...globals });
  const store = openConfigStore(paths.config);
  // What the user typed at prompts (not passwords): a Master key pasted there is refused like one on the command line.
  const answers: string[] = [];
  const prompter: Prompter = {
    ...deps.prompter,
    input: async (message, opts) => {
      const answer = await deps.prompter.input(message, opts);
      answers.push(answer);
      return answer;
    },
  };
  const debug = (line: string) => {
    if (frozen.debug) deps.io.stderr.write(`[debug] ${escapeControl(line)}\n`);
  };

  // One network transport per process, shared by every client (keep-alive across them) and closed by dispose().
  let network: Promise<ClosableFetch> | undefined;
  async function transport(target: Target): Promise<FetchLike> {
    if (target.sandbox) {
      const { embeddedSandboxFetch, sandboxStatePathFor } = await import('./sandbox/embedded.js');
      return embeddedSandboxFetch(sandboxStatePathFor(paths.data, target.baseUrl));
    }
    if (deps.fetch) return deps.fetch();
    network ??= import('./api/http.js').then(({ createNetworkFetch }) => createNetworkFetch(deps.env));
    return network;
  }

  async function clientFor(target: Target): Promise<ApiClient> {
    // Every client is made here, so this is where a key is kept off clear-text links (the embedded
    // sandbox has no link at all).
    if (!target.sandbox) {
      refuseClearText(target.baseUrl, deps.env);
      refuseInsecureTls(target.baseUrl, deps.env);
    }
    // Checked here rather than at start-up, so a bad value never breaks --help or offline commands.
    const envTimeout = timeoutFromEnv(deps.env);
    const { createApiClient } = await import('./api/client.js');
    return createApiClient({
      baseUrl: target.baseUrl,
      username: target.username,
      token: target.token,
      fetch: await transport(target),
      // Without --debug there is no trace to redact: every request would redact two lines for nothing.
      ...(frozen.debug && { debug }),
      ...(envTimeout !== undefined && { timeoutMs: envTimeout }),
      ...deps.clientOptions,
    });
  }

  let resolved: Promise<ResolvedSettings> | undefined;
  let settings: Promise<ResolvedSettings> | undefined;
  let records: Promise<Records> | undefined;
  // The native keychain module is loaded only when a profile uses the keychain.
  let openedKeychain: Promise<Keychain> | undefined;
  const keychain = (): Promise<Keychain> => (openedKeychain ??= import('./config/keychain.js').then((m) => m.openKeychain()));
  const ctx: Context & { dispose(): Promise<void> } = {
    io: deps.io,
    prompter,
    typedValues: () => ({ ...(deps.argv && { argv: deps.argv }), answers }),
    env: deps.env,
    paths,
    globals: frozen,
    config: async () => store,
    settings(opts = {}) {
      resolved ??= (async () =>
        resolveSettings({
          ...(frozen.profile !== undefined && { flagProfile: frozen.profile }),
          env: deps.env,
          configDir: paths.config,
          readConfig: () => store.read(),
        }))();
      if (opts.readKey === false) return resolved;
      settings ??= (async () => {
        const s = await resolved;
        // A keychain profile's key, or a credential helper's output, is read here, once per run; a
        // keychain or helper that fails fails the command with its own message (never a silent
        // fallback to anything else).
        const source = s.keySource;
        if (source === undefined || s.masterKey !== undefined) return s;
        if (source.kind === 'command') {
          const { runKeyCommand, KEY_CMD_ENV } = await import('./config/key-command.js');
          const origin = 'variable' in source.origin ? KEY_CMD_ENV : `profile "${s.profile}"`;
          return { ...s, masterKey: await runKeyCommand(source.command, { env: deps.env, timeoutMs: keyCommandTimeout(deps.env), origin }) };
        }
        if (source.kind !== 'keychain') return s;
        const key = await (await keychain()).get(source.account);
        return key === undefined ? s : { ...s, masterKey: key };
      })();
      return settings;
    },
    keychain,
    async api() {
      const s = await ctx.settings();
      const creds = requireCredentials(s);
      refuseMisplacedMasterKey(creds.masterKey, { ...ctx.typedValues(), username: creds.username, baseUrl: creds.baseUrl });
      const client = await clientFor({ baseUrl: creds.baseUrl, username: creds.username, token: creds.masterKey, sandbox: creds.sandbox });
      // A CI job configured only by environment variables writes nothing to disk, caches included.
      if (s.keySource !== undefined && keyFromEnvironment(s.keySource) && !s.profileStored) return client;
      // The cache is the account's (and each member's), like every record of its keys.
      const account = accountOf(creds.baseUrl);
      const hint = (write: () => void): void => {
        try {
          write();
        } catch (err) {
          debug(`name cache not updated: ${err instanceof Error ? err.message : String(err)}`);
        }
      };
      return recordingNames(
        client,
        (change: NamesChange, member) => hint(() => writeNames(paths.cache, { account, ...(member !== undefined && { member }) }, change)),
        (usernames) => hint(() => writeMembers(paths.cache, account, usernames)),
      );
    },
    clientFor,
    records: () => (records ??= import('./records/records.js').then((m) => m.openRecords({ env: deps.env, paths }))),
    shell: async () => deps.shell ?? (await import('./deploy/command.js')).systemShell(deps.io, deps.env),
    debug,
    now: deps.now ?? (() => new Date()),
    stopSignal: deps.stopSignal ?? (() => new Promise<string>(() => {})),
    async dispose() {
      const n = await network;
      await n?.close?.();
    },
  };
  return ctx;
}

export const TIMEOUT_ENV = 'CARTO_KEYS_TIMEOUT_MS';
const MAX_TIMEOUT_MS = 600_000;

/**
 * The per-attempt HTTP timeout from CARTO_KEYS_TIMEOUT_MS (whole milliseconds, 1 to 600000), or
 * undefined for the client's default (30 s). For slow links, and for tests that stall a server.
 */
export function timeoutFromEnv(env: Env): number | undefined {
  const raw = env[TIMEOUT_ENV];
  if (raw === undefined || raw.trim() === '') return undefined;
  const text = raw.trim();
  const ms = Number(text);
  if (!/^\d+$/.test(text) || ms < 1 || ms > MAX_TIMEOUT_MS) {
    throw new UsageError(`${TIMEOUT_ENV} must be a whole number of milliseconds from 1 to ${MAX_TIMEOUT_MS}, got "${raw}".`, {
      hint: `Unset it for the default (30000), or set e.g. ${TIMEOUT_ENV}=60000.`,
    });
  }
  return ms;
}
