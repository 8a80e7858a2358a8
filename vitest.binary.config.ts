// The process-level tests against the single-file binary (`npm run test:binary`, after
// `npm run build:binary`): the same test files as for the npm package — signals, terminals, the OS
// keychain, transport trust, the README — with test/helpers/e2e.ts running the binary instead of
// bin/carto-keys.js, plus what only the binary has to prove (test/binary/).
import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

const target = `${{ linux: 'linux', darwin: 'darwin', win32: 'win' }[process.platform as string] ?? process.platform}-${process.arch}`;
// Read by test/helpers/e2e.ts in the test workers and by the global setup, which both inherit it.
process.env.CARTO_KEYS_TEST_BINARY ??= `build/carto-keys-${target}${process.platform === 'win32' ? '.exe' : ''}`;

export default defineConfig({
  test: {
    ...base.test,
    include: [
      'test/binary/**/*.test.ts',
      'test/e2e/interrupt.test.ts',
      'test/e2e/rotate-kill.test.ts',
      'test/e2e/rotate-tty.test.ts',
      'test/e2e/everyday-tty.test.ts',
      'test/e2e/org-tty.test.ts',
      'test/e2e/keychain.test.ts',
      'test/e2e/trust-transport.test.ts',
      'test/e2e/readme.test.ts',
    ],
    exclude: [],
    globalSetup: ['test/binary/global-setup.ts'],
  },
});
