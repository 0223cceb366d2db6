#!/usr/bin/env bats
# Offline shrink cut at its Nth write, as tests/crash/shrink.bats, on a
# sparse_super2 filesystem whose second backup moves: 8 groups with
# backups in groups 1 and 7, shrunk to 6 groups, so the backup goes to
# group 5, whose first blocks (superblock, descriptor and 256 reserved
# GDT blocks to be) hold file data.  The mover copies that data away
# before the commit; the blocks become the backup only in the commit, so
# a cut before it must leave the old filesystem and its files as they were.
load ../lib
load crash
load shrink

setup_file() {
	[[ $(id -u) -eq 0 ]] || return 0
	# 1k blocks, 1 MiB groups; the new last group 5 starts at 5121.
	export SHRINK_TO=5721 GAIN_FIRST=5121 GAIN_LEN=258
	export BASE=$BATS_FILE_TMPDIR/base.img
	mkimg "$BASE" 8M -t ext4 -b 1024 -g 1024 -N 1024 -O sparse_super2
	on_image "$BASE" '
		for i in $(seq 1 10); do
			mkdir "t$i"
			head -c 300000 /dev/urandom >"t$i/big"
			echo "$i" >"t$i/s"
		done
	'
	crash_populate "$BASE"
}

setup() {
	require_root
	BASE=$BATS_FILE_TMPDIR/base.img
}

@test "shrink, sparse_super2: the new last group's backup lands on file data, which moves" {
	local used moved
	[ "$(dumpe2fs_field "$BASE" 'Backup block groups' | xargs)" = "1 7" ]
	used=$(debugfs -R "testb $GAIN_FIRST $GAIN_LEN" "$BASE" 2>/dev/null | grep -c 'marked in use')
	moved=$(plan_field 'Blocks to move')
	crash_note "shrink-sparse2 8 MiB -> $SHRINK_TO blocks: $used of the $GAIN_LEN blocks of the new backup in use, $moved blocks to move"
	[ "$used" -gt 100 ]
	local w=$BATS_TEST_TMPDIR/w.img
	cp --sparse=always "$BASE" "$w"
	op "$w"
	e2fsck -fn "$w"
	[ "$(dumpe2fs_field "$w" 'Backup block groups' | xargs)" = "1 5" ]
	[ "$(dumpe2fs "$w" 2>/dev/null | sed -n 's/^  Backup superblock at \([0-9]*\),.*/\1/p' | tail -1)" = "$GAIN_FIRST" ]
}

@test "shrink, sparse_super2: e2undo restores the image at every cut point" {
	crash_sweep_undo shrink-sparse2 41
}

@test "shrink, sparse_super2: cut without undo: repaired, files intact, lost+found empty" {
	shrink_sweep_plain shrink-sparse2 42
}

@test "shrink, sparse_super2: a cut right after the commit is replayed by e2fsck" {
	shrink_commit_replayed shrink-sparse2
}

@test "shrink, sparse_super2: a failing write is named and never reported as success" {
	crash_sweep_eio shrink-sparse2 43
}
