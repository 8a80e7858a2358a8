// The GitHub Action run the way the runner runs it: `node` on the committed entry (action.yml's
// runs.main), with INPUT_* and GITHUB_* variables, a pull_request event, temporary summary and output
// files, against the sandbox (served from the test process, as `sandbox serve` serves it) and a
// stand-in GitHub API on 127.0.0.1 that records the comment requests. Everything it wrote is then
// searched for the Master key and every token.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ROOT } from '../helpers/e2e.js';
import { cliInProcess } from '../helpers/in-process.js';
import { useServedHome } from '../helpers/served.js';
import { useLocalServers } from '../helpers/local-server.js';

const action = parseYaml(readFileSync(join(ROOT, 'action.yml'), 'utf8'));
const ENTRY = join(ROOT, action.runs.main);

interface Recorded {
  method: string;
  path: string;
  authorization: string | undefined;
  body: string;
}

/** The three REST calls of a pull-request comment, on an in-memory list of comments. */
function githubStandIn() {
  const requests: Recorded[] = [];
  const comments: { id: number; body: string; user: { login: string } }[] = [
    // Someone else's comment, and one that merely quotes the marker further down: neither is ours.
    { id: 1, body: 'Looks good to me', user: { login: 'alice' } },
    { id: 2, body: 'Why does <!-- carto-keys plan: carto-keys.yaml --> show up here?', user: { login: 'bob' } },
  ];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const url = new URL(req.url!, 'http://x');
      requests.push({ method: req.method!, path: url.pathname + url.search, authorization: req.headers.authorization, body });
      const reply = (status: number, value: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(value));
      };
      if (req.headers.authorization !== 'Bearer ghs_standin_token_0001') return reply(401, { message: 'Bad credentials' });
      if (req.method === 'GET' && url.pathname === '/repos/acme/infra/issues/7/comments') {
        const page = Number(url.searchParams.get('page') ?? 1);
        return reply(200, page === 1 ? comments : []);
      }
      if (req.method === 'POST' && url.pathname === '/repos/acme/infra/issues/7/comments') {
        const made = { id: 100 + comments.length, body: JSON.parse(body).body, user: { login: 'github-actions[bot]' } };
        comments.push(made);
        return reply(201, made);
      }
      const patch = /^\/repos\/acme\/infra\/issues\/comments\/(\d+)$/.exec(url.pathname);
      const target = patch && comments.find((c) => c.id === Number(patch[1]));
      if (req.method === 'PATCH' && target) {
        target.body = JSON.parse(body).body;
        return reply(200, target);
      }
      reply(404, { message: 'Not Found' });
    });
  });
  return { server, requests, comments };
}

interface ActionRun {
  code: number | null;
  stdout: string;
  stderr: string;
  summary: string;
  outputs: Record<string, string>;
}

const w = useServedHome();

const servers = useLocalServers();
let runs = 0;

/** One step of a job: the committed entry, as the runner starts it. */
function runAction(inputs: Record<string, string>, github: Record<string, string> = {}): Promise<ActionRun> {
  const n = ++runs;
  const dir = join(w.home.dir, `step-${n}`);
  mkdirSync(dir, { recursive: true });
  const summaryFile = join(dir, 'summary.md');
  const outputFile = join(dir, 'output');
  writeFileSync(summaryFile, '');
  writeFileSync(outputFile, '');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: w.home.dir,
    XDG_CONFIG_HOME: join(w.home.dir, '.config'),
    XDG_CACHE_HOME: join(w.home.dir, '.cache'),
    XDG_DATA_HOME: join(w.home.dir, '.local', 'share'),
    GITHUB_ACTIONS: 'true',
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_OUTPUT: outputFile,
    GITHUB_WORKSPACE: w.home.dir,
    ...github,
  };
  // Names as the runner makes them: upper case, spaces as _, hyphens kept (INPUT_MASTER-KEY).
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ENTRY], { cwd: w.home.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const outputs = Object.fromEntries(
        readFileSync(outputFile, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
      resolve({ code, stdout, stderr, summary: readFileSync(summaryFile, 'utf8'), outputs });
    });
  });
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Every token of the account now, and the Master key. */
async function secrets(): Promise<string[]> {
  const r = await ck(['list', '--reveal', '--json']);
  expect(r.code, r.stderr).toBe(0);
  const tokens = (JSON.parse(r.stdout) as { token: string; type: string }[]).filter((k) => k.type === 'regular').map((k) => k.token);
  return [w.sb.masterKey, ...tokens];
}

/** carto-keys itself on the same account, to set it up and look at it. */
// The test's own setup and looks at the account run in-process; the Action is the process under test.
const ck = (args: string[]) => cliInProcess(args, { env: { ...w.home.env, CARTO_KEYS_BASE_URL: w.sb.baseUrl, CARTO_KEYS_MASTER_KEY: w.sb.masterKey } });

/** The job log without the masking commands (which carry their value to the runner, which hides it). */
const logOf = (r: ActionRun): string => `${r.stdout}${r.stderr}`.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n');

describe('the action', () => {
  it('action.yml: a Node 24 action whose inputs and outputs are the documented ones', () => {
    expect(action.runs.using).toBe('node24');
    expect(action.runs.main).toBe('action/dist/index.mjs');
    expect(Object.keys(action.inputs).sort()).toEqual(['args', 'base-url', 'command', 'file', 'github-token', 'key-cmd', 'master-key', 'state-dir', 'username'].sort());
    expect(Object.keys(action.outputs).sort()).toEqual(['changes', 'exit-code', 'findings']);
  });

  it('plan on a pull request, twice: one comment created then updated, a summary with the plan, outputs; nothing shows a secret', async () => {
    for (const args of [['--name', 'web-map', '--api', 'sql,maps'], ['--name', 'stray', '--api', 'sql']]) expect((await ck(['create', ...args])).code).toBe(0);
    const file = join(w.home.dir, 'carto-keys.yaml');
    writeFileSync(file, 'version: 1\nkeys:\n  web-map:\n    apis: [sql]\n  new-app:\n    apis: [maps]\n');
    const gh = githubStandIn();
    const port = await servers.listen(gh.server);
    const event = join(w.home.dir, 'event.json');
    writeFileSync(event, JSON.stringify({ action: 'synchronize', number: 7, pull_request: { number: 7, head: { sha: 'abc' } } }));
    const github = {
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_EVENT_PATH: event,
      GITHUB_REPOSITORY: 'acme/infra',
      GITHUB_API_URL: `http://127.0.0.1:${port}`,
    };
    const inputs = { command: 'plan', file: 'carto-keys.yaml', 'master-key': w.sb.masterKey, 'base-url': w.sb.baseUrl, 'github-token': 'ghs_standin_token_0001', 'state-dir': join(w.home.dir, 'state') };

    const first = await runAction(inputs, github);
    expect(first.code, logOf(first)).toBe(0);
    // The Master key is masked before anything else is said.
    expect(first.stdout.split('\n')[0]).toBe(`::add-mask::${w.sb.masterKey}`);
    expect(first.outputs).toEqual({ 'exit-code': '6', changes: 'true' });
    expect(first.summary).toContain('## carto-keys plan');
    expect(first.summary).toContain('**Plan: 1 to create, 1 to replace, 0 to rotate, 1 unmanaged.**');
    expect(first.summary).toContain('| create | <code>new\\-app</code> |');
    expect(gh.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /repos/acme/infra/issues/7/comments?per_page=100&page=1', 'POST /repos/acme/infra/issues/7/comments']);
    expect(logOf(first)).toContain('The plan is in a comment on pull request #7 (created).');

    // The second push: the file changed, the plan too; the same comment is updated.
    writeFileSync(file, 'version: 1\nkeys:\n  web-map:\n    apis: [sql, maps]\n  stray:\n    apis: [sql]\n');
    const second = await runAction(inputs, github);
    expect(second.code, logOf(second)).toBe(0);
    expect(second.outputs).toEqual({ 'exit-code': '0', changes: 'false' });
    expect(gh.requests.slice(2).map((r) => `${r.method} ${r.path}`)).toEqual(['GET /repos/acme/infra/issues/7/comments?per_page=100&page=1', 'PATCH /repos/acme/infra/issues/comments/102']);
    const ours = gh.comments.filter((c) => c.body.startsWith('<!-- carto-keys plan: carto-keys.yaml -->'));
    expect(ours).toHaveLength(1);
    expect(gh.comments).toHaveLength(3);
    expect(ours[0]!.body).toContain('**No changes.**');
    expect(ours[0]!.body).toBe(`<!-- carto-keys plan: carto-keys.yaml -->\n${second.summary}`);
    for (const r of gh.requests) expect(r.authorization).toBe('Bearer ghs_standin_token_0001');

    // A plan that fails replaces the comment as well: the pull request shows the latest run.
    const failed = await runAction({ ...inputs, 'master-key': '0123456789abcdef0123456789abcdef01234567' }, github);
    expect(failed.code).toBe(1);
    expect(gh.comments.filter((c) => c.body.startsWith('<!-- carto-keys plan: carto-keys.yaml -->'))).toHaveLength(1);
    expect(gh.comments.at(-1)!.body).toContain('## carto-keys plan (exit 4)');

    const all = [first, second, failed].map((r) => `${logOf(r)}\n${r.summary}\n${JSON.stringify(r.outputs)}`).join('\n') + gh.requests.map((r) => r.body).join('\n');
    const written = filesUnder(w.home.dir).filter((f) => !f.endsWith('event.json') && !f.endsWith('.yaml')).map((f) => readFileSync(f, 'utf8')).join('\n');
    for (const secret of await secrets()) {
      expect(all).not.toContain(secret);
      expect(written).not.toContain(secret);
    }
    expect(all).not.toContain('ghs_standin_token_0001');
  });

  it('audit: the findings in the summary and the output; a token shown by a command is masked first and never printed', async () => {
    // The key from a credential helper this time: read once, masked before anything else is said.
    const secretFile = join(w.home.dir, '..', `${w.home.dir.split('/').pop()}.master`);
    writeFileSync(secretFile, w.sb.masterKey);
    const audit = await runAction({ command: 'audit', 'key-cmd': `cat '${secretFile}'`, 'base-url': w.sb.baseUrl });
    rmSync(secretFile);
    expect(audit.code, logOf(audit)).toBe(0);
    expect(audit.stdout.split('\n')[0]).toBe(`::add-mask::${w.sb.masterKey}`);
    expect(audit.summary).toContain('## carto-keys audit');
    expect(Number(audit.outputs.findings)).toBeGreaterThan(0);
    expect(audit.outputs['exit-code']).toBe('0');

    // rotate --print-token puts the new token on stdout: the action masks it before it logs the line.
    expect((await ck(['create', '--name', 'rot-me', '--api', 'sql'])).code).toBe(0);
    const rotate = await runAction({ command: 'rotate', args: 'rot-me --print-token --delete-old --deploy-cmd "true"', 'master-key': w.sb.masterKey, 'base-url': w.sb.baseUrl, 'state-dir': join(w.home.dir, 'state') });
    expect(rotate.code, logOf(rotate)).toBe(0);
    const tokens = await secrets();
    const fresh = tokens.find((t) => rotate.stdout.includes(`::add-mask::${t}`) && t !== w.sb.masterKey);
    expect(fresh).toBeDefined();
    const lines = rotate.stdout.split('\n');
    expect(lines.findIndex((l) => l === `::add-mask::${fresh}`)).toBeLessThan(lines.findIndex((l) => l.includes('***')));
    for (const secret of tokens) {
      expect(logOf(rotate)).not.toContain(secret);
      expect(rotate.summary).not.toContain(secret);
    }
    expect(rotate.summary).toMatch(/^## carto-keys rotate\n\n```text\n/);
    // The state folder got the deployment record, and holds no token.
    const state = filesUnder(join(w.home.dir, 'state'));
    expect(state.some((f) => readFileSync(f, 'utf8').includes('rot-me-r'))).toBe(true);
    for (const secret of tokens) for (const f of state) expect(readFileSync(f, 'utf8'), f).not.toContain(secret);
  });

  it('scan: a token committed to a file is a finding in the summary and the output, named by fingerprint only', async () => {
    const made = await ck(['create', '--name', 'leaky', '--api', 'sql', '--token-only']);
    expect(made.code, made.stderr).toBe(0);
    const token = made.stdout.trim();
    const project = join(w.home.dir, 'project');
    mkdirSync(project, { recursive: true });
    writeFileSync(join(project, 'app.env'), `# settings\nCARTO_API_KEY=${token}\n`);
    const scan = await runAction({ command: 'scan', args: `'${project}'`, 'master-key': w.sb.masterKey, 'base-url': w.sb.baseUrl });
    expect(scan.code, logOf(scan)).toBe(0);
    expect(scan.outputs).toEqual({ 'exit-code': '0', findings: '1' });
    expect(scan.summary).toContain('## carto-keys scan');
    expect(scan.summary).toContain('<code>leaky</code>');
    const gate = await runAction({ command: 'scan', args: `--fail-on-find '${project}'`, 'master-key': w.sb.masterKey, 'base-url': w.sb.baseUrl });
    expect(gate.code).toBe(1);
    expect(gate.outputs).toEqual({ 'exit-code': '7', findings: '1' });
    for (const r of [scan, gate]) {
      expect(logOf(r) + r.summary).not.toContain(token);
      expect(logOf(r) + r.summary).not.toContain(w.sb.masterKey);
    }
  });

  it('a bad input or a failed command fails the step with an error annotation, never a stack trace', async () => {
    const bad = await runAction({ command: 'destroy' });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('::error::The command input must be one of plan, apply, rotate, retire, audit, scan, respond; got "destroy".');
    const denied = await runAction({ command: 'plan', 'master-key': '0123456789abcdef0123456789abcdef01234567', 'base-url': w.sb.baseUrl, file: 'carto-keys.yaml' });
    expect(denied.code).toBe(1);
    expect(denied.outputs['exit-code']).toBe('4');
    expect(denied.stdout).toMatch(/^::error::.*rejected/m);
    expect(denied.summary).toContain('## carto-keys plan (exit 4)');
    expect(logOf(denied)).not.toContain('0123456789abcdef0123456789abcdef01234567');
    expect(`${bad.stdout}${bad.stderr}${denied.stdout}${denied.stderr}`).not.toMatch(/\n\s+at /);
  });
});
