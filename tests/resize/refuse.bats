#!/usr/bin/env bats
# e4ctl resize on this machine: SIZE parsing, the plan, and the refusals
# that need no CAP_SYS_RESOURCE (this kernel answers the resize ioctls
# with EPERM even for root, which is itself one of the refusals).  Real
# growth is tested in tests/vm/resize.bats.

load ../lib

setup() {
	require_root
	IMG=$BATS_TEST_TMPDIR/fs.img
	MNT=$BATS_TEST_TMPDIR/mnt
}

teardown() {
	e4_teardown
}

# A 64 MiB ext4 of 4k blocks in a 1 GiB file, mounted.
mounted_fs() {
	mkimg "$IMG" 64M -t ext4 -b 4096 "$@"
	truncate -s 1G "$IMG"
	mount_img "$IMG" "$MNT"
}

# The dry-run plan as JSON (stderr, where refusals go, left out).
plan() {
	"$E4CTL" resize -n --json "$@" 2>/dev/null || true
}

blocks_of() {
	dumpe2fs_field "$1" 'Block count'
}

@test "garbage, zero, negative and overflowing sizes are usage errors" {
	mounted_fs
	local arg
	for arg in abc 10X 1.5G 0x10 +-1G 0 +0 99999999999999999999999 16777216T 1K; do
		run "$E4CTL" resize "$MNT" "$arg"
		[ "$status" -eq 2 ]
		[[ $output == *"invalid size '$arg'"* ]]
	done
	run "$E4CTL" resize "$MNT" -- -1G
	[ "$status" -eq 2 ]
	[[ $output == *"negative sizes make no sense"* ]]
	run "$E4CTL" resize "$MNT" 1.5G
	[[ $output == *"unknown unit"* ]]
	run "$E4CTL" resize "$MNT" 99999999999999999999999
	[[ $output == *"too large"* ]]
}

@test "units: K/M/G/T, KiB.., s sectors, bare blocks, +SIZE and max agree" {
	mounted_fs
	local s
	for s in 512M 512MiB 524288K 1048576s 131072 +448M; do
		run plan "$MNT" "$s"
		[ "$status" -ne 2 ]
		[ "$(jq -r .plan[0].new_blocks <<<"$output")" -eq 131072 ]
	done
	run plan "$MNT" max
	[ "$(jq -r .plan[0].new_blocks <<<"$output")" -eq 262144 ]
	run plan "$MNT"
	[ "$(jq -r .plan[0].new_blocks <<<"$output")" -eq 262144 ]
}

@test "the plan: groups, descriptor blocks, inodes and device size match the geometry" {
	mounted_fs
	run plan "$MNT" 1G
	[ "$(jq -r .plan[0].old_blocks <<<"$output")" -eq "$(blocks_of "$IMG")" ]
	[ "$(jq -r .plan[0].new_blocks <<<"$output")" -eq 262144 ]
	[ "$(jq -r .plan[0].old_groups <<<"$output")" -eq 1 ]
	[ "$(jq -r .plan[0].new_groups <<<"$output")" -eq 8 ]
	[ "$(jq -r .plan[0].groups_added <<<"$output")" -eq 7 ]
	[ "$(jq -r .plan[0].old_desc_blocks <<<"$output")" -eq 1 ]
	[ "$(jq -r .plan[0].new_desc_blocks <<<"$output")" -eq 1 ]
	[ "$(jq -r .plan[0].new_inodes <<<"$output")" -eq $((8 * $(dumpe2fs_field "$IMG" 'Inodes per group'))) ]
	[ "$(jq -r .plan[0].device_size <<<"$output")" -eq $((1 << 30)) ]
	[ "$(jq -r .plan[0].reserved_gdt_blocks <<<"$output")" -eq "$(dumpe2fs_field "$IMG" 'Reserved GDT blocks')" ]
	[ "$(jq -r .plan[0].reserved_gdt_covers <<<"$output")" = true ]
	[ "$(jq -r .plan[0].meta_bg_conversion <<<"$output")" = false ]
	[ "$(jq -r .plan[0].method <<<"$output")" = "online, EXT4_IOC_RESIZE_FS" ]
	[ "$(jq -r '.plan[0].refusals | type' <<<"$output")" = array ]
}

@test "this machine: missing CAP_SYS_RESOURCE is named, exit 1, filesystem untouched" {
	mounted_fs
	before=$(blocks_of "$IMG")
	run "$E4CTL" resize -q "$MNT" 1G
	[ "$status" -eq 1 ]
	[[ $output == *"lacks CAP_SYS_RESOURCE"* ]]
	umount_all
	[ "$(blocks_of "$IMG")" -eq "$before" ]
	e2fsck -fn "$IMG"
}

@test "shrinking is refused with how to do it; equal size is nothing to do" {
	mounted_fs
	run "$E4CTL" resize -q "$MNT" 32M
	[ "$status" -eq 1 ]
	[[ $output == *"ext4 cannot shrink while mounted (16384 -> 8192 blocks); unmount it and run e4ctl resize again (minimum size: "*" blocks)"* ]]
	run "$E4CTL" resize -q "$MNT" 64M
	[ "$status" -eq 0 ]
	[[ $output == *"nothing to do"* ]]
}

@test "beyond the device: the size of the device, and the losetup -c hint" {
	mounted_fs
	truncate -s 2G "$IMG"
	run "$E4CTL" resize -q "$MNT" 2G
	[ "$status" -eq 1 ]
	[[ $output == *"is only 1073741824 bytes"* ]]
	[[ $output == *"run 'losetup -c "* ]]
}

@test "read-only mount: suggests remount rw" {
	mkimg "$IMG" 64M -t ext4 -b 4096
	truncate -s 1G "$IMG"
	mount_img "$IMG" "$MNT" ro
	run "$E4CTL" resize -n "$MNT" 1G
	[ "$status" -eq 1 ]
	[[ $output == *"mounted read-only; remount it read-write first: mount -o remount,rw $MNT"* ]]
}

@test "recorded errors: run e2fsck" {
	mkimg "$IMG" 64M -t ext4 -b 4096
	debugfs -w -R 'ssv state 3' "$IMG"
	truncate -s 1G "$IMG"
	mount_img "$IMG" "$MNT"
	run "$E4CTL" resize -n "$MNT" 1G
	[ "$status" -eq 1 ]
	[[ $output == *"has errors recorded"*"e2fsck -f"* ]]
}

@test "mounted from a backup superblock" {
	mkimg "$IMG" 64M -t ext4 -b 1024
	truncate -s 1G "$IMG"
	mount_img "$IMG" "$MNT" sb=8193
	run "$E4CTL" resize -n "$MNT" 1G
	[ "$status" -eq 1 ]
	[[ $output == *"mounted from the backup superblock (sb=8193)"* ]]
}

@test "sparse_super2 is not resized online" {
	mounted_fs -O sparse_super2
	run "$E4CTL" resize -n "$MNT" 1G
	[ "$status" -eq 1 ]
	[[ $output == *"does not resize sparse_super2"* ]]
}

@test "bigalloc: rounded down to a cluster, and refused on the legacy path" {
	mounted_fs -O bigalloc -C 65536
	run plan "$MNT" 262143
	[ "$(jq -r .plan[0].new_blocks <<<"$output")" -eq 262128 ]
	[ "$(jq -r .plan[0].rounded_to_cluster <<<"$output")" = true ]
	run "$E4CTL" resize -n "$MNT" 262143
	[[ $output == *"rounded down to 262128, a cluster boundary (bigalloc)"* ]]
	run "$E4CTL" resize -n --legacy-ioctls "$MNT" 1G
	[ "$status" -eq 1 ]
	[[ $output == *"legacy GROUP_EXTEND/GROUP_ADD ioctls do not support bigalloc"* ]]
}

@test "past the reserved GDT blocks: the plan announces meta_bg conversion; legacy refuses" {
	# 7 reserved GDT blocks: 8 descriptor blocks, 128 groups, 1 GiB.
	mkimg "$IMG.2" 16M -t ext4 -b 1024 -E resize=1000000
	[ "$(dumpe2fs_field "$IMG.2" 'Reserved GDT blocks')" -eq 7 ]
	truncate -s 2G "$IMG.2"
	mount_img "$IMG.2" "$MNT.2"
	run plan "$MNT.2" 1G
	[ "$(jq -r .plan[0].reserved_gdt_covers <<<"$output")" = true ]
	[ "$(jq -r .plan[0].meta_bg_conversion <<<"$output")" = false ]
	run plan "$MNT.2" 2G
	[ "$(jq -r .plan[0].reserved_gdt_covers <<<"$output")" = false ]
	[ "$(jq -r .plan[0].meta_bg_conversion <<<"$output")" = true ]
	run "$E4CTL" resize -n "$MNT.2" 2G
	[[ $output == *"removes resize_inode for good"* ]]
	run "$E4CTL" resize -n --legacy-ioctls "$MNT.2" 2G
	[[ $output == *"no reserved GDT blocks left"* ]]
}

@test "--step: rounded up to a flex group, steps counted" {
	mounted_fs
	run plan --step 100M "$MNT" 1G
	# A flex group (16 groups of 32768 blocks) holds the whole growth.
	[ "$(jq -r .plan[0].step_blocks <<<"$output")" -eq 0 ]
	[ "$(jq -r .plan[0].steps <<<"$output")" -eq 1 ]
	umount_all
	mkimg "$IMG" 64M -t ext4 -b 4096 -G 1
	truncate -s 1G "$IMG"
	mount_img "$IMG" "$MNT"
	run plan --step 100M "$MNT" 1G
	# 100M rounds up to one group (the flex group size with -G 1).
	[ "$(jq -r .plan[0].step_blocks <<<"$output")" -eq 32768 ]
	[ "$(jq -r .plan[0].steps <<<"$output")" -eq 8 ]
	run plan "$MNT" 1G
	[ "$(jq -r .plan[0].steps <<<"$output")" -eq 1 ]
	run plan --progress "$MNT" 1G
	[ "$(jq -r .plan[0].steps <<<"$output")" -eq 8 ]
}

@test "not ext4: says so; not mounted: the offline plan, online-only options refused" {
	run "$E4CTL" resize /dev/shm 1G
	[ "$status" -eq 1 ]
	[[ $output == *"not ext2/3/4"* ]]
	mkimg "$IMG" 64M -t ext4
	before=$(img_hash "$IMG")
	run plan "$IMG" 1G
	[ "$(jq -r .plan[0].method <<<"$output")" = "offline (libext2fs)" ]
	[ "$(jq -r .plan[0].new_blocks <<<"$output")" -eq 1048576 ]
	run "$E4CTL" resize --legacy-ioctls "$IMG" 1G
	[ "$status" -eq 2 ]
	[[ $output == *"apply to online resize"* ]]
	[ "$(img_hash "$IMG")" = "$before" ]
}

@test "mounted: --undo and --force are offline-only" {
	mounted_fs
	run "$E4CTL" resize --undo "$BATS_TEST_TMPDIR/u" "$MNT" 1G
	[ "$status" -eq 2 ]
	[[ $output == *"apply to offline resize"* ]]
}

@test "--list-columns needs no TARGET; no TARGET is a usage error" {
	run "$E4CTL" resize --list-columns
	[ "$status" -eq 0 ]
	[[ $output == *"META_BG_CONVERSION"* ]]
	run "$E4CTL" resize
	[ "$status" -eq 2 ]
	[[ $output == *"missing TARGET"* ]]
}

@test "JSON plan: {\"plan\": [one record]}, refusals a list, [] when there are none" {
	mkimg "$IMG" 64M -t ext4 -b 4096
	run plan "$IMG" 128M
	[ "$(jq -c .plan[0].refusals <<<"$output")" = "[]" ]
	[ "$(jq -c 'keys' <<<"$output")" = '["plan"]' ]
	[ "$(jq '.plan | length' <<<"$output")" -eq 1 ]
	[ "${lines[0]}" = "{" ]
	[ "${lines[-1]}" = "}" ]
	run plan "$IMG" 1M
	[ "$(jq -r '.plan[0].refusals | length' <<<"$output")" -eq 1 ]
	[[ $(jq -r '.plan[0].refusals[0]' <<<"$output") == "256 blocks is below the minimum of "* ]]
}
