# SPDX-License-Identifier: GPL-2.0-only
# Prints what zsh lists for a command line ending in Tab Tab, with the
# completion in DIR: zsh -f zsh-complete.zsh DIR 'xen-numastat --format='.
# zsh completes only in an interactive shell on a terminal, so this one
# runs in a pseudo-terminal (zsh/zpty); used by completions.sh.
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z "PROMPT='>'; fpath=($1 \$fpath); autoload -Uz compinit; compinit -u -D; xen-numastat() {}"
zpty -w -n z "$2"$'\t\t'
sleep 2
out=
while zpty -r -t z line; do out+=$line; done
zpty -d z
print -r -- "$out" | tr -d '\r' | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g'
