// The one runner of journaled flows. rotate, apply's creates and rotations, rollback, --resume and
// --abort all go through `runFlow`: take the locks of the keys involved, refuse while one of them has
// unfinished work, build (or read back) the journal, watch for interruptions, run, release. A flow
// differs only in the journal it builds and the function it runs.

import { requireCredentials, type Credentials } from '../config/settings.js';
import type { Lock } from '../config/lock.js';
import type { Context } from '../context.js';
import { humanTime } from '../ui/time.js';
import { FileError, UsageError } from '../errors.js';
import { watchInterruptions, type Interruption } from '../deploy/interrupt.js';
import { journalRef, type Journal, type JournalStore } from '../records/journal.js';
import { accountOf, describeRef, keyRef, memberOf, refId, sameMember, type KeyRef } from '../records/key-ref.js';
import { rotationCommands } from './messages.js';
import { commandLine } from '../text/command-line.js';

export interface FlowRun {
  store: JournalStore;
  creds: Credentials;
  journal: Journal;
  interruption: Interruption;
}

export interface Flow<T> {
  /** The keys this flow works on: each one's lock is held for the whole flow. */
  locks: KeyRef[];
  /** A new flow is refused while one of these keys has an unfinished journal. */
  refuse?: KeyRef[];
  /**
   * Under the locks: the journal to run (may ask the person; nothing is written before it returns).
   * `fresh`: a new journal, written before `run` starts.
   */
  journal(store: JournalStore): Promise<{ journal: Journal; fresh: boolean }>;
  run(f: FlowRun): Promise<T>;
}

export async function runFlow<T>(ctx: Context, creds: Credentials, flow: Flow<T>): Promise<T> {
  const store = (await ctx.records()).journals;
  // Before the locks too: a pending journal says "unfinished" rather than "busy".
  for (const ref of flow.refuse ?? []) await refusePending(ctx, store, ref);
  const held: Lock[] = [];
  try {
    // In one order, so two flows locking the same two keys cannot wait on each other.
    const unique = new Map(flow.locks.map((r) => [refId(r), r]));
    for (const id of [...unique.keys()].sort()) held.push(store.lock(unique.get(id)!));
    for (const ref of flow.refuse ?? []) await refusePending(ctx, store, ref);
    const { journal, fresh } = await flow.journal(store);
    // From here on a stop signal ends the flow with exit 5 and the commands to resume or undo it.
    const interruption = watchInterruptions(ctx);
    if (fresh) store.save(journal, ctx.now());
    return await flow.run({ store, creds, journal, interruption });
  } finally {
    for (const lock of held.reverse()) lock.release();
    store.tidy();
  }
}

/** The unfinished journals of this account, of `member` (undefined: the caller's own keys). */
export async function unfinishedJournals(ctx: Context, creds: Credentials, member: string | undefined): Promise<Journal[]> {
  return (await ctx.records()).journals
    .list()
    .filter((j) => belongsTo(j, creds) && sameMember(j.member, member));
}

const belongsTo = (j: Journal, creds: Credentials): boolean => accountOf(j.baseUrl) === accountOf(creds.baseUrl) && j.username === creds.username;

/** The journal of `name` (of `member`) in this account; with no name, the only journal there is. */
export function pendingJournal(store: JournalStore, creds: Credentials, name: string | undefined, flag: string, member?: string): Journal {
  if (name !== undefined) {
    const journal = store.find(keyRef(creds.baseUrl, member, name));
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
    throw new UsageError(`There are ${all.length} unfinished rotations: say which one, e.g. \`${commandLine(`rotate ${flag}`, { args: [all[0]!.oldName] }, { user: member })}\`.`, {
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

/** Starting a flow on a key whose last one is unfinished would lose track of that one. */
export async function refusePending(ctx: Context, store: JournalStore, ref: KeyRef): Promise<void> {
  const journal = store.find(ref);
  if (journal === undefined) return;
  // A journal whose lock is held belongs to a flow running right now: say that instead.
  store.lock(journalRef(journal)).release();
  const cmd = await rotationCommands(ctx, journal.oldName, journal.member);
  const what = journal.create === true ? `an unfinished creation (deploy of its token)` : `an unfinished rotation to "${journal.newName}"`;
  throw new UsageError(`${describeRef(journalRef(journal))} has ${what} (started ${humanTime(new Date(journal.startedAt))}).`, {
    code: 'rotation_pending',
    hint: `Continue it: ${cmd.resume}\nOr undo it: ${cmd.abort}`,
  });
}

/**
 * --resume and --abort: the journal they mean, locked for the whole of `fn` and read again under the
 * lock (the flow that held it may have finished meanwhile), its orphaned commands stopped first.
 */
export async function withPendingJournal<T>(
  ctx: Context,
  name: string | undefined,
  flag: '--resume' | '--abort',
  fn: (f: FlowRun) => Promise<T>,
  member?: string,
): Promise<T> {
  const creds = requireCredentials(await ctx.settings());
  const store = (await ctx.records()).journals;
  const found = pendingJournal(store, creds, name, flag, memberOf(member, creds.username));
  return runFlow(ctx, creds, {
    locks: [journalRef(found)],
    async journal(s) {
      const journal = s.read(found.id);
      if (journal === undefined) throw new UsageError(`The rotation of "${found.oldName}" was finished meanwhile.`);
      await stopOrphans(ctx, journal, s);
      return { journal, fresh: false };
    },
    run: fn,
  });
}

/**
 * A deploy command the journal says was running belongs to a carto-keys that died (we hold its lock):
 * it must be stopped before anything is decided, or it could write a token after we did.
 */
async function stopOrphans(ctx: Context, journal: Journal, store: JournalStore): Promise<void> {
  let changed = false;
  for (const target of journal.targets) {
    if (target.pgid === undefined || target.kind !== 'command') continue;
    const problem = await (await ctx.shell()).stopOrphan(target.pgid, target.command);
    if (problem !== undefined) throw new FileError(`The rotation of "${journal.oldName}" cannot go on yet: ${problem}.`);
    ctx.debug(`deploy command of the interrupted run (process group ${target.pgid}) is not running`);
    delete target.pgid;
    changed = true;
  }
  if (changed) store.save(journal, ctx.now());
}
