#!/usr/bin/env bats
# Offline shrink cut at its Nth write, as tests/crash/shrink.bats, on a
# layout where the new end cuts through the metadata that flex_bg put at
# the start of the last kept group: group 4 stays (its first 3 blocks),
# but its inode bitmap and inode table lie past the new end, so the
# shrink relocates them before the end.  The copies are written into
# blocks free in the old geometry after the last inode write outside the
# journal transaction; the descriptors name them only in the transaction.
# Inodes are allocated past the kept groups (the Orlov allocator spreads
# the top-level directories over both flex groups), so inodes are
# renumbered into group 4's relocated table too.
load ../lib
load crash
load shrink

setup_file() {
	[[ $(id -u) -eq 0 ]] || return 0
	# 8 groups of 1 MiB, flex groups of 4: groups 4-7 keep their
	# bitmaps at 4097-4104 and inode tables from 4105 on.
	export SHRINK_TO=4100
	export BASE=$BATS_FILE_TMPDIR/base.img
	mkimg "$BASE" 8M -t ext4 -b 1024 -g 1024 -G 4 -N 1024
	spread "$BASE"
	thin_fill "$BASE" 500 200
	crash_populate "$BASE"
}

setup() {
	require_root
	BASE=$BATS_FILE_TMPDIR/base.img
}

# The inode table of group 4 starts past SHRINK_TO in BASE.
itable_of_group4() {
	dumpe2fs "$1" 2>/dev/null |
		awk '/^Group 4:/ { g = 1 } g && /Inode table at/ { split($4, a, "-"); print a[1]; exit }'
}

@test "shrink, relocated metadata: the image moves blocks, renumbers inodes and relocates group 4's inode table" {
	shrink_moves_and_renumbers "shrink-reloc 8 MiB -> 4100 KiB"
	[ "$(itable_of_group4 "$BASE")" -ge "$SHRINK_TO" ]
	local w=$BATS_TEST_TMPDIR/w.img
	cp --sparse=always "$BASE" "$w"
	op "$w"
	e2fsck -fn "$w"
	[ "$(itable_of_group4 "$w")" -lt "$SHRINK_TO" ]
	crash_manifest "$BASE" >"$BATS_TEST_TMPDIR/m0"
	crash_manifest "$w" >"$BATS_TEST_TMPDIR/m1"
	cmp "$BATS_TEST_TMPDIR/m0" "$BATS_TEST_TMPDIR/m1"
}

@test "shrink, relocated metadata: e2undo restores the image at every cut point" {
	crash_sweep_undo shrink-reloc 41
}

@test "shrink, relocated metadata: cut without undo: repaired, files intact, lost+found empty" {
	shrink_sweep_plain shrink-reloc 42
}

@test "shrink, relocated metadata: a cut right after the commit is replayed by e2fsck" {
	shrink_commit_replayed shrink-reloc
}

@test "shrink, relocated metadata: every cut from the journal commit to the end: replayed, files intact, lost+found empty" {
	shrink_sweep_checkpoint shrink-reloc-checkpoint
}

@test "shrink, relocated metadata: a failing write is named and never reported as success" {
	crash_sweep_eio shrink-reloc 43
}

# reloc_first: the first write of the relocation copy (the steps run in
# order: block maps are rewritten before the relocation copy; the trim of
# the resize inode's lists and the journal come after it).
reloc_first() {
	first_write_named 'while copying the (inode table|inode bitmap|block bitmap) of group|resize inode|journal|new geometry' \
		'while copying the inode table of group 4'
}

@test "shrink, relocated metadata: every cut from the relocation copy into the journal transaction: repaired, files intact" {
	local first
	first=$(reloc_first)
	crash_note "shrink-reloc: the relocation copy starts at write $first"
	shrink_sweep_plain shrink-reloc-copy 0 $(seq "$((first - 2))" "$((first + 12))")
}
