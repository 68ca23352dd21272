# The two README commands are `make demo` and `make test`; both install what they need.
SHELL := /bin/bash
export PATH := /opt/swift/usr/bin:$(PATH)

.PHONY: demo test build check-warnings clean

build:
	@bash .ci/setup build
	swift build 2>&1 | tee .build-log.txt
	@$(MAKE) --no-print-directory check-warnings

# Fails when our own code (not a dependency's) produced a compiler warning.
check-warnings:
	@if grep -E '/(Sources|Tests)/[^ ]*: warning:' .build-log.txt | grep -v '/.build' ; then \
	  echo "error: warnings in dosecab sources (see above)"; exit 1; fi

test:
	@bash .ci/setup test
	swift build --build-tests 2>&1 | tee .build-log.txt; test $${PIPESTATUS[0]} -eq 0
	@$(MAKE) --no-print-directory check-warnings
	swift test --skip-build

demo:
	@bash .ci/setup build
	swift build
	.build/debug/dosecabd --simulate

clean:
	rm -rf .build .dosecab-sim .build-log.txt
