// Each command's module, imported only when that command runs (the bundle makes each a chunk).
import type { CommandBuilder } from '../args/kit.js';
import type { CommandName } from './index.js';

export const LOADERS: Record<CommandName, () => Promise<CommandBuilder>> = {
  list: async () => (await import('./list.js')).listCommand,
  show: async () => (await import('./show.js')).showCommand,
  create: async () => (await import('./create.js')).createCommand,
  revoke: async () => (await import('./revoke.js')).revokeCommand,
  regenerate: async () => (await import('./regenerate.js')).regenerateCommand,
  clone: async () => (await import('./clone.js')).cloneCommand,
  rotate: async () => (await import('./rotate.js')).rotateCommand,
  retire: async () => (await import('./retire.js')).retireCommand,
  where: async () => (await import('./where.js')).whereCommand,
  export: async () => (await import('./export.js')).exportCommand,
  plan: async () => (await import('./plan.js')).planCommand,
  apply: async () => (await import('./apply.js')).applyCommand,
  audit: async () => (await import('./audit.js')).auditCommand,
  scan: async () => (await import('./scan.js')).scanCommand,
  respond: async () => (await import('./respond.js')).respondCommand,
  org: async () => (await import('./org.js')).orgCommand,
  login: async () => (await import('./login.js')).loginCommand,
  logout: async () => (await import('./logout.js')).logoutCommand,
  status: async () => (await import('./status.js')).statusCommand,
  profile: async () => (await import('./profile.js')).profileCommand,
  completion: async () => (await import('./completion.js')).completionCommand,
  sandbox: async () => (await import('./sandbox.js')).sandboxCommand,
};
