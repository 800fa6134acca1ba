# SPDX-License-Identifier: GPL-2.0-only
# xen-numastat: the two commands a newcomer runs (as root, on a fresh
# Debian 12 machine) are `make demo` and `make test`. Everything else is
# reached from them. Outputs go to build/ (ignored by git).

SHELL := /bin/bash
TOP := $(CURDIR)
BUILD := $(TOP)/build
TARGET := x86_64-unknown-linux-gnu
BINDIR := $(TOP)/target/$(TARGET)/release
# The shipped binary: static, profile dist (Cargo.toml: release + LTO +
# strip).
DIST_BIN := $(TOP)/target/$(TARGET)/dist/xen-numastat
CARGO ?= cargo

# Demo: the toolstack host of docs/toolstack.md (two 1536M nodes, Debian's
# xl in dom0) with two named guests that xl places on different nodes, so
# that xl list, xen-numastat -d all and Xen's key u sit side by side.
DEMO_NODES ?= 1536M,1536M

.PHONY: all demo test deps sources xen-stock xen-release xen-debug xen-flask dom0-bins dist-bin artifacts \
        fmt-check clippy unit-test completion-test formats-check prometheus-e2e install \
        units-check deb debs package-test \
        codegen-check qemu-test bench stress clean dom0-rootfs

all: artifacts dist-bin

deps:
	@$(TOP)/scripts/install-deps.sh

sources: deps
	@$(TOP)/scripts/fetch-sources.sh

xen-stock: sources
	@$(TOP)/scripts/build-xen.sh stock

# The patched images: release (what a user installs) and debug (ASSERTs,
# UBSAN and the test-only heap walk: what the QEMU suite runs).
xen-release: sources
	@$(TOP)/scripts/build-xen.sh release

xen-debug: sources
	@$(TOP)/scripts/build-xen.sh debug

# debug plus FLASK with a built-in policy (the XSM test's image).
xen-flask: sources
	@$(TOP)/scripts/build-xen.sh flask

# The toolstack host's dom0 (Debian 12 + Debian's Xen 4.17.5 userspace) and
# the PV guest kit, as uncompressed cpio images; rebuilt only when the script
# or its inputs change (docs/toolstack.md).
dom0-rootfs: sources
	@$(TOP)/scripts/build-dom0-rootfs.sh

# Static dom0 binaries for the initramfs: the CLI and the test kit.
dom0-bins:
	RUSTFLAGS='-C target-feature=+crt-static' $(CARGO) build --quiet --release \
	    --target $(TARGET) -p xen-numastat-tools -p xen-numastat-qemu-tests --bins

# The static, stripped, LTO binary that make install and make deb ship.
dist-bin:
	RUSTFLAGS='-C target-feature=+crt-static' $(CARGO) build --quiet --profile dist \
	    --target $(TARGET) -p xen-numastat-tools --bin xen-numastat
	@echo "xen-numastat: $$(stat -c %s $(DIST_BIN)) bytes ($(DIST_BIN))"

# make install [PREFIX=/usr/local] [DESTDIR=...]: the binary, man page,
# completions where each shell looks, systemd units, JSON Schema, docs.
# UNITDIR is systemd's system unit directory on Debian 12 (usrmerge keeps
# /lib); SBINDIR is written into the service.
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
DOCDIR ?= $(DATADIR)/doc/xen-numastat
UNITDIR ?= /lib/systemd/system
INSTALL ?= install

install: dist-bin
	$(INSTALL) -D -m 0755 $(DIST_BIN) $(DESTDIR)$(SBINDIR)/xen-numastat
	$(INSTALL) -d $(DESTDIR)$(MANDIR)/man8
	gzip -9n < tools/xen-numastat.8 > $(DESTDIR)$(MANDIR)/man8/xen-numastat.8.gz
	chmod 0644 $(DESTDIR)$(MANDIR)/man8/xen-numastat.8.gz
	$(INSTALL) -D -m 0644 tools/completions/xen-numastat.bash \
	    $(DESTDIR)$(DATADIR)/bash-completion/completions/xen-numastat
	$(INSTALL) -D -m 0644 tools/completions/_xen-numastat \
	    $(DESTDIR)$(DATADIR)/zsh/vendor-completions/_xen-numastat
	$(INSTALL) -D -m 0644 tools/completions/xen-numastat.fish \
	    $(DESTDIR)$(DATADIR)/fish/vendor_completions.d/xen-numastat.fish
	$(INSTALL) -d $(DESTDIR)$(UNITDIR)
	sed 's|/usr/sbin/xen-numastat|$(SBINDIR)/xen-numastat|' \
	    tools/systemd/xen-numastat-prometheus.service \
	    > $(DESTDIR)$(UNITDIR)/xen-numastat-prometheus.service
	$(INSTALL) -m 0644 tools/systemd/xen-numastat-prometheus.timer $(DESTDIR)$(UNITDIR)/
	chmod 0644 $(DESTDIR)$(UNITDIR)/xen-numastat-prometheus.service
	$(INSTALL) -D -m 0644 tools/xen-numastat.schema.json \
	    $(DESTDIR)$(DATADIR)/xen-numastat/xen-numastat.schema.json
	$(INSTALL) -D -m 0644 CHANGELOG.md $(DESTDIR)$(DOCDIR)/CHANGELOG.md
	$(INSTALL) -m 0644 LICENSE README.md docs/cli.md $(DESTDIR)$(DOCDIR)/

# The units as installed, under systemd's own checker (with the man page
# they name). verify exits 0 on an unknown key, so any message fails too.
UNITS_ROOT := $(BUILD)/units-check
units-check: deps dist-bin
	rm -rf $(UNITS_ROOT)
	$(MAKE) --no-print-directory install PREFIX=/usr DESTDIR=$(UNITS_ROOT) >/dev/null
	out=$$(MANPATH=$(UNITS_ROOT)/usr/share/man systemd-analyze verify \
	    $(UNITS_ROOT)/lib/systemd/system/xen-numastat-prometheus.service \
	    $(UNITS_ROOT)/lib/systemd/system/xen-numastat-prometheus.timer 2>&1) && \
	    [ -z "$$out" ] || { echo "$$out"; exit 1; }
	@echo "units-check: systemd-analyze verify: no message"

# make deb: the Debian packages xen-numastat and xen-hypervisor-numastat
# (debian/, dpkg-buildpackage), then lintian, into build/deb/. The
# hypervisor packaged is XEN_PKG_IMAGE (default: the release build,
# without test-only ops) and the .config beside it. dpkg-buildpackage
# writes its output to the parent directory, so it runs in a copy of
# debian/ under build/deb/ with the tree as XEN_NUMASTAT_SRC.
# With the default, deb builds it (make xen-release); an image named by
# hand is taken as it is.
XEN_RELEASE_IMAGE := $(BUILD)/xen-release/xen/xen.gz
XEN_PKG_IMAGE ?= $(XEN_RELEASE_IMAGE)
DEB_DIR := $(BUILD)/deb
deb: deps $(if $(filter $(XEN_RELEASE_IMAGE),$(XEN_PKG_IMAGE)),xen-release)
	@test -f $(XEN_PKG_IMAGE) || { echo "make deb: no $(XEN_PKG_IMAGE); name an existing \
	    hypervisor image with XEN_PKG_IMAGE=" >&2; exit 1; }
	rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/xen-numastat
	cp -a $(TOP)/debian $(DEB_DIR)/xen-numastat/
	cd $(DEB_DIR)/xen-numastat && XEN_NUMASTAT_SRC=$(TOP) \
	    XEN_PKG_IMAGE=$(abspath $(XEN_PKG_IMAGE)) dpkg-buildpackage -b -us -uc
	lintian --fail-on error --info $(DEB_DIR)/*.deb
	@ls -l $(DEB_DIR)/*.deb
	@touch $(DEB_STAMP)

# The packages the toolstack dom0 installs (qemu-test, demo, stress): made
# by `make deb` unless one is already newer than every file it is built
# from. The Xen image itself cannot be the test (Xen relinks it, with a
# new build date, at every make), its sources can.
DEB_STAMP := $(DEB_DIR)/.stamp
DEB_SOURCES := $(shell find abi hypervisor tools debian -type f 2>/dev/null) build.rs Cargo.toml \
    Cargo.lock CHANGELOG.md LICENSE README.md docs/cli.md scripts/build-xen.sh Makefile
$(DEB_STAMP): $(DEB_SOURCES)
	$(MAKE) --no-print-directory deb
debs: $(DEB_STAMP)

# The packages unpacked into a scratch root: files where expected, the
# binary runs, units and man page pass their checkers.
package-test: deb
	$(TOP)/tools/tests/package-test.sh $(DEB_DIR)

artifacts: xen-stock xen-release xen-debug xen-flask dom0-bins
	$(CARGO) build --quiet --release -p xen-numastat-qemu-tests --bin xen-qemu-boot

demo: artifacts dom0-rootfs debs
	XEN_NUMASTAT_SKIP_MAKE=1 $(TOP)/target/release/xen-qemu-boot --quiet --toolstack \
	    --nodes $(DEMO_NODES) --guest web,256,node:1 --guest db,192,cpus:0 \
	    --run 'xl list -n' --run 'xen-numastat -d all' \
	    --run 'xl dmesg -c >/dev/null; xl debug-keys u; xl dmesg'

fmt-check:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --quiet --workspace --all-targets -- -D warnings

# Host tests: every crate's unit tests, and the CLI binary run on this
# (non-Xen) host for its argument errors and its "not on Xen" exit.
unit-test:
	$(CARGO) test --quiet --workspace --lib --bins
	$(CARGO) test --quiet -p xen-numastat-tools --tests

# The bash and fish completions run as each shell runs them.
completion-test: deps
	$(TOP)/tools/tests/completions.sh

# The machine formats of the host tests, checked by the tools that read
# them: each --prometheus output by promtool check metrics, each --json
# output against tools/xen-numastat.schema.json (python3-jsonschema).
SAMPLES := $(BUILD)/samples
formats-check: deps
	rm -rf $(SAMPLES) && mkdir -p $(SAMPLES)
	XEN_NUMASTAT_SAMPLES=$(SAMPLES) $(CARGO) test --quiet -p xen-numastat-tools --bins
	@n=0; for f in $(SAMPLES)/*.prom; do \
	    promtool check metrics < $$f || { echo "promtool: $$f" >&2; exit 1; }; n=$$((n+1)); \
	done; echo "formats-check: promtool check metrics passed on $$n expositions"
	python3 $(TOP)/tools/tests/check-json.py $(TOP)/tools/xen-numastat.schema.json $(SAMPLES)

# Debian's node_exporter (textfile collector) and prometheus on 127.0.0.1
# serving a rendered exposition; PromQL must return its numbers.
prometheus-e2e: formats-check
	timeout 120 python3 $(TOP)/tools/tests/prometheus-e2e.py $(SAMPLES)

# Xen's code generation contract, checked on both linked patched images.
codegen-check: xen-release xen-debug
	python3 $(TOP)/hypervisor/tests/check-codegen.py --self-test
	for k in release debug; do \
	    python3 $(TOP)/hypervisor/tests/check-codegen.py $(BUILD)/xen-$$k/xen/xen-syms \
	        $(BUILD)/xen-$$k/xen/numastat/numastat-obj/numastat.o $(BUILD)/xen-$$k/xen/.config \
	        || exit 1; \
	done

# Every QEMU suite, each one's wall time printed (scripts/run-qemu-tests.sh);
# the toolstack suite boots the Debian dom0.
qemu-test: artifacts dom0-rootfs debs
	$(TOP)/scripts/run-qemu-tests.sh

test: deps fmt-check clippy unit-test completion-test formats-check prometheus-e2e units-check \
      package-test codegen-check qemu-test

clean:
	rm -rf $(BUILD)/xen-stock $(BUILD)/xen-release $(BUILD)/xen-debug $(BUILD)/rust-xen $(BUILD)/logs
	$(CARGO) clean

# Not in make test: the toolstack races (qemu-tests/tests/toolstack.rs)
# with STRESS_ROUNDS rounds of each (a 1 GiB guest created and destroyed,
# another ballooned down and up) while dom0 queries both modes; prints
# the outcome of every call, counted. 100 rounds took 18 minutes here
# (load average about 2; docs/testing.md). XEN_NUMASTAT_SKIP_MAKE=1 boots
# what is built without make artifacts.
STRESS_ROUNDS ?= 100
stress: $(if $(filter 1,$(XEN_NUMASTAT_SKIP_MAKE)),,artifacts) dom0-rootfs dom0-bins debs
	XEN_NUMASTAT_SKIP_MAKE=1 XEN_NUMASTAT_STRESS_ROUNDS=$(STRESS_ROUNDS) $(CARGO) test --release \
	    -p xen-numastat-qemu-tests --test toolstack -- --test-threads=1 --nocapture \
	    races_with_the_toolstack

# getdomnodestat's cost (counters, walk, 2006 method) against domain size,
# and the allocator's throughput, patched release over stock, under QEMU
# -icount: six boots, prints tables (docs/testing.md). Not part of test.
# BENCH_ARGS picks the part and the boots: `make bench BENCH_ARGS=alloc`
# runs only the allocator's (two boots of each image), `BENCH_ARGS="alloc
# --boots=1"` one of each (about 45 s here). XEN_NUMASTAT_SKIP_MAKE=1
# boots what is built without make artifacts.
BENCH_ARGS ?=
bench: $(if $(filter 1,$(XEN_NUMASTAT_SKIP_MAKE)),,artifacts)
	$(CARGO) build --quiet --release -p xen-numastat-qemu-tests --bin xen-numastat-bench
	XEN_NUMASTAT_SKIP_MAKE=1 $(TOP)/target/release/xen-numastat-bench $(BENCH_ARGS)
