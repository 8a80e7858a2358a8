// carto-keys.yaml → KeyFile, synchronously, with both readers loaded: for export's read-back check and
// for tests. `plan` and `apply` read files through load.ts, which loads the full YAML reader only for
// a file the fast reader declines.

import { fastYaml } from './fast-yaml.js';
import type { KeyFile } from './model.js';
import { parseKeyTree, type ParseKeyFileOptions } from './validate.js';
import { yamlReader } from './yaml-tree.js';

export { KEY_FILE_ERROR, looksLikeToken, type ParseKeyFileOptions } from './validate.js';

export function parseKeyFile(text: string, opts: ParseKeyFileOptions): KeyFile {
  const fast = fastYaml(text);
  return parseKeyTree(text, opts, fast !== undefined ? () => fast : yamlReader(text));
}
