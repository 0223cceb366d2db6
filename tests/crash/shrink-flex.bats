#!/usr/bin/env bats
# Offline shrink cut at its Nth write, as tests/crash/shrink.bats, on a
# layout where one flex group spans the kept groups and the removed ones:
# the inode tables of the removed groups lie in group 0, which stays.
# Until the journal transaction commits, those tables hold the inodes
# that every directory names; a moved block written into them before the
# commit would lose files at a cut (it did: the files of the renumbered
# inodes, at 23 of 30 cuts).  Inodes are allocated past the kept groups
# by filling the first ones and deleting some, so inodes are renumbered.
load ../lib
load crash
load shrink

setup_file() {
	[[ $(id -u) -eq 0 ]] || return 0
	# 8 groups of 1 MiB, of which 6 stay (6000 blocks of 1k); one flex
	# group holds the metadata of all 8 in group 0.
	export SHRINK_TO=6000
	export BASE=$BATS_FILE_TMPDIR/base.img
	mkimg "$BASE" 8M -t ext4 -b 1024 -g 1024 -G 8 -N 1024
	spread "$BASE"
	thin_fill "$BASE" 600 200 1500000
	crash_populate "$BASE"
}

setup() {
	require_root
	BASE=$BATS_FILE_TMPDIR/base.img
}

@test "shrink, flex_bg across the new end: the image moves blocks and renumbers inodes" {
	shrink_moves_and_renumbers "shrink-flex 8 MiB -> 6000 KiB"
	# the removed groups' inode tables lie before the new end
	[ "$(dumpe2fs "$BASE" 2>/dev/null | awk '/^Group 7:/ { g = 1 } g && /Inode table at/ { split($4, a, "-"); print a[1]; exit }')" -lt "$SHRINK_TO" ]
}

@test "shrink, flex_bg across the new end: e2undo restores the image at every cut point" {
	crash_sweep_undo shrink-flex 31
}

@test "shrink, flex_bg across the new end: cut without undo: repaired, files intact, lost+found empty" {
	shrink_sweep_plain shrink-flex 32
}

@test "shrink, flex_bg across the new end: a cut right after the commit is replayed by e2fsck" {
	shrink_commit_replayed shrink-flex
}

@test "shrink, flex_bg across the new end: a failing write is named and never reported as success" {
	crash_sweep_eio shrink-flex 33
}
