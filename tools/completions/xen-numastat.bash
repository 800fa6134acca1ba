# SPDX-License-Identifier: GPL-2.0-only
# bash completion for xen-numastat. Install as
# /usr/share/bash-completion/completions/xen-numastat. The flag list is
# checked against `xen-numastat --help` by the tools' unit tests.

_xen_numastat() {
    local cur prev
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
    case $prev in
    -d | --domain)
        COMPREPLY=($(compgen -W "all free" -- "$cur"))
        return
        ;;
    --format)
        COMPREPLY=($(compgen -W "table seed json prometheus" -- "$cur"))
        return
        ;;
    --unit)
        COMPREPLY=($(compgen -W "mb gb kb pages bytes" -- "$cur"))
        return
        ;;
    -w | --interval | --width)
        return
        ;;
    esac
    local flags="-p --physinfo -H --heap -d --domain -c --compact
        -z --skip-zeros -s --sort --unit --pages --bytes --width
        --format --json --prometheus -w --interval -V --version
        -h --help"
    COMPREPLY=($(compgen -W "$flags" -- "$cur"))
}
complete -F _xen_numastat xen-numastat
