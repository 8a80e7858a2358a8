// `sea.json`, the asset in which scripts/build-binary.mjs describes what else it embedded.

import { getAsset } from 'node:sea';

export interface SeaManifest {
  /** How CommonJS bundles are wrapped before compiling: the code caches of their assets were made so. */
  cjsWrapper: [string, string];
  /** The keychain's native module, when the binary has one: its asset, SHA-256 and export names. */
  keyring?: { asset: string; sha256: string; exports: string[] };
}

let manifest: SeaManifest | undefined;

export function seaManifest(): SeaManifest {
  manifest ??= JSON.parse(getAsset('sea.json', 'utf8')) as SeaManifest;
  return manifest;
}
