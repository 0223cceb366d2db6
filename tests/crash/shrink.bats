#!/usr/bin/env bats
# Offline shrink cut at its Nth write (E4_TEST_FAULT): with --undo, e2undo
# gives the original back bit for bit; without, e2fsck -fy repairs and the
# files are intact; a failing write is reported by block.  The image has
# small groups and files in directories spread over them by the kernel, so
# the shrink moves blocks AND renumbers inodes (asserted).  The counts are
# printed with the results.
load ../lib
load crash
load shrink

setup_file() {
	[[ $(id -u) -eq 0 ]] || return 0
	export SHRINK_TO=4096
	export BASE=$BATS_FILE_TMPDIR/base.img
	# 1k blocks, 1 MiB groups: 8 groups, of which the shrink to 4 MiB
	# removes 4; flex groups of 2, so that the Orlov allocator spreads
	# the top-level directories over 4 flex groups, not one.
	mkimg "$BASE" 8M -t ext4 -b 1024 -g 1024 -G 2 -N 1024
	spread "$BASE"
	crash_populate "$BASE"
}

setup() {
	require_root
	BASE=$BATS_FILE_TMPDIR/base.img
}

@test "shrink: the image moves blocks and renumbers inodes" {
	shrink_moves_and_renumbers "shrink 8 MiB -> 4 MiB"
}

@test "shrink: e2undo restores the image at every cut point" {
	crash_sweep_undo shrink 21
}

@test "shrink: cut without undo: repaired, files intact, lost+found empty" {
	shrink_sweep_plain shrink 22
}

@test "shrink: a cut right after the journal transaction's commit is replayed by e2fsck" {
	shrink_commit_replayed shrink
}

@test "shrink: every cut from the journal commit to the end: replayed, files intact, lost+found empty" {
	shrink_sweep_checkpoint shrink-checkpoint
}

@test "shrink: a failing write is named and never reported as success" {
	crash_sweep_eio shrink 23
}

@test "shrink: every cut while the resize inode's lists lose the removed groups: repaired, files intact" {
	local first
	first=$(first_write_named 'resize inode|journal|new geometry' \
		"while trimming the resize inode's backup lists")
	crash_note "shrink: the resize inode's lists are trimmed from write $first"
	shrink_sweep_plain shrink-trim 0 $(seq "$((first - 1))" "$((first + 6))")
}
