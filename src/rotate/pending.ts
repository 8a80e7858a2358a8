// Finding the unfinished rotation that --resume or --abort means, and refusing to start a second
// rotation of a key that has one.

import { requireCredentials, type Credentials } from '../config/settings.js';
import type { Context } from '../context.js';
import { FileError, UsageError } from '../errors.js';
import { stopOrphan } from './deploy-command.js';
import { journalStore, rotationId, rotationLockId, type Journal, type JournalStore } from './journal.js';
import { rotationCommands } from './messages.js';

const belongsTo = (j: Journal, creds: Credentials): boolean =>
  j.profile === creds.profile && j.baseUrl === creds.baseUrl && j.username === creds.username;

/** The journal of `name` for this profile and account; with no name, the only journal there is. */
export function pendingJournal(store: JournalStore, creds: Credentials, name: string | undefined, flag: string, member?: string): Journal {
  if (name !== undefined) {
    const journal = store.read(rotationId(creds.profile, creds.baseUrl, name, member));
    if (journal !== undefined) return journal;
    const whose = member === undefined ? '' : ` of ${member}`;
    throw new UsageError(`No unfinished rotation of "${name}"${whose} (profile "${creds.profile}", ${creds.baseUrl}).`, {
      code: 'no_rotation',
      ...hintOthers(store.list()),
    });
  }
  const all = store.list();
  const [only] = all;
  if (only === undefined) throw new UsageError('There is no unfinished rotation.', { code: 'no_rotation' });
  if (all.length > 1) {
    throw new UsageError(`There are ${all.length} unfinished rotations: say which one, e.g. \`carto-keys rotate ${flag} ${all[0]?.oldName ?? ''}\`.`, {
      code: 'no_rotation',
      ...hintOthers(all),
    });
  }
  if (!belongsTo(only, creds)) {
    throw new UsageError(
      `The unfinished rotation of "${only.oldName}" belongs to profile "${only.profile}" (${only.baseUrl}), not the active one.`,
      { code: 'no_rotation', hint: `Run it with --profile ${only.profile}, or with the credentials of that account.` },
    );
  }
  return only;
}

function hintOthers(all: Journal[]): { hint?: string } {
  if (all.length === 0) return {};
  const list = all.map((j) => `"${j.oldName}" → "${j.newName}" (profile ${j.profile})`).join(', ');
  return { hint: `Unfinished rotations: ${list}.` };
}

/** Starting a rotation of a key whose last rotation is unfinished would lose track of that one. */
export async function refusePending(ctx: Context, store: JournalStore, creds: Credentials, oldName: string, member?: string): Promise<void> {
  const id = rotationId(creds.profile, creds.baseUrl, oldName, member);
  const journal = store.read(id);
  if (journal === undefined) return;
  // A journal whose lock is held belongs to a rotation running right now: say that instead.
  store.lock(rotationLockId(creds.masterKey, journal.oldName, journal.member), journal.oldName).release();
  const cmd = await rotationCommands(ctx, journal.oldName, journal.member);
  throw new UsageError(
    `"${journal.oldName}" has an unfinished rotation to "${journal.newName}" (started ${journal.startedAt}).`,
    { code: 'rotation_pending', hint: `Continue it: ${cmd.resume}\nOr undo it: ${cmd.abort}` },
  );
}

/**
 * --resume and --abort: the journal they mean, locked for the whole of `fn` and read again under the
 * lock (the rotation that held it may have finished meanwhile).
 */
export async function withPendingJournal<T>(
  ctx: Context,
  name: string | undefined,
  flag: '--resume' | '--abort',
  fn: (journal: Journal, store: JournalStore, creds: Credentials) => Promise<T>,
  member?: string,
): Promise<T> {
  const creds = requireCredentials(await ctx.settings());
  const store = journalStore(ctx.paths.config);
  const found = pendingJournal(store, creds, name, flag, member === creds.username ? undefined : member);
  const lock = store.lock(rotationLockId(creds.masterKey, found.oldName, found.member), found.oldName);
  try {
    const journal = store.read(found.id);
    if (journal === undefined) throw new UsageError(`The rotation of "${found.oldName}" was finished meanwhile.`);
    await stopOrphans(ctx, journal, store);
    return await fn(journal, store, creds);
  } finally {
    lock.release();
    store.tidy();
  }
}

/**
 * A deploy command the journal says was running belongs to a carto-keys that died (we hold its lock):
 * it must be stopped before anything is decided, or it could write a token after we did.
 */
async function stopOrphans(ctx: Context, journal: Journal, store: JournalStore): Promise<void> {
  let changed = false;
  for (const target of journal.targets) {
    if (target.pgid === undefined || target.kind !== 'command') continue;
    const problem = await stopOrphan(target.pgid, target.command);
    if (problem !== undefined) throw new FileError(`The rotation of "${journal.oldName}" cannot go on yet: ${problem}.`);
    ctx.debug(`deploy command of the interrupted run (process group ${target.pgid}) is not running`);
    delete target.pgid;
    changed = true;
  }
  if (changed) store.save(journal, ctx.now());
}
