// The process environment as the CLI reads it: passed in (src/main.ts gives process.env, tests their
// own), never read from process.env below the entry point. A file of its own so that config/, api/,
// ui/ and context.ts all use it without importing one another for it.

export interface Env {
  [name: string]: string | undefined;
}
