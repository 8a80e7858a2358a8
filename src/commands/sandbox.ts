import { Command } from 'commander';
import type { Context } from '../context.js';
import { LocalError, UsageError } from '../errors.js';
import { info, printJson, printLine, success } from '../ui/output.js';
import { globalsOf, type CommandKit } from '../args/kit.js';
import { positiveInt, requireYesOrTty } from '../args/flags.js';
import { confirmOrCancel } from '../ui/prompts.js';

export interface ServeOptions {
  port: number;
  state?: string;
  quota?: number;
  maxLifetime?: number;
  seedKeys?: number;
}

export const DEFAULT_SANDBOX_PORT = 8442;

function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new UsageError(`--port must be a number from 0 to 65535, got "${value}".`);
  return n;
}

export function sandboxCommand(kit: CommandKit): Command {
  const sandbox = new Command('sandbox').description('The built-in emulator of CARTO\'s Auth API').addHelpText(
    'after',
    `
\`carto-keys login --sandbox\` uses the emulator in-process (no server). \`sandbox serve\` serves it over
HTTP on 127.0.0.1 for curl, other tools and CI rehearsals.

Examples:
  $ carto-keys sandbox serve --port 8442
  $ carto-keys sandbox serve --port 0 --state ./sandbox.json --json
  $ carto-keys sandbox reset`,
  );
  sandbox
    .command('serve')
    .description('Serve the emulator over HTTP on 127.0.0.1 until Ctrl-C')
    .option('--port <port>', `port to listen on (0: any free port)`, port, DEFAULT_SANDBOX_PORT)
    .option('--state <file>', 'load and save the state in this file (default: a fresh account in memory)')
    .option('--quota <n>', 'limit the number of regular keys (403 past it, like a plan limit)', positiveInt('--quota'))
    .option('--seed-keys <n>', 'start with n extra regular keys (for benchmarks)', positiveInt('--seed-keys'))
    .option('--max-lifetime <seconds>', 'stop by itself after this many seconds (CI scripts, tests)', positiveInt('--max-lifetime'))
    .addHelpText(
      'after',
      '\nExamples:\n  $ carto-keys sandbox serve\n  $ carto-keys sandbox serve --port 0 --json          # any free port; {baseUrl, masterKey} on stdout\n  $ carto-keys sandbox serve --state demo.json --quota 5',
    )
    .action((o: ServeOptions) => {
      const opts: ServeOptions = {
        port: o.port,
        ...(o.state !== undefined && { state: o.state }),
        ...(o.quota !== undefined && { quota: o.quota }),
        ...(o.maxLifetime !== undefined && { maxLifetime: o.maxLifetime }),
        ...(o.seedKeys !== undefined && { seedKeys: o.seedKeys }),
      };
      kit.run((ctx) => serveRun(ctx, opts));
    });
  sandbox
    .command('reset')
    .description('Start the embedded sandbox afresh, after confirmation (all its keys are lost; a new Master key)')
    .addHelpText('after', '\nExamples:\n  $ carto-keys sandbox reset\n  $ carto-keys sandbox reset --yes')
    .action((_o: unknown, cmd: Command) => {
      // Like `profile remove`: it destroys what cannot be got back, so it asks, or needs --yes.
      requireYesOrTty(globalsOf(cmd).yes, kit.canPrompt(), 'Resetting the sandbox');
      kit.run(resetRun);
    });
  return sandbox;
}

export async function serveRun(ctx: Context, o: ServeOptions): Promise<void> {
  const { createSandboxState, createSandboxHandler, startSandboxServer, loadSandboxState, saveSandboxState } = await import('../sandbox/index.js');
  const { masterKeyOf } = await import('../sandbox/embedded.js');
  // `sandbox reset` is for the embedded sandbox: a bad --state file is the user's to move or fix.
  let state = o.state ? loadSandboxState(o.state, `Fix it, or move it away to start a fresh account there.`) : undefined;
  if (!state) {
    state = createSandboxState({ ...(o.seedKeys !== undefined && { seedRegularKeys: o.seedKeys }) });
    if (o.state) saveSandboxState(o.state, state);
  }
  const stateFile = o.state;
  const handler = createSandboxHandler(state, {
    ...(o.quota !== undefined && { quota: o.quota }),
    ...(stateFile && { onChange: (s: typeof state) => saveSandboxState(stateFile, s) }),
  });
  const server = await startSandboxServer({ handler, port: o.port, host: '127.0.0.1' }).catch((err: unknown) => {
    throw listenError(err, o.port);
  });
  const baseUrl = `${server.url}/user/${state.users[0]!.username}`;
  const masterKey = masterKeyOf(state);
  // The sandbox's Master key is printed on purpose: it guards nothing but this throwaway emulator.
  if (ctx.globals.json) {
    printJson(ctx, { baseUrl, username: state.users[0]!.username, masterKey, port: server.port });
  } else {
    printLine(ctx, `Base URL:   ${baseUrl}`);
    printLine(ctx, `Username:   ${state.users[0]!.username}`);
    printLine(ctx, `Master key: ${masterKey}`);
    info(ctx, '');
    info(ctx, `Try: curl -u ${state.users[0]!.username}:${masterKey} ${baseUrl}/api/v3/api_keys`);
    info(ctx, `or:  CARTO_KEYS_BASE_URL=${baseUrl} CARTO_KEYS_MASTER_KEY=… carto-keys list`);
    info(ctx, 'Press Ctrl-C to stop.');
  }
  // A server started by a script or a test must not outlive it if it never gets its SIGTERM.
  let lifetime: NodeJS.Timeout | undefined;
  const signal = await Promise.race([
    ctx.stopSignal(),
    ...(o.maxLifetime !== undefined ? [new Promise<string>((resolve) => (lifetime = setTimeout(() => resolve('--max-lifetime reached'), o.maxLifetime! * 1000)))] : []),
  ]);
  clearTimeout(lifetime);
  await server.close();
  info(ctx, `Sandbox stopped (${signal}).`);
}

/** The port is someone else's (or not ours to take): say so and what to do, not a stack. */
function listenError(err: unknown, port: number): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') return new LocalError(`Port ${port} is taken; use --port 0 for any free port.`, { code: 'port_taken', cause: err });
  if (code === 'EACCES') return new LocalError(`Port ${port} needs privileges this user does not have; use --port 0 for any free port.`, { code: 'port_denied', cause: err });
  return err;
}

export async function resetRun(ctx: Context): Promise<void> {
  await confirmOrCancel(ctx, 'Reset the sandbox? Every key in it is lost, and it gets a new Master key.');
  const { resetEmbeddedSandbox } = await import('../sandbox/embedded.js');
  const { masterKey, path } = resetEmbeddedSandbox(ctx.paths.data);
  // Sandbox profiles hold the old Master key, which no longer exists: give them the new one.
  const store = await ctx.config();
  const updated = await store.update((data) => {
    const names: string[] = [];
    for (const [name, p] of Object.entries(data.profiles)) {
      if (p.sandbox) {
        p.masterKey = masterKey;
        names.push(name);
      }
    }
    return names;
  });
  if (ctx.globals.json) printJson(ctx, { reset: true, stateFile: path, profilesUpdated: updated });
  else success(ctx, `The sandbox starts afresh (${path}).${updated.length ? ` Updated profile${updated.length > 1 ? 's' : ''} ${updated.map((n) => `"${n}"`).join(', ')}.` : ' Run `carto-keys login --sandbox` to use it.'}`);
}
