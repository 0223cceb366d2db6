#!/usr/bin/env bats
# e4ctl resize shrinking unmounted images: blocks past the new end moved,
# inodes of removed groups renumbered, the exact minimum (-P/-M), and the
# refusals.  Every step is followed by e2fsck -fn and a manifest of every
# file (type, size, mode, link count, symlink target, mtime, content hash,
# xattrs) compared with the one taken before, on a read-only loop mount.
bats_require_minimum_version 1.5.0
load ../lib

setup() {
	require_root
	IMG=$BATS_TEST_TMPDIR/fs.img
	MNT=$BATS_TEST_TMPDIR/mnt
	mkdir -p "$MNT"
}

teardown() {
	e4_teardown
}

# Wait until the loop device of a mount made with -o loop is gone, so
# that e4ctl does not find the image busy.
detached() {
	local i
	for i in $(seq 600); do
		[ -z "$(losetup -j "$1")" ] && return 0
		sleep 0.1
	done
	return 1
}

manifest() {
	(cd "$1" && find . -printf '%p %y %s %m %n %l %T@\n' | sort &&
		find . -type f -exec md5sum {} + | sort -k2 &&
		{ getfattr -R -d -m - --absolute-names . 2>/dev/null || true; })
}

# populate IMG NFILES KIB: files of 1..KIB KiB in NFILES top-level
# directories (the Orlov allocator spreads them over the groups), a
# subdirectory each, hard links across directories, fast and slow
# symlinks, a 500-entry htree directory, xattrs in the inode and in a
# block shared by two files.
populate() {
	local img=$1 n=$2 kib=$3 i
	mount_img "$img" "$MNT"
	for i in $(seq "$n"); do
		mkdir -p "$MNT/d$i/sub"
		dd if=/dev/urandom of="$MNT/d$i/f" bs=1k count=$(((i * 37) % kib + 1)) status=none
		echo "small $i" >"$MNT/d$i/sub/s"
		ln "$MNT/d$i/sub/s" "$MNT/d1/link$i"
		ln -s ../d1/f "$MNT/d$i/fast"
		ln -s "$(printf 'p%.0s' $(seq 90))/$i" "$MNT/d$i/slow"
	done
	mkdir "$MNT/htree"
	for i in $(seq 500); do : >"$MNT/htree/entry_with_a_long_name_$i"; done
	setfattr -n user.small -v inode "$MNT/d1/f"
	setfattr -n user.big -v "$(head -c 700 /dev/zero | tr '\0' x)" "$MNT/d2/f"
	setfattr -n user.big -v "$(head -c 700 /dev/zero | tr '\0' x)" "$MNT/d3/f"
	manifest "$MNT" >"$img.manifest"
	umount_all
	detached "$img"
	checked "$img"
}

# After a mount, the safety gates want an e2fsck -f, as they would from
# anyone; callers run e2fsck -fn (which must pass) before this.
checked() {
	e2fsck -fy "$1" >/dev/null
}

verify() {
	local img=$1
	run e2fsck -fn "$img"
	echo "$output"
	[ "$status" -eq 0 ]
	mount_img "$img" "$MNT" ro
	manifest "$MNT" >"$img.after"
	umount_all
	detached "$img"
	checked "$img"
	diff "$img.manifest" "$img.after"
}

blocks_of() {
	dumpe2fs_field "$1" 'Block count'
}

# shrink IMG SIZE...: e4ctl resize, then verify.
shrink() {
	run "$E4CTL" resize -q "$@"
	echo "$output"
	[ "$status" -eq 0 ]
	verify "$1"
}

# The minimum: -P, one block less refused with the reason, -M reaches it.
minimum_exact() {
	local img=$1 min r2
	min=$("$E4CTL" resize -P -q "$img")
	r2=$(resize2fs -P "$img" 2>/dev/null | sed -n 's/.*: //p')
	echo "# $(basename "$img") $(blocks_of "$img") blocks: e4ctl minimum $min, resize2fs -P $r2" >&3
	local before
	before=$(img_hash "$img")
	run "$E4CTL" resize -q "$img" $((min - 1))
	[ "$status" -eq 1 ]
	[[ $output == *"$((min - 1)) blocks is below the minimum of $min blocks: "* ]]
	[ "$(img_hash "$img")" = "$before" ]
	shrink "$img" -M
	[ "$(blocks_of "$img")" -eq "$min" ]
	# Moving may leave less behind (an extent tree packed tighter), never more.
	[ "$("$E4CTL" resize -P -q "$img")" -le "$min" ]
}

steps() {
	local img=$1 blocks
	blocks=$(blocks_of "$img")
	shrink "$img" $((blocks * 9 / 10))
	[ "$(blocks_of "$img")" -eq $((blocks * 9 / 10)) ]
	shrink "$img" $((blocks / 2))
	[ "$(blocks_of "$img")" -eq $((blocks / 2)) ]
	minimum_exact "$img"
	shrink "$img" "$blocks"
	[ "$(blocks_of "$img")" -eq "$blocks" ]
	minimum_exact "$img"
}

@test "ext4 4k: by 10%, to half, to -M, grown back, -M again" {
	mkimg "$IMG" 256M -t ext4 -b 4096
	populate "$IMG" 60 1500
	steps "$IMG"
}

@test "ext2 1k (indirect maps, no journal): the same steps" {
	mkimg "$IMG" 64M -t ext2 -b 1024
	populate "$IMG" 40 600
	steps "$IMG"
}

@test "ext3 1k, small groups: the same steps" {
	mkimg "$IMG" 48M -t ext3 -b 1024 -g 2048
	populate "$IMG" 40 400
	steps "$IMG"
}

@test "inodes of removed groups are renumbered; directory mtimes kept" {
	mkimg "$IMG" 64M -t ext4 -b 1024 -g 2048 -N 4096
	populate "$IMG" 120 40
	run "$E4CTL" resize -n --json "$IMG" 24M
	[ "$status" -eq 0 ]
	moved=$(jq -r '.plan[0].inodes_to_move' <<<"$output")
	[ "$moved" -gt 50 ]
	shrink "$IMG" 24M
	[ "$(dumpe2fs_field "$IMG" 'Inode count')" -lt 4096 ]
	minimum_exact "$IMG"
}

@test "plan: JSON fields of a shrink, nothing written" {
	mkimg "$IMG" 64M -t ext4 -b 4096 -g 4096
	populate "$IMG" 10 100
	before=$(img_hash "$IMG")
	run "$E4CTL" resize -n --json "$IMG" 8192
	[ "$status" -eq 0 ]
	[ "$(jq -r '.plan[0].new_blocks' <<<"$output")" -eq 8192 ]
	[ "$(jq -r '.plan[0].groups_removed' <<<"$output")" -eq 2 ]
	[ "$(jq -r '.plan[0].min_blocks' <<<"$output")" -eq "$("$E4CTL" resize -P -q "$IMG")" ]
	[ "$(jq -c '.plan[0].refusals' <<<"$output")" = "[]" ]
	run "$E4CTL" info -o MIN_BLOCKS --json "$IMG"
	[ "$(jq -r '.filesystems[0].min_blocks' <<<"$output")" -eq "$("$E4CTL" resize -P -q "$IMG")" ]
	[ "$(img_hash "$IMG")" = "$before" ]
}

@test "refusals leave the image unchanged: bad SIZE, below the minimum, -M with SIZE, bigalloc below the minimum" {
	mkimg "$IMG" 64M -t ext4 -b 4096
	populate "$IMG" 10 100
	before=$(img_hash "$IMG")
	run "$E4CTL" resize "$IMG" 12xyz
	[ "$status" -eq 2 ]
	run "$E4CTL" resize -q "$IMG" 100
	[ "$status" -eq 1 ]
	[[ $output == *"100 blocks is below the minimum of "* ]]
	run "$E4CTL" resize -M "$IMG" 32M
	[ "$status" -eq 2 ]
	[[ $output == *"SIZE and --minimum exclude each other"* ]]
	[ "$(img_hash "$IMG")" = "$before" ]
	mkimg "$IMG" 64M -t ext4 -O bigalloc
	before=$(img_hash "$IMG")
	run "$E4CTL" resize -q "$IMG" 100
	[ "$status" -eq 1 ]
	[[ $output == *"96 blocks is below the minimum of "* ]]
	[ "$(img_hash "$IMG")" = "$before" ]
}

# Without flex_bg a group's metadata must stay in the group: an end that
# cuts through the last kept group's inode table, with no room for it in
# that group before the end, is refused by name.
@test "an inode table past the new end with no room in its group (no flex_bg): refused, image unchanged" {
	mkimg "$IMG" 8M -t ext4 -b 1024 -g 1024 -O ^flex_bg -N 1024
	[ "$(dumpe2fs "$IMG" 2>/dev/null | grep -A3 '^Group 4:' | sed -n 's/^  Inode table at \([0-9-]*\) .*/\1/p')" = 4099-4130 ]
	before=$(img_hash "$IMG")
	run --separate-stderr "$E4CTL" resize -q "$IMG" 4110
	[ "$status" -eq 1 ]
	[ "$stderr" = "e4ctl resize: $IMG: 4110 blocks is below the minimum of $("$E4CTL" resize -P -q "$IMG") blocks: group 4 keeps its inode table at blocks 4099..4130, past the new end, and no 32 free blocks in a row in the group (no flex_bg) before the end can take it" ]
	[ "$(img_hash "$IMG")" = "$before" ]
}

# A kept group's block bitmap in a removed group (put there with debugfs,
# as a grow may leave it): the shrink copies it before the end, and the
# minimum is no longer held above it.
@test "a kept group's block bitmap in a removed group: relocated, -M below it, e2fsck clean" {
	local old bb
	mkimg "$IMG" 8M -t ext4 -b 1024 -g 1024 -G 4 -N 1024
	old=$(dumpe2fs "$IMG" 2>/dev/null | grep -A4 '^Group 1:' | sed -n 's/.*Block bitmap at \([0-9]*\) .*/\1/p')
	debugfs -w -f - "$IMG" >/dev/null 2>&1 <<-EOF
		setb 6500
		freeb $old
	EOF
	dd if="$IMG" of="$IMG" bs=1024 skip="$old" seek=6500 count=1 conv=notrunc status=none
	debugfs -w -c -f - "$IMG" >/dev/null 2>&1 <<-EOF
		set_bg 1 block_bitmap 6500
		set_bg 1 checksum calc
	EOF
	# the free counts of groups 0 and 6 follow
	e2fsck -fy "$IMG" >/dev/null 2>&1 || [ "$?" -eq 1 ]
	e2fsck -fn "$IMG"
	run -0 "$E4CTL" resize -P -q "$IMG"
	[ "$output" -lt 6500 ]
	# the plan says so: one block (the bitmap) to relocate
	run -0 "$E4CTL" resize --dry-run --json "$IMG" "$output"
	[ "$(jq -r '.plan[0].meta_to_relocate' <<<"$output")" -eq 1 ]
	run -0 "$E4CTL" resize -q -M "$IMG"
	e2fsck -fn "$IMG"
	bb=$(dumpe2fs "$IMG" 2>/dev/null | grep -A4 '^Group 1:' | sed -n 's/.*Block bitmap at \([0-9]*\) .*/\1/p')
	[ "$bb" -lt "$(dumpe2fs -h "$IMG" 2>/dev/null | sed -n 's/^Block count: *//p')" ]
}

@test "bigalloc: a size inside a cluster is rounded down to one, and said" {
	# 64M: 1k blocks, 16 blocks a cluster
	mkimg "$IMG" 64M -t ext4 -O bigalloc
	run "$E4CTL" resize "$IMG" 12345
	[ "$status" -eq 0 ]
	[[ $output == *"Note: 12345 blocks rounded down to 12336, a cluster boundary (bigalloc)."* ]]
	[ "$(dumpe2fs_field "$IMG" 'Block count')" -eq 12336 ]
	e2fsck -fn "$IMG"
}

@test "mounted: refused with the minimum size" {
	mkimg "$IMG" 64M -t ext4 -b 4096
	mount_img "$IMG" "$MNT" ro
	before=$(img_hash "$IMG")
	run "$E4CTL" resize "$MNT" 32M
	[ "$status" -eq 1 ]
	[[ $output == *"ext4 cannot shrink while mounted (16384 -> 8192 blocks); unmount it and run e4ctl resize again (minimum size: "*" blocks)"* ]]
	run "$E4CTL" resize -P -q "$MNT"
	[ "$status" -eq 0 ]
	[ "$output" -gt 0 ]
	[ "$(img_hash "$IMG")" = "$before" ]
}

@test "--undo, then e2undo: the shrunk image is the original bit for bit" {
	mkimg "$IMG" 64M -t ext4 -b 4096
	populate "$IMG" 20 200
	before=$(img_hash "$IMG")
	run "$E4CTL" resize -q --undo "$BATS_TEST_TMPDIR/undo" -M "$IMG"
	[ "$status" -eq 0 ]
	# Nothing may write to it before e2undo: no mount, no e2fsck -fy.
	run e2fsck -fn "$IMG"
	[ "$status" -eq 0 ]
	[ "$(blocks_of "$IMG")" -lt 16384 ]
	e2undo "$BATS_TEST_TMPDIR/undo" "$IMG"
	[ "$(img_hash "$IMG")" = "$before" ]
}

@test "SIGINT once blocks move: the shrink completes and says so" {
	mkimg "$IMG" 64M -t ext4 -b 4096
	populate "$IMG" 20 200
	min=$("$E4CTL" resize -P -q "$IMG")
	run env E4_TEST_SIGINT_AFTER=1 "$E4CTL" resize -q -p "$IMG" -M
	[ "$status" -eq 3 ]
	[[ $output == *"interrupted while blocks were moving, which cannot stop half-way; the shrink was completed first: the filesystem has $min blocks"* ]]
	verify "$IMG"
	[ "$(blocks_of "$IMG")" -eq "$min" ]
}

@test "a file of 2000 one-block extents (a multi-leaf extent tree) moves intact" {
	mkimg "$IMG" 128M -t ext4 -b 4096 -g 8192
	mount_img "$IMG" "$MNT"
	dd if=/dev/zero of="$MNT/fill" bs=1M count=70 status=none
	# Every other block written: each one an extent of its own.
	for i in $(seq 0 2 3998); do
		dd if=/dev/urandom of="$MNT/holey" bs=4k count=1 seek="$i" conv=notrunc status=none
	done
	rm "$MNT/fill"
	manifest "$MNT" >"$IMG.manifest"
	umount_all
	detached "$IMG"
	checked "$IMG"
	[ "$(debugfs -R 'ex /holey' "$IMG" 2>/dev/null | grep -cE '^ *([0-9]+)/ *\1 ')" -ge 1000 ]
	minimum_exact "$IMG"
}
