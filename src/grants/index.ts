// The grants domain: pure functions from flags, files and CARTO's rendering to a canonical GrantSet and back.

export * from './model.js';
export { canonicalGrantSet, grantSetsEqual, tableLabel } from './canonical.js';
export * from './parse.js';
export * from './grants-file.js';
export * from './json-syntax.js';
export * from './normalize.js';
export * from './changes.js';
export * from './diff.js';
export * from './format.js';
export * from './names.js';
export { GrantErrorCode } from './text.js';
