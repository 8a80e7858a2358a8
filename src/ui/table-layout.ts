// Lays out a table of text for a terminal of a given width — pure, so it is tested at fixed widths.
// Columns marked `shrink` (a key's name, its tables) give up width first and are cut with `…`; when even
// that is not enough, columns marked `drop` (the least needed) are left out, last first. Without a
// width (or with --wide) every cell is shown in full, as wide as it needs.

export interface Column {
  header: string;
  cells: readonly string[];
  /** May be cut to fit, down to `min` characters (with its `…`). */
  shrink?: { min: number };
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

  const line = (cells: string[], header: boolean) =>
    cells
      .map((cell, i) => {
        const text = fit(cell, widths[i]!);
        const padded = i === cells.length - 1 ? text : text + ' '.repeat(widths[i]! - visibleLength(text) + GAP);
        return header ? padded.replace(text, bold(text)) : padded;
      })
      .join('')
      .replace(/ +$/, '');
  const rows = Math.max(0, ...shown.map((c) => c.cells.length));
  return {
    lines: [line(shown.map((c) => c.header), true), ...Array.from({ length: rows }, (_, r) => line(shown.map((c) => c.cells[r] ?? ''), false))],
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
