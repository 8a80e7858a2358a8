#!/usr/bin/env node
// The entry point. It only picks a path and sets process.exitCode: never process.exit(), so piped
// stdout is flushed. It is CommonJS (bin/package.json) because Node starts a CommonJS file without
// initialising its ES module loader, which alone costs ~12 ms: `--version` and shell completion
// (dist/complete.cjs, one CommonJS bundle) never touch it and answer in about Node's own start-up
// time, and `--help` alone (dist/help.cjs) close to it. Everything else loads the ESM bundle
// dist/main.js, whose chunks load lazily.
'use strict';

// Node >= 22.1 can keep compiled code between runs (Node 20 cannot: nothing happens there).
require('node:module').enableCompileCache?.();

const argv = process.argv.slice(2);

/** `carto-keys … | head` closes stdout early: that is the reader's choice, not an error to report. */
function stdout() {
  return process.stdout.on('error', (err) => {
    if (err.code !== 'EPIPE') throw err;
  });
}

if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  stdout().write(`${require('../package.json').version}\n`);
} else if (argv.length === 1 && (argv[0] === '--help' || argv[0] === '-h')) {
  // The same help the CLI prints (src/help.ts builds the same program), without the ESM bundle.
  process.exitCode = require('../dist/help.cjs').help(stdout(), process.env);
} else if (argv[0] === '__complete') {
  // Completion writes with fs.writeSync: creating process.stdout would cost more than the answer.
  const { complete } = require('../dist/complete.cjs');
  complete(argv.slice(1)).then((code) => {
    process.exitCode = code;
  });
} else {
  stdout();
  import('../dist/main.js')
    .then(({ main }) => main(argv))
    .then((code) => {
      process.exitCode = code;
    });
}
