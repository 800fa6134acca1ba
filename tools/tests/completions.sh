#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Runs the bash and fish completions of xen-numastat as each shell would
# (make completion-test) and checks what they offer, --format= above all.
# zsh's runs in a pseudo-terminal (zsh-complete.zsh).
set -euo pipefail
dir=$(cd "$(dirname "$0")/../completions" && pwd)
fail=0

check() { # what got want
    if [ "$2" = "$3" ]; then
        echo "ok: $1"
    else
        echo "FAIL: $1: got '$2', want '$3'"
        fail=1
    fi
}

# bash: COMP_WORDS as readline splits them (with '=' a word break, the
# default, and without).
bash_complete() { # COMP_WORDBREAKS words...
    bash --norc --noprofile -c '
        source "$1"; COMP_WORDBREAKS=$2; shift 2
        COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
        _xen_numastat; echo "${COMPREPLY[*]}"' _ "$dir/xen-numastat.bash" "$@"
}
wb=$' \t\n"'"'"'><=;|&(:'
check "bash --format=" "$(bash_complete "$wb" xen-numastat --format =)" "table seed json prometheus"
check "bash --format=j" "$(bash_complete "$wb" xen-numastat --format = j)" "json"
check "bash --format " "$(bash_complete "$wb" xen-numastat --format '')" "table seed json prometheus"
check "bash --format=p (no = break)" "$(bash_complete ' ' xen-numastat --format=p)" "--format=prometheus"
check "bash --unit=" "$(bash_complete "$wb" xen-numastat --unit =)" "mb gb kb pages bytes"
check "bash -d " "$(bash_complete "$wb" xen-numastat -d '')" "all free"
check "bash --pro" "$(bash_complete "$wb" xen-numastat --pro)" "--prometheus"

# fish: `complete -C` answers what a Tab would offer.
fish_complete() {
    fish --no-config -c "source $dir/xen-numastat.fish; complete -C '$1'" | cut -f1 | tr '\n' ' ' | sed 's/ $//'
}
check "fish --format=" "$(fish_complete 'xen-numastat --format=')" "--format=json --format=prometheus --format=seed --format=table"
check "fish --format " "$(fish_complete 'xen-numastat --format ')" "json prometheus seed table"
check "fish --unit=k" "$(fish_complete 'xen-numastat --unit=k')" "--unit=kb"
check "fish -d " "$(fish_complete 'xen-numastat -d ')" "all free"

# zsh: the file parses, and in a pseudo-terminal Tab lists the values.
if zsh -n "$dir/_xen-numastat"; then echo "ok: zsh -n"; else echo "FAIL: zsh -n"; fail=1; fi
zsh_lists() { # what want...
    local line=$1 out
    shift
    out=$(timeout 30 zsh -f "$(dirname "$0")/zsh-complete.zsh" "$dir" "$line" | grep -E "^$1 " | head -1 | sed "s/>*xen-numastat.*//")
    check "zsh $line" "$(echo $out)" "$*"
}
zsh_lists "xen-numastat --format=" json prometheus seed table
zsh_lists "xen-numastat --unit=" bytes gb kb mb pages
zsh_lists "xen-numastat -d " all free
exit $fail
