#!/usr/bin/env node
// The entry point. It only picks a path and sets process.exitCode: never process.exit(), so piped
// stdout is flushed. `--version` and completion take fast paths that skip commander and the program.
const argv = process.argv.slice(2);

if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  const { VERSION } = await import('../dist/version.js');
  process.stdout.write(`${VERSION}\n`);
} else if (argv[0] === '__complete') {
  const { complete } = await import('../dist/complete.js');
  process.exitCode = await complete(argv.slice(1));
} else {
  const { main } = await import('../dist/main.js');
  process.exitCode = await main(argv);
}
