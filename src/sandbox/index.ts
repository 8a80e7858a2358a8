// The sandbox's public API: an emulator of CARTO's Auth API (state, handler, HTTP adapter, file store).

export {
  createSandboxState,
  makeKey,
  parseSandboxState,
  SandboxStateShapeError,
  DEFAULT_SANDBOX_USERNAME,
  DEFAULT_PUBLIC_TOKEN,
  SANDBOX_STATE_VERSION,
  type CreateSandboxStateOptions,
  type RandomBytes,
  type SandboxGrants,
  type SandboxKey,
  type SandboxSchemaGrant,
  type SandboxState,
  type SandboxTable,
  type SandboxTableGrant,
  type SandboxUser,
} from './state.js';
export { createSandboxHandler, type SandboxHandler, type SandboxHandlerOptions } from './handler.js';
export { startSandboxServer, type SandboxServer, type SandboxServerOptions } from './serve.js';
export { FAULT_KINDS, parseFaults, type FaultKind, type SandboxFault } from './faults.js';
export { loadSandboxState, saveSandboxState } from './file-store.js';
