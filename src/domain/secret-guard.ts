// The Master key typed where a name, token, username or URL goes (issue 11): pasted into the wrong
// place, it would be put in a URL path, looked up in DNS as `<key>.carto.com`, echoed in an error, and
// it already sits in the shell history and the process list. Every such value is compared with the
// resolved Master key before anything is sent or printed, and the command is refused without
// repeating the value.

import { keyCheck } from '../config/key-store.js';
import { UsageError } from '../errors.js';

export interface PlacesToCheck {
  /** The raw command line. */
  argv?: readonly string[];
  /** Prompt answers given so far (usernames, names). */
  answers?: readonly string[];
  /** Where the key is about to be sent: its user and base URL (from flags, environment or a prompt). */
  username?: string;
  baseUrl?: string;
}

/** Throws a UsageError when the Master key appears in any of the places; never includes it in the message. */
export function refuseMisplacedMasterKey(masterKey: string, places: PlacesToCheck): void {
  // A key this short is not a CARTO Master key (40 hex characters): comparing would only misfire.
  if (masterKey.length < 16) return;
  const lower = masterKey.toLowerCase();
  // Case-insensitive: a hostname is lowercased before DNS sees it.
  const holds = (value: string | undefined): boolean => value !== undefined && value.toLowerCase().includes(lower);
  if ((places.argv ?? []).some(holds)) throw typed('A command-line argument');
  if ((places.answers ?? []).some(holds)) throw typed('An answer to a prompt');
  if (holds(places.username)) throw typed('The CARTO username');
  if (holds(places.baseUrl)) throw typed('The base URL');
}

/** The Master keys known before a command runs: keys in hand, and checks (keyCheck) of keys in a keychain. */
export interface KnownKeys {
  keys: readonly string[];
  checks: readonly string[];
}

/**
 * The one guard over the command line, run before it is parsed: no usage error, hint, "not found" or
 * child process may ever see an argument, flag value or file name that holds a Master key.
 */
export function refuseTypedMasterKey(argv: readonly string[], known: KnownKeys): void {
  for (const key of known.keys) refuseMisplacedMasterKey(key, { argv });
  for (const check of known.checks) {
    const length = Number(check.split(':')[0]);
    if (!Number.isInteger(length) || length < 16) continue;
    for (const arg of argv) {
      for (let i = 0; i + length <= arg.length; i++) {
        if (keyCheck(arg.slice(i, i + length)) === check) throw typed('A command-line argument');
      }
    }
  }
}

function typed(where: string): UsageError {
  return new UsageError(`${where} is the Master key: refused, and nothing was sent.`, {
    code: 'master_key_misplaced',
    hint:
      'The Master key goes only in the masked prompt, on stdin (login --with-key) or in CARTO_KEYS_MASTER_KEY. ' +
      'If it was typed on a command line it is now in your shell history: consider `carto-keys regenerate Master`.',
  });
}
