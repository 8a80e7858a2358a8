// carto-keys.yaml, the declared state of an account's regular keys (docs/keys-as-code.md), once parsed:
// every grant in the canonical model of src/grants, every deploy target resolved and checked.

import type { Duration } from '../domain/duration.js';
import type { GrantSet } from '../grants/model.js';
import type { DeployTarget } from '../deploy/targets.js';

export const KEY_FILE_VERSION = 1;
export const DEFAULT_KEY_FILE = 'carto-keys.yaml';

/** The fields of the file, in the order export writes them (and errors list them). */
export const TOP_FIELDS = ['version', 'keys'] as const;
export const ENTRY_FIELDS = ['apis', 'tables', 'schemas', 'table_metadata', 'services', 'datasets', 'deploy', 'check', 'rotate_after'] as const;
export const ENV_TARGET_FIELDS = ['env_file', 'var'] as const;
export const CMD_TARGET_FIELDS = ['cmd'] as const;

/** Env-file and command targets only: nobody can confirm a manual deploy in an unattended apply. */
export type FileDeployTarget = Exclude<DeployTarget, { kind: 'manual' }>;

export interface KeyEntry {
  /** The key's name in CARTO (or the name its rotated successors derive from). */
  name: string;
  grants: GrantSet;
  /** Env-file paths absolute, resolved against the file's folder. */
  deploy: FileDeployTarget[];
  rotateAfter?: Duration;
  /** `check:` — a command that tests the app with the new key (token on stdin) before any delete. */
  check?: string;
  /** 1-based line of the entry in the file, for messages. */
  line: number;
}

export interface KeyFile {
  /** As given (for messages). */
  path: string;
  entries: KeyEntry[];
}
