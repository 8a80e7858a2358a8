// The order here is the order of `carto-keys --help`.
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { loginCommand } from './login.js';
import { logoutCommand } from './logout.js';
import { statusCommand } from './status.js';
import { profileCommand } from './profile.js';
import { listCommand } from './list.js';
import { showCommand } from './show.js';
import { createCommand } from './create.js';
import { revokeCommand } from './revoke.js';
import { regenerateCommand } from './regenerate.js';
import { sandboxCommand } from './sandbox.js';
import { completionCommand } from './completion.js';
import { cloneCommand } from './clone.js';
import { rotateCommand } from './rotate.js';
import { exportCommand } from './export.js';
import { planCommand } from './plan.js';
import { auditCommand } from './audit.js';

export const COMMANDS: ((ctx: Context) => Command)[] = [
  listCommand,
  showCommand,
  createCommand,
  revokeCommand,
  regenerateCommand,
  cloneCommand,
  rotateCommand,
  exportCommand,
  planCommand,
  auditCommand,
  loginCommand,
  logoutCommand,
  statusCommand,
  profileCommand,
  completionCommand,
  sandboxCommand,
];
