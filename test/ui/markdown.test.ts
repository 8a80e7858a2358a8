// The Markdown pieces hold any string inert: parsed by a GFM parser (micromark, with GitHub's table
// rules), a name in a table cell comes back as exactly that name (control characters spelled out), in
// its own cell, and nothing in it became a link, emphasis, HTML, an extra cell or an extra row.

import fc from 'fast-check';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { gfmTableFromMarkdown } from 'mdast-util-gfm-table';
import { gfmTable } from 'micromark-extension-gfm-table';
import { describe, expect, it } from 'vitest';
import { escapeControl } from '../../src/text/escape.js';
import { code, document, join, raw, table, text } from '../../src/ui/markdown.js';

interface Node {
  type: string;
  value?: string;
  children?: Node[];
}

function parse(markdown: string): Node {
  return fromMarkdown(markdown, { extensions: [gfmTable()], mdastExtensions: [gfmTableFromMarkdown()] }) as Node;
}

/** The visible text of a node, and every node type met on the way. */
function visible(node: Node, types: string[]): string {
  types.push(node.type);
  if (node.type === 'html') return '';
  if (node.value !== undefined) return node.value;
  return (node.children ?? []).map((c) => visible(c, types)).join('');
}

function cells(markdown: string): { rows: { text: string; types: string[] }[][]; top: string[] } {
  const root = parse(markdown);
  const tables = (root.children ?? []).filter((n) => n.type === 'table');
  expect(tables).toHaveLength(1);
  return {
    top: (root.children ?? []).map((n) => n.type),
    rows: tables[0]!.children!.map((row) =>
      row.children!.map((cell) => {
        const types: string[] = [];
        return { text: visible(cell, types), types: types.slice(1) };
      }),
    ),
  };
}

const anyName = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: fc.constantFrom('|', '\\', '`', '*', '_', '<', '>', '&', '#', '[', ']', '(', ')', '!', '@', ' ', '\n', '\r', '\t', '~', ':', '.', 'a', '-', '=', '\u202e'), maxLength: 24 }),
);

describe('Markdown pieces', () => {
  it('a name in a table cell parses back to exactly that name, in its own cell, with nothing interpreted', () => {
    fc.assert(
      fc.property(anyName, anyName, (a, b) => {
        const md = document([raw('## Keys'), table(['Name', 'Other', 'Plain'], [[code(a), code(b), text(a)], [text(b), raw(''), code(a)]])]);
        const { rows, top } = cells(md);
        expect(top).toEqual(['heading', 'table']);
        expect(rows.map((r) => r.length)).toEqual([3, 3, 3]);
        const [, first, second] = rows;
        expect(first!.map((c) => c.text)).toEqual([escapeControl(a), escapeControl(b), escapeControl(a)]);
        expect(second!.map((c) => c.text)).toEqual([escapeControl(b), '', escapeControl(a)]);
        for (const cell of [...first!, ...second!]) expect(cell.types.every((t) => t === 'text' || t === 'html')).toBe(true);
        // The only HTML is our own <code> element.
        const html = [...md.matchAll(/<\/?[a-z]+>/g)].map((m) => m[0]);
        expect(new Set(html)).toEqual(new Set(['<code>', '</code>']));
      }),
      { numRuns: 400 },
    );
  });

  it('text in a paragraph stays one paragraph of plain text', () => {
    fc.assert(
      fc.property(anyName, (a) => {
        const root = parse(document([join([raw('Key '), code(a), raw(' is '), text(a), raw('.')])]));
        expect(root.children!.map((n) => n.type)).toEqual(['paragraph']);
        const types: string[] = [];
        expect(visible(root.children![0]!, types)).toBe(`Key ${escapeControl(a)} is ${escapeControl(a)}.`);
        expect(types.every((t) => t === 'paragraph' || t === 'text' || t === 'html')).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('escapes what would be Markdown, and the pipe as a character reference', () => {
    expect(text('a|b')).toBe('a&#124;b');
    expect(text('*x* `y` [l](u) <b> @team #1')).toBe('\\*x\\* \\`y\\` \\[l\\]\\(u\\) \\<b\\> \\@team \\#1');
    expect(text('line\nbreak')).toBe('line\\\\nbreak');
    expect(text(' app ')).toBe('&#32;app&#32;');
    expect(code('a`b|c')).toBe('<code>a\\`b&#124;c</code>');
    expect(table(['Key', 'Fix'], [[code('k'), text('x')]])).toEqual(['| Key | Fix |', '| --- | --- |', '| <code>k</code> | x |']);
  });
});
