// GitHub runs the Action's committed bundle as it is (action.yml: runs.main). It must be exactly what
// the build makes from the source, or the Action would run older code than the repository holds.
//
// Checked where the repository is judged as a whole: .ci/run sets CARTO_KEYS_CHECK_ACTION_BUNDLE=1
// (as setup-terraform and 1Password's actions check their dist/ in CI). Elsewhere the check is
// skipped, visibly: every change to src/ changes the bundle, and a branch that must carry a fresh
// bundle to be tested at all would conflict with every other branch on that one generated file.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/e2e.js';
// @ts-expect-error: a JavaScript build script, without type declarations.
import { ACTION_BUNDLE, buildActionBundle } from '../../scripts/action-bundle.mjs';

const checked = process.env.CARTO_KEYS_CHECK_ACTION_BUNDLE === '1';

describe('the committed Action bundle', () => {
  it.runIf(checked)(`${ACTION_BUNDLE} is what the build makes from the source (else run \`npm run build:action\` and commit it)`, async () => {
    const fresh: string = await buildActionBundle(ROOT);
    const committed = readFileSync(join(ROOT, ACTION_BUNDLE), 'utf8');
    // Not toBe: a diff of two 2 MB strings would bury the message.
    expect(committed === fresh, `${ACTION_BUNDLE} is stale: run \`npm run build:action\` and commit the result`).toBe(true);
  });
});
