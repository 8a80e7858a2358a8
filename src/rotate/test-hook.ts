// TEST HOOK, not a feature. `CARTO_KEYS_TEST_KILL_AFTER=<step>` (created | deployed | verified) makes
// the process SIGKILL itself right after the journal records that step (`deployed`: the first
// target), so the end-to-end tests can prove that `rotate --resume` recovers from a crash at each
// point. SIGKILL, not an exception: nothing of ours may run after it, exactly like a real crash.
// Unset (always, outside those tests), it does nothing.

import type { Env } from '../context.js';

export type KillPoint = 'created' | 'deployed' | 'verified';

export function testKillAfter(env: Env, step: KillPoint): void {
  if (env.CARTO_KEYS_TEST_KILL_AFTER === step) process.kill(process.pid, 'SIGKILL');
}
