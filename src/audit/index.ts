// The audit domain: rules as pure functions of the keys, the secret scanner, and the report formats.

export * from './model.js';
export * from './keys.js';
export * from './rules.js';
export * from './scan.js';
export * from './report.js';
export { fixCommand, shellWord, type FixContext } from './fix.js';
