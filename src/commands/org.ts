// `carto-keys org members`: the organization's users, from the user-management API (docs/auth-api.md §8).
// That reply carries every member's Master key; the client's parser keeps only username, email and
// admin (src/api/org.ts), so nothing here can print, cache or log a key.

import { escapeControl } from '../text/escape.js';
import type { Command } from 'commander';
import type { Context } from '../context.js';
import type { OrgMember } from '../api/org.js';
import type { CommandKit } from '../args/kit.js';
import { requireCredentials } from '../config/settings.js';
import { ORG_ENV, resolveOrgName } from '../domain/members.js';
import { colors } from '../ui/color.js';
import { info, printJson, printLine } from '../ui/output.js';
import { registeredCommand } from './registered.js';

export interface MembersOptions {
  /** --org; else CARTO_KEYS_ORG or the base URL, resolved by the run layer. */
  org?: string;
}

export function orgCommand(kit: CommandKit): Command {
  const org = registeredCommand('org').addHelpText(
    'after',
    `
Owners and admins of a CARTO organization act on any member's keys with their own Master key:
pass --user <member> to list, show, create, revoke, regenerate, clone and rotate, or list every
member's keys with \`carto-keys list --all-members\`.

Examples:
  $ carto-keys org members
  $ carto-keys org members --org acme --json`,
  );
  org
    .command('members')
    .description('List the users of the organization: username, admin or not, email')
    .option('--org <name>', `the organization (default: from the base URL https://{org}.carto.com/u/{you}, or ${ORG_ENV})`)
    .addHelpText(
      'after',
      `
The members' Master keys that CARTO's reply carries are dropped as soon as it is read: never shown,
cached, logged or stored.

Examples:
  $ carto-keys org members
  $ carto-keys org members --org acme --json | jq -r '.[] | select(.admin) | .username'`,
    )
    .action((o: { org?: string }) => {
      const opts: MembersOptions = o.org === undefined ? {} : { org: o.org };
      kit.run((ctx) => membersRun(ctx, opts));
    });
  return org;
}

export async function membersRun(ctx: Context, opts: MembersOptions): Promise<void> {
  // Which organization is a local matter (flag, environment, base URL): known before any request.
  const creds = requireCredentials(await ctx.settings());
  const org = resolveOrgName(creds.baseUrl, opts.org, ctx.env[ORG_ENV]);
  const members = await (await ctx.api()).listMembers(org);
  if (ctx.globals.json) {
    printJson(ctx, members.map(memberJson));
    return;
  }
  if (!ctx.io.stdoutIsTTY()) {
    for (const m of members) printLine(ctx, [escapeControl(m.username), m.admin ? 'admin' : 'member', escapeControl(m.email ?? '')].join('\t'));
    return;
  }
  if (members.length === 0) {
    info(ctx, `Organization "${org}" has no users.`);
    return;
  }
  const c = colors(ctx.io.colorStdout);
  // Usernames and emails come from the server: escaped, so a newline cannot forge a row.
  const shown = members.map((m) => ({ ...m, username: escapeControl(m.username), email: m.email === null ? null : escapeControl(m.email) }));
  const width = Math.max(8, ...shown.map((m) => m.username.length)) + 2;
  printLine(ctx, c.bold(`${'USERNAME'.padEnd(width)}${'ROLE'.padEnd(8)}EMAIL`));
  for (const m of shown) printLine(ctx, `${m.username.padEnd(width)}${(m.admin ? 'admin' : 'member').padEnd(8)}${m.email ?? '-'}`);
  info(ctx, c.dim(`${members.length} user${members.length === 1 ? '' : 's'} in ${org}`));
}

/** Built field by field: a member object is never serialized whole. */
function memberJson(m: OrgMember): { username: string; admin: boolean; email: string | null } {
  return { username: m.username, admin: m.admin, email: m.email };
}
