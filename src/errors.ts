// Expected failures are typed; src/cli.ts turns them into exit codes in one place.
// Anything that is not a CliError is a bug: it is reported as such, with its stack.

export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  cancelled: 3,
  auth: 4,
  partial: 5,
  /** `plan --detailed-exitcode`: the plan has changes (terraform's 2 is taken by usage errors here). */
  changesPending: 6,
  /** `audit --fail-on`: a finding reached the given severity. */
  findings: 7,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export abstract class CliError extends Error {
  abstract readonly exitCode: ExitCode;
  /** Stable machine-readable code for `--json` errors. */
  abstract readonly code: string;
  /** Optional second line: what to do next. */
  readonly hint?: string;
  /** HTTP status, when the error came from the API. */
  readonly status?: number;

  constructor(message: string, opts: { hint?: string; status?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    if (opts.hint !== undefined) this.hint = opts.hint;
    if (opts.status !== undefined) this.status = opts.status;
  }
}

/** Bad flag, bad grant spec, missing input. Nothing was sent. */
export class UsageError extends CliError {
  readonly exitCode = ExitCode.usage;
  readonly code: string;
  constructor(message: string, opts: { hint?: string; code?: string; cause?: unknown } = {}) {
    super(message, opts);
    this.code = opts.code ?? 'usage';
  }
}

/** No credentials, a rejected key, or a key that is not the Master key. */
export class AuthError extends CliError {
  readonly exitCode = ExitCode.auth;
  readonly code: string;
  constructor(message: string, opts: { hint?: string; code?: string; status?: number; cause?: unknown } = {}) {
    super(message, opts);
    this.code = opts.code ?? 'auth';
  }
}

/** Declined at a prompt, or Ctrl-C. */
export class CancelledError extends CliError {
  readonly exitCode = ExitCode.cancelled;
  readonly code = 'cancelled';
  constructor(message = 'Cancelled', opts: { hint?: string } = {}) {
    super(message, opts);
  }
}

/** Kinds of API failure, so callers can branch without parsing messages. */
export type ApiErrorKind =
  | 'not_found' // 404 with a body: API key not found
  | 'no_member' // 404: the target_user is not a user of the caller's organization
  | 'no_engine' // 404 with an empty body: the account has no engine access
  | 'forbidden' // 403
  | 'quota' // 403 limit of API keys
  | 'validation' // 422
  | 'bad_request' // 400
  | 'rate_limited' // 429
  | 'server' // 5xx
  | 'network' // connection reset, DNS, TLS...
  | 'timeout'
  | 'bad_response' // a reply that is not what the contract says (HTML, truncated JSON, wrong shape)
  | 'http'; // any other status

/**
 * Whether a failed request may have taken effect anyway:
 * - `unsent`: surely not (connection refused, 429, 503), so repeating it is safe even when it is not
 *   idempotent;
 * - `ambiguous`: it may have (reset mid-flight, timeout, 500/502/504, a 2xx reply that could not be
 *   read), so only an idempotent request may be repeated blindly; anything else must look first;
 * - `final`: the server answered and refused it (4xx), or it could never be sent (unknown host, a
 *   certificate): repeating cannot help and nothing happened.
 */
export type Delivery = 'unsent' | 'ambiguous' | 'final';

/** The API refused, the network failed, or the server answered nonsense. */
export class ApiError extends CliError {
  readonly exitCode = ExitCode.failure;
  readonly code: string;
  readonly kind: ApiErrorKind;
  /** CARTO's own `errors` text, when there was one. */
  readonly serverMessage?: string;
  /** Whether the request may have taken effect, over all its attempts (`final` when not said). */
  readonly delivery: Delivery;

  constructor(
    kind: ApiErrorKind,
    message: string,
    opts: { hint?: string; status?: number; serverMessage?: string; delivery?: Delivery; cause?: unknown } = {},
  ) {
    super(message, opts);
    this.kind = kind;
    this.code = kind;
    this.delivery = opts.delivery ?? 'final';
    if (opts.serverMessage !== undefined) this.serverMessage = opts.serverMessage;
  }
}

/** A multi-step command (rotate) stopped midway; the message says what exists now. */
export class PartialError extends CliError {
  readonly exitCode = ExitCode.partial;
  readonly code = 'partial';
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, opts);
  }
}

/** A local failure that is neither a file nor the API: a port already taken, for one. */
export class LocalError extends CliError {
  readonly exitCode = ExitCode.failure;
  readonly code: string;
  constructor(message: string, opts: { hint?: string; code?: string; cause?: unknown } = {}) {
    super(message, opts);
    this.code = opts.code ?? 'local';
  }
}

/** A local file (config, sandbox state, grants file) that cannot be read as expected. */
export class FileError extends CliError {
  readonly exitCode = ExitCode.failure;
  readonly code = 'file';
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, opts);
  }
}

/**
 * The command has already said everything (the status report, the findings of audit --fail-on or
 * scan --fail-on-find, a plan with changes pending under --detailed-exitcode): only its exit code is left. src/cli.ts writes nothing
 * for it. `code` names the outcome for callers that look (tests, the Action).
 */
export class ReportedExit extends CliError {
  constructor(
    readonly exitCode: ExitCode,
    readonly code: string,
  ) {
    super('');
  }
}

/**
 * A state the code guarantees cannot happen (a check upstream should have refused it). Not a
 * CliError: src/cli.ts reports it as a bug in carto-keys, with its stack, never as the user's mistake.
 */
export class BugError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BugError';
  }
}

/** The OS keychain cannot be used (none, locked, denied, no native module, no answer). Nothing was written. */
export class KeychainError extends CliError {
  readonly exitCode = ExitCode.failure;
  readonly code = 'keychain';
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, opts);
  }
}
