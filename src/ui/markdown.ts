// Markdown for pull-request comments and CI job summaries (GitHub Flavored Markdown). Everything in it
// that comes from data — key names, file paths, server text — goes through `code` or `text`, which
// make it inert: no table cell, link, mention, HTML tag, emphasis or extra line can be forged by a
// name. Only text the code itself writes is taken as Markdown (`raw`). Renderers build their
// documents from these pieces and never put a token in them.

import { escapeControl } from '../text/escape.js';

declare const markdownBrand: unique symbol;
/** A piece of Markdown that is safe to place inline (one line, nothing it says is interpreted). */
export type Md = string & { readonly [markdownBrand]: true };

/** Markdown written by the code itself: headings, emphasis, fixed words. Never data. */
export function raw(markdown: string): Md {
  return markdown as Md;
}

// Every ASCII punctuation character can be backslash-escaped in CommonMark, and escaping all of them
// means no character of the text starts a construct (emphasis, link, HTML, autolink, entity). The pipe
// is the exception: GFM splits table rows on it before any escape is read, and parsers disagree on a
// backslash before it; as a character reference it holds no pipe at all, so every parser agrees.
const PUNCTUATION = /[!-/:-@[-`{-~]/g;

/**
 * Plain text from data, shown as it is: control characters spelled out (`\n`), punctuation escaped,
 * and spaces at either end kept (a table cell or paragraph would trim them, and " app" is not "app").
 */
export function text(value: string): Md {
  return escapeControl(value)
    .replace(PUNCTUATION, (ch) => (ch === '|' ? '&#124;' : `\\${ch}`))
    .replace(/^ +| +$/g, (spaces) => '&#32;'.repeat(spaces.length)) as Md;
}

/**
 * A name, path or command from data, in code type. An HTML <code> element rather than a backtick
 * span: inside a span a pipe cannot be written in a way every GFM parser reads alike, and a backtick
 * or a space at either end needs padding rules; the escaped text inside it is inert all the same (and
 * GitHub makes no mention or link inside code).
 */
export function code(value: string): Md {
  return `<code>${text(value)}</code>` as Md;
}

/** Inline pieces joined into one. */
export function join(parts: readonly Md[], separator = ''): Md {
  return parts.join(separator) as Md;
}

/** A GFM table. Cells hold one line each and no pipe: `text` and `code` never produce either. */
export function table(headers: readonly string[], rows: readonly (readonly Md[])[]): string[] {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(headers.map(text)), `|${headers.map(() => ' --- ').join('|')}|`, ...rows.map((r) => line(r))];
}

/** A document from blocks (headings, paragraphs, tables): one blank line between blocks. */
export function document(blocks: readonly (string | readonly string[])[]): string {
  return `${blocks.map((b) => (typeof b === 'string' ? b : b.join('\n'))).join('\n\n')}\n`;
}
