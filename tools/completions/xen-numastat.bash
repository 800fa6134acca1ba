# SPDX-License-Identifier: GPL-2.0-only
# bash completion for xen-numastat. Install as
# /usr/share/bash-completion/completions/xen-numastat. The flag list is
# checked against `xen-numastat --help` by the tools' unit tests, and
# tools/tests/completions.sh runs this function (make completion-test).

_xen_numastat() {
    local cur prev pre=
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
    # With '=' in COMP_WORDBREAKS (bash's default) `--format=js` is the
    # words `--format`, `=` and `js`; without it, one word.
    if [[ $cur == = ]]; then
        cur=
    elif [[ $prev == = && $COMP_CWORD -ge 2 ]]; then
        prev=${COMP_WORDS[COMP_CWORD-2]}
    elif [[ $cur == --*=* ]]; then
        prev=${cur%%=*}
        pre=$prev=
        cur=${cur#*=}
    fi
    case $prev in
    -d | --domain)
        COMPREPLY=($(compgen -P "$pre" -W "all free" -- "$cur"))
        return
        ;;
    --format)
        COMPREPLY=($(compgen -P "$pre" -W "table seed json prometheus" -- "$cur"))
        return
        ;;
    --unit)
        COMPREPLY=($(compgen -P "$pre" -W "mb gb kb pages bytes" -- "$cur"))
        return
        ;;
    -w | --interval | --width)
        return
        ;;
    esac
    [[ -n $pre ]] && return
    local flags="-p --physinfo -H --heap -d --domain --verify -c --compact
        -z --skip-zeros -s --sort --unit --pages --bytes --width
        --format --json --prometheus -w --interval -V --version
        -h --help"
    COMPREPLY=($(compgen -W "$flags" -- "$cur"))
}
complete -F _xen_numastat xen-numastat
