import { describe, expect, it } from 'vitest';
import * as grants from '../../src/grants/index.js';

describe('src/grants/index.ts', () => {
  it('re-exports the whole domain API', () => {
    const expected = [
      'APIS',
      'emptyGrantSet',
      'canonicalGrantSet',
      'grantSetsEqual',
      'parseApis',
      'parseTableSpec',
      'parseTableRemovalSpec',
      'parseSchemaSpec',
      'parseServices',
      'parseDatasets',
      'buildGrantSet',
      'validateKeyName',
      'parseGrantsFile',
      'readGrantsFile',
      'normalizeRenderedGrants',
      'toCreateGrants',
      'applyGrantChanges',
      'hasGrantChanges',
      'diffGrants',
      'formatDiff',
      'formatGrantSummary',
      'formatTables',
      'formatPermissions',
      'grantSetToJson',
      'grantsSpecForTable',
      'defaultKeyName',
      'uniqueName',
      'copyName',
      'rotationName',
      'GrantErrorCode',
    ];
    for (const name of expected) expect(grants, name).toHaveProperty(name);
  });
});
