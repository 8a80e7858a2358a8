// `sea.json`, the asset in which scripts/build-binary.mjs describes what else it embedded.

import { getAsset } from 'node:sea';

export interface SeaManifest {
  /** The keychain's native module, when the binary has one: its asset and SHA-256. */
  keyring?: { asset: string; sha256: string };
}

let manifest: SeaManifest | undefined;

export function seaManifest(): SeaManifest {
  manifest ??= JSON.parse(getAsset('sea.json', 'utf8')) as SeaManifest;
  return manifest;
}
