import type { Command } from 'commander';
import type { Context } from '../context.js';
import type { Env } from '../env.js';
import { requireCredentials } from '../config/settings.js';
import { fingerprint } from '../text/fingerprint.js';
import { globalsOf, type CommandKit } from '../args/kit.js';
import { formatOption, outputFormat, type OutputFormat } from '../args/flags.js';
import { addMemberOption } from '../args/flags.js';
import { keyRef } from '../records/key-ref.js';
import { describeState, envFileState, type EnvFileState } from '../deploy/env-check.js';
import { registry, type Deployment } from '../records/registry.js';
import { findKey as findKeyOrToken, isTokenShaped, missingKey } from '../domain/key-resolve.js';
import { humanTime, humanTimeFrom } from '../ui/time.js';
import { displayPath } from '../ui/paths.js';
import type { WireApiKey } from '../api/types.js';
import { info, printJson, printLine, terminalWidth } from '../ui/output.js';
import { wrapWords } from '../ui/help-text.js';
import { escapeControl } from '../text/escape.js';
import type { WhereJson } from '../rotate/where-markdown.js';
import { registeredCommand } from './registered.js';

export interface WhereOptions {
  name: string;
  format: OutputFormat;
  /** `--user`: an organization member's key. */
  user?: string;
}

export function whereCommand(kit: CommandKit): Command {
  return addMemberOption(registeredCommand('where'))
    .argument('<name>', 'name of the API key')
    .addOption(formatOption())
    .addHelpText(
      'after',
      `
Answers "what breaks if I delete this key?" from the deployment registry (deployments.json in the
config folder: places and token fingerprints, never tokens). Env files are checked now; commands
cannot be checked and are listed with the time they ran.

Examples:
  $ carto-keys where app
  $ carto-keys where app --json
  $ carto-keys where app --format markdown`,
    )
    .action((name: string, o: { format?: OutputFormat; user?: string }, cmd: Command) => {
      const opts: WhereOptions = { name, format: outputFormat(o.format, globalsOf(cmd).json), ...(o.user !== undefined && { user: o.user }) };
      kit.run((ctx) => whereRun(ctx, opts));
    });
}

interface Place {
  deployment: Deployment;
  state?: EnvFileState;
  detail?: string;
}

export async function whereRun(ctx: Context, given: WhereOptions): Promise<void> {
  const creds = requireCredentials(await ctx.settings());
  const api = (await ctx.api()).forUser(given.user);
  // A token-shaped argument is tried as a token first, as show and revoke do: it is sent only as a
  // credential, never in a URL path, and the key's name is what is looked up and printed from then on.
  let opts = given;
  if (isTokenShaped(given.name)) opts = { ...given, name: (await findKeyOrToken(ctx, api, given.name, 'show')).key.name };
  const ref = keyRef(creds.baseUrl, api.targetUser, opts.name);
  const reg = (await ctx.records()).registry;
  // The account listed once: records of keys deleted outside carto-keys are dropped, and said so.
  const live = new Set((await api.listKeys()).map((k) => k.name));
  // Read before the records of vanished keys are dropped: they are what knows a successor.
  const successor = live.has(opts.name) ? undefined : await (await import('../rotate/lineage.js')).successorOf(ctx, api, opts.name);
  const pruned = reg.pruneVanished(ref.account, ref.member, live);
  const deployments = reg.deploymentsOf(ref);
  const retirement = reg.retirementOf(ref) ?? reg.retirementTo(ref);
  const key: WireApiKey | undefined = live.has(opts.name) ? await api.findKey(opts.name) : undefined;
  const expected = key === undefined ? undefined : fingerprint(key.token);
  const places: Place[] = deployments.map((d) => {
    if (d.kind !== 'env-file') return { deployment: d };
    // With the key gone, a file "holds" it only if it still has the very token that was deployed.
    const s = envFileState(d.path, d.variable, expected ?? d.fingerprint);
    return { deployment: d, state: s.state, ...(s.detail !== undefined && { detail: s.detail }) };
  });

  const doc: WhereJson = {
    name: opts.name,
    exists: key !== undefined,
    ...(pruned.length > 0 && { forgotten: pruned }),
    deployments: places.map(({ deployment: { fingerprint: _f, ...d }, state }) => ({ ...d, ...(state !== undefined && { state }) })),
    ...(retirement && { retirement: { old: retirement.oldName, new: retirement.newName, retireAfter: retirement.retireAfter } }),
  };
  // The document says `exists: false`; the exit code is that of a missing key all the same.
  if (ctx.globals.json) {
    printJson(ctx, doc);
    if (key === undefined) throw missingKey(opts.name, api.targetUser, successor, 'where');
    return;
  }
  if (opts.format === 'markdown') {
    const { whereMarkdown } = await import('../rotate/where-markdown.js');
    ctx.io.stdout.write(whereMarkdown(doc));
    if (key === undefined) throw missingKey(opts.name, api.targetUser, successor, 'where');
    return;
  }
  const shown = escapeControl(opts.name);
  if (pruned.length > 0) {
    info(ctx, escapeControl(`Forgot the records of ${pruned.length === 1 ? 'a key' : `${pruned.length} keys`} deleted outside carto-keys: ${pruned.map((n) => `"${n}"`).join(', ')}.`));
  }
  // A key that is gone: what was recorded of it (files may still hold its dead token), then the one
  // error of a missing key (exit 1), naming its successor when a rotation made one.
  if (key === undefined && places.length > 0) info(ctx, `Recorded deployments of "${shown}", which no longer exists:`);
  if (key !== undefined && places.length === 0) info(ctx, `No deployment of "${shown}" was recorded (only rotate and apply record them).`);
  for (const p of places) for (const l of placeLines(p, opts.name, ctx.env, terminalWidth(ctx))) printLine(ctx, escapeControl(l));
  if (retirement) {
    info(
      ctx,
      retirement.oldName === opts.name
        ? `"${shown}" is kept until ${humanTimeFrom(new Date(retirement.retireAfter), ctx.now())},\nthen \`carto-keys retire\` deletes it (successor "${escapeControl(retirement.newName)}").`
        : `"${shown}" replaced "${escapeControl(retirement.oldName)}",\nwhich is kept until ${humanTimeFrom(new Date(retirement.retireAfter), ctx.now())} (rollback possible until then).`,
    );
  }
  if (key === undefined) throw missingKey(opts.name, api.targetUser, successor, 'where');
}


/**
 * A recorded place on two lines, to fit 80 columns: what and where, then what it holds and when (one
 * line was 98 columns for the README's own rotation), wrapped under the place.
 */
function placeLines(p: Place, name: string, env: Env, width: number): string[] {
  const d = p.deployment;
  const at = humanTime(new Date(d.at));
  const [kind, place, detail] =
    d.kind === 'env-file'
      ? ['env-file', `${displayPath(d.path, env)} (${d.variable})`, `${describeState({ state: p.state!, ...(p.detail !== undefined && { detail: p.detail }) }, name)}, deployed ${at}`]
      : d.kind === 'command'
        ? ['command', d.command, `ran ${at} (cannot be checked)`]
        : ['by hand', 'shown to a person', `${at} (cannot be checked)`];
  const hang = ' '.repeat(10);
  return [`${kind.padEnd(10)}${place}`, ...wrapWords(detail.split(' '), width, hang, hang)];
}
