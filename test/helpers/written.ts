// Every file under a folder, as one text: for "nothing a run wrote holds a token".
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export function everythingUnder(root: string): string {
  let out = '';
  for (const e of readdirSync(root, { withFileTypes: true })) {
    const p = join(root, e.name);
    if (e.isDirectory()) out += everythingUnder(p);
    else if (e.isFile()) out += readFileSync(p, 'latin1');
  }
  return out;
}
