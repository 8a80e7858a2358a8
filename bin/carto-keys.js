#!/usr/bin/env node
// The entry point. It only picks a path and sets process.exitCode: never process.exit(), so piped
// stdout is flushed. It is CommonJS (bin/package.json), as is everything it loads: Node starts a
// CommonJS file without initialising its ES module loader (~10 ms). `--version` answers from
// package.json; shell completion runs dist/complete.cjs (no commander, no network); everything else
// runs the bundle of the command argv names (dist/route.cjs picks it: dist/commands/<name>.cjs, or
// dist/program.cjs for none) and starts it from the V8 code cache the build made for it (src/route.ts).
'use strict';

const argv = process.argv.slice(2);

/** `carto-keys … | head` closes stdout early: that is the reader's choice, not an error to report. */
function stdout() {
  return process.stdout.on('error', (err) => {
    if (err.code !== 'EPIPE') throw err;
  });
}

if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  // fs.writeSync, as completion does: the first use of process.stdout loads Node's stream modules,
  // ~3 ms of CPU for a six-byte answer (docs/performance.md).
  try {
    require('node:fs').writeSync(1, `${require('../package.json').version}\n`);
  } catch (err) {
    if (err.code !== 'EPIPE') throw err;
  }
} else if (argv[0] === '__complete') {
  // Completion writes with fs.writeSync: creating process.stdout would cost more than the answer.
  const { complete } = require('../dist/complete.cjs');
  complete(argv.slice(1)).then((code) => {
    process.exitCode = code;
  });
} else {
  stdout();
  const route = require('../dist/route.cjs');
  route
    .loadBundle(require('node:path').join(__dirname, '..', 'dist'), route.commandFor(argv), require)
    .exports.main(argv)
    .then((code) => {
      process.exitCode = code;
    });
}
