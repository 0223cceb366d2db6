#!/usr/bin/env bats
# e4ctl info: every number against dumpe2fs, target resolution, and the
# refusals of bad input (message, exit code, image untouched).

load ../lib

setup() {
	IMG=$BATS_TEST_TMPDIR/fs.img
}

teardown() {
	e4_teardown
}

# Compare every field e4ctl info --json reports with dumpe2fs on $1.
compare_with_dumpe2fs() {
	local img=$1 json groups dpb want
	json=$("$E4CTL" info --json "$img")
	check() {
		local key=$1 expect=$2 got
		got=$(jq -r ".filesystems[0].$key" <<<"$json")
		if [[ "$got" != "$expect" ]]; then
			echo "$img: $key: e4ctl says '$got', dumpe2fs '$expect'" >&2
			return 1
		fi
	}
	check block_count "$(dumpe2fs_field "$img" 'Block count')"
	check free_blocks "$(dumpe2fs_field "$img" 'Free blocks')"
	check reserved_blocks "$(dumpe2fs_field "$img" 'Reserved block count')"
	check inode_count "$(dumpe2fs_field "$img" 'Inode count')"
	check free_inodes "$(dumpe2fs_field "$img" 'Free inodes')"
	check block_size "$(dumpe2fs_field "$img" 'Block size')"
	check first_data_block "$(dumpe2fs_field "$img" 'First block')"
	check blocks_per_group "$(dumpe2fs_field "$img" 'Blocks per group')"
	check inodes_per_group "$(dumpe2fs_field "$img" 'Inodes per group')"
	check inode_size "$(dumpe2fs_field "$img" 'Inode size')"
	check uuid "$(dumpe2fs_field "$img" 'Filesystem UUID')"
	check features "$(dumpe2fs_field "$img" 'Filesystem features')"
	check state "$(dumpe2fs_field "$img" 'Filesystem state')"
	want=$(dumpe2fs_field "$img" 'Filesystem volume name')
	[[ $want == '<none>' ]] && want=null
	check label "$want"
	want=$(dumpe2fs_field "$img" 'Reserved GDT blocks')
	check reserved_gdt_blocks "${want:-0}"
	want=$(dumpe2fs_field "$img" 'Cluster size')
	check cluster_size "${want:-$(dumpe2fs_field "$img" 'Block size')}"
	want=$(dumpe2fs_field "$img" 'Flex block group size')
	check flex_bg_size "${want:-0}"
	want=$(dumpe2fs_field "$img" 'Group descriptor size')
	check desc_size "${want:-32}"
	groups=$(dumpe2fs "$img" 2>/dev/null | grep -c '^Group [0-9]*:')
	check group_count "$groups"
	dpb=$(( $(dumpe2fs_field "$img" 'Block size') / ${want:-32} ))
	check desc_blocks "$(( (groups + dpb - 1) / dpb ))"
	check device_size "$(stat -c %s "$img")"
}

@test "info agrees with dumpe2fs: ext4, 4k blocks" {
	mkimg "$IMG" 256M -t ext4 -b 4096 -L data4k
	compare_with_dumpe2fs "$IMG"
}

@test "info agrees with dumpe2fs: ext4, 1k blocks" {
	mkimg "$IMG" 96M -t ext4 -b 1024
	compare_with_dumpe2fs "$IMG"
}

@test "info agrees with dumpe2fs: ext2" {
	mkimg "$IMG" 64M -t ext2
	compare_with_dumpe2fs "$IMG"
	[[ $("$E4CTL" info -J -o fstype "$IMG" | jq -r '.filesystems[0].fstype') == ext2 ]]
}

@test "info agrees with dumpe2fs: ext3" {
	mkimg "$IMG" 64M -t ext3
	compare_with_dumpe2fs "$IMG"
}

@test "info agrees with dumpe2fs: ext4 without 64bit" {
	mkimg "$IMG" 128M -t ext4 -O ^64bit
	compare_with_dumpe2fs "$IMG"
}

@test "info agrees with dumpe2fs: meta_bg" {
	mkimg "$IMG" 512M -t ext4 -O meta_bg,^resize_inode -b 1024
	compare_with_dumpe2fs "$IMG"
	run "$E4CTL" info -J -o features "$IMG"
	[[ $output == *meta_bg* ]]
}

@test "info agrees with dumpe2fs: bigalloc" {
	mkimg "$IMG" 512M -t ext4 -O bigalloc -C 65536
	compare_with_dumpe2fs "$IMG"
	[[ $("$E4CTL" info -J -o cluster_size "$IMG" | jq '.filesystems[0].cluster_size') == 65536 ]]
}

@test "info agrees with dumpe2fs after files were written" {
	require_root
	mkimg "$IMG" 128M -t ext4
	mount_img "$IMG" "$BATS_TEST_TMPDIR/mnt"
	for i in 1 2 3 4 5; do
		head -c $((i * 300000)) /dev/urandom >"$BATS_TEST_TMPDIR/mnt/f$i"
	done
	mkdir "$BATS_TEST_TMPDIR/mnt/d"
	umount_all
	compare_with_dumpe2fs "$IMG"
}

@test "online growth limit: image larger than the filesystem" {
	truncate -s 1G "$IMG"
	mke2fs -q -F -t ext4 -b 4096 "$IMG" 64M
	run "$E4CTL" info -J -o block_count,online_max_blocks,online_limit,meta_bg_conversion "$IMG"
	[ "$status" -eq 0 ]
	[[ $(jq '.filesystems[0].block_count' <<<"$output") == 16384 ]]
	# 1 GiB = 262144 blocks, a whole number of groups: the kernel takes all.
	[[ $(jq '.filesystems[0].online_max_blocks' <<<"$output") == 262144 ]]
	[[ $(jq -r '.filesystems[0].online_limit' <<<"$output") == "the device ends at block 262144" ]]
	[[ $(jq '.filesystems[0].meta_bg_conversion' <<<"$output") == false ]]
}

@test "online growth limit: a last group too small for its metadata is dropped" {
	# 32768 blocks per group; 20 blocks past a group boundary cannot hold
	# a group's bitmaps and inode table, so the kernel stops at the boundary.
	truncate -s $(( (65536 + 20) * 4096 )) "$IMG"
	mke2fs -q -F -t ext4 -b 4096 "$IMG" 16384
	run "$E4CTL" info -J -o online_max_blocks "$IMG"
	[ "$status" -eq 0 ]
	[[ $(jq '.filesystems[0].online_max_blocks' <<<"$output") == 65536 ]]
}

@test "online growth limit: sparse_super2 cannot grow online" {
	truncate -s 512M "$IMG"
	mke2fs -q -F -t ext4 -O sparse_super2 "$IMG" 64M
	run "$E4CTL" info -J -o block_count,online_max_blocks,online_limit "$IMG"
	[ "$status" -eq 0 ]
	[[ $(jq '.filesystems[0].online_max_blocks' <<<"$output") == $(jq '.filesystems[0].block_count' <<<"$output") ]]
	[[ $(jq -r '.filesystems[0].online_limit' <<<"$output") == "the kernel does not resize sparse_super2 filesystems online" ]]
}

@test "online growth past the reserved GDT blocks is a meta_bg conversion" {
	truncate -s 4G "$IMG"
	mke2fs -q -F -t ext4 -b 1024 -E resize=200000 "$IMG" 64M
	run "$E4CTL" info -J -o online_max_blocks,meta_bg_conversion "$IMG"
	[ "$status" -eq 0 ]
	[[ $(jq '.filesystems[0].meta_bg_conversion' <<<"$output") == true ]]
}

@test "human output names the limit and says it applies once mounted" {
	mkimg "$IMG" 64M -t ext4
	run "$E4CTL" info "$IMG"
	[ "$status" -eq 0 ]
	[[ $output == *"Mount point:"*"not mounted"* ]]
	[[ $output == *"Online growth limited by:"*"the device has no room beyond the filesystem's 65536 blocks (applies once mounted)"* ]]
}

@test "-o selects columns, --raw and --noheadings" {
	mkimg "$IMG" 64M -t ext4 -b 4096
	run "$E4CTL" info --raw --noheadings -o block_size,block_count "$IMG"
	[ "$status" -eq 0 ]
	[ "$output" = "4096 16384" ]
	run "$E4CTL" info -o nosuchcolumn "$IMG"
	[ "$status" -eq 2 ]
	[[ $output == *"unknown column: nosuchcolumn"* ]]
}

@test "--list-columns lists every column with its type" {
	run "$E4CTL" info --list-columns --raw --noheadings
	[ "$status" -eq 0 ]
	[[ $output == *"ONLINE_MAX_BLOCKS number"* ]]
	[[ $output == *"MOUNTED boolean"* ]]
}
