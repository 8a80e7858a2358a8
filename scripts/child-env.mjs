// The environment the bench and the code-cache run give the CLI: PATH, a UTF-8 locale, no colour and a
// temporary HOME with its XDG folders — nothing else (no NODE_EXTRA_CA_CERTS, which adds ~50 ms to
// every Node start, no NODE_OPTIONS, no proxy, no credentials), so runs are alike wherever they start.
import { join } from 'node:path';

export function childEnv(home, extra = {}) {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    LANG: 'C.UTF-8',
    NO_COLOR: '1',
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local', 'share'),
    XDG_CACHE_HOME: join(home, '.cache'),
    ...extra,
  };
}
