// Issue 21 on a real terminal of 80 columns (tmux): what a new user sees. Every row of list, audit and
// help fits (the terminal wraps nothing), shortened names stay distinct, help sentences and examples
// stay whole, and bash and fish completion let a comma list go on.

import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { CLI, ROOT, tempHome, type Home } from '../helpers/e2e.js';
import { cliInProcess } from '../helpers/in-process.js';
import { describeTty, openTerminal, terminalScript, type Terminal } from '../helpers/terminal.js';

describeTty('every day, round two, at 80 columns (tmux)', () => {
  /**
   * A HOME logged in to the embedded sandbox and a terminal of its own for one test, closed and removed
   * when it ends: the tests share nothing, so they run at once (each mostly waits on its terminal).
   */
  async function world(onTestFinished: (fn: () => void) => void) {
    const home = tempHome();
    let term: Terminal | undefined;
    onTestFinished(() => {
      term?.close();
      home.cleanup();
    });
    // The setup runs in-process; what is on the terminal is the built binary.
    const login = await cliInProcess(['login', '--sandbox'], { env: home.env });
    expect(login.code, login.stderr).toBe(0);
    const open = (script: string, size: { width: number; height: number }): Terminal => {
      term?.close();
      term = openTerminal(script, size);
      return term;
    };
    const at80 = async (args: string[]): Promise<{ rows: string[]; screen: string }> => {
      const t = open(terminalScript(home.dir, [...CLI, ...args], home.env), { width: 80, height: 60 });
      const screen = await t.waitFor(/EXIT:\d+/);
      return { rows: t.rows().split('\n'), screen };
    };
    return { home, open, at80 };
  }
  /** The terminal wrapped nothing: each line of output is one row of the screen. */
  const nothingWrapped = (t: { rows: string[]; screen: string }) => {
    const lines = t.screen.split('\n');
    expect(t.rows.length, t.rows.join('\n')).toBe(lines.length);
  };

  it.concurrent('list: three generated names of one minute stay three different rows', async ({ onTestFinished }) => {
    const { home, at80 } = await world(onTestFinished);
    for (const n of ['0001', '0002', '0003']) {
      const r = await cliInProcess(['create', '--name', `sql-world_population-20261207-${n}`, '--api', 'sql', '--table', 'world_population'], { env: home.env });
      expect(r.code, r.stderr).toBe(0);
    }
    const t = await at80(['list']);
    nothingWrapped(t);
    const names = t.rows.filter((l) => l.startsWith('sql-')).map((l) => l.split(/\s+/)[0]);
    expect(names, t.rows.join('\n')).toHaveLength(3);
    expect(new Set(names).size, t.rows.join('\n')).toBe(3);
  });

  it.concurrent('audit: every finding fits, its reason under its key', async ({ onTestFinished }) => {
    const { home, at80 } = await world(onTestFinished);
    for (const [name, ...flags] of [
      ['web-map-production-eu-west-1-customer-facing', '--api', 'sql', '--table', 'liked_cities:select,insert'],
      ['etl-nightly-loader-with-a-long-name', '--api', 'sql', '--schema', 'public:create'],
    ] as string[][]) {
      expect((await cliInProcess(['create', '--name', name!, ...flags], { env: home.env })).code).toBe(0);
    }
    const t = await at80(['audit']);
    nothingWrapped(t);
    expect(t.screen).toMatch(/^ {2}table-write +web-map-production-eu-west-1-customer-facing\n {4}can change data in public\.liked_cities \(insert\)$/m);
  });

  it.concurrent('login and status: every line fits; the config file shown from ~', async ({ onTestFinished }) => {
    const { at80 } = await world(onTestFinished);
    const t = await at80(['login', '--sandbox', '--org']);
    nothingWrapped(t);
    expect(t.screen).toContain('Key in ~/.config/carto-keys/config.json');
    const st = await at80(['status']);
    nothingWrapped(st);
    expect(st.screen).toMatch(/^Key from +config file ~\/\.config\/carto-keys\/config\.json \(mode 0600\)$/m);
  });

  for (const args of [['sandbox', 'serve', '--port', '0'], ['sandbox', 'serve', '--port', '0', '--org']]) {
    it.concurrent(`${args.join(' ')}: every line fits; the commands to try go on with \\`, async ({ onTestFinished }) => {
      const { home, open } = await world(onTestFinished);
      // --max-lifetime stops it (Ctrl-C in tmux would stop the script around it too).
      const term = open(terminalScript(home.dir, [...CLI, ...args, '--max-lifetime', '1'], home.env), { width: 80, height: 60 });
      const screen = await term.waitFor(/EXIT:\d+/);
      nothingWrapped({ rows: term.rows().split('\n'), screen });
      expect(screen).toMatch(/^Try: .* \\$/m);
    });
  }

  it.concurrent('rotate app --deploy-env-file .env --delete-old --yes (the README line) runs through on a terminal, asking nothing', async ({ onTestFinished }) => {
    const { home, at80 } = await world(onTestFinished);
    expect((await cliInProcess(['create', '--name', 'app', '--api', 'sql', '--table', 'world_population'], { env: home.env })).code).toBe(0);
    const t = await at80(['rotate', 'app', '--deploy-env-file', '.env', '--delete-old', '--yes']);
    expect(t.screen, t.screen).toContain('EXIT:0');
    expect(t.screen).not.toMatch(/Keep all grants|Name of the new API key:|Create API key .*\?|Delete the old key .* now\?/);
    nothingWrapped(t);
  });

  it.concurrent('plan and where with long names and paths: every line fits, the rest wrapped under its key', async ({ onTestFinished }) => {
    const { home, at80 } = await world(onTestFinished);
    const name = 'web-map-production-eu-west-1-customer-facing';
    const inProcess = async (args: string[]) => {
      const r = await cliInProcess(args, { env: home.env });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    };
    await inProcess(['create', '--name', name, '--api', 'sql,maps', '--table', 'world_population:select']);
    mkdirSync(join(home.dir, 'deploy'));
    await inProcess(['rotate', name, '--name', `${name}-2`, '--deploy-env-file', `${join(home.dir, 'deploy', '.env')}:CARTO_API_KEY_FOR_THE_WEB_MAP`, '--delete-old', '--yes']);
    const file = join(home.dir, 'carto-keys.yaml');
    await inProcess(['export', '-o', file]);
    writeFileSync(file, readFileSync(file, 'utf8').replace('maps', 'do'));
    const plan = await at80(['plan']);
    nothingWrapped(plan);
    expect(plan.screen).toContain(`${name}-2 will be replaced:`);
    const where = await at80(['where', `${name}-2`]);
    nothingWrapped(where);
    expect(where.screen).toMatch(/^env-file  deploy\/\.env \(CARTO_API_KEY_FOR_THE_WEB_MAP\)\n {10}holds the token of/m);
    // The replaced key: the error names the successor, its command whole on a line.
    const gone = await at80(['where', name]);
    nothingWrapped(gone);
    expect(gone.screen).toMatch(new RegExp(`^  carto-keys where ${name}-2$`, 'm'));
  });

  it.concurrent('a long error and its hint fit the terminal, word-wrapped; nothing wrapped by the terminal itself', async ({ onTestFinished }) => {
    const { home, at80 } = await world(onTestFinished);
    expect((await cliInProcess(['create', '--name', 'app', '--api', 'sql', '--table', 'world_population'], { env: home.env })).code).toBe(0);
    const t = await at80(['rotate', 'app', '--delete-old', '--yes']);
    expect(t.screen).toContain('EXIT:2');
    nothingWrapped(t);
    expect(t.screen).toMatch(/^Error: --delete-old needs a deploy target .*\n {7}\S/m);
  });

  for (const cmd of ['login', 'org', 'completion']) {
    it.concurrent(`${cmd} --help: nothing wrapped by the terminal, no sentence pushed onto an indented line`, async ({ onTestFinished }) => {
      const { at80 } = await world(onTestFinished);
      const t = await at80([cmd, '--help']);
      nothingWrapped(t);
      t.rows.forEach((row, i) => {
        if (i > 0 && /^\s+\S/.test(row) && /^\S/.test(t.rows[i - 1]!)) expect(t.rows[i - 1]).toMatch(/:$/);
        expect(row).not.toMatch(/ \\$/);
      });
    });
  }

  /** An interactive `shell` on an 80-column terminal, carto-keys on its PATH: started by `exec`. */
  const shellAt80 = ({ home, open }: Awaited<ReturnType<typeof world>>, exec: string): Terminal => {
    const bin = join(home.dir, 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'carto-keys'), `#!/bin/sh\nexec ${CLI.map((a) => `'${a}'`).join(' ')} "$@"\n`);
    chmodSync(join(bin, 'carto-keys'), 0o755);
    const script = join(home.dir, 'shell.sh');
    // HISTFILE, fish_history: no history written into HOME while the test removes it.
    const env = Object.entries({ ...home.env, PATH: `${bin}:${process.env.PATH}`, TERM: 'xterm-256color', LANG: 'C.UTF-8', HISTFILE: '/dev/null', fish_history: '' })
      .map(([k, v]) => `export ${k}='${v}'`)
      .join('\n');
    writeFileSync(script, `${env}\ncd '${home.dir}'\n${exec}\n`);
    return open(script, { width: 80, height: 20 });
  };

  /** Types the issue's line with Tab after `sel` and `sq`, then prints the line as the shell has it. */
  const completeCommaLists = async (t: Terminal): Promise<string> => {
    await t.waitFor(/^\$ $/m);
    t.type('carto-keys create --table liked_cities:sel');
    t.keys('Tab');
    await t.waitFor(/liked_cities:select/);
    t.type(',insert --api sq');
    t.keys('Tab');
    await t.waitFor(/--api sql/);
    t.type(',maps');
    // Printed rather than run: `echo ` put in front of the line (Ctrl-A goes to its start).
    t.keys('C-a');
    t.type('echo ');
    t.keys('Enter');
    return t.waitFor(/^carto-keys create/m);
  };

  it.concurrent('bash completion: --table liked_cities:sel<TAB> then ",insert", and --api sq<TAB> then ",maps", with no space between', async ({ onTestFinished }) => {
    const w = await world(onTestFinished);
    const rc = join(w.home.dir, 'bashrc');
    writeFileSync(rc, `PS1='$ '\nsource '${join(ROOT, 'completions', 'carto-keys.bash')}'\n`);
    const term = shellAt80(w, `exec bash --noprofile --rcfile '${rc}' -i`);
    expect(await completeCommaLists(term)).toMatch(/^carto-keys create --table liked_cities:select,insert --api sql,maps$/m);
  });

  it.concurrent('fish completion: the same line, no space after select or sql', async ({ onTestFinished }) => {
    const w = await world(onTestFinished);
    const init = `function fish_prompt; echo -n '$ '; end; source '${join(ROOT, 'completions', 'carto-keys.fish')}'`;
    const term = shellAt80(w, `exec fish --no-config -i -C "${init}"`);
    expect(await completeCommaLists(term)).toMatch(/^carto-keys create --table liked_cities:select,insert --api sql,maps$/m);
  });
});
