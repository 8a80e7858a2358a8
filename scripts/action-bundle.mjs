// The GitHub Action's bundle (action.yml runs it): src/action/main.ts and the whole CLI in one ES
// module, action/dist/index.mjs, committed because GitHub runs the file as it is in the repository and
// installs nothing. Written by `npm run build:action`; test/action/bundle.test.ts builds it again from
// the source with these same options and fails when the committed file differs.
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

export const ACTION_BUNDLE = 'action/dist/index.mjs';

export function actionBuildOptions(root) {
  return {
    absWorkingDir: root,
    entryPoints: ['src/action/main.ts'],
    outfile: resolve(root, ACTION_BUNDLE),
    bundle: true,
    write: false,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    minifySyntax: true,
    legalComments: 'eof',
    logLevel: 'warning',
    // Native, and only for profiles in the OS keychain, which a workflow never has.
    external: ['@napi-rs/keyring'],
    // Bundled CommonJS dependencies (commander, cli-table3) call require(): give ESM one.
    banner: {
      js:
        '// Generated from src/ by `npm run build:action` (scripts/action-bundle.mjs): do not edit. After a change to src/,\n' +
        '// or on a merge conflict here, run `npm run build:action` and commit this file (test/action/bundle.test.ts checks it).\n' +
        "import { createRequire as __ckCreateRequire } from 'node:module'; const require = __ckCreateRequire(import.meta.url);",
    },
  };
}

/** The bundle's text, built in memory. */
export async function buildActionBundle(root) {
  const { build } = createRequire(resolve(root, 'package.json'))('esbuild');
  const result = await build(actionBuildOptions(root));
  return result.outputFiles[0].text;
}
