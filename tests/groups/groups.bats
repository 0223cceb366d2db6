#!/usr/bin/env bats
# e4ctl groups: every value of every group against dumpe2fs, on the
# layouts that move descriptors and bitmaps around (block sizes, flex_bg,
# meta_bg, 64bit, bigalloc, no checksums) and on a mounted filesystem;
# then the options.

load ../lib

COLS=GROUP,START,END,FLAGS,BBITMAP,IBITMAP,ITABLE,FREE_BLOCKS,FREE_INODES,USED_DIRS,ITABLE_UNUSED,CSUM,BACKUP,BBITMAP_CSUM,IBITMAP_CSUM

setup() {
	IMG=$BATS_TEST_TMPDIR/fs.img
}

teardown() {
	e4_teardown
}

# compare DEVICE-FOR-DUMPE2FS TARGET-FOR-E4CTL: one line per group each.
compare() {
	local dev=$1 target=${2:-$1} want got
	want=$(dumpe2fs "$dev" 2>/dev/null | "$BATS_TEST_DIRNAME"/dumpe2fs-groups.pl)
	got=$("$E4CTL" groups --raw --noheadings -o "$COLS" "$target")
	[[ -n $want ]]
	# Fail loudly on a difference, and also if nothing was compared.
	diff -u <(echo "$want") <(echo "$got")
	[[ $(wc -l <<<"$got") -eq $(dumpe2fs -h "$dev" 2>/dev/null |
		awk -F: '/^Block count/ {b=$2} /^Blocks per group/ {p=$2} /^First block/ {f=$2}
			 END {print int((b - f + p - 1) / p)}') ]]
}

@test "1k blocks, flex_bg" {
	mkimg "$IMG" 96M -t ext4 -b 1024
	compare "$IMG"
}

@test "4k blocks, flex_bg" {
	mkimg "$IMG" 600M -t ext4 -b 4096
	compare "$IMG"
}

@test "1k blocks, no flex_bg" {
	mkimg "$IMG" 96M -t ext4 -b 1024 -O ^flex_bg
	compare "$IMG"
}

@test "4k blocks, no flex_bg" {
	mkimg "$IMG" 600M -t ext4 -b 4096 -O ^flex_bg
	compare "$IMG"
}

@test "meta_bg" {
	mkimg "$IMG" 200M -t ext4 -b 1024 -O meta_bg,^resize_inode
	compare "$IMG"
	# Descriptor blocks without a superblock: meta_bg's last-group copies.
	"$E4CTL" groups --raw --noheadings -o BACKUP "$IMG" | grep -qx gdt
}

@test "64bit with 64-byte descriptors" {
	mkimg "$IMG" 600M -t ext4 -O 64bit
	[[ $(dumpe2fs_field "$IMG" 'Group descriptor size') == 64 ]]
	compare "$IMG"
}

@test "bigalloc: free counts in clusters" {
	mkimg "$IMG" 512M -t ext4 -O bigalloc,^resize_inode -C 65536
	compare "$IMG"
}

@test "no group checksums (ext3 layout), and uninit_bg's crc16" {
	mkimg "$IMG" 96M -t ext3 -b 1024
	compare "$IMG"
	[[ $("$E4CTL" groups --raw --noheadings -o CSUM --groups 0 "$IMG") == none ]]
	mkimg "$IMG" 96M -t ext4 -b 1024 -O ^metadata_csum,uninit_bg
	compare "$IMG"
	[[ $("$E4CTL" groups --raw --noheadings -o CSUM --groups 0 "$IMG") == ok ]]
}

@test "a bad descriptor checksum shows as bad" {
	mkimg "$IMG" 96M -t ext4 -b 1024
	debugfs -w -n -R "set_bg 2 checksum 0x1234" "$IMG" 2>/dev/null
	compare "$IMG"
	run "$E4CTL" groups --raw --noheadings -o GROUP,CSUM,CHECKSUM "$IMG"
	[[ $status -eq 0 ]]
	[[ ${lines[2]} == "2 bad 0x1234" ]]
	[[ ${lines[1]} == "1 ok "* ]]
}

@test "mounted loop filesystem after writes and sync" {
	require_root
	mkimg "$IMG" 300M -t ext4
	mount_img "$IMG" "$BATS_TEST_TMPDIR/mnt"
	local i dev
	for i in $(seq 1 40); do
		head -c $((i * 20000)) /dev/urandom >"$BATS_TEST_TMPDIR/mnt/f$i"
	done
	mkdir "$BATS_TEST_TMPDIR"/mnt/d{1,2,3}
	sync
	# sync commits the journal, but the descriptors reach their home
	# location only at checkpoint: e4ctl reads the disk (O_DIRECT),
	# dumpe2fs the page cache.  A freeze checkpoints everything.
	fsfreeze -f "$BATS_TEST_TMPDIR/mnt"
	fsfreeze -u "$BATS_TEST_TMPDIR/mnt"
	dev=$(findmnt -no SOURCE "$BATS_TEST_TMPDIR/mnt")
	compare "$dev" "$BATS_TEST_TMPDIR/mnt"
	# The writes are in there: used directories and used blocks.
	[[ $("$E4CTL" groups --json "$BATS_TEST_TMPDIR/mnt" |
	     jq '[.groups[].used_dirs] | add') -eq 5 ]]
}

@test "--groups N and A-B select rows" {
	mkimg "$IMG" 96M -t ext4 -b 1024
	run "$E4CTL" groups --raw --noheadings -o GROUP --groups 3 "$IMG"
	[[ $status -eq 0 && $output == 3 ]]
	run "$E4CTL" groups --raw --noheadings -o GROUP -g 2-4 "$IMG"
	[[ $status -eq 0 && $output == $'2\n3\n4' ]]
	# B past the end is clamped, A past the end is an error.
	run "$E4CTL" groups --raw --noheadings -o GROUP -g 10-99 "$IMG"
	[[ $status -eq 0 && $output == $'10\n11' ]]
	run "$E4CTL" groups -g 12 "$IMG"
	[[ $status -eq 1 && $output == *"no group 12: the filesystem has 12 groups"* ]]
	for bad in x 3- -3 4-2 1-2-3 99999999999; do
		run "$E4CTL" groups -g "$bad" "$IMG"
		[[ $status -eq 2 && $output == *"invalid group range"* ]]
	done
}

@test "--json: numbers are numbers, keys are lower-case column names" {
	mkimg "$IMG" 96M -t ext4 -b 1024
	run "$E4CTL" groups --json -g 1 "$IMG"
	[[ $status -eq 0 ]]
	[[ $(jq -r '.groups[0].group | type' <<<"$output") == number ]]
	[[ $(jq -r '.groups[0].free_blocks | type' <<<"$output") == number ]]
	[[ $(jq -r '.groups[0].start' <<<"$output") == 8193 ]]
	[[ $(jq -r '.groups[0].backup' <<<"$output") == sb,gdt ]]
	[[ $(jq -r '.groups[0].csum' <<<"$output") == ok ]]
	[[ $(jq -r '.groups[0] | keys | length' <<<"$output") == 13 ]]
}

@test "-o, --list-columns, an unknown column" {
	mkimg "$IMG" 96M -t ext4 -b 1024
	run "$E4CTL" groups --list-columns
	[[ $status -eq 0 && $output == *FREE_BLOCKS*number* && $output == *BACKUP* ]]
	run "$E4CTL" groups -o GROUP,NOPE "$IMG"
	[[ $status -eq 2 && $output == *"unknown column: NOPE"* ]]
	run "$E4CTL" groups --noheadings -o +CHECKSUM -g 0 "$IMG"
	[[ $status -eq 0 && $output == *0x* && $output != *GROUP* ]]
}

@test "not a filesystem, missing target" {
	truncate -s 10M "$IMG"
	run "$E4CTL" groups "$IMG"
	[[ $status -eq 1 ]]
	run "$E4CTL" groups
	[[ $status -eq 2 ]]
}
