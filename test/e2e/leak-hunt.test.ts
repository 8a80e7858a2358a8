// The leak hunt (issue 11): every command, in both storage modes, plain and with --debug --json,
// succeeding and failing, on the built binary against `sandbox serve` and a local listener standing
// for "another host". Afterwards everything carto-keys wrote is searched for every Master key the
// account has had: stdout, stderr, every file under HOME (config, cache and data folders, rotation
// journals, deploy targets, a deploy command's environment dump) and everything the listener received.
// The only place a Master key may rest is config.json in file mode (0600), and nowhere in keychain mode.
//
// To extend it, add a line to STEPS: the command line, the exit code(s) it must end with, and
// optionally stdin or environment. `{dir}` in an argument is replaced by the run's HOME.

import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, serveSandbox, tempHome, type Home, type ServedSandbox } from '../helpers/e2e.js';
import { keyringUnavailable, startKeyring, type KeyringSession } from '../helpers/keyring.js';
import { recorder, type Recorder } from '../helpers/recorder.js';

interface Step {
  args: string[];
  expect: number | number[];
  input?: (master: string) => string;
  /** Environment beyond HOME; `listener` is replaced by the recording listener's base URL. */
  env?: Record<string, string>;
  /** Run once, as written (no --debug --json variant): steps that change state for the next ones. */
  once?: boolean;
}

/** Every command line the hunt runs, in order. */
const STEPS: Step[] = [
  { args: ['status'], expect: 0 },
  { args: ['list'], expect: 0 },
  { args: ['list', '--reveal'], expect: 0 },
  { args: ['show', 'Master'], expect: 0 },
  { args: ['show', 'Master', '--reveal'], expect: [0, 2] },
  { args: ['show', 'Master', '--token'], expect: [0, 2] },
  { args: ['show', 'nope'], expect: 1 },
  { args: ['create', '--name', 'app', '--api', 'sql'], expect: 0, once: true },
  { args: ['create', '--name', 'app', '--api', 'sql'], expect: 1 },
  { args: ['show', 'app', '--reveal'], expect: 0 },
  { args: ['clone', 'app', '--name', 'app2'], expect: 0, once: true },
  { args: ['clone', 'nope'], expect: 1 },
  { args: ['regenerate', 'app2', '--yes'], expect: 0 },
  { args: ['regenerate', 'nope', '--yes'], expect: 1 },
  {
    args: ['rotate', 'app', '--yes', '--keep-old', '--deploy-env-file', '{dir}/deploy/.env:CARTO_API_KEY', '--deploy-cmd', 'env > "$HOME/deploy/child-env.txt"'],
    expect: 0,
    once: true,
  },
  { args: ['revoke', 'app2', '--yes'], expect: 0, once: true },
  { args: ['revoke', 'nope', '--yes'], expect: 1 },
  { args: ['revoke', 'Master', '--yes'], expect: 2 },
  { args: ['profile', 'list'], expect: 0 },
  // Keys as code and the audit: their outputs name keys (escaped) and read files (bounded).
  { args: ['export', '-o', '{dir}/carto-keys.yaml', '--force'], expect: 0 },
  { args: ['plan', '-f', '{dir}/carto-keys.yaml'], expect: 0 },
  { args: ['audit', '--scan', '{dir}/deploy/.env'], expect: [0, 7] },
  // The Master key typed as a file name, a flag value or a --notify-cmd: refused before parsing (in
  // keychain mode by the profile's recorded keyCheck), never echoed, never run through sh.
  { args: ['plan', '-f', '{master}'], expect: 2 },
  { args: ['rotate', '--rollback', '{master}'], expect: 2 },
  { args: ['rotate', 'app', '--yes', '--deploy-cmd', 'true', '--notify-cmd', '{master}'], expect: 2 },
  // A proxy is never used for the loopback sandbox: the listener, standing as the proxy, receives nothing.
  { args: ['list'], env: { HTTP_PROXY: 'listener', HTTPS_PROXY: 'listener' }, expect: 0 },
  // HOME holds the Master key (config.json, in file mode) and the deployed token: found, by fingerprint only.
  { args: ['scan', '{dir}', '--fail-on-find'], expect: [0, 7] },
  { args: ['audit', '--scan', '{dir}'], expect: 0 },
  { args: ['respond', 'nope', '--yes'], expect: 1 },
  { args: ['respond', '{master}', '--yes'], expect: 2 },
  // The Master key typed where a name goes: refused before anything is sent.
  { args: ['show', '--', '{master}'], expect: 2 },
  // Another account named by the environment, with the key from the profile: nothing sent there.
  { args: ['list'], env: { CARTO_KEYS_BASE_URL: 'listener' }, expect: 4 },
  { args: ['status'], env: { CARTO_KEYS_USERNAME: 'evil' }, expect: 4 },
  // Clear text to a host off this machine: refused.
  { args: ['list'], env: { CARTO_KEYS_BASE_URL: 'http://192.0.2.2:8080/user/demo', CARTO_KEYS_MASTER_KEY: '{master}' }, expect: 2 },
  { args: ['regenerate', 'Master', '--yes'], expect: 0, once: true },
  { args: ['status'], expect: 0 },
  { args: ['logout'], expect: 0, once: true },
  { args: ['status'], expect: 4 },
];

const keyring = keyringUnavailable();
const MODES: { storage: 'file' | 'keychain'; skip?: string }[] = [
  { storage: 'file' },
  { storage: 'keychain', ...(keyring !== undefined && { skip: keyring }) },
];

let listener: Recorder;
beforeAll(async () => {
  // It answers like a server that is not CARTO (an HTML 404), quoting nothing back.
  listener = await recorder((_req, res) => res.writeHead(404, { 'content-type': 'text/html' }).end('<html>not here</html>'));
});
afterAll(async () => {
  await listener?.close();
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? filesUnder(p) : e.isFile() ? [p] : [];
  });
}

for (const mode of MODES) {
  describe.skipIf(mode.skip !== undefined)(`leak hunt, key in the ${mode.storage}${mode.skip ? ` (skipped: ${mode.skip})` : ''}`, () => {
    let home: Home;
    let server: ServedSandbox;
    let session: KeyringSession | undefined;
    const masters: string[] = [];
    const written: { what: string; text: string }[] = [];

    beforeAll(async () => {
      home = tempHome();
      // Its own account: regenerate Master changes the key.
      server = await serveSandbox();
      if (mode.storage === 'keychain') session = await startKeyring();
      masters.push(server.masterKey);
    });
    afterAll(async () => {
      await session?.stop();
      await server?.stop();
      home?.cleanup();
    });

    function currentMaster(): string | undefined {
      if (mode.storage === 'file') {
        const config = JSON.parse(readFileSync(join(home.dir, '.config', 'carto-keys', 'config.json'), 'utf8'));
        return config.profiles.default?.masterKey;
      }
      return /secret = (\S+)/.exec(session!.search())?.[1];
    }

    it('runs every step with the expected exit code', { timeout: 240_000 }, async () => {
      const env = {
        ...home.env,
        ...(session && { DBUS_SESSION_BUS_ADDRESS: session.env.DBUS_SESSION_BUS_ADDRESS }),
      };
      const fill = (s: string) => s.replace('{dir}', home.dir).replace('{master}', masters[masters.length - 1]!).replace(/^listener$/, `${listener.origin}/user/demo`);
      const login = await cli(['login', '--base-url', server.baseUrl, '--with-key', '--storage', mode.storage, '--debug'], { env, input: server.masterKey });
      written.push({ what: 'login', text: login.stdout + login.stderr });
      expect(login.code, login.stderr).toBe(0);
      mkdirSync(join(home.dir, 'deploy'), { recursive: true });

      for (const step of STEPS) {
        const variants = step.once ? [[]] : [[], ['--debug', '--json']];
        for (const extra of variants) {
          const args = [...step.args.map(fill), ...extra];
          const stepEnv = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, fill(v)]));
          const r = await cli(args, { env: { ...env, ...stepEnv }, timeoutMs: 30_000 });
          const label = `$ ${Object.entries(step.env ?? {}).map(([k, v]) => `${k}=${v} `).join('')}carto-keys ${[...step.args, ...extra].join(' ')}`;
          written.push({ what: label, text: r.stdout + r.stderr });
          const wanted = Array.isArray(step.expect) ? step.expect : [step.expect];
          expect(wanted, `${label}\n${r.stdout}${r.stderr}`).toContain(r.code);
        }
        const now = currentMaster();
        if (now !== undefined && !masters.includes(now)) masters.push(now);
      }
      expect(masters.length, 'regenerate Master changed the key').toBe(2);
    });

    it('no Master key in any output, in any file but the 0600 config (file mode only), or at the listener', () => {
      const configFile = join(home.dir, '.config', 'carto-keys', 'config.json');
      const files = filesUnder(home.dir).filter((f) => !f.includes(`${join('.local', 'share', 'keyrings')}`));
      // Not vacuous: the deploy targets and the child's environment dump exist.
      expect(files.some((f) => f.endsWith(join('deploy', '.env')))).toBe(true);
      expect(files.some((f) => f.endsWith('child-env.txt'))).toBe(true);
      const everything = [
        ...written,
        ...files.filter((f) => mode.storage === 'keychain' || f !== configFile).map((f) => ({ what: f, text: readFileSync(f, 'latin1') })),
        { what: 'the listener', text: listener.text() },
      ];
      for (const key of masters) {
        for (const { what, text } of everything) {
          expect(text.includes(key) || text.toLowerCase().includes(key.toLowerCase()), `a Master key in ${what}`).toBe(false);
          // Nor base64-encoded (an Authorization header).
          expect(text.includes(Buffer.from(`demo:${key}`).toString('base64')), `a Basic credential in ${what}`).toBe(false);
        }
      }
    });
  });
}
