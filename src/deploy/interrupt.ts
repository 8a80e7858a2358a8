// Ctrl-C and SIGTERM while a rotation (or its undoing) runs. Dying at once would leave a deploy
// command running on its own (it could write the new token after `--abort` revoked it) and say
// nothing about what exists. Instead: the deploy command's process group is stopped and waited for,
// the journal is left as it was last written (nothing after the signal touches it), and the rotation
// ends with exit 5 and the resume/abort commands. A second signal kills the process as usual.

import type { Context } from '../context.js';

/** The rotation was asked to stop (SIGINT/SIGTERM). */
export class Interrupted extends Error {
  constructor(readonly signal: string) {
    super(`interrupted by ${signal}`);
  }
}

export interface Interruption {
  /** Aborted (reason: an Interrupted) when a stop signal arrives: deploy commands listen to it. */
  readonly signal: AbortSignal;
  /** `p`, or an Interrupted rejection as soon as a stop signal arrives (whichever comes first). */
  race<T>(p: Promise<T>): Promise<T>;
  /** Throws the Interrupted if a stop signal arrived: checked before each step starts. */
  check(): void;
}

export function watchInterruptions(ctx: Context): Interruption {
  const controller = new AbortController();
  let rejectStopped: (err: Interrupted) => void = () => {};
  const stopped = new Promise<never>((_, reject) => {
    rejectStopped = reject;
  });
  // Nobody may be listening when it fires (between steps): that is not an unhandled rejection.
  stopped.catch(() => {});
  void ctx.stopSignal().then((sig) => {
    const err = new Interrupted(sig);
    controller.abort(err);
    rejectStopped(err);
  });
  return {
    signal: controller.signal,
    race: (p) => Promise.race([p, stopped]),
    check() {
      if (controller.signal.aborted) throw controller.signal.reason as Interrupted;
    },
  };
}
