// SPDX-License-Identifier: GPL-2.0-only
//! Pure parsers for what Debian's `xl` (Xen 4.17) prints in the toolstack
//! dom0: `xl list` and `xl info -n`. They are the toolstack's view, which
//! the tests compare with getdomnodestat and `xen-numastat -p`.
//!
//! Formats, from tools/xl/xl_info.c of Xen 4.17:
//! - `xl list`: a header `Name  ID  Mem VCPUs State Time(s)` (`-n` adds
//!   `NODE Affinity`), then one line per domain; `Mem` is
//!   `current_memkb / 1024`, i.e. `tot_pages` in whole MiB, rounded down
//!   (libxl: `current_memkb = tot_pages * 4`).
//! - `xl info -n`: `key : value` lines; after `cpu_topology :` a
//!   `cpu: core socket node` table, after `numa_info :` a
//!   `node: memsize memfree distances` table, sizes in MiB (`>> 20`).

use crate::Error;

/// One line of `xl list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XlDomain {
    /// The domain's name.
    pub name: String,
    /// Its domid.
    pub domid: u32,
    /// `Mem`: its pages in MiB, rounded down.
    pub mem_mib: u64,
    /// `VCPUs`.
    pub vcpus: u32,
    /// `State`, e.g. `-b----`.
    pub state: String,
}

/// Parses `xl list` (or `xl list -n`) output; other lines are skipped.
pub fn parse_xl_list(text: &str) -> Result<Vec<XlDomain>, Error> {
    let mut lines = text.lines().skip_while(|l| !l.starts_with("Name "));
    if lines.next().is_none() {
        return Err(Error::Parse(
            "no `Name  ID  Mem` header: not `xl list`".into(),
        ));
    }
    let mut out = Vec::new();
    for l in lines {
        let w: Vec<&str> = l.split_whitespace().collect();
        let parsed = match w.as_slice() {
            [name, id, mem, vcpus, state, ..] => (|| {
                Some(XlDomain {
                    name: name.to_string(),
                    domid: id.parse().ok()?,
                    mem_mib: mem.parse().ok()?,
                    vcpus: vcpus.parse().ok()?,
                    state: state.to_string(),
                })
            })(),
            _ => None,
        };
        match parsed {
            Some(d) => out.push(d),
            // The table ends at the first line that is not a domain.
            None => break,
        }
    }
    Ok(out)
}

/// One row of `xl info -n`'s `numa_info` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XlNode {
    /// The node id.
    pub node: u32,
    /// `memsize`, MiB (numainfo's memsize `>> 20`: the node's span).
    pub memsize_mib: u64,
    /// `memfree`, MiB (`>> 20`).
    pub memfree_mib: u64,
    /// Distances to each node, in node order.
    pub distances: Vec<u32>,
}

/// `xl info -n`, the parts the tests compare.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct XlInfo {
    /// `nr_cpus`.
    pub nr_cpus: u32,
    /// `nr_nodes`.
    pub nr_nodes: u32,
    /// `total_memory`, MiB.
    pub total_memory_mib: u64,
    /// `free_memory`, MiB.
    pub free_memory_mib: u64,
    /// `xen_version`.
    pub xen_version: String,
    /// `cpu_topology`: (cpu, core, socket, node).
    pub cpus: Vec<(u32, u32, u32, u32)>,
    /// `numa_info`.
    pub nodes: Vec<XlNode>,
}

impl XlInfo {
    /// The node of a CPU.
    pub fn cpu_node(&self, cpu: u32) -> Option<u32> {
        self.cpus.iter().find(|c| c.0 == cpu).map(|c| c.3)
    }
}

/// Parses `xl info -n`.
pub fn parse_xl_info(text: &str) -> Result<XlInfo, Error> {
    let mut info = XlInfo::default();
    #[derive(PartialEq)]
    enum Table {
        None,
        Cpus,
        Nodes,
    }
    let mut table = Table::None;
    let bad = |l: &str| Error::Parse(format!("`xl info -n` line {l:?}"));
    for l in text.lines() {
        // `key : value` lines start at column 0; table rows are indented.
        if l.starts_with(|c: char| c.is_ascii_alphabetic()) {
            let Some((k, v)) = l.split_once(':') else {
                continue;
            };
            let (k, v) = (k.trim(), v.trim());
            // The tables' own headers (`cpu:    core ...`, `node:    memsize ...`).
            if k == "cpu" || k == "node" {
                continue;
            }
            table = match k {
                "cpu_topology" => Table::Cpus,
                "numa_info" => Table::Nodes,
                _ => Table::None,
            };
            let n = || v.parse::<u64>().map_err(|_| bad(l));
            match k {
                "nr_cpus" => info.nr_cpus = n()? as u32,
                "nr_nodes" => info.nr_nodes = n()? as u32,
                "total_memory" => info.total_memory_mib = n()?,
                "free_memory" => info.free_memory_mib = n()?,
                "xen_version" => info.xen_version = v.to_string(),
                _ => {}
            }
            continue;
        }
        // Table rows: `  0:       0        0        0` and
        // `   0:      1536        816      10,20`.
        let Some((id, rest)) = l.trim().split_once(':') else {
            continue;
        };
        let Ok(id) = id.trim().parse::<u32>() else {
            continue;
        };
        let w: Vec<&str> = rest.split_whitespace().collect();
        match (&table, w.as_slice()) {
            (Table::Cpus, [core, socket, node]) => info.cpus.push((
                id,
                core.parse().map_err(|_| bad(l))?,
                socket.parse().map_err(|_| bad(l))?,
                node.parse().map_err(|_| bad(l))?,
            )),
            (Table::Nodes, [size, free, dist]) => info.nodes.push(XlNode {
                node: id,
                memsize_mib: size.parse().map_err(|_| bad(l))?,
                memfree_mib: free.parse().map_err(|_| bad(l))?,
                distances: dist
                    .split(',')
                    .map(|d| d.parse().map_err(|_| bad(l)))
                    .collect::<Result<_, _>>()?,
            }),
            _ => {}
        }
    }
    if info.nodes.is_empty() || info.cpus.is_empty() {
        return Err(Error::Parse(
            "no numa_info or cpu_topology table: not `xl info -n` output".into(),
        ));
    }
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Recorded in a toolstack boot (two nodes of 1536M, patched Xen).
    const LIST: &str = "\
Name                                        ID   Mem VCPUs\tState\tTime(s)
Domain-0                                     0  1024     2     r-----      97.2
g-soft1                                      1   256     1     -b----      26.3
g-pin0                                       2   192     1     -b----      16.9
";

    const INFO: &str = "\
host                   : (none)
nr_cpus                : 2
max_cpu_id             : 1
nr_nodes               : 2
total_memory           : 3071
free_memory            : 2007
cpu_topology           :
cpu:    core    socket     node
  0:       0        0        0
  1:       1        0        1
device topology        :
device           node
No device topology data available
numa_info              :
node:    memsize    memfree    distances
   0:      1536        816      10,20
   1:      3584       1191      20,10
xen_major              : 4
xen_version            : 4.17.5
xen_commandline        : console=com1 dom0_mem=1024M,max:1024M
";

    #[test]
    fn xl_list() {
        let l = parse_xl_list(LIST).unwrap();
        assert_eq!(l.len(), 3);
        assert_eq!(
            l[1],
            XlDomain {
                name: "g-soft1".into(),
                domid: 1,
                mem_mib: 256,
                vcpus: 1,
                state: "-b----".into()
            }
        );
        let n = parse_xl_list(&LIST.replace("Time(s)", "Time(s) NODE Affinity")).unwrap();
        assert_eq!(n.len(), 3);
        assert!(parse_xl_list("xl: command not found").is_err());
        // A header and no domain line is an empty list.
        assert_eq!(parse_xl_list(LIST.lines().next().unwrap()).unwrap(), []);
    }

    #[test]
    fn xl_info_numa() {
        let i = parse_xl_info(INFO).unwrap();
        assert_eq!((i.nr_cpus, i.nr_nodes), (2, 2));
        assert_eq!((i.total_memory_mib, i.free_memory_mib), (3071, 2007));
        assert_eq!(i.xen_version, "4.17.5");
        assert_eq!(i.cpus, [(0, 0, 0, 0), (1, 1, 0, 1)]);
        assert_eq!(i.cpu_node(1), Some(1));
        assert_eq!(
            i.nodes[1],
            XlNode {
                node: 1,
                memsize_mib: 3584,
                memfree_mib: 1191,
                distances: vec![20, 10]
            }
        );
        assert!(parse_xl_info("nr_cpus : 2\n").is_err());
    }
}
