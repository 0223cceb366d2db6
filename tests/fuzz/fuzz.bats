#!/usr/bin/env bats
# The libFuzzer harnesses (tests/fuzz/fuzz_*.c): every seed of
# tests/fuzz/corpus/<h> and every input kept in tests/fuzz/regress/<h> (a
# crash found once, fixed since) runs clean under ASan/UBSan and leak
# detection, then each harness mutates for a fixed number of runs from a
# fixed seed.  `make fuzz` fuzzes for longer; see HACKING.md.

load ../lib

# Mutations per harness: an image input costs a whole open of a
# filesystem, a text input microseconds.
runs() {
	case $1 in
	image | inline | check | cgroup) echo "${E4_FUZZ_RUNS:-300}" ;;
	*) echo "${E4_FUZZ_RUNS:-5000}" ;;
	esac
}

setup_file() {
	local root=$BATS_TEST_DIRNAME/../..
	export FUZZ_BUILD=${E4_BUILD:-$root/build}
	# Up to date after `make check`; bats alone builds what is missing.
	make -s -C "$root" BUILD="$FUZZ_BUILD" fuzz-build >&2
}

fuzz() {
	BUILD=$FUZZ_BUILD "$BATS_TEST_DIRNAME/run" "$@"
}

check_harness() {
	local n
	n=$(runs "$1")
	run fuzz replay "$1"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == "fuzz_$1: replayed "* ]]
	run fuzz brief "$n" "$1"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "fuzz_$1: $n runs" ]
}

@test "every harness has seeds and a test here" {
	local f h
	for f in "$BATS_TEST_DIRNAME"/fuzz_*.c; do
		h=${f##*/fuzz_}
		h=${h%.c}
		[[ $h == util ]] && continue
		compgen -G "$BATS_TEST_DIRNAME/corpus/$h/*" >/dev/null ||
			{ echo "no seeds for $h"; return 1; }
		grep -q "^@test \"fuzz_$h:" "$BATS_TEST_FILENAME" ||
			{ echo "no test for $h"; return 1; }
	done
}

@test "a harness that fails fails the run" {
	# The runner must not swallow a harness's exit status.
	mkdir -p "$BATS_TEST_TMPDIR/fuzz"
	printf '#!/bin/sh\necho "==1==ERROR: AddressSanitizer: on purpose"\nexit 1\n' \
		>"$BATS_TEST_TMPDIR/fuzz/fuzz_size"
	chmod +x "$BATS_TEST_TMPDIR/fuzz/fuzz_size"
	run env BUILD="$BATS_TEST_TMPDIR" "$BATS_TEST_DIRNAME/run" replay size
	[ "$status" -eq 1 ]
	[[ $output == *"on purpose"*"fuzz_size: FAILED replaying" ]]
	run env BUILD="$BATS_TEST_TMPDIR" "$BATS_TEST_DIRNAME/run" brief 10 size
	[ "$status" -eq 1 ]
	[[ $output == *"on purpose"*"fuzz_size: FAILED; the input is in "* ]]
}

@test "fuzz_image: superblock, descriptors, resize facts and plans" {
	check_harness image
}

@test "fuzz_inline: the inode scan of inline list" {
	check_harness inline
}

@test "fuzz_check: the bitmap audit" {
	check_harness check
}

@test "fuzz_wb_stats: wb_stats and stats" {
	check_harness wb_stats
}

@test "fuzz_trace: format, header_page and trace pages" {
	check_harness trace
}

@test "fuzz_cgroup: /proc/cgroups, /proc/self/cgroup and the cgroup stat files" {
	check_harness cgroup
}

@test "fuzz_delalloc: sysfs counters, device link and FIEMAP fold" {
	check_harness delalloc
}

@test "fuzz_size: SIZE" {
	check_harness size
}
