// What runs wrote under a folder: for "nothing a run wrote holds a token".
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Every regular file under `dir`, in its folders (links and other entries are not followed). */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? filesUnder(p) : e.isFile() ? [p] : [];
  });
}

/** Every file under `root`, as one text. */
export function everythingUnder(root: string): string {
  return filesUnder(root)
    .map((p) => readFileSync(p, 'latin1'))
    .join('');
}
