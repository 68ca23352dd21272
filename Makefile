# The two README commands are `make demo` and `make check`; both install what they need.
SHELL := /bin/bash
export PATH := /opt/swift/usr/bin:$(PATH)

.PHONY: check demo test test-build build check-warnings clean install release system-test man bench fuzz fuzz-smoke soak deb deb-check

build:
	@bash .ci/setup build
	swift build 2>&1 | tee .build-log.txt
	@$(MAKE) --no-print-directory check-warnings

# Fails when our own code (not a dependency's) produced a compiler warning.
check-warnings:
	@if grep -E '/(Sources|Tests)/[^ ]*: warning:' .build-log.txt | grep -v '/.build' ; then \
	  echo "error: warnings in dosecab sources (see above)"; exit 1; fi

# The README's test command, and CI's (.ci/run): the unit, component and process tests, then
# the release build, then the system tests in a qemu guest (docs/system-tests.md) with the
# fuzz smoke (docs/reliability.md) beside them on the other core. Tests/check.sh says which
# tier failed.
check:
	bash Tests/check.sh

# Tests/store-writes.sh first: no test or benchmark writes into the store behind the daemon's back
# (issue 17.5). Then the unit, component and process tests only (the quick loop while developing), in one
# `swift test` run with one test at a time. In parallel on a 2-core machine (a cooperative pool
# two threads wide) the blocking tests (process tests waiting for child processes, store tests
# in fsync) held both pool threads while socket-timing tests waited for theirs; serially no test
# can starve another, and the whole run costs about 10 s more than the parallel one did.
# `make check` runs the two halves itself, with the release build beside the test run.
test: test-build
	swift test --skip-build --no-parallel

test-build:
	@bash .ci/setup test
	swift build --build-tests 2>&1 | tee .build-log.txt; test $${PIPESTATUS[0]} -eq 0
	@$(MAKE) --no-print-directory check-warnings
	bash Tests/store-writes.sh

demo:
	@bash .ci/setup build
	swift build
	.build/debug/dosecabd --simulate

clean:
	rm -rf .build .dosecab-sim .build-log.txt .build-deb

# Installs what docs/install.md lists; DESTDIR for images (the system-test guest uses it).
PREFIX ?= /usr
install:
	install -D -m 0755 .build/release/dosecabd $(DESTDIR)$(PREFIX)/bin/dosecabd
	install -D -m 0755 .build/release/dosecabctl $(DESTDIR)$(PREFIX)/bin/dosecabctl
	install -D -m 0644 systemd/dosecabd.service $(DESTDIR)$(PREFIX)/lib/systemd/system/dosecabd.service
	install -D -m 0644 systemd/dosecabd.socket $(DESTDIR)$(PREFIX)/lib/systemd/system/dosecabd.socket
	install -D -m 0644 systemd/dosecab.sysusers $(DESTDIR)$(PREFIX)/lib/sysusers.d/dosecab.conf
	install -D -m 0644 systemd/dosecab.tmpfiles $(DESTDIR)$(PREFIX)/lib/tmpfiles.d/dosecab.conf
	install -D -m 0644 systemd/60-dosecab-gpio.rules $(DESTDIR)$(PREFIX)/lib/udev/rules.d/60-dosecab-gpio.rules
	install -D -m 0644 systemd/dosecab.catalog $(DESTDIR)$(PREFIX)/lib/systemd/catalog/dosecab.catalog
	install -d -m 0755 $(DESTDIR)/etc/dosecab $(DESTDIR)/etc/dosecab/prescribers
	test -e $(DESTDIR)/etc/dosecab/pinmap.toml || install -m 0644 hardware/pinmap.toml $(DESTDIR)/etc/dosecab/pinmap.toml
	test -e $(DESTDIR)/etc/dosecab/dosecab.toml || install -m 0644 docs/examples/dosecab.toml $(DESTDIR)/etc/dosecab/dosecab.toml
	install -D -m 0644 docs/man/dosecabd.1 $(DESTDIR)$(PREFIX)/share/man/man1/dosecabd.1
	install -D -m 0644 docs/man/dosecabctl.1 $(DESTDIR)$(PREFIX)/share/man/man1/dosecabctl.1
	install -D -m 0644 docs/man/dosecabctl.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/dosecabctl
# Where the catalog's and the units' Documentation= point (file:///usr/share/doc/dosecab/journal.md).
	install -d -m 0755 $(DESTDIR)$(PREFIX)/share/doc/dosecab
	install -m 0644 docs/*.md $(DESTDIR)$(PREFIX)/share/doc/dosecab/

# RELEASE_SCRATCH: make check builds the release binaries in a folder of their own while the
# debug tests run (SwiftPM locks its build folder for the whole of `swift test`).
RELEASE_SCRATCH ?= .build
release:
	@bash .ci/setup build
	swift build -c release --static-swift-stdlib --scratch-path $(RELEASE_SCRATCH)

# Issue 21.2, docs/packaging.md: dosecab_VERSION_ARCH.deb for Debian 12 (libgpiod 1.6), and its
# -dbgsym package, around the release binaries just built (in RELEASE_SCRATCH when set). The
# package build runs in .build-deb; the two .deb files land in this folder.
deb: release
	@bash .ci/setup deb
	bash debian/build-deb.sh $(RELEASE_SCRATCH)/release $(RELEASE_SCRATCH)/checkouts

# Checks a built package's layout, conffiles, Depends and lintian errors; builds nothing.
# DEB=path/to/dosecab_VERSION_ARCH.deb (default: the newest dosecab_*.deb here). Not part of
# `make check`.
DEB ?=
deb-check:
	@bash .ci/setup deb
	bash Tests/deb-check.sh $(DEB)

# The real-kernel tier: a Debian guest under qemu with systemd, journald and gpio-sim.
# Strict by default: every bug listed under "Found" in docs/system-tests.md is fixed, so a
# scenario that runs into one again is a regression and fails the run.
system-test: release
	DOSECAB_SYSTEST_STRICT=$${DOSECAB_SYSTEST_STRICT:-1} DOSECAB_BIN_DIR=$(CURDIR)/$(RELEASE_SCRATCH)/release bash Tests/System/run.sh

# Regenerates the manual pages and shell completions from the programs' own help.
man: build
	bash docs/man/generate.sh .build/debug

# Benchmarks (issue 8): prints the figures table and writes JSON; docs/performance.md.
bench:
	bash Tests/Benchmarks/run.sh

# Fuzzing (issue 10, docs/reliability.md): builds every libFuzzer target with AddressSanitizer
# and runs each for FUZZ_SECONDS; fails naming the target on a crash, an ASan report, a timeout
# or a broken property. fuzz-smoke is the short run for CI: under 2 minutes once built; the
# cold ASan build takes 4 to 9 minutes on a 2-core machine (docs/reliability.md).
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 15
# The smoke builds unoptimised: it replays the seeds and explores for seconds, so a cheaper
# build (it shares two cores with the guest) matters more than executions per second.
FUZZ_SMOKE_CONFIG ?= debug
fuzz:
	@bash .ci/setup build
	bash Tests/Fuzz/run.sh $(FUZZ_SECONDS)

fuzz-smoke:
	@bash .ci/setup build
	FUZZ_CONFIG=$(FUZZ_SMOKE_CONFIG) bash Tests/Fuzz/run.sh $(FUZZ_SMOKE_SECONDS)

soak: build
	bash Tests/Fuzz/soak.sh
