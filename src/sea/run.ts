// Every path of the single-file binary but `--version` (main.ts answers that): the same paths as
// bin/carto-keys.js, for the same reason: each command compiles only what it needs. Shell completion
// runs dist/complete.cjs; everything else runs the command's own bundle (src/route.ts) from its code
// cache, as from the npm package. Here the bundles are not files but assets embedded in the binary
// (embedded.ts serves them).
//
// Like bin/carto-keys.js, it only picks a path and sets process.exitCode, never process.exit(), so
// piped stdout is flushed.

import { commandFor } from '../route.js';
import { loadBundle, loadCommonJs } from './embedded.js';

/** `carto-keys … | head` closes stdout early: that is the reader's choice, not an error to report. */
function stdout(): NodeJS.WriteStream {
  return process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
}

interface CompleteBundle {
  complete(args: string[]): Promise<number>;
}

export function run(argv: string[]): void {
  if (argv[0] === '__complete') {
    void loadCommonJs<CompleteBundle>('dist/complete.cjs')
      .complete(argv.slice(1))
      .then((code) => {
        process.exitCode = code;
      });
  } else {
    stdout();
    void loadBundle(commandFor(argv))
      .exports.main(argv)
      .then((code) => {
        process.exitCode = code;
      });
  }
}
