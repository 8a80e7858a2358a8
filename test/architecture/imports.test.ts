// The layers of src/ depend on each other one way only. Each top-level folder of src/ (commands,
// rotate, domain, ui, api, …) and each top-level file (cli.ts, context.ts, …) is one node; an import
// statement that is kept at run time (static, re-export, or dynamic import(); not `import type`)
// from a file in one node to a file in another is an edge. Any cycle between nodes fails the test,
// with the imports that make it up, so `commands → rotate → commands` cannot come back.

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/e2e.js';

const SRC = join(ROOT, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Relative specifiers imported at run time by a TypeScript source. */
export function runtimeImports(source: string): string[] {
  // Line comments first: one may contain "/*" (a glob) that is not the start of a block comment.
  const text = source.replace(/^\s*\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '');
  const found: string[] = [];
  // import x from '…'; import { a, type B } from '…'; import '…'; export { a } from '…'; export * from '…'
  const statement = /^\s*(import|export)\s+(type\s+)?([^'"]*?)\s*(?:from\s+)?['"]([^'"]+)['"]/gm;
  for (const m of text.matchAll(statement)) {
    const [, , typeOnly, clause = '', spec = ''] = m;
    if (typeOnly) continue;
    // `{ type A, type B }` with nothing else is erased too.
    const braces = /^\{([^}]*)\}$/.exec(clause.trim());
    if (braces && braces[1]!.split(',').map((s) => s.trim()).filter(Boolean).every((s) => s.startsWith('type '))) continue;
    found.push(spec);
  }
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push(m[1]!);
  return found.filter((s) => s.startsWith('.'));
}

/** The node a file belongs to: its top-level folder under src/, or the file itself. */
function nodeOf(file: string): string {
  const rel = relative(SRC, file).split(sep);
  return rel.length > 1 ? `${rel[0]}/` : rel[0]!;
}

function resolveImport(from: string, spec: string): string {
  return resolve(dirname(from), spec.replace(/\.js$/, '.ts'));
}

interface Edge {
  from: string;
  to: string;
  via: string;
}

function layerGraph(): Map<string, Edge[]> {
  const graph = new Map<string, Edge[]>();
  for (const file of sourceFiles(SRC)) {
    const a = nodeOf(file);
    if (!graph.has(a)) graph.set(a, []);
    for (const spec of runtimeImports(readFileSync(file, 'utf8'))) {
      const target = resolveImport(file, spec);
      if (relative(SRC, target).startsWith('..')) continue; // package.json
      const b = nodeOf(target);
      if (a !== b) graph.get(a)!.push({ from: a, to: b, via: `${relative(SRC, file)} imports ${spec}` });
    }
  }
  return graph;
}

/** One cycle per strongly connected component with more than one node (Tarjan), as the edges along it. */
function cycles(graph: Map<string, Edge[]>): Edge[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const { to } of graph.get(v) ?? []) {
      if (!idx.has(to)) {
        visit(to);
        low.set(v, Math.min(low.get(v)!, low.get(to)!));
      } else if (onStack.has(to)) low.set(v, Math.min(low.get(v)!, idx.get(to)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      for (let w = stack.pop()!; ; w = stack.pop()!) {
        onStack.delete(w);
        comp.push(w);
        if (w === v) break;
      }
      if (comp.length > 1) components.push(comp);
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  // For each component, a path back to its first node through edges inside it (breadth first).
  return components.map((comp) => {
    const inside = new Set(comp);
    const start = comp[0]!;
    const prev = new Map<string, Edge>();
    const queue = [start];
    while (queue.length) {
      const v = queue.shift()!;
      for (const e of graph.get(v) ?? []) {
        if (!inside.has(e.to) || prev.has(e.to)) continue;
        prev.set(e.to, e);
        if (e.to === start) queue.length = 0;
        else queue.push(e.to);
      }
    }
    const path: Edge[] = [];
    for (let e = prev.get(start); e && path.length <= comp.length; e = e.from === start ? undefined : prev.get(e.from)) path.unshift(e);
    return path;
  });
}

describe('the layers of src/', () => {
  it('reads run-time imports, not type-only ones', () => {
    const src = [
      "import { a } from './a.js';",
      "import type { B } from './b.js';",
      "import { type C, type D } from './c.js';",
      "import { type E, f } from './e.js';",
      "export { g } from './g.js';",
      "export type { H } from './h.js';",
      "import 'node:fs';",
      "// import { x } from './commented.js'; a glob: completions/*",
      "/* import { y } from './block.js'; */",
      "const m = await import('./lazy.js');",
    ].join('\n');
    expect(runtimeImports(src)).toEqual(['./a.js', './e.js', './g.js', './lazy.js']);
  });

  it('finds a cycle when there is one', () => {
    const graph = new Map<string, Edge[]>([
      ['commands/', [{ from: 'commands/', to: 'rotate/', via: 'x' }]],
      ['rotate/', [{ from: 'rotate/', to: 'commands/', via: 'y' }]],
      ['ui/', []],
    ]);
    expect(cycles(graph).map((c) => c.map((e) => e.via).sort())).toEqual([['x', 'y']]);
  });

  it('have no import cycle between top-level folders and files', () => {
    const found = cycles(layerGraph()).map((c) => c.map((e) => `${e.from} → ${e.to} (${e.via})`).join('\n  '));
    expect(found, `import cycles:\n  ${found.join('\n\n  ')}`).toEqual([]);
  });
});
