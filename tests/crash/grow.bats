#!/usr/bin/env bats
# Offline grow cut at its Nth write (E4_TEST_FAULT): with --undo, e2undo
# gives the original back bit for bit; without, e2fsck -fy repairs and the
# files are intact; a failing write is reported by block.  The counts are
# printed with the results.
load ../lib
load crash

setup_file() {
	[[ $(id -u) -eq 0 ]] || return 0
	export BASE=$BATS_FILE_TMPDIR/base.img
	mkimg "$BASE" 16M -t ext4 -b 1024 -N 2048
	crash_populate "$BASE"
}

setup() {
	require_root
	BASE=$BATS_FILE_TMPDIR/base.img
}

op() {
	"$E4CTL" resize --quiet ${2:+--undo "$2"} "$1" 64M
}

@test "grow: e2undo restores the image at every cut point" {
	crash_sweep_undo grow 11
}

@test "grow: cut without undo: repaired, files intact" {
	crash_sweep_plain grow 12
}

@test "grow: a failing write is named and never reported as success" {
	crash_sweep_eio grow 13
}
