// The Master key never appears in anything a run writes (stdout, stderr with --debug, caches, sandbox
// state aside) except the config file, and never travels in a URL.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FetchLike } from '../../src/api/client.js';
import { run, tempPaths } from '../helpers/harness.js';
import { BASE_URL, MASTER, testSandbox } from '../helpers/sandbox-fetch.js';

function filesUnder(dir: string): string[] {
  let out: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e);
    out = statSync(p).isDirectory() ? [...out, ...filesUnder(p)] : [...out, p];
  }
  return out;
}

// Every command, on success and on failure, with --debug; some with --json.
const RUNS: string[][] = [
  ['list'],
  ['list', '--json', '--reveal'],
  ['show', 'app'],
  ['show', 'Master', '--json'],
  ['show', 'Master', '--reveal'],
  ['show', 'nope'],
  ['create', '--name', 'app2', '--api', 'sql', '--table', 'liked_cities:select'],
  ['create', '--name', 'app2', '--api', 'sql'],
  ['create', '--name', 'bad', '--api', 'sql', '--table', 'no_such_table', '--json'],
  ['clone', 'app', '--name', 'app3', '--add-api', 'maps'],
  ['clone', 'app', '--dry-run', '--json'],
  ['regenerate', 'app', '--yes'],
  ['revoke', 'app2', '--yes'],
  ['revoke', 'nope', '--yes', '--json'],
  ['status'],
  ['status', '--json'],
  ['profile', 'list', '--json'],
  ['regenerate', 'Master', '--yes'],
  ['list'],
  ['logout'],
  ['list'],
];

describe('secrets', () => {
  it('the Master key appears nowhere but the config file, for every command, with --debug', async () => {
    const sb = testSandbox();
    const urls: string[] = [];
    const headers: string[] = [];
    const fetch: FetchLike = (url, init) => {
      urls.push(url);
      headers.push(JSON.stringify(init.headers));
      return sb.fetch(url, init);
    };
    const p = tempPaths();
    try {
      const login = await run(['login', '--base-url', BASE_URL, '--with-key', '--debug'], { fetch, paths: p, stdin: MASTER });
      expect(login.code, login.stderr).toBe(0);
      const created = await run(['create', '--name', 'app', '--api', 'sql', '--debug'], { fetch, paths: p });
      expect(created.code).toBe(0);
      const secrets = () => [MASTER, sb.token('Master')!, Buffer.from(`demo:${MASTER}`).toString('base64')];
      let transcript = login.stdout + login.stderr + created.stdout + created.stderr;
      for (const args of RUNS) {
        const r = await run([...args, '--debug'], { fetch, paths: p });
        transcript += `\n$ ${args.join(' ')} => ${r.code}\n${r.stdout}${r.stderr}`;
      }
      // --debug did trace requests: the check below is not vacuous.
      expect(transcript).toMatch(/GET .*api_keys/);
      const written = filesUnder(p.root).filter((f) => !f.endsWith(join('config', 'config.json')));
      expect(written.length).toBeGreaterThan(0);
      for (const secret of secrets()) {
        expect(transcript).not.toContain(secret);
        for (const f of written) expect(readFileSync(f, 'utf8'), f).not.toContain(secret);
        for (const u of urls) expect(u).not.toContain(secret);
      }
      // The key travels only in the Authorization header.
      expect(headers.every((h) => h.includes('Basic '))).toBe(true);
    } finally {
      p.cleanup();
    }
  });
});
