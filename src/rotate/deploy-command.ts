// The command deploy target: `sh -c <cmd>` with the new token in its environment and on its stdin
// (so `gh secret set NAME`, which reads stdin, needs no quoting and the token never appears in a
// process list). Its output is passed through to our stderr: stdout stays for carto-keys' own result.

import { spawn } from 'node:child_process';
import type { Context } from '../context.js';

export interface DeployedKey {
  name: string;
  token: string;
}

export const TOKEN_VARIABLE = 'CARTO_API_KEY';
export const NAME_VARIABLE = 'CARTO_API_KEY_NAME';

/** Resolves when the command exits 0; rejects with a one-line reason otherwise. */
export function runDeployCommand(ctx: Context, command: string, key: DeployedKey): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], {
      env: { ...ctx.env, [TOKEN_VARIABLE]: key.token, [NAME_VARIABLE]: key.name },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    for (const stream of [child.stdout, child.stderr]) {
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => ctx.io.stderr.write(chunk));
    }
    // A command that does not read its stdin may exit before we finish writing: EPIPE is fine.
    child.stdin.on('error', () => {});
    // No trailing newline: `gh secret set` and friends store stdin as is.
    child.stdin.end(key.token);
    child.once('error', (err) => reject(new Error(`could not start sh: ${err.message}`)));
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(signal !== null ? `the command was killed by ${signal}` : `the command exited with status ${code ?? '?'}`));
    });
  });
}
