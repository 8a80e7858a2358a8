// The GitHub Action: runs one carto-keys command in this process (the CLI is bundled with it: nothing
// is downloaded), with the Master key in the environment it hands the CLI, never on a command line;
// masks every token the command's output could show before printing a line of it; writes the job
// summary and the outputs; and for `plan` on a pull request keeps one comment up to date.
//
// plan, audit and scan run with --json, and their Markdown is rendered here by the same functions
// `--format markdown` uses, so the outputs (changes, findings) come from the document and not from
// parsing text. The other commands' own output goes to the summary as a block of text.

import type { Io, Prompter } from '../context.js';
import type { Env } from '../env.js';
import { runCli } from '../cli.js';
import { CancelledError, ExitCode } from '../errors.js';
import { keyCommandTimeout } from '../args/flags.js';
import { runKeyCommand } from '../config/key-command.js';
import { planMarkdown } from '../keyfile/plan-markdown.js';
import { auditMarkdown } from '../audit/markdown.js';
import { scanMarkdown } from '../scan/markdown.js';
import { text } from '../ui/markdown.js';
import { addMask, appendSummary, error, input, pullRequestNumber, setOutputs, upsertComment } from './runner.js';
import { commandLine } from '../text/command-line.js';

export const COMMANDS = ['plan', 'apply', 'rotate', 'retire', 'audit', 'scan', 'respond'] as const;
type ActionCommand = (typeof COMMANDS)[number];

/** Commands that change keys: not interactive here, so confirmed by choosing them in the workflow. */
const CONFIRMED: readonly ActionCommand[] = ['apply', 'rotate', 'retire', 'respond'];

/**
 * The `args` input as words: split on whitespace, with '…' and "…" for a word that holds spaces
 * (no variables, globs or other shell expansion).
 */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (const m of line.matchAll(/'([^']*)'|"((?:\\.|[^"\\])*)"|(\\.)|(\s+)|([^\s'"\\]+)|(['"\\])/g)) {
    if (m[4] !== undefined) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (m[6] !== undefined) {
      throw new Error(`args: an unmatched ${m[6]} in ${JSON.stringify(line)}`);
    } else {
      word = (word ?? '') + (m[1] ?? m[2]?.replace(/\\(.)/g, '$1') ?? m[3]?.slice(1) ?? m[5]!);
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

// A Master key is 40 hex characters; a regular token 22 URL-safe base64 ones. A word of that size
// with a digit or a capital letter is masked: a name such people choose rarely is, and masking one
// too many costs nothing.
const TOKEN_SHAPED = /(?<![A-Za-z0-9_-])(?:[0-9a-fA-F]{40}|[A-Za-z0-9_-]{22})(?![A-Za-z0-9_-])/g;

export function tokensIn(value: string): string[] {
  return [...value.matchAll(TOKEN_SHAPED)].map((m) => m[0]).filter((w) => /[0-9A-Z]/.test(w));
}

// GitHub refuses a comment over 65,536 characters and shows no job summary over 1 MiB.
const COMMENT_LIMIT = 60_000;
const SUMMARY_LIMIT = 1_000_000;

/** Markdown cut at a line boundary to fit `limit` characters, saying so and where the rest is. */
export function fit(markdown: string, limit: number, rest: string): string {
  if (markdown.length <= limit) return markdown;
  const note = `\n\n**Cut here: the whole text is longer than GitHub shows. ${rest}**\n`;
  const cut = markdown.lastIndexOf('\n', limit - note.length);
  return `${markdown.slice(0, Math.max(cut, 0))}${note}`;
}

/** A fenced block that no backtick run inside can close. */
function fenced(value: string): string {
  const longest = Math.max(2, ...[...value.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}text\n${value.replace(/\n$/, '')}\n${fence}`;
}

function capture(): Io['stdout'] & { text: string } {
  return {
    text: '',
    isTTY: false,
    write(chunk: string | Uint8Array) {
      this.text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      return true;
    },
  };
}

/** Nobody can answer a prompt in a workflow; the CLI never asks one without a terminal. */
const noPrompt = (): Promise<never> => Promise.reject(new CancelledError('No prompt in a workflow.'));
const noPrompts: Prompter = { confirm: noPrompt, input: noPrompt, password: noPrompt, select: noPrompt, checkbox: noPrompt };

export interface ActionDeps {
  env: Env;
  /** One line to the job log (stdout: where the runner reads workflow commands). */
  log(line: string): void;
  /** Resolves when the runner cancels the job (SIGINT, then SIGTERM): an apply stops cleanly, resumable. */
  stopSignal(): Promise<string>;
}

/** Runs the action; resolves with the process exit code (0 for success). */
export async function runAction(deps: ActionDeps): Promise<number> {
  const { env, log } = deps;
  const secrets = new Set<string>();
  const mask = (values: Iterable<string>): void => {
    for (const v of values) {
      if (v === '' || secrets.has(v)) continue;
      secrets.add(v);
      addMask(log, v);
    }
  };
  const redact = (value: string): string => {
    let out = value;
    for (const s of secrets) out = out.split(s).join('***').split(text(s)).join('***');
    return out;
  };
  const fail = (message: string): number => {
    error(log, redact(message));
    return 1;
  };

  const command = input(env, 'command') as ActionCommand;
  const masterKey = input(env, 'master-key');
  const keyCmd = input(env, 'key-cmd');
  const token = input(env, 'github-token');
  mask([masterKey, token]);
  if (!COMMANDS.includes(command)) return fail(`The command input must be one of ${COMMANDS.join(', ')}; got "${command}".`);
  if (masterKey !== '' && keyCmd !== '') return fail('Give master-key or key-cmd, not both.');
  let args: string[];
  try {
    args = splitWords(input(env, 'args'));
  } catch (err) {
    return fail((err as Error).message);
  }
  // Tokens given as arguments (`respond <token>`) are masked before anything is printed.
  mask(args.flatMap(tokensIn));

  // The CLI's environment: the job's, without the action's inputs (the Master key and the GitHub
  // token among them), with the carto-keys variables the inputs set.
  const cliEnv: Env = Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('INPUT_')));
  cliEnv.NO_COLOR = '1';
  const baseUrl = input(env, 'base-url');
  const username = input(env, 'username');
  const stateDir = input(env, 'state-dir');
  if (baseUrl !== '') cliEnv.CARTO_KEYS_BASE_URL = baseUrl;
  if (username !== '') cliEnv.CARTO_KEYS_USERNAME = username;
  // Journals, the deployment registry and locks: the folder a workflow saves and restores between
  // runs, so an apply stopped in one job is resumed by the next.
  if (stateDir !== '') cliEnv.CARTO_KEYS_STATE_DIR = stateDir;
  if (keyCmd !== '') {
    try {
      const key = await runKeyCommand(keyCmd, { env: cliEnv, timeoutMs: keyCommandTimeout(cliEnv), origin: 'the key-cmd input' });
      mask([key]);
      cliEnv.CARTO_KEYS_MASTER_KEY = key;
    } catch (err) {
      return fail((err as Error).message);
    }
  } else if (masterKey !== '') {
    cliEnv.CARTO_KEYS_MASTER_KEY = masterKey;
  }

  const file = input(env, 'file');
  const fileArgs = file !== '' && (command === 'plan' || command === 'apply') ? ['-f', file] : [];
  const json = command === 'plan' || command === 'audit' || command === 'scan';
  const argv = [
    command,
    ...(json ? ['--json'] : []),
    ...(command === 'plan' ? ['--detailed-exitcode'] : []),
    ...(CONFIRMED.includes(command) ? ['--yes'] : []),
    ...fileArgs,
    ...args,
  ];
  const stdout = capture();
  const stderr = capture();
  const io: Io = {
    stdout,
    stderr,
    stdin: Object.assign((async function* () {})(), { isTTY: false }),
    canPrompt: () => false,
    stdoutIsTTY: () => false,
    colorStderr: false,
    colorStdout: false,
    readStdin: async () => '',
  };
  const code = await runCli({ io, prompter: noPrompts, env: cliEnv, stopSignal: deps.stopSignal }, argv);
  // Nothing the command wrote is shown before every token in it is masked.
  mask([...tokensIn(stdout.text), ...tokensIn(stderr.text)]);

  const outputs: Record<string, string> = { 'exit-code': String(code) };
  let markdown: string | undefined;
  const succeeded = code === ExitCode.ok || (command === 'plan' && code === ExitCode.changesPending) || ((command === 'audit' || command === 'scan') && code === ExitCode.findings);
  if (json && succeeded) {
    let doc;
    try {
      doc = JSON.parse(stdout.text);
    } catch {
      return fail(`carto-keys ${command} printed no JSON document (exit ${code}).`);
    }
    if (command === 'plan') {
      markdown = planMarkdown(doc, { prune: argv.includes('--prune') });
      outputs.changes = String(doc.changesPending === true);
    } else {
      markdown = command === 'audit' ? auditMarkdown(doc.findings, doc.summary) : scanMarkdown(doc);
      outputs.findings = String(doc.summary.findings);
    }
  } else {
    const shown = json ? (errorMessage(stderr.text) ?? stderr.text) : `${stderr.text}${stdout.text}`;
    markdown = `## carto-keys ${command}${code === 0 ? '' : ` (exit ${code})`}\n\n${shown.trim() === '' ? 'No output.' : fenced(shown)}\n`;
  }
  markdown = redact(markdown);
  if (!json || succeeded) for (const line of redact(stderr.text).split('\n')) if (line !== '') log(line);
  if (!json) for (const line of redact(stdout.text).split('\n')) if (line !== '') log(line);
  appendSummary(env, fit(markdown, SUMMARY_LIMIT, `Run ${commandLine(command, { options: ['--json'] })} for all of it.`));
  setOutputs(env, outputs);

  const pr = pullRequestNumber(env);
  // A failed plan replaces the comment too: the pull request shows the latest run, not an older success.
  if (command === 'plan' && token !== '' && pr !== undefined) {
    try {
      const done = await upsertComment(env, { token, pr, marker: `<!-- carto-keys plan: ${(file || 'carto-keys.yaml').replace(/-->/g, '')} -->`, body: fit(markdown, COMMENT_LIMIT, 'The job summary of this run has more.') });
      log(`The plan is in a comment on pull request #${pr} (${done}).`);
    } catch (err) {
      return fail(`Could not comment on pull request #${pr}: ${(err as Error).message}`);
    }
  }
  if (succeeded && code !== ExitCode.findings) return 0;
  if (code === ExitCode.findings) return fail(`carto-keys ${command}: findings at or above the threshold (exit ${code}); see the job summary.`);
  const message = errorMessage(json ? stderr.text : '') ?? `carto-keys ${command} exited with ${code}; see the log above and the job summary.`;
  return fail(message);
}

/** The message of a `--json` error document on stderr. */
function errorMessage(stderr: string): string | undefined {
  try {
    const doc = JSON.parse(stderr.trim().split('\n').pop() ?? '');
    const e = doc?.error;
    return typeof e?.message === 'string' ? `${e.message}${typeof e.hint === 'string' ? ` ${e.hint}` : ''}` : undefined;
  } catch {
    return undefined;
  }
}
