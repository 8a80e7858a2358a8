// Lays out a table of text for a terminal of a given width — pure, so it is tested at fixed widths.
// Columns marked `shrink` (a key's name, its tables) give up width first and are cut with `…`; when even
// that is not enough, columns marked `drop` (the least needed) are left out, last first. Without a
// width (or with --wide) every cell is shown in full, as wide as it needs. Names are cut in the middle
// and kept distinct: generated names differ at their end (`…-20261207-0001`, `…-0002`), which a cut at
// the end would hide, leaving rows nobody can tell apart.

export interface Column {
  header: string;
  cells: readonly string[];
  /** May be cut to fit, down to `min` characters (with its `…`); `middle`: cut in the middle, rows kept distinct. */
  shrink?: { min: number; middle?: boolean };
  /** May be left out when the others cannot fit otherwise; higher numbers go first. */
  drop?: number;
}

export interface Layout {
  /** The header line, then one line per row; no trailing blanks. */
  lines: string[];
  /** Something was cut or left out: `--wide` would show more. */
  shortened: boolean;
}

const GAP = 2;

/** Visible length, by code point (a name's emoji counts once, like its letters). */
export function visibleLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** `s` cut to `width` code points, the last of them `…` when anything was cut. */
export function fit(s: string, width: number): string {
  const chars = [...s];
  if (chars.length <= width) return s;
  if (width <= 0) return '';
  return `${chars.slice(0, width - 1).join('')}…`;
}

/** `s` cut to `width` code points with `…` in the middle; `head` chars kept before it (default: half). */
export function fitMiddle(s: string, width: number, head?: number): string {
  const chars = [...s];
  if (chars.length <= width) return s;
  if (width <= 1) return fit(s, width);
  const h = Math.max(0, Math.min(width - 1, head ?? Math.ceil((width - 1) / 2)));
  const t = width - 1 - h;
  return `${chars.slice(0, h).join('')}…${t > 0 ? chars.slice(chars.length - t).join('') : ''}`;
}

/**
 * Every cell cut to `width` in the middle, so that cells that differ stay different whenever the
 * width allows: where two cut alike, the cut moves to keep the characters that tell them apart.
 */
export function fitDistinct(cells: readonly string[], width: number): string[] {
  const out = cells.map((c) => fitMiddle(c, width));
  const groups = new Map<string, number[]>();
  out.forEach((text, i) => groups.set(text, [...(groups.get(text) ?? []), i]));
  for (const rows of groups.values()) {
    const originals = [...new Set(rows.map((i) => cells[i]!))];
    if (originals.length < 2) continue;
    // Keep every character up to the last position where any two of them first differ, seen from
    // the start (a longer head) or from the end (a longer tail), whichever fits in the width.
    const chars = originals.map((o) => [...o]);
    const prefix = commonLength(chars);
    const suffix = commonLength(chars.map((c) => [...c].reverse()));
    const minLength = Math.min(...chars.map((c) => c.length));
    let head: number | undefined;
    if (suffix + 1 <= width - 2 && suffix < minLength) head = width - 1 - (suffix + 1);
    else if (prefix + 1 <= width - 1) head = prefix + 1;
    if (head === undefined) continue;
    for (const i of rows) out[i] = fitMiddle(cells[i]!, width, head);
  }
  return out;
}

function commonLength(words: readonly string[][]): number {
  let n = 0;
  while (words.every((w) => n < w.length && w[n] === words[0]![n])) n++;
  return n;
}

export function layoutTable(columns: readonly Column[], opts: { width?: number; bold?: (s: string) => string } = {}): Layout {
  const bold = opts.bold ?? ((s: string) => s);
  const natural = (c: Column) => Math.max(visibleLength(c.header), ...c.cells.map(visibleLength));
  let shown = [...columns];
  let widths = shown.map(natural);
  let shortened = false;

  if (opts.width !== undefined) {
    const total = (ws: number[]) => ws.reduce((a, b) => a + b, 0) + GAP * (ws.length - 1);
    const fitted = (cols: Column[]) => allocate(cols, cols.map(natural), opts.width!);
    let attempt = fitted(shown);
    // Leave out droppable columns while the shrinkable ones would be cut below their minimum.
    const droppable = () => shown.filter((c) => c.drop !== undefined).sort((a, b) => b.drop! - a.drop!);
    while (total(attempt) > opts.width && droppable().length > 0) {
      const out = droppable()[0]!;
      shown = shown.filter((c) => c !== out);
      attempt = fitted(shown);
      shortened = true;
    }
    const naturals = shown.map(natural);
    if (attempt.some((w, i) => w < naturals[i]!)) shortened = true;
    widths = attempt;
  }

  // Each column's cells as shown: cut at the end, or in the middle and kept distinct.
  const shownCells = shown.map((c, i) => (c.shrink?.middle ? fitDistinct(c.cells, widths[i]!) : c.cells.map((cell) => fit(cell, widths[i]!))));
  const line = (cells: string[], header: boolean) =>
    cells
      .map((cell, i) => {
        const text = header ? fit(cell, widths[i]!) : cell;
        const padded = i === cells.length - 1 ? text : text + ' '.repeat(widths[i]! - visibleLength(text) + GAP);
        return header ? padded.replace(text, bold(text)) : padded;
      })
      .join('')
      .replace(/ +$/, '');
  const rows = Math.max(0, ...shown.map((c) => c.cells.length));
  return {
    lines: [line(shown.map((c) => c.header), true), ...Array.from({ length: rows }, (_, r) => line(shownCells.map((c) => c[r] ?? ''), false))],
    shortened,
  };
}

/**
 * Widths for `columns` within `width`: fixed columns keep their natural width; the shrinkable ones
 * share what is left, each getting its natural width if it can, never less than its minimum (so the
 * result may exceed `width`, which tells the caller to leave a column out).
 */
function allocate(columns: readonly Column[], naturals: number[], width: number): number[] {
  const widths = [...naturals];
  const flexible = columns.map((c, i) => (c.shrink ? i : -1)).filter((i) => i >= 0);
  const fixed = naturals.reduce((sum, w, i) => (columns[i]!.shrink ? sum : sum + w), 0);
  let room = width - fixed - GAP * (columns.length - 1);
  // Narrowest first: a short column that fits in its share keeps it all, and leaves the rest to the others.
  const order = [...flexible].sort((a, b) => naturals[a]! - naturals[b]!);
  order.forEach((i, k) => {
    const share = Math.floor(room / (order.length - k));
    const w = Math.max(columns[i]!.shrink!.min, Math.min(naturals[i]!, share));
    widths[i] = Math.min(w, naturals[i]!);
    room -= widths[i]!;
  });
  return widths;
}
