// The rotation's decisions without a terminal (ciUi): the command layer refuses to start a rotation
// without every decision a prompt would take, so reaching one of those prompts is a bug in carto-keys,
// reported as such — never a usage error the user would be told to fix with a flag.
import { describe, expect, it } from 'vitest';
import type { Context } from '../../src/context.js';
import { BugError, CliError } from '../../src/errors.js';
import type { Journal } from '../../src/records/journal.js';
import { ciUi } from '../../src/rotate/ui.js';

describe('ciUi', () => {
  const ui = ciUi({ globals: { json: false } } as unknown as Context);

  it.each([
    ['decideDelete', () => ui.decideDelete({} as Journal)],
    ['manualDeploy', () => (ui as unknown as { manualDeploy(): Promise<unknown> }).manualDeploy()],
  ])('%s, left undecided, is a bug: not a CliError', async (_name, decide) => {
    const err = await decide().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BugError);
    expect(err).not.toBeInstanceOf(CliError);
    expect((err as Error).message).toMatch(/should have refused to start/);
  });

  it('answers every other decision the way the flags already decided', async () => {
    expect(await ui.confirmCreate({} as never)).toBe(true);
    expect(await ui.nextTarget()).toBeUndefined();
    expect(await ui.afterDeployFailure({} as never, 'x')).toBe('stop');
  });
});
