// `npm pack` / `npm publish` (prepack, postpack): the tarball's package.json without `prepare`.
// An installed tarball builds nothing (dist/ is in it), yet npm 11 counts a `prepare` script of a
// tarball as an install script and ends `npm install -g carto-keys-x.y.z.tgz` with "install scripts
// not yet covered by allowScripts", which newcomers read as a failure. The clone keeps `prepare`
// (npm install, npm install -g ., git installs build with it): package.json is put back after packing.
//
//   node scripts/pack-manifest.mjs strip     before packing: keep a copy, drop scripts.prepare
//   node scripts/pack-manifest.mjs restore   after packing: the copy back
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

const MANIFEST = 'package.json';
const KEPT = '.package.json.before-pack';

const mode = process.argv[2];
if (mode === 'strip') {
  // A pack that died before its postpack left the copy: that copy is the real manifest.
  if (existsSync(KEPT)) renameSync(KEPT, MANIFEST);
  const text = readFileSync(MANIFEST, 'utf8');
  const manifest = JSON.parse(text);
  if (manifest.scripts?.prepare !== undefined) {
    writeFileSync(KEPT, text);
    delete manifest.scripts.prepare;
    // Renamed into place: whoever reads package.json meanwhile sees one whole file or the other.
    writeFileSync(`${MANIFEST}.tmp`, `${JSON.stringify(manifest, null, 2)}\n`);
    renameSync(`${MANIFEST}.tmp`, MANIFEST);
  }
} else if (mode === 'restore') {
  if (existsSync(KEPT)) renameSync(KEPT, MANIFEST);
} else {
  process.stderr.write('usage: node scripts/pack-manifest.mjs strip|restore\n');
  process.exitCode = 2;
}
