#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""End to end on the build host (make prometheus-e2e): an exposition of
xen-numastat in a textfile directory, Debian's prometheus-node-exporter
serving it through its textfile collector, Debian's prometheus scraping
that, and PromQL queries through Prometheus's HTTP API that must return
the exposition's own numbers. Everything listens on 127.0.0.1 (ports the
kernel picks), the whole run has a deadline, and both daemons are killed
at the end whatever happens.

Two sources of expositions:
- SAMPLES_DIR (make prometheus-e2e): the richest exposition the CLI's
  renderer made from the unit tests' recorded hypercall answers (make
  formats-check keeps them);
- --exposition FILE (qemu-tests/tests/toolstack.rs): the file the
  packaged systemd service's command wrote in a QEMU boot's dom0, with
  --expect FILE: checks the test derived from other output of the same
  boot (the table of `xen-numastat -d all --pages`), each a JSON object
  {"what": text, "promql": query, "by": [label, ...], "want": {"v1/v2": number}}:
  the query's result, keyed by those labels' values joined with "/", must
  equal "want" exactly.

Usage: prometheus-e2e.py SAMPLES_DIR
       prometheus-e2e.py --exposition FILE [--expect FILE]"""
import json
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

DEADLINE_S = 90


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def parse(text):
    """(name, frozenset(labels)) -> value of an exposition."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        series, value = line.rsplit(" ", 1)
        name, _, labels = series.partition("{")
        kv = frozenset(re.findall(r'(\w+)="([^"]*)"', labels))
        out[(name, kv)] = float(value)
    return out


def query(port, promql):
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    with urllib.request.urlopen(url, timeout=5) as r:
        body = json.load(r)
    assert body["status"] == "success", body
    return body["data"]["result"]


def main():
    # timeout(1) sends SIGTERM: end through the finally below, which
    # kills both daemons, instead of dying with them still running.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("prometheus-e2e: terminated"))
    args = sys.argv[1:]
    expect = []
    if args[:1] == ["--exposition"] and len(args) in (2, 4):
        sample = Path(args[1])
        if len(args) == 4:
            if args[2] != "--expect":
                sys.exit(__doc__)
            expect = json.loads(Path(args[3]).read_text())
    elif len(args) == 1 and not args[0].startswith("-"):
        # The richest exposition: every view, domains included.
        sample = max(Path(args[0]).glob("*.prom"), key=lambda p: p.stat().st_size)
    else:
        sys.exit(__doc__)
    text = sample.read_text()
    want = parse(text)
    assert any(n == "xen_numa_domain_info" for n, _ in want), sample
    deadline = time.monotonic() + DEADLINE_S
    tmp = Path(tempfile.mkdtemp(prefix="xen-numastat-e2e-"))
    procs = []
    fails = 0

    def check(what, ok, detail=""):
        nonlocal fails
        print(("ok: " if ok else "FAIL: ") + what + (f" ({detail})" if detail and not ok else ""))
        fails += not ok

    try:
        textfile = tmp / "textfile"
        textfile.mkdir()
        shutil.copy(sample, textfile / "xen-numastat.prom")
        ne_port, prom_port = free_port(), free_port()
        logs = {n: open(tmp / f"{n}.log", "w") for n in ("node-exporter", "prometheus")}
        procs.append(subprocess.Popen(
            ["prometheus-node-exporter", f"--web.listen-address=127.0.0.1:{ne_port}",
             "--collector.disable-defaults", "--collector.textfile",
             f"--collector.textfile.directory={textfile}"],
            stdout=logs["node-exporter"], stderr=subprocess.STDOUT))
        (tmp / "prometheus.yml").write_text(
            "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
            "scrape_configs:\n"
            "  - job_name: xen\n"
            f"    static_configs: [{{targets: ['127.0.0.1:{ne_port}']}}]\n")
        procs.append(subprocess.Popen(
            ["prometheus", f"--config.file={tmp / 'prometheus.yml'}",
             f"--storage.tsdb.path={tmp / 'data'}",
             f"--web.listen-address=127.0.0.1:{prom_port}"],
            stdout=logs["prometheus"], stderr=subprocess.STDOUT))
        # Poll (no fixed sleep) until a scrape has landed.
        got = []
        while time.monotonic() < deadline:
            try:
                got = query(prom_port, "xen_numa_nodes_online")
                if got:
                    break
            except OSError:
                pass
            for p in procs:
                assert p.poll() is None, f"{p.args[0]} exited {p.returncode}"
            time.sleep(0.5)
        check("Prometheus scraped node_exporter's textfile", bool(got))
        if not got:
            return 1
        print(f"sample: {sample.name}, scraped after "
              f"{DEADLINE_S - (deadline - time.monotonic()):.1f} s")
        # No family lost on the way: the textfile collector rejects a whole
        # file it cannot parse.
        errs = query(prom_port, "node_textfile_scrape_error")
        check("node_textfile_scrape_error is 0", errs and float(errs[0]["value"][1]) == 0, errs)
        names = {n for n, _ in want}
        scraped = {r["metric"]["__name__"] for r in query(prom_port, '{__name__=~"xen_numa_.+"}')}
        check(f"every family scraped ({len(names)})", scraped == names, names ^ scraped)
        # Each series' number, as the exposition has it.
        rows = query(prom_port, '{__name__=~"xen_numa_.+"}')
        drop = {"job", "instance", "__name__"}
        seen = {(r["metric"]["__name__"],
                 frozenset((k, v) for k, v in r["metric"].items() if k not in drop)):
                float(r["value"][1]) for r in rows}
        check(f"every series' value ({len(want)})", seen == want,
              {k for k in want if seen.get(k) != want[k]})
        # Joins as docs/cli.md shows them.
        free = {r["metric"]["node"]: float(r["value"][1]) for r in query(
            prom_port, "sum by (node) (xen_numa_heap_zone_free_bytes)")}
        for (n, kv), v in want.items():
            if n == "xen_numa_node_memory_free_bytes":
                node = dict(kv)["node"]
                check(f"zones of node {node} add up to its free memory", free.get(node) == v,
                      f"{free.get(node)} != {v}")
        dma = query(prom_port, "sum by (node) (xen_numa_heap_zone_free_bytes "
                    "* on (zone) group_left xen_numa_heap_zone_dma)")
        dma_want = {}
        for (n, kv), v in want.items():
            d = dict(kv)
            if n == "xen_numa_heap_zone_free_bytes" and \
                    want.get(("xen_numa_heap_zone_dma", frozenset({("zone", d["zone"])}))) == 1:
                dma_want[d["node"]] = dma_want.get(d["node"], 0) + v
        check("free DMA memory per node through zone_dma",
              {r["metric"]["node"]: float(r["value"][1]) for r in dma} == dma_want, dma)
        uuid = query(prom_port, 'xen_numa_domain_memory_bytes{list="page_list"} '
                     '* on (domid) group_left (uuid) xen_numa_domain_info')
        uuids = {dict(kv)["domid"]: dict(kv)["uuid"] for n, kv in want if n == "xen_numa_domain_info"}
        check("domain memory joined with its UUID",
              uuid and all(r["metric"]["uuid"] == uuids[r["metric"]["domid"]] for r in uuid),
              uuid[:2])
        # What the test derived from the same boot's other output.
        for e in expect:
            rows = query(prom_port, e["promql"])
            got = {"/".join(r["metric"].get(k, "") for k in e["by"]): float(r["value"][1])
                   for r in rows}
            exp = {k: float(v) for k, v in e["want"].items()}
            check(f'{e["what"]} ({len(exp)} series)', got == exp,
                  {k: (got.get(k), exp.get(k)) for k in got.keys() | exp.keys()
                   if got.get(k) != exp.get(k)})
        return 1 if fails else 0
    finally:
        for p in procs:
            p.kill()
            p.wait(timeout=10)
        if fails:
            for log in tmp.glob("*.log"):
                print(f"--- {log.name}\n{log.read_text()[-2000:]}")
        shutil.rmtree(tmp, ignore_errors=True)


sys.exit(main())
