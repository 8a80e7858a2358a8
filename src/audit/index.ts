// The audit domain: rules as pure functions of the keys, and the report formats (the secret scanner is src/scan).

export * from './model.js';
export * from './keys.js';
export * from './rules.js';
export * from './report.js';
