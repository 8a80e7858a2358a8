// `scan` against the emulator, on real files and a real git history: each planted live token is found
// with its place (a nested file, the Master key in an env file, a token only in history, a member's
// token with --all-members), a revoked token and look-alikes are not, and no output holds a token.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { embeddedFetch } from '../../src/api/http.js';
import { fingerprint } from '../../src/text/fingerprint.js';
import { text } from '../../src/ui/markdown.js';
import { createSandboxHandler } from '../../src/sandbox/index.js';
import { createOrgSandboxState } from '../../src/sandbox/org.js';
import { everythingUnder } from '../helpers/written.js';
import { run, tempPaths } from '../helpers/harness.js';
import { MASTER, noNetwork, testSandbox } from '../helpers/sandbox-fetch.js';
import { ORG_MASTERS } from '../helpers/org-masters.js';

const dir = mkdtempSync(join(tmpdir(), 'carto-keys-scan-cmd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const GIT_ENV = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.org', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.org', GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', PATH: process.env.PATH };
function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8' }).trim();
}

async function account() {
  const sb = testSandbox();
  const paths = tempPaths();
  const create = async (name: string) => {
    const r = await run(['create', '--name', name, '--api', 'sql', '--token-only'], { env: sb.env, fetch: sb.fetch, paths });
    expect(r.code, r.stderr).toBe(0);
    return r.stdout.trim();
  };
  const tokens = { nested: await create('nested-app'), history: await create('history-app'), revoked: await create('gone'), unused: await create('unused') };
  const revoke = await run(['revoke', 'gone', '--yes'], { env: sb.env, fetch: sb.fetch, paths });
  expect(revoke.code, revoke.stderr).toBe(0);
  return { sb, paths, tokens };
}

/** A project: a token in a nested file, the Master key in an env file, a revoked token and look-alikes, and one token only in git history. */
function project(tokens: { nested: string; history: string; revoked: string; unused: string }) {
  const root = mkdtempSync(join(dir, 'project-'));
  git(root, 'init', '-q', '-b', 'main');
  mkdirSync(join(root, 'src', 'config'), { recursive: true });
  writeFileSync(join(root, 'src', 'config', 'maps.js'), `// maps\nexport const key = '${tokens.nested}';\n`);
  writeFileSync(join(root, 'README.md'), '# demo\n');
  git(root, 'add', '.');
  git(root, 'commit', '-qm', 'first');
  writeFileSync(join(root, 'deploy.sh'), `#!/bin/sh\nexport CARTO_API_KEY=${tokens.history}\n`);
  git(root, 'add', 'deploy.sh');
  git(root, 'commit', '-qm', 'deploy script');
  writeFileSync(join(root, 'deploy.sh'), '#!/bin/sh\nexport CARTO_API_KEY="$(cat /run/secrets/carto)"\n');
  git(root, 'commit', '-qam', 'no token in the script');
  const flip = (t: string) => t.slice(0, 5) + (t[5] === 'A' ? 'B' : 'A') + t.slice(6);
  // Not committed: an env file (as .gitignore would keep it), with the Master key among look-alikes.
  writeFileSync(join(root, '.env'), `OLD=${tokens.revoked}\nNEAR=${flip(tokens.unused)}\nSHORT=${tokens.unused.slice(1)}\n\nCARTO_KEYS_MASTER_KEY=${MASTER}\n`);
  return root;
}

describe('scan', () => {
  it('finds a token in a nested file and the Master key in an env file, by place and fingerprint; not a revoked token or look-alikes', async () => {
    const { sb, paths, tokens } = await account();
    const root = project(tokens);
    const sent = sb.requests.length;
    const r = await run(['scan', root], { env: sb.env, fetch: sb.fetch, paths });
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => l.split('\t'));
    expect(rows).toEqual([
      [join(root, '.env'), '5', '', 'demo', 'Master', 'master', fingerprint(MASTER), 'exact', 'plain', 'carto-keys respond Master'],
      [join(root, 'src', 'config', 'maps.js'), '2', '', 'demo', 'nested-app', 'regular', fingerprint(tokens.nested), 'exact', 'plain', 'carto-keys respond nested-app'],
    ]);
    expect(r.stderr).toBe('2 live tokens found in 4 files (1 KiB), looking for 4 live tokens.\n');
    for (const secret of [MASTER, ...Object.values(tokens)]) expect(r.stdout + r.stderr).not.toContain(secret);
    // Only reads were sent.
    expect(sb.requests.slice(sent).every((q) => q.method === 'GET')).toBe(true);
  });

  it('--git: a token only in history, with the commit that introduced it; --fail-on-find exits 7', async () => {
    const { sb, paths, tokens } = await account();
    const root = project(tokens);
    const introduced = git(root, 'rev-parse', 'HEAD~1');
    const r = await run(['scan', root, '--git', '--json', '--fail-on-find'], { env: sb.env, fetch: sb.fetch, paths });
    expect(r.code, r.stderr).toBe(7);
    expect(r.stderr).toBe('');
    const doc = JSON.parse(r.stdout);
    const places = doc.findings.map((f: { path: string; line: number; commit: string | null; key: string }) => [f.path, f.line, f.commit, f.key]);
    expect(places).toEqual([
      [join(root, '.env'), 5, null, 'Master'],
      [join(root, 'src', 'config', 'maps.js'), 2, null, 'nested-app'],
      ['deploy.sh', 2, introduced, 'history-app'],
      ['src/config/maps.js', 2, git(root, 'rev-parse', 'HEAD~2'), 'nested-app'],
    ]);
    expect(doc.findings[2]).toMatchObject({ member: 'demo', type: 'regular', fingerprint: fingerprint(tokens.history), fix: 'carto-keys respond history-app', inCommitMessage: false });
    expect(doc.summary).toMatchObject({ findings: 4, tokens: 4, files: 4, history: { commits: 3, blobs: 4 } });
    for (const secret of [MASTER, ...Object.values(tokens)]) expect(r.stdout).not.toContain(secret);

    // A range: only what the last commit added (nothing), and the working tree as before.
    const range = await run(['scan', root, '--git', 'HEAD~1..HEAD', '--json'], { env: sb.env, fetch: sb.fetch, paths });
    expect(range.code, range.stderr).toBe(0);
    expect(JSON.parse(range.stdout).findings.map((f: { commit: string | null }) => f.commit)).toEqual([null, null]);
  });

  it('--git: a token in a commit message is found too', async () => {
    const { sb, paths, tokens } = await account();
    const root = project(tokens);
    git(root, 'commit', '-q', '--allow-empty', '-m', `rotate\n\nold key was ${tokens.unused}`);
    const r = await run(['scan', join(root, 'README.md'), '--git', 'HEAD~1..HEAD'], { env: sb.env, fetch: sb.fetch, paths, tty: true });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      `commit message:3 (commit ${git(root, 'rev-parse', 'HEAD').slice(0, 12)} message)\n  key "unused" ${fingerprint(tokens.unused)}\n  fix: carto-keys respond unused\n`,
    );
  });

  it('on a terminal: the place, then the key and its fingerprint, then the fix', async () => {
    const { sb, paths, tokens } = await account();
    const root = project(tokens);
    const r = await run(['scan', join(root, 'src')], { env: sb.env, fetch: sb.fetch, paths, tty: true });
    expect(r.stdout).toBe(`${join(root, 'src', 'config', 'maps.js')}:2\n  key "nested-app" ${fingerprint(tokens.nested)}\n  fix: carto-keys respond nested-app\n`);
  });

  it('--format markdown: the summary and one table, names and paths inert, never a token', async () => {
    const { sb, paths, tokens } = await account();
    const root = project(tokens);
    const nasty = join(root, 'a|b `c` [d](e).txt');
    writeFileSync(nasty, `k=${tokens.unused}\n`);
    const r = await run(['scan', root, '--format', 'markdown'], { env: sb.env, fetch: sb.fetch, paths });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 6)).toEqual([
      '## carto-keys scan',
      '',
      '3 live tokens found in 5 files (1 KiB), looking for 4 live tokens.',
      '',
      '| Where | Commit | Key | Fingerprint | Notes | Fix |',
      '| --- | --- | --- | --- | --- | --- |',
    ]);
    expect(lines).toContain(`| <code>${text(`${join(root, '.env')}:5`)}</code> |  | the Master key | <code>${text(fingerprint(MASTER))}</code> |  | <code>carto\\-keys respond Master</code> |`);
    expect(r.stdout).toContain(`<code>${text(`${nasty}:1`)}</code>`);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('| ')).every((l) => l.split(' | ').length === 6)).toBe(true);
    for (const secret of [MASTER, ...Object.values(tokens)]) expect(r.stdout).not.toContain(secret);
    const both = await run(['scan', root, '--format', 'markdown', '--json'], { env: sb.env, fetch: noNetwork, paths });
    expect(both.code).toBe(2);
  });

  it('usage errors exit 2 before anything is sent', async () => {
    const { tokens } = await account();
    const root = project(tokens);
    const notRepo = mkdtempSync(join(tmpdir(), 'carto-keys-no-repo-'));
    try {
      for (const [args, message] of [
        [['scan', join(root, 'missing')], `scan ${join(root, 'missing')}: no such file or folder.`],
        [['scan', '/dev/null'], 'scan /dev/null: a device; only files and folders are scanned.'],
        [['scan', root, '--git', 'no-such-ref..HEAD'], "--git: git rev-list failed: bad revision 'no-such-ref..HEAD'"],
        [['scan', root, '--git=--output=/tmp/x'], '--git "--output=/tmp/x": not a revision range.'],
        [['scan', notRepo, '--git'], '--git: this folder is not in a git repository.'],
        [['scan', '--org', 'acme'], '--org goes with --all-members.'],
      ] as const) {
        const r = await run([...args], { env: testSandbox().env, fetch: noNetwork });
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
        expect(r.stderr.split('\n')[0]).toBe(`Error: ${message}`);
        expect(r.stdout).toBe('');
      }
    } finally {
      rmSync(notRepo, { recursive: true, force: true });
    }
  });

  it('writes nothing that holds a token: config, data, cache and the project are grepped for every token', async () => {
    const { sb, paths, tokens } = await account();
    const root = project(tokens);
    const before = everythingUnder(paths.root);
    const r = await run(['scan', root, '--git', '--json', '--debug'], { env: sb.env, fetch: sb.fetch, paths });
    expect(r.code, r.stderr).toBe(0);
    const after = everythingUnder(paths.root);
    for (const secret of [MASTER, ...Object.values(tokens)]) {
      expect(r.stdout + r.stderr).not.toContain(secret);
      // Whatever the earlier commands wrote, the scan added no copy.
      expect(after.split(secret).length).toBe(before.split(secret).length);
    }
    expect(statSync(join(root, '.git')).isDirectory()).toBe(true);
  });
});

describe('scan --all-members', () => {
  function org() {
    const state = createOrgSandboxState({ masterKeys: ORG_MASTERS });
    return {
      state,
      fetch: embeddedFetch(createSandboxHandler(state)),
      env: { CARTO_KEYS_BASE_URL: 'https://acme.carto.com/u/alice', CARTO_KEYS_MASTER_KEY: ORG_MASTERS['alice']! },
      token: (user: string, name: string) => state.users.find((u) => u.username === user)!.keys.find((k) => k.name === name)!.token,
    };
  }

  it("finds a member's token and a member's Master key, each with --user in its fix; without the flag, only the caller's", async () => {
    const sb = org();
    const root = mkdtempSync(join(dir, 'org-'));
    const bobs = sb.token('bob', 'bob-dashboard');
    writeFileSync(join(root, 'notebook.py'), `# analysis\nKEY = "${bobs}"\nADMIN = "${ORG_MASTERS['alice']}"\nDAVE = "${ORG_MASTERS['dave']}"\n`);
    const r = await run(['scan', root, '--all-members', '--json'], { env: sb.env, fetch: sb.fetch });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.findings.map((f: { line: number; member: string; key: string; fix: string }) => [f.line, f.member, f.key, f.fix])).toEqual([
      [2, 'bob', 'bob-dashboard', 'carto-keys respond bob-dashboard --user bob'],
      [3, 'alice', 'Master', 'carto-keys respond Master'],
      [4, 'dave', 'Master', 'carto-keys respond Master --user dave'],
    ]);
    expect(doc.summary.organization).toEqual({ name: 'acme', members: 4, failedMembers: [] });
    for (const secret of [bobs, ...Object.values(ORG_MASTERS)]) expect(r.stdout + r.stderr).not.toContain(secret);

    const own = await run(['scan', root], { env: sb.env, fetch: sb.fetch });
    expect(own.stdout.trim().split('\n').map((l) => l.split('\t')[4])).toEqual(['Master']);
  });
});

describe('sandbox seed-leaks', () => {
  it('plants leaks that scan finds, each at its place, and a revoked token and a look-alike it does not', async () => {
    const paths = tempPaths();
    try {
      expect((await run(['login', '--sandbox'], { paths })).code).toBe(0);
      const folder = join(dir, 'seeded');
      const seeded = await run(['sandbox', 'seed-leaks', folder, '--json'], { paths });
      expect(seeded.code, seeded.stderr).toBe(0);
      const doc = JSON.parse(seeded.stdout);
      const r = await run(['scan', join(folder, 'project'), '--git', '--json'], { paths });
      expect(r.code, r.stderr).toBe(0);
      const found = JSON.parse(r.stdout).findings.map((f: { path: string; line: number; commit: string | null }) => `${f.commit === null ? f.path.slice(join(folder, 'project').length + 1) : f.path}:${f.line}${f.commit === null ? '' : ' (history)'}`);
      const expected = (doc.planted as { path: string; line: number; reported: boolean; history?: boolean }[])
        .filter((p) => p.reported)
        .map((p) => `${p.path}:${p.line}${p.history ? ' (history)' : ''}`);
      // Committed files are in the history too.
      expect(found.sort()).toEqual([...expected, 'src/config/maps.js:2 (history)'].sort());
      expect(doc.planted.filter((p: { reported: boolean }) => !p.reported).map((p: { what: string }) => p.what)).toEqual([
        'the token of "old-app", revoked',
        'a look-alike of "leaked-app"\'s token',
      ]);
      // The leaked key is recorded as deployed where respond will find it.
      const where = await run(['where', 'leaked-app', '--json'], { paths });
      expect(JSON.parse(where.stdout).deployments[0]).toMatchObject({ kind: 'env-file', path: join(folder, 'deploy', 'app.env') });
      // Seeded once: a second run into the same folder is refused.
      const again = await run(['sandbox', 'seed-leaks', folder], { paths });
      expect(again.code).toBe(2);
      expect(again.stderr).toContain('is not empty');
    } finally {
      paths.cleanup();
    }
  });

  it("on the sandbox organization, plants a member's token too, found with --all-members", async () => {
    const paths = tempPaths();
    try {
      expect((await run(['login', '--sandbox', '--org'], { paths })).code).toBe(0);
      const folder = join(dir, 'seeded-org');
      expect((await run(['sandbox', 'seed-leaks', folder], { paths })).code).toBe(0);
      const r = await run(['scan', join(folder, 'project'), '--all-members', '--json'], { paths });
      expect(r.code, r.stderr).toBe(0);
      const members = JSON.parse(r.stdout).findings.map((f: { member: string; key: string }) => `${f.member} ${f.key}`);
      expect(members).toContain('bob bob-dashboard');
    } finally {
      paths.cleanup();
    }
  });

  it('refuses an account that is not the built-in sandbox (it writes live tokens to disk)', async () => {
    const r = await run(['sandbox', 'seed-leaks', join(dir, 'never')], { env: testSandbox().env, fetch: noNetwork });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('only on the built-in sandbox');
  });
});
