// The entry point of the single-file binary (a Node.js single executable application: see
// scripts/build-binary.mjs). It answers `--version` before anything else is loaded: the dispatcher
// (run.ts), the router and the command list are started only for the other paths, so `--version`
// costs Node's own start-up and one write. It writes with fs.writeSync rather than process.stdout,
// whose first use loads Node's stream modules: ~3 ms of CPU for six bytes (docs/performance.md).
// A reader that closed the pipe early (`carto-keys --version | true`) is not an error.

import { writeSync } from 'node:fs';
import { VERSION } from '../version.js';

const argv = process.argv.slice(2);

if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  try {
    writeSync(1, `${VERSION}\n`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPIPE') throw err;
  }
} else {
  void import('./run.js').then(({ run }) => run(argv));
}
