// Every file carto-keys reads is read with bounds (src/fs/bounded-read.ts): a FIFO in place of a keys
// file hung plan; /dev/zero (or a carto-keys.yaml symlinked to it, which a commit can contain) took
// ~600 MB before failing; a FIFO in place of the config file hung every command.
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, tempPathsPerTest } from '../helpers/harness.js';
import { noNetwork, testSandbox } from '../helpers/sandbox-fetch.js';

const tempPaths = tempPathsPerTest();

function place() {
  const p = tempPaths();
  mkdirSync(p.root, { recursive: true });
  const fifo = join(p.root, 'keys.fifo');
  execFileSync('mkfifo', [fifo]);
  const zero = join(p.root, 'carto-keys.yaml');
  symlinkSync('/dev/zero', zero);
  return { p, fifo, zero };
}

describe('keys files for plan and apply', () => {
  for (const verb of ['plan', 'apply']) {
    it(`${verb} -f a FIFO, /dev/zero, or a carto-keys.yaml symlinked to it: exit 2 at once, nothing sent, no memory taken`, async () => {
      const { p, fifo, zero } = place();
      const sb = testSandbox();
      const rssBefore = process.resourceUsage().maxRSS;
      for (const [path, kind] of [[fifo, 'a FIFO'], ['/dev/zero', 'a device'], [zero, 'a device']] as const) {
        const r = await run([verb, '-f', path, ...(verb === 'apply' ? ['--yes'] : [])], { paths: p, env: sb.env, fetch: sb.fetch });
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr).toContain(`${path}: ${kind}, not a regular file.`);
      }
      expect(sb.requests).toEqual([]);
      // maxRSS is in KiB: reading /dev/zero to a limit took hundreds of MB.
      expect(process.resourceUsage().maxRSS - rssBefore).toBeLessThan(100 * 1024);
    });
  }
});

describe('files carto-keys keeps', () => {
  it('a FIFO in place of the config file: exit 1 at once, naming it', async () => {
    const p = tempPaths();
    mkdirSync(p.config, { recursive: true, mode: 0o700 });
    execFileSync('mkfifo', ['-m', '600', join(p.config, 'config.json')]);
    const r = await run(['list'], { paths: p, fetch: noNetwork });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`The config file ${join(p.config, 'config.json')} cannot be read: a FIFO, not a regular file`);
  });

  it('a FIFO in place of the deployment registry: where exits 1 at once, naming it', async () => {
    const p = tempPaths();
    mkdirSync(p.config, { recursive: true, mode: 0o700 });
    execFileSync('mkfifo', ['-m', '600', join(p.config, 'deployments.json')]);
    const sb = testSandbox();
    const r = await run(['where', 'app'], { paths: p, env: sb.env, fetch: sb.fetch });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`The deployment registry ${join(p.config, 'deployments.json')} cannot be read: a FIFO, not a regular file.`);
  });

  it('a FIFO in place of a rotation journal: plan exits at once instead of waiting for a writer', async () => {
    const p = tempPaths();
    mkdirSync(join(p.config, 'rotations'), { recursive: true, mode: 0o700 });
    execFileSync('mkfifo', ['-m', '600', join(p.config, 'rotations', '0123456789abcdef.json')]);
    writeFileSync(join(p.root, 'carto-keys.yaml'), 'version: 1\nkeys: {}\n');
    const sb = testSandbox();
    const r = await run(['plan', '-f', join(p.root, 'carto-keys.yaml')], { paths: p, env: sb.env, fetch: sb.fetch });
    expect(r.stderr).toContain('a FIFO, not a regular file');
  });
});
