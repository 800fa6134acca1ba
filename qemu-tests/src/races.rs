// SPDX-License-Identifier: GPL-2.0-only
//! getdomnodestat racing the toolstack (issue 9): one dom0 command that
//! runs a query loop on dom0's vCPU 0 while xl, on vCPU 1, creates and
//! destroys a guest of at least 1 GiB running Debian's kernel, and
//! balloons another one down and up; and the parser of what it prints.
//!
//! The query loop calls `dom0-testkit domnodestat <domid> -1 0` (the
//! counters) and `... -1 1` (the walk) on the domain of the current phase,
//! read from a state file the driver replaces with `mv` (atomic: the loop
//! never reads half a write). Everything goes to a log in dom0's tmpfs and
//! is summarised there by one awk at the end, so the serial console
//! carries a few lines, not thousands:
//!
//! ```text
//! round destroy i=1 domid=2 create_s=21.40 destroy_s=1.95 after=-3
//! round balloon i=1 domid=1 low=160 high=256
//! outcome phase=destroy mode=walk rc=-3 n=7
//! restarts phase=create max=12      (most restarts of one walk that answered)
//! anomaly <line>                 (at most 20)
//! race calls=N anomalies=M max_restarts=R rounds_destroy=D rounds_balloon=B
//! ```
//!
//! Phases: `create` (xl create of the big guest, the loop asking for the
//! domid Xen will give it: `-ESRCH` until it exists, then numbers while
//! libxl populates it), `running` (until its kernel's ready line),
//! `destroy` (xl destroy: `-ESRCH` from the moment Xen marks it dying,
//! while relinquish_memory() frees it), `balloon` (xl mem-set down and up,
//! the guest's balloon driver giving pages back and taking them again).
//! An anomaly is a call that exited non-zero, an rc other than 0, `-ESRCH`
//! (-3) or `-EBUSY` (-16), or an answer whose per-node counts do not add
//! up to its own total.

use std::collections::BTreeMap;

use crate::toolstack::Guest;
use crate::Error;

/// What a race command does.
#[derive(Debug, Clone)]
pub struct RacePlan {
    /// Created and destroyed every destroy round (>= 1 GiB: relinquish
    /// has enough mapped pages to park on relmem_list and to preempt).
    pub big: Guest,
    /// Created once, ballooned every balloon round.
    pub balloon: Guest,
    /// The balloon guest's low target, MiB (its `memory` is the high one).
    pub balloon_low_mib: u64,
    /// Create + destroy rounds of `big`.
    pub destroy_rounds: u32,
    /// mem-set down + up rounds of `balloon`.
    pub balloon_rounds: u32,
}

/// The awk that summarises the query log (see the module documentation).
const SUMMARY_AWK: &str = r#"
function flush(   key, m) {
    if (ph == "") return
    m = (f == 1) ? "walk" : "counters"
    key = (ec != 0) ? "exit=" ec : "rc=" rc
    n["phase=" ph " mode=" m " " key]++
    calls++
    if (ec != 0 || (rc != 0 && rc != -3 && rc != -16)) {
        note("call " ph " " m " domid=" id " exit=" ec " rc=" rc " " text)
    } else if (rc == 0 && (sum != tot || counted == 0)) {
        note("sum " ph " " m " domid=" id ": nodes " sum " != page_list " tot)
    }
    if (rc == 0 && restarts > maxr) maxr = restarts
    if (rc == 0 && restarts > pmaxr[ph]) pmaxr[ph] = restarts
    ph = ""
}
function note(s) { bad++; if (bad <= 20) print "anomaly " s }
/^@call / { flush(); ph = $2; f = $3; id = $4; rc = "none"; ec = 0; sum = 0; tot = -1;
            counted = 0; restarts = 0; text = ""; next }
/^@exit / { ec = $2; next }
/^rc=/ {
    for (i = 1; i <= NF; i++) {
        split($i, kv, "=")
        if (kv[1] == "rc") rc = kv[2]
        if (kv[1] == "page_list") tot = kv[2]
        if (kv[1] == "restarts") restarts = kv[2]
    }
    next
}
/^count / {
    for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "page_list") sum += kv[2] }
    counted++
    next
}
{ text = text " " $0 }
END {
    flush()
    for (k in n) print "outcome " k " n=" n[k]
    for (p in pmaxr) print "restarts phase=" p " max=" (pmaxr[p] + 0)
    printf "race calls=%d anomalies=%d max_restarts=%d\n", calls, bad, maxr
}
"#;

impl RacePlan {
    /// The dom0 command (POSIX sh, for Debian's dash). It exits non-zero
    /// if xl failed or the loop is not running; anomalies are reported, not
    /// fatal, so the host sees all of them.
    pub fn command(&self) -> String {
        let big = &self.big;
        let bal = &self.balloon;
        format!(
            r#"R=/tmp/race; rm -rf $R; mkdir -p $R
now() {{ cut -d' ' -f1 /proc/uptime; }}
secs() {{ awk -v a="$1" -v b="$2" 'BEGIN {{ printf "%.2f", b - a }}'; }}
state() {{ echo "$1 $2" >$R/state.new && mv $R/state.new $R/state; }}
ready() {{ # NAME: xl create, then its console's ready line (300 s)
    rm -f {logdir}/guest-$1.log
    taskset -c 1 xl create -q /etc/xen/$1.cfg || return 1
    n=0
    while ! grep -q '{ready}' {logdir}/guest-$1.log 2>/dev/null; do
        n=$((n + 1)); [ $n -le 600 ] || {{ echo "guest $1 not ready"; return 1; }}
        sleep 0.5
    done
}}
cat >$R/loop.sh <<'EOF'
R=/tmp/race
while [ ! -e $R/stop ]; do
    read ph id <$R/state
    for f in 0 1; do
        echo "@call $ph $f $id" >>$R/log
        dom0-testkit domnodestat "$id" -1 "$f" >>$R/log 2>&1
        echo "@exit $?" >>$R/log
    done
done
EOF
cat >$R/summary.awk <<'EOF'
{awk}
EOF
ready {bal_name} || exit 1
bal=$(xl domid {bal_name}) || exit 1
last=$bal
state balloon $bal
taskset -c 0 sh $R/loop.sh &
loop=$!
rc=0
i=0
while [ $i -lt {balloon_rounds} ]; do
    i=$((i + 1))
    state balloon $bal
    taskset -c 1 xl mem-set {bal_name} {low} || {{ rc=1; break; }}
    sleep 1
    taskset -c 1 xl mem-set {bal_name} {high} || {{ rc=1; break; }}
    sleep 1
    echo "round balloon i=$i domid=$bal low={low} high={high}"
done
i=0
while [ $rc = 0 ] && [ $i -lt {destroy_rounds} ]; do
    i=$((i + 1))
    next=$((last + 1))
    state create $next
    t0=$(now)
    ready {big_name} || {{ rc=1; break; }}
    id=$(xl domid {big_name}) || {{ rc=1; break; }}
    [ "$id" = "$next" ] || echo "note: {big_name} got domid $id, the loop asked for $next"
    state running $id
    t1=$(now)
    state destroy $id
    taskset -c 1 xl destroy {big_name} || {{ rc=1; break; }}
    t2=$(now)
    after=$(dom0-testkit domnodestat $id -1 0 | awk -F'[= ]' '/^rc=/ {{ print $2 }}')
    echo "round destroy i=$i domid=$id create_s=$(secs $t0 $t1) destroy_s=$(secs $t1 $t2) after=$after"
    last=$id
done
state balloon $bal
sleep 1
touch $R/stop
kill -0 $loop 2>/dev/null || {{ echo "the query loop died"; rc=1; }}
wait $loop
awk -f $R/summary.awk $R/log
exit $rc"#,
            logdir = crate::toolstack::CONSOLE_LOG_DIR,
            ready = crate::toolstack::GUEST_READY,
            awk = SUMMARY_AWK.trim(),
            bal_name = bal.name,
            big_name = big.name,
            low = self.balloon_low_mib,
            high = bal.memory_mib,
            balloon_rounds = self.balloon_rounds,
            destroy_rounds = self.destroy_rounds,
        )
    }
}

/// One `round ...` line.
#[derive(Debug, Clone, PartialEq)]
pub struct Round {
    /// `destroy` or `balloon`.
    pub kind: String,
    /// The domain.
    pub domid: u32,
    /// Destroy rounds: xl create to the ready line, seconds.
    pub create_s: Option<f64>,
    /// Destroy rounds: `xl destroy`, seconds.
    pub destroy_s: Option<f64>,
    /// Destroy rounds: getdomnodestat's rc right after `xl destroy`.
    pub after_rc: Option<i64>,
}

/// What the race command printed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RaceSummary {
    /// `(phase, mode, outcome)` -> calls; outcome `rc=N` or `exit=N`.
    pub outcomes: BTreeMap<(String, String, String), u64>,
    /// The `anomaly` lines.
    pub anomalies: Vec<String>,
    /// Anomalies counted (more than the lines printed, past 20).
    pub anomaly_count: u64,
    /// Calls made.
    pub calls: u64,
    /// Most restarts one walk needed.
    pub max_restarts: u64,
    /// The same per phase.
    pub max_restarts_by_phase: BTreeMap<String, u64>,
    /// The rounds, in order.
    pub rounds: Vec<Round>,
}

impl RaceSummary {
    /// Calls of `phase` and `mode` with this outcome.
    pub fn count(&self, phase: &str, mode: &str, outcome: &str) -> u64 {
        self.outcomes
            .get(&(phase.into(), mode.into(), outcome.into()))
            .copied()
            .unwrap_or(0)
    }

    /// The rounds of one kind.
    pub fn rounds_of(&self, kind: &str) -> impl Iterator<Item = &Round> {
        let kind = kind.to_string();
        self.rounds.iter().filter(move |r| r.kind == kind)
    }

    /// A table of the outcomes, for people.
    pub fn table(&self) -> String {
        let mut s = format!(
            "{:<8} {:<8} {:<8} {:>7}\n",
            "phase", "mode", "outcome", "calls"
        );
        for ((p, m, o), n) in &self.outcomes {
            s.push_str(&format!("{p:<8} {m:<8} {o:<8} {n:>7}\n"));
        }
        s
    }
}

fn kv(line: &str) -> BTreeMap<&str, &str> {
    line.split_whitespace()
        .filter_map(|w| w.split_once('='))
        .collect()
}

/// Parses the race command's output.
pub fn parse_race_output(lines: &[String]) -> Result<RaceSummary, Error> {
    let mut s = RaceSummary::default();
    let mut seen_total = false;
    let bad = |l: &str| Error::Parse(format!("race output line {l:?}"));
    for l in lines {
        let f = kv(l);
        let num = |k: &str| f.get(k).and_then(|v| v.parse::<i64>().ok());
        if let Some(rest) = l.strip_prefix("outcome ") {
            let w = kv(rest);
            let (Some(p), Some(m), Some(n)) = (w.get("phase"), w.get("mode"), num("n")) else {
                return Err(bad(l));
            };
            let o = rest
                .split_whitespace()
                .find(|w| w.starts_with("rc=") || w.starts_with("exit="))
                .ok_or_else(|| bad(l))?;
            s.outcomes
                .insert((p.to_string(), m.to_string(), o.to_string()), n as u64);
        } else if let Some(rest) = l.strip_prefix("restarts ") {
            let w = kv(rest);
            let (Some(p), Some(m)) = (w.get("phase"), w.get("max").and_then(|m| m.parse().ok()))
            else {
                return Err(bad(l));
            };
            s.max_restarts_by_phase.insert(p.to_string(), m);
        } else if let Some(a) = l.strip_prefix("anomaly ") {
            s.anomalies.push(a.to_string());
        } else if l.starts_with("race ") {
            s.calls = num("calls").ok_or_else(|| bad(l))? as u64;
            s.anomaly_count = num("anomalies").ok_or_else(|| bad(l))? as u64;
            s.max_restarts = num("max_restarts").ok_or_else(|| bad(l))? as u64;
            seen_total = true;
        } else if let Some(rest) = l.strip_prefix("round ") {
            let fl = |k: &str| f.get(k).and_then(|v| v.parse::<f64>().ok());
            s.rounds.push(Round {
                kind: rest.split_whitespace().next().unwrap_or("").to_string(),
                domid: num("domid").ok_or_else(|| bad(l))? as u32,
                create_s: fl("create_s"),
                destroy_s: fl("destroy_s"),
                after_rc: num("after"),
            });
        }
    }
    if !seen_total {
        return Err(Error::Parse(
            "no `race calls=` line: the race command did not finish".into(),
        ));
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_names_both_guests_and_rounds() {
        let p = RacePlan {
            big: Guest::new("g-big", 1024),
            balloon: Guest::new("g-bal", 256).on_node(1),
            balloon_low_mib: 160,
            destroy_rounds: 3,
            balloon_rounds: 2,
        };
        let c = p.command();
        assert!(c.contains("xl create -q /etc/xen/$1.cfg"));
        assert!(c.contains("ready g-bal || exit 1"));
        assert!(c.contains("xl mem-set g-bal 160"));
        assert!(c.contains("xl mem-set g-bal 256"));
        assert!(c.contains("[ $i -lt 3 ]"));
        assert!(c.contains("taskset -c 1 xl destroy g-big"));
        assert!(c.contains("dom0-testkit domnodestat \"$id\" -1 \"$f\""));
    }

    #[test]
    fn summary_is_parsed() {
        let out: Vec<String> = "\
round balloon i=1 domid=1 low=160 high=256
round destroy i=1 domid=2 create_s=21.40 destroy_s=1.95 after=-3
outcome phase=destroy mode=walk rc=-3 n=7
outcome phase=create mode=counters rc=0 n=12
restarts phase=create max=2
anomaly call destroy walk domid=2 exit=1 rc=none  dom0-testkit: boom
race calls=19 anomalies=1 max_restarts=2"
            .lines()
            .map(str::to_string)
            .collect();
        let s = parse_race_output(&out).unwrap();
        assert_eq!(s.count("destroy", "walk", "rc=-3"), 7);
        assert_eq!(s.count("create", "counters", "rc=0"), 12);
        assert_eq!(s.count("create", "walk", "rc=0"), 0);
        assert_eq!((s.calls, s.anomaly_count, s.max_restarts), (19, 1, 2));
        assert_eq!(s.anomalies.len(), 1);
        assert_eq!(s.max_restarts_by_phase.get("create"), Some(&2));
        let d: Vec<&Round> = s.rounds_of("destroy").collect();
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].after_rc, Some(-3));
        assert_eq!(d[0].destroy_s, Some(1.95));
        assert_eq!(s.rounds_of("balloon").count(), 1);
        assert!(s.table().contains("destroy  walk     rc=-3          7"));
        assert!(parse_race_output(&out[..2]).is_err());
    }

    /// The awk program, run by the host's awk on a recorded log.
    #[test]
    fn awk_summary_counts_and_flags() {
        let Ok(awk) = which_awk() else { return };
        let log = "\
@call create 0 2
rc=-3 domain=2 node=-1 page_list=0 restarts=0
@exit 0
@call create 1 2
rc=0 domain=2 node=-1 page_list=0 restarts=0
count node=0 page_list=0
@exit 0
@call running 1 2
rc=0 domain=2 node=-1 page_list=30 restarts=1
count node=0 page_list=10
count node=1 page_list=20
@exit 0
@call running 0 2
rc=0 domain=2 node=-1 page_list=31 restarts=0
count node=0 page_list=10
count node=1 page_list=20
@exit 0
@call destroy 1 2
dom0-testkit: no privcmd
@exit 1
";
        let dir = std::env::temp_dir().join(format!("xns-race-awk-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("log"), log).unwrap();
        std::fs::write(dir.join("s.awk"), SUMMARY_AWK).unwrap();
        let out = std::process::Command::new(awk)
            .arg("-f")
            .arg(dir.join("s.awk"))
            .arg(dir.join("log"))
            .output()
            .unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        let lines: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect();
        let s = parse_race_output(&lines).unwrap();
        assert_eq!(s.calls, 5);
        // A phase whose answered walks never restarted says 0, not "".
        assert_eq!(s.max_restarts_by_phase.get("create"), Some(&0));
        assert_eq!(s.count("create", "counters", "rc=-3"), 1);
        assert_eq!(s.count("running", "walk", "rc=0"), 1);
        assert_eq!(s.count("destroy", "walk", "exit=1"), 1);
        assert_eq!(s.anomaly_count, 2, "{lines:?}");
        assert!(
            s.anomalies[0].starts_with("sum running counters"),
            "{lines:?}"
        );
        assert!(s.anomalies[1].contains("no privcmd"), "{lines:?}");
        assert_eq!(s.max_restarts, 1);
        assert_eq!(s.max_restarts_by_phase.get("running"), Some(&1));
    }

    fn which_awk() -> Result<&'static str, ()> {
        ["/usr/bin/mawk", "/usr/bin/awk"]
            .into_iter()
            .find(|p| std::path::Path::new(p).is_file())
            .ok_or(())
    }
}
