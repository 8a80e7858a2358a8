// The release's generated files (scripts/release-manifests.mjs) from a folder of binaries: SHA256SUMS
// as sha256sum reads it, a Homebrew formula with one url/sha256 per platform, a Scoop manifest for the
// Windows binary. The files here stand in for binaries (only their bytes are hashed); the real Linux
// binary goes through the same script in test/binary/release.test.ts.

import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module script, without type declarations
import { binariesIn, homebrewFormula, scoopManifest, sha256sums, TARGETS } from '../../scripts/release-manifests.mjs';

const dir = mkdtempSync(join(tmpdir(), 'carto-keys-release-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const opts = { version: '1.2.3', baseUrl: 'https://example.com/dl/v1.2.3', homepage: 'https://example.com/carto-keys' };

type Binaries = Record<string, { file: string; sha256: string }>;

describe('release manifests', () => {
  for (const t of Object.values(TARGETS) as { file: string }[]) writeFileSync(join(dir, t.file), `binary ${t.file}`);
  writeFileSync(join(dir, 'unrelated.txt'), 'x');
  const all = binariesIn(dir) as Binaries;

  it('finds each binary by its name, with its SHA-256; SHA256SUMS lists them as sha256sum -c reads them', () => {
    expect(Object.keys(all).sort()).toEqual(['darwin-arm64', 'darwin-x64', 'linux-arm64', 'linux-x64', 'win-x64']);
    expect(all['linux-x64']).toEqual({ file: 'carto-keys-linux-x64', sha256: sha('binary carto-keys-linux-x64') });
    expect(sha256sums(all)).toContain(`${sha('binary carto-keys-win-x64.exe')}  carto-keys-win-x64.exe\n`);
    expect((sha256sums(all) as string).trim().split('\n')).toHaveLength(5);
  });

  it('the formula has one url and sha256 per platform and architecture, under on_macos/on_linux and on_arm/on_intel', () => {
    const rb = homebrewFormula(all, opts) as string;
    expect(rb).toMatch(/^class CartoKeys < Formula$/m);
    expect(rb).toContain('version "1.2.3"');
    const section = (os: string) => rb.slice(rb.indexOf(`on_${os} do`), rb.indexOf('\n  end\n', rb.indexOf(`on_${os} do`)));
    for (const [os, file] of [['macos', 'darwin'], ['linux', 'linux']] as const) {
      expect(section(os)).toContain(`on_arm do\n      url "${opts.baseUrl}/carto-keys-${file}-arm64"\n      sha256 "${all[`${file}-arm64`]!.sha256}"`);
      expect(section(os)).toContain(`on_intel do\n      url "${opts.baseUrl}/carto-keys-${file}-x64"\n      sha256 "${all[`${file}-x64`]!.sha256}"`);
    }
    expect(rb).not.toContain('carto-keys-win-x64');
    // Balanced blocks: every `do` and `def` has its `end`.
    const opens = (rb.match(/\b(do|def|class)\b/g) ?? []).length;
    expect((rb.match(/^\s*end$/gm) ?? []).length).toBe(opens);
  });

  it('the formula has only the platforms built; none without a darwin or linux binary', () => {
    const linux: Binaries = { 'linux-x64': all['linux-x64']! };
    const rb = homebrewFormula(linux, opts) as string;
    expect(rb).not.toContain('on_macos');
    expect(rb).not.toContain('on_arm');
    expect(rb).toContain(all['linux-x64']!.sha256);
    expect(homebrewFormula({ 'win-x64': all['win-x64']! }, opts)).toBeUndefined();
  });

  it('a string in the formula cannot end its quote or interpolate', () => {
    const rb = homebrewFormula(all, { ...opts, homepage: 'https://x/"#{system("id")}' }) as string;
    expect(rb).toContain('homepage "https://x/\\"\\#{system(\\"id\\")}"');
  });

  it('the Scoop manifest installs the Windows binary as carto-keys, with its hash; none without it', () => {
    const manifest = JSON.parse(scoopManifest(all, opts) as string);
    expect(manifest).toMatchObject({
      version: '1.2.3',
      architecture: { '64bit': { url: `${opts.baseUrl}/carto-keys-win-x64.exe`, hash: all['win-x64']!.sha256 } },
      bin: [['carto-keys-win-x64.exe', 'carto-keys']],
    });
    expect(scoopManifest({ 'linux-x64': all['linux-x64']! }, opts)).toBeUndefined();
  });
});
