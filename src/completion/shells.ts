// The shells carto-keys completes in, and where each script lives. Kept apart from the scripts
// themselves so that the `completion` command can declare its argument without loading them.

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

/** completions/<file>: the names each shell's loader looks for (zsh autoloads `_<command>`). */
export const SCRIPT_FILES: Record<Shell, string> = {
  bash: 'carto-keys.bash',
  zsh: '_carto-keys',
  fish: 'carto-keys.fish',
};

/** src/completion/templates/<file>: the hand-written sources of the scripts. */
export const TEMPLATE_FILES: Record<Shell, string> = {
  bash: 'bash.sh',
  zsh: 'zsh.zsh',
  fish: 'fish.fish',
};
