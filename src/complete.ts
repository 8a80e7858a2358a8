// `carto-keys __complete <words…>`: the hidden command the shell scripts in completions/ call on
// every <TAB>. It is its own bundle entry (bin/carto-keys.js routes to it before anything else
// loads) and imports only node built-ins, the generated spec and two tiny file readers: no
// commander, undici or inquirer, so it answers in about Node's own start-up time.
// It never touches the network and never prints an error into the shell: any failure is simply
// "no candidates", exit 0.

import { writeSync } from 'node:fs';
import { join } from 'node:path';
import { readCachedMembers, readCachedNames } from './cache/names.js';
import { appPaths } from './config/paths.js';
import { accountOf } from './records/account.js';
import { MiB, readRegularFile } from './fs/bounded-read.js';
import type { Env } from './env.js';
import { completeWords, formatCompletion, type CompletionSources } from './completion/engine.js';
import { SPEC } from './completion/spec.generated.js';

export interface CompleteDeps {
  env?: Env;
  write?: (text: string) => void;
}

/** `args`: the words after the program name, the last being the (possibly empty) current word. */
export async function complete(args: string[], deps: CompleteDeps = {}): Promise<number> {
  const env = deps.env ?? process.env;
  let out = '';
  try {
    out = formatCompletion(completeWords(SPEC, args.length ? args : [''], localSources(env)));
  } catch {
    // A completion that fails offers nothing; the user's shell must never see a stack trace.
  }
  if (out) (deps.write ?? writeStdout)(out);
  return 0;
}

function localSources(env: Env): CompletionSources {
  const paths = appPaths(env);
  let config: Profiles | undefined;
  const read = (): Profiles => (config ??= readProfiles(join(paths.config, SPEC.configFile)));
  // The caches are the account's: the base URL a run of that profile would use (the variable first).
  const accountOfProfile = (profile: string): string | undefined => {
    const url = env.CARTO_KEYS_BASE_URL || read().baseUrls.get(profile);
    return url === undefined ? undefined : accountOf(url);
  };
  return {
    envProfile: env.CARTO_KEYS_PROFILE || undefined,
    config: read,
    // A typed member name becomes part of a file name: never let `--user ../x` walk out.
    keyNames: (profile, member) => {
      const account = accountOfProfile(profile);
      if (account === undefined || (member !== undefined && !/^[a-z0-9][a-z0-9-]*$/.test(member))) return [];
      return readCachedNames(paths.cache, { account, ...(member !== undefined && { member }) });
    },
    members: (profile) => {
      const account = accountOfProfile(profile);
      return account === undefined ? [] : readCachedMembers(paths.cache, account);
    },
  };
}

interface Profiles {
  currentProfile?: string;
  profiles: string[];
  baseUrls: Map<string, string>;
}

/** A plain JSON read, lenient: a missing or broken file has no profiles. */
function readProfiles(path: string): Profiles {
  try {
    const data = JSON.parse(readRegularFile(path, MiB).toString('utf8')) as { currentProfile?: unknown; profiles?: unknown };
    const stored = typeof data.profiles === 'object' && data.profiles !== null && !Array.isArray(data.profiles) ? (data.profiles as Record<string, unknown>) : {};
    const profiles = Object.keys(stored).sort();
    const baseUrls = new Map<string, string>();
    for (const name of profiles) {
      const p = stored[name];
      if (typeof p === 'object' && p !== null && typeof (p as { baseUrl?: unknown }).baseUrl === 'string') baseUrls.set(name, (p as { baseUrl: string }).baseUrl);
    }
    return typeof data.currentProfile === 'string' ? { currentProfile: data.currentProfile, profiles, baseUrls } : { profiles, baseUrls };
  } catch {
    return { profiles: [], baseUrls: new Map() };
  }
}

/**
 * One synchronous write to fd 1: the answer is complete before the process ends, without a stream
 * to set up, and a shell that stopped reading (EPIPE) costs nothing.
 */
function writeStdout(text: string): void {
  const bytes = Buffer.from(text);
  try {
    // write(2) may take only part of a long answer (thousands of names): loop until it is all out.
    for (let done = 0; done < bytes.length; ) done += writeSync(1, bytes, done);
  } catch {
    // Nobody is listening any more.
  }
}
