// The grant flags of create (README.md "Grant flags"): declared, checked in the parse layer, and
// turned into a GrantSet in the run layer, where --grants-file is read.

import { BoundedReadError, MiB, readRegularFile } from '../fs/bounded-read.js';
import type { Command } from 'commander';
import type { Io } from '../context.js';
import { UsageError } from '../errors.js';
import { buildGrantSet, parseGrantsFile, type GrantFlagInput } from '../grants/index.js';
import type { GrantSet } from '../grants/model.js';
import { collect } from './flags.js';

export function addGrantOptions(cmd: Command): Command {
  return cmd
    .option('--api <apis>', 'grant APIs: sql, maps, do (repeatable or comma-separated)', collect)
    .option('--table <spec>', 'grant a table: [schema.]table[:select,insert,update,delete|all] (repeatable)', collect)
    .option('--schema <spec>', 'allow creating tables in a schema: name[:create] (repeatable)', collect)
    .option('--table-metadata', 'allow listing table metadata')
    .option('--service <services>', 'grant data services: geocoding, routing, isolines, observatory', collect)
    .option('--dataset <id>', 'grant a Data Observatory dataset (repeatable)', collect)
    .option('--grants-file <path>', 'read grants (JSON, the create-request form) from a file, or - for stdin');
}

/** The grant flags as commander hands them over: the path of --grants-file, not its parsed content. */
export type GrantFlagValues = Omit<GrantFlagInput, 'fromFile'> & { grantsFile?: string };

export function hasGrantFlags(o: GrantFlagValues): boolean {
  return Boolean(o.api?.length || o.table?.length || o.schema?.length || o.tableMetadata || o.service?.length || o.dataset?.length || o.grantsFile);
}

/** Parse layer: only the grant flags themselves, copied out of commander's object. */
export function grantFlagValues(o: GrantFlagValues): GrantFlagValues {
  const { api, table, schema, tableMetadata, service, dataset, grantsFile } = o;
  return {
    ...(api && { api }),
    ...(table && { table }),
    ...(schema && { schema }),
    ...(tableMetadata && { tableMetadata }),
    ...(service && { service }),
    ...(dataset && { dataset }),
    ...(grantsFile !== undefined && { grantsFile }),
  };
}

/**
 * Parse layer: every flag value is checked (exit 2) before anything is read. The default schema
 * decides which table a bare name means, never whether it parses: 'public' serves for the check.
 */
export function checkGrantFlags(o: GrantFlagValues): void {
  const { grantsFile: _file, ...flags } = o;
  buildGrantSet(flags, { defaultSchema: 'public' });
}

/** Run layer, first step: reads --grants-file (a usage error if it is unreadable or invalid). */
export async function readGrantFlags(io: Io, o: GrantFlagValues): Promise<GrantFlagInput> {
  const { grantsFile, ...flags } = o;
  return grantsFile === undefined ? flags : { ...flags, fromFile: await readGrantsFile(io, grantsFile) };
}

/** Run layer, once the account is known: the grants, bare table names in `defaultSchema`. */
export function grantsFromInput(input: GrantFlagInput, defaultSchema: string): GrantSet {
  return buildGrantSet(input, { defaultSchema });
}

const MAX_GRANTS_FILE_BYTES = 64 * MiB;
const GRANTS_FILE_ERRORS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
};

async function readGrantsFile(io: Io, path: string): Promise<GrantSet> {
  if (path === '-') {
    if (io.stdin.isTTY) throw new UsageError('--grants-file - reads stdin, but stdin is a terminal.', { hint: 'Pipe the JSON in: carto-keys create --grants-file - < grants.json' });
    return parseGrantsFile(await io.readStdin(), 'stdin');
  }
  let text: string;
  try {
    text = readRegularFile(path, MAX_GRANTS_FILE_BYTES).toString('utf8');
  } catch (err) {
    if (!(err instanceof BoundedReadError)) throw err;
    // A missing input named by a flag is a usage error (exit 2, nothing sent), whatever the reason.
    const r = err.refusal;
    throw new UsageError(`Cannot read --grants-file ${path}: ${r.reason === 'unreadable' ? (GRANTS_FILE_ERRORS[r.code] ?? r.code) : err.message}.`, {
      hint: r.reason === 'not-regular'
        ? 'To pass grants from a program, pipe them in: … | carto-keys create --grants-file -'
        : 'Pass the path of a JSON file with the grants array, or - to read it from stdin.',
    });
  }
  return parseGrantsFile(text, path);
}
