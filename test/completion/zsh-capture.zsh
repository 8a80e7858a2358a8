# Usage: zsh -f zsh-capture.zsh <fpath-dir> <line>
#
# Types <line> then TAB into an interactive zsh running in a pseudo-terminal (zpty), with the
# completion system loaded from <fpath-dir> as a user would have it, and prints:
#   candidate:<value>   every match completion offered (captured by wrapping compadd)
#   buffer:<line>       the command line after the TAB, i.e. what zsh inserted and how it quoted it
zmodload zsh/zpty || { print -u2 'zsh/zpty is not available'; exit 3 }

local dir=$1 line=$2
local work=$(mktemp -d)
local setup=$work/setup.zsh log=$work/log

cat > $setup <<'SETUP'
PS1= RPS1=
typeset -g __log=$2
fpath=($1 $fpath)
autoload -Uz compinit && compinit -u -D
# One TAB, no listing or menu: what was offered is captured below, not read off the screen.
setopt no_auto_list no_auto_menu no_beep
compadd() {
  # Calls with -O, -A or -D only filter or collect matches (as _describe does first): pass them on.
  local arg
  for arg in "$@"; do
    [[ $arg == -- ]] && break
    [[ $arg == -[A-Za-z]#[OAD]* ]] && { builtin compadd "$@"; return }
  done
  local -a __matches
  builtin compadd -A __matches "$@"
  (( ${#__matches} )) && print -rl -- ${__matches/#/candidate:} >> $__log
  builtin compadd "$@"
}
# Written down, then announced on the terminal: the script below reads up to that line.
__capture_buffer() { print -r -- "buffer:$BUFFER" >> $__log; print -r -- $'\nCK-CAPTURE-''DONE' > /dev/tty }
zle -N __capture_buffer
bindkey '^B' __capture_buffer
SETUP

zpty ck zsh -f -i
zpty -w ck "source ${(q)setup} ${(q)dir} ${(q)log}"
# The line, TAB to complete, then ^B to write down the resulting buffer.
zpty -w -n ck "$line"$'\t\x02'
local junk
# Reads the terminal (so zsh never blocks writing to it) until the widget announces it is done.
zpty -r -m ck junk '*CK-CAPTURE-DONE*' || { zpty -d ck; print -u2 "zsh did not finish completing: $line"; exit 4 }
zpty -d ck
cat $log
rm -rf $work
