#!/usr/bin/env bats
# The Makefile's order under make -j: `make check` and `make demo` install
# the packages (deps) before anything is compiled, and check builds the
# benchmarks that need no setup.  Run on a stand-in tree with the real
# Makefile: a deps that takes a while and a compiler that refuses to run
# before deps has finished.

ROOT=$BATS_TEST_DIRNAME/../..

setup() {
	T=$BATS_TEST_TMPDIR/tree
	mkdir -p "$T/lib" "$T/cmd" "$T/bench" "$T/scripts" "$T/tests/unit" "$T/include"
	cp "$ROOT/Makefile" "$ROOT/VERSION" "$T/"
	printf 'int e4_stub(void);\nint e4_stub(void) { return 0; }\n' >"$T/lib/stub.c"
	printf 'int main(void) { return 0; }\n' >"$T/cmd/main.c"
	printf 'int main(void) { return 0; }\n' >"$T/bench/gdt.c"
	printf 'int main(void) { return 0; }\n' >"$T/bench/inline_scan.c"
	MARK=$BATS_TEST_TMPDIR/deps-done
	# deps: slow enough that a compile started beside it runs first
	printf '#!/bin/sh\nsleep 1\ntouch "%s"\n' "$MARK" >"$T/scripts/deps"
	printf '#!/bin/sh\necho "tests ran"\n' >"$T/tests/run"
	printf '#!/bin/sh\necho "demo ran"\n' >"$T/scripts/demo"
	printf '#!/bin/sh\n[ -e "%s" ] || { echo "cc before deps" >&2; exit 1; }\nexec cc "$@"\n' \
		"$MARK" >"$BATS_TEST_TMPDIR/cc"
	chmod +x "$T/scripts/deps" "$T/tests/run" "$T/scripts/demo" "$BATS_TEST_TMPDIR/cc"
}

@test "make -j check: deps before the first compile, bench/gdt built, then the tests" {
	run make -C "$T" -j8 BUILD="$T/b" CC="$BATS_TEST_TMPDIR/cc" check
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output != *"cc before deps"* ]]
	[[ $output == *"tests ran"* ]]
	[ -x "$T/b/e4ctl" ]
	[ -x "$T/b/bench/gdt" ]
}

@test "make -j demo: deps before the first compile" {
	run make -C "$T" -j8 BUILD="$T/b" CC="$BATS_TEST_TMPDIR/cc" demo
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output != *"cc before deps"* ]]
	[[ $output == *"demo ran"* ]]
	[ -x "$T/b/e4ctl" ]
}
