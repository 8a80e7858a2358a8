// A rotation that dies right after a step is journaled, then `rotate --resume`: one live new key,
// every target deployed exactly once, the old key deleted or kept as asked, no journal left.
//
// In-process, the death is injected through the run's context: the first write after the step's
// journal save (its "✓" line) throws, and from then on the context is dead — no request reaches the
// server, no deploy command starts. What is on disk is then exactly what a SIGKILL at that instant
// leaves (asserted below, so a reordered engine fails here instead of testing another point). No
// real process can be stopped there from outside: after "verified" with --keep-old the engine goes
// on to remove the journal without a request, a command or a prompt in between. Real signals, sent
// from outside while a step's request or command is in flight, are test/e2e/interrupt.test.ts.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FetchLike } from '../../src/api/client.js';
import { BASE_URL } from '../helpers/sandbox-fetch.js';
import { NEW, rotationFixture, type RotationFixture } from './helpers.js';

type Step = 'created' | 'deployed' | 'verified';

/** The "✓" line each step writes right after its journal save. */
const LINE: Record<Step, RegExp> = {
  created: /✓ Created API key/,
  deployed: /✓ Deployed to/,
  verified: /✓ Verified/,
};

class Crash extends Error {}

/** A context that dies at the first stderr line matching `line`: nothing of the run reaches the outside after it. */
function dying(f: RotationFixture, line: RegExp): { onStderr(text: string): void; fetch: FetchLike; died(): boolean } {
  let dead = false;
  return {
    onStderr(text) {
      if (dead) return;
      if (line.test(text)) {
        dead = true;
        throw new Crash(`died at: ${text.trim()}`);
      }
    },
    fetch: async (url, init) => {
      if (dead) throw new Crash(`a dead process sent ${init.method} ${url}`);
      return f.sb.fetch(url, init);
    },
    died: () => dead,
  };
}

/** What the Auth API says a token is: the name of its own key, or the refusal's status. */
async function whoIs(f: RotationFixture, token: string): Promise<string | number> {
  const res = await f.sb.fetch(`${BASE_URL}/api/v3/api_keys`, {
    method: 'GET',
    headers: { Authorization: `Basic ${Buffer.from(`demo:${token}`).toString('base64')}` },
  });
  if (res.status !== 200) return res.status;
  return (JSON.parse(await res.text()) as { result: { name: string }[] }).result[0]!.name;
}

describe('rotate dies right after a step is journaled, then --resume', () => {
  for (const [step, keep] of [
    ['created', false],
    ['deployed', false],
    ['verified', false],
    ['verified', true],
  ] as const) {
    it(`after "${step}": one live new key, each target deployed once, old key ${keep ? 'kept' : 'deleted'}`, async () => {
      const f = await rotationFixture();
      const oldToken = f.sb.token('app')!;
      const file = join(f.dir, '.env');
      const log = join(f.dir, 'deploy.log');
      const cmd = `printf '%s|%s|%s\\n' "$(cat)" "$CARTO_API_KEY" "$CARTO_API_KEY_NAME" >> ${log}`;
      const runs = (): string[] => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []);

      const death = dying(f, LINE[step]);
      const killed = await f.rotate(['app', '--deploy-env-file', file, '--deploy-cmd', cmd, keep ? '--keep-old' : '--delete-old', '--yes'], {
        onStderr: death.onStderr,
        fetch: death.fetch,
      });
      expect(death.died(), killed.stderr).toBe(true);

      // Exactly the step's state is on disk: the journal records it and nothing after it.
      const [j, ...more] = f.journals();
      expect(more).toEqual([]);
      expect(j!.steps.created).not.toBeNull();
      expect(j!.targets.map((t) => t.deployedAt !== null)).toEqual(step === 'created' ? [false, false] : step === 'deployed' ? [true, false] : [true, true]);
      expect(j!.steps.verified !== null).toBe(step === 'verified');
      expect(j!.steps.deleted).toBeNull();
      expect(f.sb.names()).toEqual(['Master', 'Default public', 'app', NEW]);
      expect(existsSync(file)).toBe(step !== 'created');
      expect(runs()).toEqual(step === 'verified' ? [expect.any(String)] : []);

      const resumed = await f.rotate(['--resume']);
      expect(resumed.code, resumed.stderr).toBe(0);
      const token = f.sb.token(NEW)!;
      expect(f.sb.names()).toEqual(['Master', 'Default public', ...(keep ? ['app'] : []), NEW]);
      expect(await whoIs(f, token)).toBe(NEW);
      expect(await whoIs(f, oldToken)).toBe(keep ? 'app' : 401);
      expect(readFileSync(file, 'utf8')).toBe(`CARTO_API_KEY=${token}\n`);
      // Each target deployed once: a finished target is not run again.
      expect(runs()).toEqual([`${token}|${token}|${NEW}`]);
      expect(f.journals()).toEqual([]);
    });
  }
});
