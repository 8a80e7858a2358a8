// The real scripts in real shells, calling the built binary through a `carto-keys` on PATH, with
// a prepared config and names cache: bash (with and without bash-completion), zsh and fish.
// A missing shell skips its suite locally, with the reason in the suite name; under CI=true it
// fails instead, so CI never passes by skipping (.ci/run installs the shells).

import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, cliEnv } from '../helpers/e2e.js';
import { preparedHome, type CompletionHome } from './helpers.js';

const CI = Boolean(process.env.CI) && process.env.CI !== 'false';
const SCRIPTS = join(ROOT, 'completions');

const BASH_COMPLETION = [
  '/usr/share/bash-completion/bash_completion',
  '/usr/local/share/bash-completion/bash_completion',
  '/opt/homebrew/share/bash-completion/bash_completion',
].find((f) => existsSync(f));

function missing(shell: string): string | undefined {
  return spawnSync(shell, ['-c', 'exit 0']).status === 0 ? undefined : `${shell} is not installed`;
}

function shellSuite(title: string, reason: string | undefined, body: () => void): void {
  if (reason === undefined) describe.concurrent(title, body);
  else if (CI) {
    describe(title, () => {
      it('has its shell installed', async () => {
        throw new Error(`${reason}: CI must install it (see .ci/run)`);
      });
    });
  } else {
    // Also on stderr: a summary reporter shows only a count of skipped tests.
    console.warn(`Skipping the ${title} completion tests: ${reason}.`);
    describe.skip(`${title} — skipped: ${reason}`, body);
  }
}

let home: CompletionHome;
let env: NodeJS.ProcessEnv;

beforeAll(() => {
  home = preparedHome();
  const bin = join(home.dir, 'bin');
  mkdirSync(bin);
  // What a user has after `npm install -g`: a carto-keys command on PATH, running the built CLI.
  writeFileSync(join(bin, 'carto-keys'), `#!/bin/sh\nexec '${process.execPath}' '${BIN}' "$@"\n`);
  chmodSync(join(bin, 'carto-keys'), 0o755);
  mkdirSync(join(home.dir, 'files'));
  writeFileSync(join(home.dir, 'files', 'grants.json'), '[]');
  env = cliEnv({ ...home.env, PATH: `${bin}:${process.env.PATH ?? ''}`, TERM: 'xterm' });
});
afterAll(() => home.cleanup());

/** The shell's stdout; asynchronous, so the cases of a suite run at once (each waits on its shell). */
function runShell(command: string, args: string[], extraEnv: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { env: { ...env, ...extraEnv }, encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${command} exited ${err.code ?? err.signal}: ${stderr}`));
      else resolve(stdout);
    });
  });
}

/** COMP_WORDS as readline splits a line: at blanks, and around runs of = : @ (COMP_WORDBREAKS). */
function bashWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let quote = '';
  const isBreak = (s: string) => /^[=:@]+$/.test(s);
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote) {
      word += ch;
      if (ch === quote) quote = '';
    } else if (ch === '\\') {
      word += ch + (line[++i] ?? '');
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      word += ch;
    } else if (/\s/.test(ch)) {
      if (word) words.push(word);
      word = '';
    } else if (isBreak(ch) !== isBreak(word) && word) {
      words.push(word);
      word = ch;
    } else {
      word += ch;
    }
  }
  words.push(word); // the word being completed, maybe empty
  return words;
}

const BASH_DRIVER = `
[[ -n $CK_BASH_COMPLETION ]] && source "$CK_BASH_COMPLETION"
source "$CK_SCRIPT"
# The function the script registered, called as bash calls it on TAB.
fn=$(complete -p carto-keys) || exit 3
fn=\${fn#*-F }; fn=\${fn%% *}
COMP_LINE=$CK_LINE
COMP_POINT=\${#COMP_LINE}
COMP_WORDS=("$@")
COMP_CWORD=$((\${#COMP_WORDS[@]} - 1))
"$fn" carto-keys "\${COMP_WORDS[COMP_CWORD]}" "\${COMP_WORDS[COMP_CWORD - 1]}"
printf '%s\\n' "\${COMPREPLY[@]}"
`;

async function bashComplete(line: string, bashCompletion: string | undefined): Promise<string[]> {
  const out = await runShell('bash', ['--norc', '--noprofile', '-c', BASH_DRIVER, 'bash', ...bashWords(line)], {
    CK_SCRIPT: join(SCRIPTS, 'carto-keys.bash'),
    CK_LINE: line,
    CK_BASH_COMPLETION: bashCompletion ?? '',
  });
  return out.split('\n').filter(Boolean);
}

/**
 * The options the script set with compopt for `line` (compopt works only while readline completes, so
 * a stand-in records them: the real thing is seen in tmux, test/e2e/everyday2-tty.test.ts).
 */
async function bashCompopt(line: string, bashCompletion: string | undefined): Promise<string> {
  const driver = BASH_DRIVER.replace('"$fn" carto-keys', 'compopt() { CK_OPTS+="$* "; }\n"$fn" carto-keys').replace(
    /printf '%s\\n' "\$\{COMPREPLY\[@\]\}"/,
    'printf "%s" "$CK_OPTS"',
  );
  return runShell('bash', ['--norc', '--noprofile', '-c', driver, 'bash', ...bashWords(line)], {
    CK_SCRIPT: join(SCRIPTS, 'carto-keys.bash'),
    CK_LINE: line,
    CK_BASH_COMPLETION: bashCompletion ?? '',
  });
}

/** The five lines the issue names, then a few more that exercise the scripts' own handling. */
const sorted = (a: string[]) => [...a].sort();

for (const variant of ['with bash-completion', 'without bash-completion'] as const) {
  const withBc = variant === 'with bash-completion';
  const reason = missing('bash') ?? (withBc && !BASH_COMPLETION ? 'bash-completion is not installed' : undefined);
  shellSuite(`bash ${variant}`, reason, () => {
    const complete = async (line: string) => sorted(await bashComplete(line, withBc ? BASH_COMPLETION : undefined));

    it('carto-keys re<TAB>', async () => expect(await complete('carto-keys re')).toEqual(['regenerate', 'respond', 'retire', 'revoke']));
    it('carto-keys create --api <TAB>', async () => expect(await complete('carto-keys create --api ')).toEqual(['do', 'maps', 'sql']));
    it('carto-keys show <TAB>: names escaped for bash', async () => {
      expect(await complete('carto-keys show ')).toEqual(sorted(['Default\\ public', 'Master', 'Deforestation\\ map', 'app', 'etl-2024']));
    });
    it('carto-keys revoke Def<TAB> → Deforestation\\ map (never Default public)', async () => {
      expect(await complete('carto-keys revoke Def')).toEqual(['Deforestation\\ map']);
    });
    it('carto-keys completion <TAB>', async () => expect(await complete('carto-keys completion ')).toEqual(['bash', 'fish', 'zsh']));

    it('after a comma, and after the colon bash breaks words at', async () => {
      expect(await complete('carto-keys create --api sql,')).toEqual(['sql,do', 'sql,maps']);
      // bash replaces only the text after ":", so only the permission is offered.
      expect(await complete('carto-keys create --table t:s')).toEqual(['select']);
      expect(await complete('carto-keys create --table=public.t:select,i')).toEqual(['select,insert']);
    });
    it('no space after a list item, so a comma list can go on (issue 21): --table t:sel, --api sq', async () => {
      const compopt = (line: string) => bashCompopt(line, withBc ? BASH_COMPLETION : undefined);
      expect(await complete('carto-keys create --table liked_cities:sel')).toEqual(['select']);
      expect(await compopt('carto-keys create --table liked_cities:sel')).toContain('-o nospace');
      expect(await complete('carto-keys create --api sq')).toEqual(['sql']);
      expect(await compopt('carto-keys create --api sq')).toContain('-o nospace');
      // A key name or a command is a whole word: the space stays.
      expect(await compopt('carto-keys show ap')).not.toContain('nospace');
      expect(await compopt('carto-keys re')).not.toContain('nospace');
    });
    it('inside an open quote the name is left for readline to quote', async () => {
      expect(await complete("carto-keys show 'Defo")).toEqual(['Deforestation map']);
    });
    it('an escaped space in the typed word', async () => {
      expect(await complete('carto-keys show Default\\ p')).toEqual(['Default\\ public']);
    });
    it('the names of the profile given by --profile', async () => {
      expect(await complete('carto-keys --profile acme show ')).toEqual(['acme-etl', 'acme-web']);
    });
    it('file names for --grants-file', async () => {
      expect(await complete(`carto-keys create --grants-file ${home.dir}/files/gr`)).toEqual([`${home.dir}/files/grants.json`]);
    });
  });
}

shellSuite('zsh', missing('zsh'), () => {
  /** Offered matches (as zsh would insert them) and the line after one TAB. */
  async function complete(line: string): Promise<{ candidates: string[]; buffer: string }> {
    const out = await runShell('zsh', ['-f', join(ROOT, 'test', 'completion', 'zsh-capture.zsh'), SCRIPTS, line]);
    const lines = out.split('\n');
    return {
      candidates: sorted(lines.filter((l) => l.startsWith('candidate:')).map((l) => l.slice('candidate:'.length))),
      buffer: lines.find((l) => l.startsWith('buffer:'))?.slice('buffer:'.length) ?? '',
    };
  }

  it('carto-keys re<TAB>', async () => expect((await complete('carto-keys re')).candidates).toEqual(['regenerate', 'respond', 'retire', 'revoke']));
  it('carto-keys create --api <TAB>', async () => expect((await complete('carto-keys create --api ')).candidates).toEqual(['do', 'maps', 'sql']));
  it('carto-keys show <TAB>', async () => {
    expect((await complete('carto-keys show ')).candidates).toEqual(sorted(['Default\\ public', 'Master', 'Deforestation\\ map', 'app', 'etl-2024']));
  });
  it('carto-keys revoke Def<TAB> inserts Deforestation\\ map', async () => {
    expect(await complete('carto-keys revoke Def')).toEqual({ candidates: ['Deforestation\\ map'], buffer: 'carto-keys revoke Deforestation\\ map ' });
  });
  it('carto-keys completion <TAB>', async () => expect((await complete('carto-keys completion ')).candidates).toEqual(['bash', 'fish', 'zsh']));
  it('permissions after the colon; a name inside quotes', async () => {
    // No space after a permission (issue 21): `,select` may follow.
    expect((await complete('carto-keys create --table t:ins')).buffer).toBe('carto-keys create --table t:insert');
    expect((await complete("carto-keys show 'Defo")).buffer).toBe("carto-keys show 'Deforestation map' ");
  });
});

shellSuite('fish', missing('fish'), () => {
  async function complete(line: string): Promise<string[]> {
    const out = await runShell('fish', ['--no-config', '-c', 'source $CK_SCRIPT; complete -C $CK_LINE'], {
      CK_SCRIPT: join(SCRIPTS, 'carto-keys.fish'),
      CK_LINE: line,
    });
    // fish prints `value<TAB>description`.
    return sorted(out.split('\n').filter(Boolean).map((l) => l.split('\t')[0]!));
  }

  it('carto-keys re<TAB>', async () => expect(await complete('carto-keys re')).toEqual(['regenerate', 'respond', 'retire', 'revoke']));
  it('carto-keys create --api <TAB>', async () => expect(await complete('carto-keys create --api ')).toEqual(['do', 'maps', 'sql']));
  it('carto-keys show <TAB>', async () => {
    expect(await complete('carto-keys show ')).toEqual(sorted(['Default public', 'Master', 'Deforestation map', 'app', 'etl-2024']));
  });
  it('carto-keys revoke Def<TAB>', async () => expect(await complete('carto-keys revoke Def')).toEqual(['Deforestation map']));
  it('carto-keys completion <TAB>', async () => expect(await complete('carto-keys completion ')).toEqual(['bash', 'fish', 'zsh']));
  it('a lone list item comes with its continuation, so fish inserts it with no space (issue 21); a key name does not', async () => {
    expect(await complete('carto-keys create --api sq')).toEqual(['sql', 'sql,']);
    expect(await complete('carto-keys create --table liked_cities:sel')).toEqual(['liked_cities:select', 'liked_cities:select,']);
    expect(await complete('carto-keys show et')).toEqual(['etl-2024']);
  });
  it('after a comma; an escaped space; file names', async () => {
    expect(await complete('carto-keys create --api sql,')).toEqual(['sql,do', 'sql,maps']);
    expect(await complete('carto-keys show Default\\ p')).toEqual(['Default public']);
    expect(await complete(`carto-keys create --grants-file ${home.dir}/files/gr`)).toEqual([`${home.dir}/files/grants.json`]);
  });
});
