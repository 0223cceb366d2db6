#!/usr/bin/env bats
# Offline shrink of a bigalloc filesystem (1k blocks, 4k clusters) cut at
# its Nth write, as tests/crash/shrink.bats.  Whole clusters move, and
# flex_bg packs the bitmaps and inode tables of several groups into
# shared clusters: the removed groups' bitmaps share a cluster with kept
# groups' metadata, which must stay in use after the commit, and must not
# receive moved clusters before it.
load ../lib
load crash
load shrink

setup_file() {
	[[ $(id -u) -eq 0 ]] || return 0
	# 8 groups of 4096 blocks, of which 6 stay (24000 blocks, a whole
	# number of clusters); one flex group holds all their metadata.
	export SHRINK_TO=24000
	export BASE=$BATS_FILE_TMPDIR/base.img
	mkimg "$BASE" 32M -t ext4 -b 1024 -C 4096 -g 1024 -G 8 -N 1024 -O bigalloc
	spread "$BASE"
	thin_fill "$BASE" 850 400 12000000
	crash_populate "$BASE"
}

setup() {
	require_root
	BASE=$BATS_FILE_TMPDIR/base.img
}

@test "shrink, bigalloc: the image moves clusters and renumbers inodes" {
	shrink_moves_and_renumbers "shrink-bigalloc 32 MiB -> 24000 KiB"
	# a removed group's block bitmap shares its cluster with a kept group's
	local bb5 bb6
	bb5=$(dumpe2fs "$BASE" 2>/dev/null | awk '/^Group 5:/ { g = 1 } g && /Block bitmap at/ { print $4; exit }')
	bb6=$(dumpe2fs "$BASE" 2>/dev/null | awk '/^Group 6:/ { g = 1 } g && /Block bitmap at/ { print $4; exit }')
	[ $((bb5 / 4)) -eq $((bb6 / 4)) ]
}

@test "shrink, bigalloc: e2undo restores the image at every cut point" {
	crash_sweep_undo shrink-bigalloc 41
}

@test "shrink, bigalloc: cut without undo: repaired, files intact, lost+found empty" {
	shrink_sweep_plain shrink-bigalloc 42
}

@test "shrink, bigalloc: a cut right after the commit is replayed by e2fsck" {
	shrink_commit_replayed shrink-bigalloc
}

@test "shrink, bigalloc: a failing write is named and never reported as success" {
	crash_sweep_eio shrink-bigalloc 43
}
