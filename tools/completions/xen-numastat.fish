# SPDX-License-Identifier: GPL-2.0-only
# fish completion for xen-numastat. Install as
# /usr/share/fish/vendor_completions.d/xen-numastat.fish. The flag list is
# checked against `xen-numastat --help` by the tools' unit tests, and
# tools/tests/completions.sh asks fish for completions (make
# completion-test). fish completes `--format=` and `--format ` alike.

complete -c xen-numastat -f
complete -c xen-numastat -s p -l physinfo -d 'nodes, memory, CPUs and distances'
complete -c xen-numastat -s H -l heap -d 'free heap memory by zone and node'
complete -c xen-numastat -s d -l domain -x -a 'all free' -d 'memory of a domain by node'
complete -c xen-numastat -s c -l compact -d 'narrow columns, whole MBs'
complete -c xen-numastat -s z -l skip-zeros -d 'leave out rows and columns of only zeros'
complete -c xen-numastat -l verify -d 'also walk each domain; exit 9 if the walk differs from the counters'
complete -c xen-numastat -s s -l sort -d 'sort rows by Total, or by a node: -sNODE'
complete -c xen-numastat -l unit -x -a 'mb gb kb pages bytes' -d 'unit of memory amounts'
complete -c xen-numastat -l pages -d 'amounts in 4 KiB pages'
complete -c xen-numastat -l bytes -d 'amounts in bytes'
complete -c xen-numastat -l width -x -d 'fold tables wider than COLS (0: never)'
complete -c xen-numastat -l format -x -a 'table seed json prometheus' -d 'output format'
complete -c xen-numastat -l json -d 'one JSON document'
complete -c xen-numastat -l prometheus -d 'Prometheus text format'
complete -c xen-numastat -s w -l interval -x -d 'a sample every SECONDS [COUNT times]'
complete -c xen-numastat -s V -l version -d 'print the version'
complete -c xen-numastat -s h -l help -d 'print the usage text'
