import type { Command } from 'commander';
import type { Context } from '../context.js';
import { LocalError, UsageError } from '../errors.js';
import { info, printJson, printLine, success, terminalWidth } from '../ui/output.js';
import { fitCommand } from '../ui/help-text.js';
import { globalsOf, type CommandKit } from '../args/kit.js';
import { positiveInt, requireYesOrTty } from '../args/flags.js';
import { confirmOrCancel } from '../ui/prompts.js';
import type { SandboxState } from '../sandbox/state.js';
import { commandLine } from '../text/command-line.js';
import { suggestedScope } from '../ui/command-scope.js';
import { registeredCommand } from './registered.js';

export interface ServeOptions {
  port: number;
  state?: string;
  quota?: number;
  maxLifetime?: number;
  seedKeys?: number;
  /** `--org [name]`: an organization instead of the single user demo. */
  org?: string;
}

const DEFAULT_ORG = 'acme';

export const DEFAULT_SANDBOX_PORT = 8442;

function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new UsageError(`--port must be a number from 0 to 65535, got "${value}".`);
  return n;
}

export function sandboxCommand(kit: CommandKit): Command {
  const sandbox = registeredCommand('sandbox').addHelpText(
    'after',
    `
\`carto-keys login --sandbox\` uses the emulator in-process (no server). \`sandbox serve\` serves it over
HTTP on 127.0.0.1 for curl, other tools and CI rehearsals.

Examples:
  $ carto-keys sandbox serve --port 8442
  $ carto-keys sandbox serve --port 0 --state ./sandbox.json --json
  $ carto-keys sandbox reset
  $ carto-keys sandbox seed-leaks leak-demo`,
  );
  sandbox
    .command('serve')
    .description('Serve the emulator over HTTP on 127.0.0.1 until Ctrl-C')
    .option('--port <port>', `port to listen on (0: any free port)`, port, DEFAULT_SANDBOX_PORT)
    .option('--state <file>', 'load and save the state in this file (default: a fresh account in memory)')
    .option('--quota <n>', 'limit the number of regular keys (403 past it, like a plan limit)', positiveInt('--quota'))
    .option('--seed-keys <n>', 'start with n extra regular keys (for benchmarks)', positiveInt('--seed-keys'))
    .option('--max-lifetime <seconds>', 'stop by itself after this many seconds (CI scripts, tests)', positiveInt('--max-lifetime'))
    .option('--org [name]', `emulate an organization (default name "${DEFAULT_ORG}"): an owner, an admin, members and an outside user`)
    .addHelpText(
      'after',
      '\nExamples:\n  $ carto-keys sandbox serve\n  $ carto-keys sandbox serve --port 0 --json          # any free port; {baseUrl, masterKey} on stdout\n  $ carto-keys sandbox serve --state demo.json --quota 5\n  $ carto-keys sandbox serve --org                    # each user\'s base URL and Master key',
    )
    .action((o: Omit<ServeOptions, 'org'> & { org?: string | true }) => {
      const org = o.org === true ? DEFAULT_ORG : o.org;
      if (org !== undefined && !/^[a-z0-9][a-z0-9-]*$/.test(org)) {
        throw new UsageError(`Invalid organization name "${org}": use lowercase letters, digits and dashes.`);
      }
      if (org !== undefined && o.seedKeys !== undefined) throw new UsageError('--seed-keys is for the single-user sandbox, not --org.');
      const opts: ServeOptions = {
        ...(org !== undefined && { org }),
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
    .option('--org', 'reset the sandbox organization (login --sandbox --org) instead')
    .addHelpText('after', '\nExamples:\n  $ carto-keys sandbox reset\n  $ carto-keys sandbox reset --yes\n  $ carto-keys sandbox reset --org --yes')
    .action((o: { org?: boolean }, cmd: Command) => {
      // Like `profile remove`: it destroys what cannot be got back, so it asks, or needs --yes.
      requireYesOrTty(globalsOf(cmd).yes, kit.canPrompt(), 'Resetting the sandbox');
      kit.run(o.org ? resetOrgRun : resetRun);
    });
  sandbox
    .command('seed-leaks')
    .description('Write a small project with leaked tokens of the sandbox account, to try `scan` and `respond` on')
    .argument('<folder>', 'a new (or empty) folder to write it in')
    .addHelpText(
      'after',
      `
Creates keys in the sandbox and plants them: a token in a nested file, the Master key in an env file,
a token only in the git history (when git is installed), a revoked token and a look-alike (which scan
must not report); on the sandbox organization (login --sandbox --org), a member's token too. The
leaked key is recorded as deployed to <folder>/deploy/app.env, so respond has a target to rotate into.
Only on the built-in sandbox.

Examples:
  $ carto-keys sandbox seed-leaks leak-demo
  $ carto-keys scan leak-demo/project --git`,
    )
    .action((folder: string) => {
      kit.run((ctx) => seedLeaksRun(ctx, { folder }));
    });
  return sandbox;
}

export async function seedLeaksRun(ctx: Context, o: { folder: string }): Promise<void> {
  const { requireCredentials } = await import('../config/settings.js');
  const { isSandboxOrgUrl, SANDBOX_ORG_ADMIN } = await import('../sandbox/embedded-info.js');
  const { resolve } = await import('node:path');
  const creds = requireCredentials(await ctx.settings());
  if (!creds.sandbox) {
    throw new UsageError('seed-leaks writes live tokens to disk: it works only on the built-in sandbox.', {
      hint: 'Run `carto-keys login --sandbox` (or --sandbox --org), then `carto-keys --profile sandbox sandbox seed-leaks <folder>`.',
    });
  }
  const { seedLeaks } = await import('../scan/seed.js');
  const api = await ctx.api();
  const org = isSandboxOrgUrl(creds.baseUrl) && api.username === SANDBOX_ORG_ADMIN;
  const seeded = await seedLeaks(api, {
    root: resolve(o.folder),
    masterKey: creds.masterKey,
    baseUrl: creds.baseUrl,
    registry: (await ctx.records()).registry,
    env: ctx.env,
    now: ctx.now(),
    ...(org && { member: { username: 'bob', api: api.forUser('bob') } }),
  });
  const folder = o.folder.replace(/\/+$/, '');
  const project = `${folder}/project`;
  if (ctx.globals.json) {
    printJson(ctx, { folder: seeded.root, project: resolve(project), planted: seeded.planted, deployed: seeded.deployed, gitHistory: seeded.git });
    return;
  }
  success(ctx, `Planted ${seeded.planted.length} strings in ${project}:`);
  for (const p of seeded.planted) {
    const note = p.reported ? (p.history ? 'found with --git' : p.member ? 'found with --all-members' : 'found') : 'must NOT be reported';
    info(ctx, `  ${`${p.path}:${p.line}`.padEnd(24)}${p.what} (${note})`);
  }
  if (!seeded.git) info(ctx, '  (git is not installed: no history was made)');
  info(ctx, `"${seeded.deployed.key}" is recorded as deployed to ${folder}/deploy/app.env.`);
  info(ctx, '');
  info(ctx, 'Next:');
  // The same profile as this run, if it was named: the seeded keys are that profile's.
  const { profile } = await suggestedScope(ctx, undefined);
  info(ctx, `  ${commandLine('scan', { args: [project], options: ['--git', ...(org ? ['--all-members'] : [])] }, { profile })}`);
  info(ctx, `  ${commandLine('where', { args: [seeded.deployed.key] }, { profile })}`);
  info(ctx, `  ${commandLine('respond', { args: [seeded.deployed.key] }, { profile, yes: true })}`);
}

export async function serveRun(ctx: Context, o: ServeOptions): Promise<void> {
  const { createSandboxState, createSandboxHandler, startSandboxServer, loadSandboxState, saveSandboxState } = await import('../sandbox/index.js');
  const { masterKeyOf } = await import('../sandbox/embedded.js');
  const { createOrgSandboxState } = await import('../sandbox/org.js');
  // `sandbox reset` is for the embedded sandbox: a bad --state file is the user's to move or fix.
  let state = o.state ? loadSandboxState(o.state, `Fix it, or move it away to start a fresh account there.`) : undefined;
  if (!state) {
    state = o.org !== undefined
      ? createOrgSandboxState({ org: o.org })
      : createSandboxState({ ...(o.seedKeys !== undefined && { seedRegularKeys: o.seedKeys }) });
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
  if (state.organizations?.length) {
    await printOrg(ctx, state, server);
    return waitAndStop(ctx, server, o.maxLifetime);
  }
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
    // Commands longer than the terminal go on with ` \`, so that they still run when pasted.
    const width = terminalWidth(ctx);
    for (const line of fitCommand('Try: ', `curl -u ${state.users[0]!.username}:${masterKey} ${baseUrl}/api/v3/api_keys`, width)) info(ctx, line);
    for (const line of fitCommand('or:  ', `CARTO_KEYS_BASE_URL=${baseUrl} CARTO_KEYS_MASTER_KEY=… ${commandLine('list')}`, width)) info(ctx, line);
    info(ctx, 'Press Ctrl-C to stop.');
  }
  return waitAndStop(ctx, server, o.maxLifetime);
}

/** Every user's base URL and Master key (they guard nothing but this emulator), and how to use them. */
async function printOrg(ctx: Context, state: SandboxState, server: { url: string; port: number }): Promise<void> {
  const { roleOf } = await import('../sandbox/org.js');
  const { masterKeyOf } = await import('../sandbox/embedded.js');
  const org = state.organizations![0]!;
  const users = state.users.map((u) => {
    const role = roleOf(state, u.username);
    // Members use the organization form; a user outside it the subdomainless form.
    const baseUrl = `${server.url}/${role === 'outside' ? 'user' : 'u'}/${u.username}`;
    return { username: u.username, role, baseUrl, masterKey: masterKeyOf(state, u.username) };
  });
  if (ctx.globals.json) {
    printJson(ctx, { organization: org.name, port: server.port, users });
    return;
  }
  // Each user on two lines (base URL, then Master key): on one, a row was about 90 columns wide.
  printLine(ctx, `Organization: ${org.name}`);
  for (const u of users) {
    printLine(ctx, `${u.username.padEnd(8)}${u.role.padEnd(9)}${u.baseUrl}`);
    printLine(ctx, `${' '.repeat(17)}Master key ${u.masterKey}`);
  }
  const admin = users.find((u) => u.role === 'admin') ?? users[0]!;
  info(ctx, '');
  const width = terminalWidth(ctx);
  for (const line of fitCommand('Try: ', `CARTO_KEYS_ORG=${org.name} CARTO_KEYS_BASE_URL=${admin.baseUrl} CARTO_KEYS_MASTER_KEY=${admin.masterKey} ${commandLine('list', { options: ['--all-members'] })}`, width)) info(ctx, line);
  info(ctx, 'Press Ctrl-C to stop.');
}

async function waitAndStop(ctx: Context, server: { close(): Promise<void> }, maxLifetime: number | undefined): Promise<void> {
  // A server started by a script or a test must not outlive it if it never gets its SIGTERM.
  let lifetime: NodeJS.Timeout | undefined;
  const signal = await Promise.race([
    ctx.stopSignal(),
    ...(maxLifetime !== undefined ? [new Promise<string>((resolve) => (lifetime = setTimeout(() => resolve('--max-lifetime reached'), maxLifetime * 1000)))] : []),
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
  const { isSandboxOrgUrl } = await import('../sandbox/embedded-info.js');
  const { masterKey, path } = resetEmbeddedSandbox(ctx.paths.data);
  // Sandbox profiles hold the old Master key, which no longer exists: give them the new one.
  const store = await ctx.config();
  const updated = await store.update((data) => {
    const names: string[] = [];
    for (const [name, p] of Object.entries(data.profiles)) {
      // The organization sandbox has its own state (and keys): `sandbox reset --org`.
      if (p.sandbox && !isSandboxOrgUrl(p.baseUrl)) {
        p.masterKey = masterKey;
        names.push(name);
      }
    }
    return names;
  });
  if (ctx.globals.json) printJson(ctx, { reset: true, stateFile: path, profilesUpdated: updated });
  else success(ctx, `The sandbox starts afresh (${path}).${updated.length ? ` Updated profile${updated.length > 1 ? 's' : ''} ${updated.map((n) => `"${n}"`).join(', ')}.` : ' Run `carto-keys login --sandbox` to use it.'}`);
}

/** `sandbox reset --org`: a new organization; each sandbox-org profile gets its own user's new Master key. */
export async function resetOrgRun(ctx: Context): Promise<void> {
  await confirmOrCancel(ctx, 'Reset the sandbox organization? Every key in it is lost, and every user gets a new Master key.');
  const { resetEmbeddedOrgSandbox, masterKeyOf } = await import('../sandbox/embedded.js');
  const { isSandboxOrgUrl } = await import('../sandbox/embedded-info.js');
  const { state, path } = resetEmbeddedOrgSandbox(ctx.paths.data);
  const store = await ctx.config();
  const updated = await store.update((data) => {
    const names: string[] = [];
    for (const [name, p] of Object.entries(data.profiles)) {
      if (p.sandbox && isSandboxOrgUrl(p.baseUrl)) {
        p.masterKey = masterKeyOf(state, p.username);
        names.push(name);
      }
    }
    return names;
  });
  if (ctx.globals.json) printJson(ctx, { reset: true, stateFile: path, profilesUpdated: updated });
  else success(ctx, `The sandbox organization starts afresh (${path}).${updated.length ? ` Updated profile${updated.length > 1 ? 's' : ''} ${updated.map((n) => `"${n}"`).join(', ')}.` : ' Run `carto-keys login --sandbox --org` to use it.'}`);
}
