#!/usr/bin/env bats
# Offline shrink cut at its Nth write, as tests/crash/shrink.bats, on an
# ea_inode filesystem whose EA inodes the shrink renumbers.  The entries
# naming them are rewritten in the journal transaction of the commit:
# before it, the old EA inodes must stay the ones named, after it the new.
# The image has every kind of holder: inodes in kept groups naming an EA
# inode in a removed group from their body (rewritten in place) and from
# one xattr block they share (not moving: rewritten in place, once);
# inodes in removed groups naming EA inodes from their body, one EA inode
# from two bodies, and from a shared xattr block that moves.  The kept
# holders are made first, then empty files take every free inode; those
# past the kept groups are removed again, so that what follows (EA inodes
# included) can only land in the removed groups, wherever the kernel's
# allocator (Orlov, random for the top directories spread made) would
# have put it; the empty files in the kept groups are removed at the end.
load ../lib
load crash
load shrink

setup_file() {
	[[ $(id -u) -eq 0 ]] || return 0
	# 8 groups of 1 MiB and 128 inodes, of which 4 stay (512 inodes).
	export SHRINK_TO=4096
	export BASE=$BATS_FILE_TMPDIR/base.img
	mkimg "$BASE" 8M -t ext4 -b 1024 -g 1024 -G 2 -N 1024 -I 256 -O ea_inode
	spread "$BASE"
	on_image "$BASE" '
		val() { printf "%0${2}d" "$1"; }
		for f in k-body k-block-0 k-block-1; do : >"$f"; done
		# every free inode, as many as there are (the loop ends at ENOSPC)
		for i in $(seq 1 1024); do : 2>/dev/null >"hold-$i" || break; done
		for f in hold-*; do
			[ "$(stat -c %i "$f")" -le 512 ] || rm -f "$f"
		done
		for f in r-body r-shared-0 r-shared-1 r-block-0 r-block-1; do
			: >"$f"
		done
		setfattr -n user.large -v "$(val 1 3000)" k-body
		setfattr -n user.large -v "$(val 3 2500)" r-body
		# a 48-byte value fills the body: the next ones go to a block,
		# one block for each identical pair
		for i in 0 1; do
			setfattr -n user.pad -v "$(val 5 48)" "k-block-$i"
			setfattr -n user.large -v "$(val 2 4000)" "k-block-$i"
			setfattr -n user.pad -v "$(val 6 48)" "r-block-$i"
			setfattr -n user.large -v "$(val 4 1500)" "r-block-$i"
			setfattr -n user.large -v "$(val 7 2100)" "r-shared-$i"
		done
		rm -f hold-*
	'
	# e2fsck -fy in crash_populate also sets the shared blocks' EA inode
	# reference counts to what e2fsck counts (one per block; the kernel
	# counted one per inode).
	crash_populate "$BASE"
}

setup() {
	require_root
	BASE=$BATS_FILE_TMPDIR/base.img
}

# ea_refs IMG: "FILE ino|block N EA-INODE" for each xattr entry of the
# holders naming an EA inode: the holder's inode number, or its xattr
# block's number.
ea_refs() {
	local f ino acl
	for f in k-body k-block-0 k-block-1 r-body r-shared-0 r-shared-1 r-block-0 r-block-1; do
		ino=$(debugfs -R "stat /$f" "$1" 2>/dev/null | sed -n 's/^Inode: \([0-9]*\).*/\1/p')
		debugfs -R "inode_dump -x /$f" "$1" 2>/dev/null |
			sed -n "s|.*value_inum = \([1-9][0-9]*\),.*|$f ino $ino \1|p"
		acl=$(debugfs -R "stat /$f" "$1" 2>/dev/null | sed -n 's/^File ACL: \([0-9]*\).*/\1/p')
		[[ ${acl:-0} == 0 ]] ||
			debugfs -R "block_dump -x $acl" "$1" 2>/dev/null |
			sed -n "s|.*value_inum = \([1-9][0-9]*\),.*|$f block $acl \1|p"
	done
}

op() {
	"$E4CTL" resize --quiet ${2:+--undo "$2"} "$1" "$SHRINK_TO"
}

@test "shrink, ea_inode: the image renumbers EA inodes named from kept and removed holders, bodies and blocks" {
	shrink_moves_and_renumbers "shrink-eainode 8 MiB -> 4 MiB"
	local refs=$BATS_TEST_TMPDIR/refs w=$BATS_TEST_TMPDIR/done.img
	ea_refs "$BASE" >"$refs"
	crash_note "before: $(awk '{ printf "%s %s %s -> %s; ", $1, $2, $3, $4 }' "$refs")"
	# every EA inode named lies in a removed group (past 512)
	[ "$(wc -l <"$refs")" -eq 8 ]
	[ "$(awk '$4 <= 512' "$refs" | wc -l)" -eq 0 ]
	# kept holders: a body, and a shared block before the new end
	[ "$(awk '$2 == "ino" && $3 <= 512' "$refs" | wc -l)" -eq 1 ]
	[ "$(awk '$1 ~ /^k-block/ && $2 == "block" && $3 < 4096' "$refs" | sort -u -k3,3 | wc -l)" -eq 1 ]
	# removed holders: bodies (two naming one EA inode), a shared block past it
	[ "$(awk '$2 == "ino" && $3 > 512' "$refs" | wc -l)" -eq 3 ]
	[ "$(awk '$1 ~ /^r-shared/ { print $4 }' "$refs" | sort -u | wc -l)" -eq 1 ]
	[ "$(awk '$1 ~ /^r-block/ && $2 == "block" && $3 >= 4096' "$refs" | sort -u -k3,3 | wc -l)" -eq 1 ]
	# and the finished shrink names EA inodes inside the new filesystem
	cp --sparse=always "$BASE" "$w"
	op "$w"
	e2fsck -fn "$w"
	ea_refs "$w" >"$refs.after"
	crash_note "after: $(awk '{ printf "%s %s %s -> %s; ", $1, $2, $3, $4 }' "$refs.after")"
	[ "$(wc -l <"$refs.after")" -eq 8 ]
	[ "$(awk '$4 > 512' "$refs.after" | wc -l)" -eq 0 ]
	crash_manifest "$BASE" >"$BATS_TEST_TMPDIR/m0"
	crash_manifest "$w" >"$BATS_TEST_TMPDIR/m1"
	cmp "$BATS_TEST_TMPDIR/m0" "$BATS_TEST_TMPDIR/m1"
	grep -q '^user.large=' "$BATS_TEST_TMPDIR/m0"
}

@test "shrink, ea_inode: e2undo restores the image at every cut point" {
	crash_sweep_undo shrink-eainode 41
}

@test "shrink, ea_inode: cut without undo: repaired, files and xattrs intact, lost+found empty" {
	shrink_sweep_plain shrink-eainode 42
}

@test "shrink, ea_inode: a cut right after the commit is replayed by e2fsck" {
	shrink_commit_replayed shrink-eainode
}

@test "shrink, ea_inode: a failing write is named and never reported as success" {
	crash_sweep_eio shrink-eainode 43
}
