// Text that fits the terminal: help, audit's findings, error messages. commander wraps its own option
// and command lists to the width it is given, but the text we add after them (notes, examples) is
// written as is. Here prose paragraphs are re-flowed to the width, and an example too long for it is
// split at spaces — its comment on a line of its own above it, the command continued with ` \` — so a
// terminal never breaks a word in two. The one word wrap of the human output is wrapWords, below.

/** `text` with every line at most `width` characters, words intact (a single longer word stays whole). */
export function fitHelpText(text: string, width: number): string {
  const lines = text.split('\n');
  const out: string[] = [];
  let paragraph: string[] = [];
  const flush = () => {
    if (paragraph.length > 0) out.push(...wrapWords(paragraph.join(' ').split(/ +/), width, '', ''));
    paragraph = [];
  };
  lines.forEach((line, i) => {
    // Prose starts at column 0; indented lines are examples or lists, kept line by line. A line ending
    // with ":" is a heading only when what follows is not prose: "…means something else:" followed by
    // more of the sentence is the middle of a paragraph.
    const next = lines[i + 1];
    const heading = line.endsWith(':') && (next === undefined || !/^\S/.test(next));
    if (line.trim() !== '' && /^\S/.test(line) && !heading) {
      paragraph.push(line.trim());
      return;
    }
    flush();
    out.push(...fitLine(line, width));
  });
  flush();
  return out.join('\n');
}

/**
 * A shell command shown after `lead` (`    fix: `), in lines of at most `width`: split at spaces outside
 * quotes, continued with ` \` and indented under its start, so that it still runs when pasted.
 */
export function fitCommand(lead: string, command: string, width: number): string[] {
  const indent = ' '.repeat(lead.length + 2);
  const wrapped = wrapWords(shellWords(command), width - 2, lead, indent);
  return wrapped.map((l, i) => (i < wrapped.length - 1 ? `${l} \\` : l));
}

/** An indented line: as is if it fits; an example (`$ …`) split as a shell would still read it. */
function fitLine(line: string, width: number): string[] {
  if (line.length <= width) return [line];
  const indent = /^ */.exec(line)![0];
  const example = /^( *)\$ (.*)$/.exec(line);
  if (!example) return wrapWords(line.trim().split(/ +/), width, indent, `${indent}  `);
  let command = example[2]!;
  const lines: string[] = [];
  // A trailing `# comment` (after two or more spaces) goes on its own line above the command.
  const comment = /^(.*?\S) {2,}(# .*)$/.exec(command);
  if (comment) {
    lines.push(...wrapWords(comment[2]!.split(/ +/), width, indent, `${indent}# `));
    command = comment[1]!;
  }
  const words = shellWords(command);
  const wrapped = wrapWords(words, width - 2, `${indent}$ `, `${indent}    `);
  return [...lines, ...wrapped.map((l, i) => (i < wrapped.length - 1 ? `${l} \\` : l))];
}

/** Splits at spaces outside quotes: a line break inside '…' would change the command. */
function shellWords(command: string): string[] {
  return command.match(/(?:'[^']*'|"(?:\\.|[^"\\])*"|[^\s'"])+/g) ?? [];
}

/**
 * Greedy word wrap: the first line starts with `first`, the others with `rest`; a word longer than the
 * width stays whole on a line of its own. Widths count characters, not UTF-16 units.
 */
export function wrapWords(words: readonly string[], width: number, first: string, rest: string): string[] {
  const lines: string[] = [];
  let current = first;
  let empty = true;
  for (const word of words) {
    if (word === '') continue;
    if (!empty && chars(current) + 1 + chars(word) > width) {
      lines.push(current);
      current = rest + word;
    } else {
      current = empty ? current + word : `${current} ${word}`;
    }
    empty = false;
  }
  lines.push(current);
  return lines;
}

const chars = (s: string): number => [...s].length;

/**
 * An error message or hint at `width` (stderr on a terminal): each line that does not fit is wrapped
 * at spaces, never inside a `quoted command`, and continued under the text after its label (the
 * `Error: ` of the first line, or a short `Continue: `) or two spaces in. A command it ends with
 * (`… : carto-keys rotate …`) stays runnable: on the line if it fits, else continued with ` \`.
 */
export function fitMessage(text: string, width: number, lead = ''): string[] {
  return text.split('\n').flatMap((line, i) => fitMessageLine(line, width, i === 0 ? lead : ''));
}

function fitMessageLine(line: string, width: number, lead: string): string[] {
  if (chars(lead + line) <= width) return [lead + line];
  const own = /^ */.exec(line)![0];
  const label = lead !== '' ? lead : (/^ *[^\s:`][^:`]{0,19}: +/.exec(line)?.[0] ?? own);
  const body = lead !== '' ? line : line.slice(label.length);
  // Under the label, unless that leaves too little room: then two spaces in.
  const hang = ' '.repeat(label === own || chars(label) > width / 2 ? own.length + 2 : chars(label));
  const at = body.search(/(?<![\w`-])carto-keys /);
  // A command in backticks is one word; so is a command at the end, when it fits on a line.
  const command = at >= 0 && !body.slice(at).includes('`') ? body.slice(at) : undefined;
  const prose = command === undefined ? body : body.slice(0, at).trimEnd();
  if (prose === '') {
    // `Use the successor: carto-keys where <a long name>`: the command whole on the next line if it fits there.
    const under = `${own}  ${command!}`;
    return chars(under) <= width ? [label.trimEnd(), under] : fitCommand(label, command!, width);
  }
  const lines = wrapWords(prose.match(/(?:`[^`]*`|\S)+/g) ?? [], width, label, hang);
  if (command === undefined) return lines;
  const last = lines[lines.length - 1]!;
  if (chars(`${last} ${command}`) <= width) return [...lines.slice(0, -1), `${last} ${command}`];
  return [...lines, ...fitCommand(hang, command, width)];
}
