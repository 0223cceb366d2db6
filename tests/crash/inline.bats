#!/usr/bin/env bats
# inline convert and inline convert --disable-feature cut at their Nth
# write (E4_TEST_FAULT): with --undo, e2undo gives the original back bit
# for bit; without, e2fsck -fy repairs and the files are intact; a failing
# write is reported by block.  The counts are printed with the results.
load ../lib
load crash

setup_file() {
	[[ $(id -u) -eq 0 ]] || return 0
	export BASE=$BATS_FILE_TMPDIR/base.img
	mkimg "$BASE" 16M -t ext4 -b 1024 -N 2048 -I 256 -O inline_data
	crash_populate "$BASE"
}

setup() {
	require_root
	BASE=$BATS_FILE_TMPDIR/base.img
}

convert() {
	"$E4CTL" inline convert --all ${2:+--undo "$2"} "$1"
}

disable() {
	"$E4CTL" inline convert --all --disable-feature ${2:+--undo "$2"} "$1"
}

@test "inline convert: e2undo restores the image at every cut point" {
	op() { convert "$@"; }
	crash_sweep_undo "inline convert" 21
}

@test "inline convert: cut without undo: repaired, files intact" {
	op() { convert "$@"; }
	crash_sweep_plain "inline convert" 22
}

@test "inline convert: a failing write is named and never reported as success" {
	op() { convert "$@"; }
	crash_sweep_eio "inline convert" 23
}

@test "inline --disable-feature: e2undo restores the image at every cut point" {
	op() { disable "$@"; }
	crash_sweep_undo "inline --disable-feature" 31
}

@test "inline --disable-feature: cut without undo: repaired, files intact" {
	op() { disable "$@"; }
	crash_sweep_plain "inline --disable-feature" 32
}

@test "inline --disable-feature: a failing write is named and never reported as success" {
	op() { disable "$@"; }
	crash_sweep_eio "inline --disable-feature" 33
}
