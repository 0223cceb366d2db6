#!/usr/bin/env bats
# e4ctl check and the superblock: its checksum is verified (a finding,
# exit 4, as e2fsck), -b/--superblock (and -B) read a backup as e2fsck -b
# does, and an unusable primary superblock gives the backups' locations
# and the command to use one, exit 8.
bats_require_minimum_version 1.5.0
load ../lib

setup() {
	IMG=$BATS_TEST_TMPDIR/fs.img
}

findings() {
	"$E4CTL" check --raw --noheadings -o GROUP,WHAT,EXPECTED,FOUND "$@"
}

@test "a bad superblock checksum is a finding, exit 4, and e2fsck agrees" {
	mkimg "$IMG" 64M -t ext4 -b 1024
	printf '\x34\x12\x00\x00' | dd of="$IMG" bs=1 seek=$((1024 + 0x3fc)) conv=notrunc status=none
	local hash
	hash=$(img_hash "$IMG")
	run findings "$IMG"
	[ "$status" -eq 4 ]
	[[ $output =~ ^\ sb_csum\ [0-9]+\ 4660$ ]]
	run --separate-stderr "$E4CTL" check --json "$IMG"
	[ "$status" -eq 4 ]
	[ "$(jq -r '.findings[0].what' <<<"$output")" = sb_csum ]
	[ "$(jq -r '.filesystem[0].verdict' <<<"$output")" = "problems found" ]
	[ "$(img_hash "$IMG")" = "$hash" ]
	run e2fsck -fn "$IMG"
	[[ $output == *"Superblock checksum does not match superblock"* ]]
}

@test "-b reads a backup superblock: clean where the backup is (no uninit groups), as e2fsck -b" {
	mkimg "$IMG" 256M -t ext4 -b 4096 -O ^metadata_csum,^uninit_bg
	run "$E4CTL" check -b 32768 "$IMG"
	[ "$status" -eq 0 ]
	[[ $output == "$IMG: 2 groups, "*": clean" ]]
	run "$E4CTL" check --superblock 32768 --block-size 4096 "$IMG"
	[ "$status" -eq 0 ]
	[[ $output == *": clean" ]]
	e2fsck -fn -b 32768 -B 4096 "$IMG" >/dev/null
}

@test "a zeroed primary superblock: exit 8 naming the backups and -b; then -b finds what e2fsck -b finds" {
	mkimg "$IMG" 64M -t ext4 -b 1024
	dd if=/dev/zero of="$IMG" bs=1024 seek=1 count=1 conv=notrunc status=none
	local hash
	hash=$(img_hash "$IMG")
	run --separate-stderr "$E4CTL" check "$IMG"
	[ "$status" -eq 8 ]
	[ "${stderr_lines[0]}" = "e4ctl check: $IMG: not an ext2/3/4 filesystem (no filesystem signature found)" ]
	[ "${stderr_lines[1]}" = "e4ctl check: $IMG: the primary superblock is unusable; backup superblocks (block size 1024) are at 8193, 24577, 40961, 57345: try 'e4ctl check -b 8193 $IMG'" ]
	# The backup's descriptors with every group taken as initialised,
	# as libext2fs (and so e2fsck -b) takes them.
	run --separate-stderr "$E4CTL" check -b 8193 "$IMG"
	[ "$status" -eq 4 ]
	[[ $output == *"$IMG: 8 groups, "*"problems found" ]]
	run "$E4CTL" check -b 8193 -B 1024 --json "$IMG"
	[ "$status" -eq 4 ]
	jq -e '.filesystem[0].groups == 8' <<<"$output"
	run e2fsck -fn -b 8193 -B 1024 "$IMG"
	[ "$status" -eq 4 ]
	[ "$(img_hash "$IMG")" = "$hash" ]
}

@test "a corrupt primary superblock (blocks per group): exit 8 with the backups" {
	mkimg "$IMG" 64M -t ext4 -b 1024
	# s_blocks_per_group (offset 32) made impossible.
	printf '\xff\xff\xff\x7f' | dd of="$IMG" bs=1 seek=$((1024 + 32)) conv=notrunc status=none
	run --separate-stderr "$E4CTL" check "$IMG"
	[ "$status" -eq 8 ]
	[[ ${stderr_lines[0]} == "e4ctl check: $IMG: while opening the filesystem: "* ]]
	[ "${stderr_lines[1]}" = "e4ctl check: $IMG: the primary superblock is unusable; backup superblocks (block size 1024) are at 8193, 24577, 40961, 57345: try 'e4ctl check -b 8193 $IMG'" ]
}

@test "-b and -B: bad arguments are usage errors (16), no superblock there is 8" {
	mkimg "$IMG" 64M -t ext4 -b 1024
	run --separate-stderr "$E4CTL" check -b garbage "$IMG"
	[ "$status" -eq 16 ]
	[[ $stderr == *"-b: invalid block number 'garbage'"* ]]
	run --separate-stderr "$E4CTL" check -B 1024 "$IMG"
	[ "$status" -eq 16 ]
	[[ $stderr == *"-B (--block-size) goes with -b (--superblock)"* ]]
	run --separate-stderr "$E4CTL" check -b 8193 -B 1000 "$IMG"
	[ "$status" -eq 16 ]
	run --separate-stderr "$E4CTL" check -b 12345 "$IMG"
	[ "$status" -eq 8 ]
	[ "$stderr" = "e4ctl check: $IMG: no superblock at block 12345 for any block size from 1024 to 65536" ]
}
