// The prompter adapter over @inquirer/prompts, loaded only when a prompt is actually shown.
// Prompts render on stderr so that `carto-keys create | pbcopy` never captures a question.

import type { Choice, Prompter } from '../context.js';
import { CancelledError } from '../errors.js';
import { escapeTerminal } from '../text/escape.js';

type PromptContext = { input: NodeJS.ReadableStream; output: NodeJS.WritableStream; clearPromptOnDone?: boolean };

async function inquirer() {
  return import('@inquirer/prompts');
}

async function guard<T>(p: () => Promise<T>): Promise<T> {
  try {
    return await p();
  } catch (err) {
    // Ctrl-C (ExitPromptError) or a closed stdin (AbortPromptError...) is a cancel, not a bug.
    if (err instanceof Error && /ExitPromptError|AbortPromptError|CancelPromptError/.test(err.name)) {
      throw new CancelledError('Cancelled at a prompt.');
    }
    throw err;
  }
}

/** The streams are asked for only when a prompt is shown: creating process.stdin costs start-up time. */
export function inquirerPrompter(input: () => NodeJS.ReadableStream, output: () => NodeJS.WritableStream): Prompter {
  const context: PromptContext = {
    get input() {
      return input();
    },
    get output() {
      return output();
    },
  };
  return {
    confirm: (message, opts) => guard(async () => (await inquirer()).confirm({ message: escapeTerminal(message), default: opts?.default ?? false }, context)),
    input: (message, opts) =>
      guard(async () =>
        (await inquirer()).input(
          {
            message: escapeTerminal(message),
            ...(opts?.default !== undefined && { default: opts.default }),
            ...(opts?.validate && { validate: opts.validate }),
          },
          context,
        ),
      ),
    // Nothing echoed, not even one `*` per character (which tells anyone watching the key's length), and
    // no Ctrl-T to show it in clear: a Master key must not end up on a shared screen or in scrollback.
    password: (message) =>
      guard(async () =>
        (await inquirer()).password({ message, mask: false, toggleMask: false, theme: { style: { maskedText: '(input hidden)' } } }, context),
      ),
    select: <T>(message: string, choices: Choice<T>[], opts?: { default?: T }) =>
      guard(async () =>
        (await inquirer()).select<T>(
          { message: escapeTerminal(message), choices: choices.map(toInquirer), ...(opts?.default !== undefined && { default: opts.default }) },
          context,
        ),
      ),
    checkbox: <T>(message: string, choices: Choice<T>[]) =>
      guard(async () => (await inquirer()).checkbox<T>({ message: escapeTerminal(message), choices: choices.map(toInquirer) }, context)),
  };
}

function toInquirer<T>(c: Choice<T>) {
  return {
    // Choices show key and table names from the server: no raw control characters on the terminal.
    name: escapeTerminal(c.name),
    value: c.value,
    ...(c.description !== undefined && { description: escapeTerminal(c.description) }),
    ...(c.checked !== undefined && { checked: c.checked }),
  };
}
