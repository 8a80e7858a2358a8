// `where` in Markdown: a table of the places a key was deployed, from the same document `--json`
// prints (places and states, never a token).

import { code, document, join, raw, table, text, type Md } from '../ui/markdown.js';
import type { EnvFileState } from '../deploy/env-check.js';
import type { DeploymentTarget } from '../records/registry.js';

export interface WhereJson {
  name: string;
  exists: boolean;
  /** Keys deleted outside carto-keys whose records were dropped by this run. */
  forgotten?: string[];
  deployments: (DeploymentTarget & { at: string; state?: EnvFileState })[];
  retirement?: { old: string; new: string; retireAfter: string };
}

const STATE: Record<EnvFileState, string> = {
  holds: 'holds its token',
  'other-token': 'holds another token',
  'no-variable': 'the variable is not set',
  missing: 'the file does not exist',
  unreadable: 'cannot be read',
};

function row(d: WhereJson['deployments'][number]): Md[] {
  switch (d.kind) {
    case 'env-file':
      return [raw('env file'), join([code(d.path), raw(' ('), text(d.variable), raw(')')]), raw(d.state === undefined ? '' : STATE[d.state]), text(d.at)];
    case 'command':
      return [raw('command'), code(d.command), raw('cannot be checked'), text(d.at)];
    case 'manual':
      return [raw('by hand'), raw('shown to a person'), raw('cannot be checked'), text(d.at)];
  }
}

export function whereMarkdown(doc: WhereJson): string {
  const blocks: (string | string[])[] = [join([raw('## Where '), code(doc.name), raw(' is deployed')])];
  if (!doc.exists) blocks.push(join([raw('No API key named '), code(doc.name), raw(' exists now; its recorded deployments follow.')]));
  blocks.push(
    doc.deployments.length === 0
      ? join([raw('No deployment of '), code(doc.name), raw(' was recorded (only rotate and apply record them).')])
      : table(['Kind', 'Place', 'Now', 'Deployed'], doc.deployments.map(row)),
  );
  const r = doc.retirement;
  if (r !== undefined) {
    blocks.push(
      r.old === doc.name
        ? join([code(r.old), raw(' is kept until '), text(r.retireAfter), raw(', then `carto-keys retire` deletes it (successor '), code(r.new), raw(').')])
        : join([code(r.new), raw(' replaced '), code(r.old), raw(', which is kept until '), text(r.retireAfter), raw(' (rollback possible until then).')]),
    );
  }
  return document(blocks);
}
