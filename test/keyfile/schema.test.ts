// The JSON Schema shipped for editors (schema/carto-keys.schema.json) says what the parser says: the
// same fields, the same closed vocabularies, and the export form is valid against it.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { APIS, SCHEMA_PERMISSIONS, SERVICES, TABLE_PERMISSIONS } from '../../src/grants/model.js';
import { CMD_TARGET_FIELDS, ENTRY_FIELDS, ENV_TARGET_FIELDS, KEY_FILE_VERSION, TOP_FIELDS } from '../../src/keyfile/model.js';
import { ROOT } from '../helpers/e2e.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const schema = JSON.parse(readFileSync(join(ROOT, 'schema', 'carto-keys.schema.json'), 'utf8')) as any;
const key = schema.$defs.key;

describe('the JSON Schema of carto-keys.yaml', () => {
  it('has the fields the parser accepts, and no others', () => {
    expect(Object.keys(schema.properties)).toEqual([...TOP_FIELDS]);
    expect(schema.properties.version.const).toBe(KEY_FILE_VERSION);
    expect(Object.keys(key.properties)).toEqual([...ENTRY_FIELDS]);
    expect(key.additionalProperties).toBe(false);
    const [env, cmd] = key.properties.deploy.items.oneOf;
    expect(Object.keys(env.properties)).toEqual([...ENV_TARGET_FIELDS]);
    expect(Object.keys(cmd.properties)).toEqual([...CMD_TARGET_FIELDS]);
  });

  it('has the vocabularies of the grant flags', () => {
    expect(key.properties.apis.items.enum).toEqual([...APIS]);
    expect(key.properties.services.items.enum).toEqual([...SERVICES]);
    expect(schema.$defs.tablePermission.enum).toEqual([...TABLE_PERMISSIONS, 'all']);
    expect(key.properties.schemas.additionalProperties.oneOf[0].const).toBe(SCHEMA_PERMISSIONS[0]);
    expect(schema.properties.keys.propertyNames.not.enum).toEqual(expect.arrayContaining(['Master', 'Default public']));
  });
});
