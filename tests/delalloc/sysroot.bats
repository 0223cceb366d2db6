#!/usr/bin/env bats
# e4ctl delalloc audit --sysroot: the counter comes from fixtures
# (tests/delalloc/fixtures, see its README), the files from a real, empty,
# loop-mounted filesystem.  The fixture's device is dm-7, not the loop
# device's name: the audit must find it through /sys/dev/block/MAJ:MIN.

load ../lib
load fixture

setup() {
	require_root
	IMG=$BATS_TEST_TMPDIR/fs.img
	MNT=$BATS_TEST_TMPDIR/mnt
	SYS=$BATS_TEST_TMPDIR/root
	SERVER=
	mkimg "$IMG" 64M -t ext4 -b 4096
	mount_img "$IMG" "$MNT"
	sync -f "$MNT"
}

teardown() {
	[[ -n $SERVER ]] && kill "$SERVER" 2>/dev/null
	e4_teardown
}

@test "fixture: a counter that stays at 12 with no delalloc file is a leak, exit 4" {
	use_fixture leak
	run "$E4CTL" delalloc audit --sync --sysroot "$SYS" "$MNT"
	[ "$status" -eq 4 ]
	[[ ${lines[-1]} == "leaked reservation: 12 blocks" ]]
	[[ $output == *"Kernel device name:"*"dm-7"* ]]

	run "$E4CTL" delalloc audit --sync --json --sysroot "$SYS" "$MNT"
	[ "$status" -eq 4 ]
	[[ $(jq -r '.findings | length' <<<"$output") -eq 1 ]]
	[[ $(jq -r '.findings[0] | "\(.finding) \(.blocks) \(.path) \(.message)"' <<<"$output") == "leak 12 null leaked reservation: 12 blocks" ]]
	[[ $(jq -r '.filesystem[0] | "\(.sysfs_name) \(.counter) \(.counter_samples) \(.stable) \(.file_sum) \(.reserved_clusters)"' <<<"$output") == "dm-7 12 12,12,12,12 true 0 4096" ]]
	[[ $(jq -r '.files | length' <<<"$output") -eq 0 ]]
}

@test "fixture: the same counter is not judged without --sync or --freeze, exit 0" {
	use_fixture leak
	run "$E4CTL" delalloc audit --json --sysroot "$SYS" "$MNT"
	[ "$status" -eq 0 ]
	[[ $(jq -r '.findings | length' <<<"$output") -eq 0 ]]
	[[ $(jq -r '.filesystem[0].verdict' <<<"$output") == "not judged: not quiesced (use --sync or --freeze)" ]]
}

@test "fixture: a counter of 12 while a file holds dirty pages is no leak but a difference" {
	use_fixture leak
	dd if=/dev/urandom of="$MNT/busy" bs=4096 count=5 status=none
	run "$E4CTL" delalloc audit --json --sysroot "$SYS" "$MNT"
	[ "$status" -eq 0 ]
	[[ $(jq -r '.filesystem[0] | "\(.counter) \(.file_sum) \(.difference)"' <<<"$output") == "12 5 7" ]]
}

@test "fixture: a counter that changes between samples is not a leak, exit 0" {
	use_fixture changing
	fifo=$SYS/sys/fs/ext4/dm-7/delayed_allocation_blocks
	serve_counter "$fifo" 12
	run "$E4CTL" delalloc audit --sync --json --sysroot "$SYS" "$MNT"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $(jq -r '.findings | length' <<<"$output") -eq 0 ]]
	[[ $(jq -r '.filesystem[0] | "\(.live_counter) \(.counter_samples) \(.stable)"' <<<"$output") == "12 13,14,15,16 false" ]]
	[[ $(jq -r '.filesystem[0].verdict' <<<"$output") == "not judged: the counter changed between samples" ]]
}

@test "fixture: no /sys/fs/ext4 directory for the device is an error, exit 8" {
	use_fixture leak
	rm -r "$SYS/sys/fs/ext4/dm-7"
	run "$E4CTL" delalloc audit --sysroot "$SYS" "$MNT"
	[ "$status" -eq 8 ]
	[[ $output == *"no $SYS/sys/fs/ext4/dm-7/delayed_allocation_blocks: not mounted by the ext4 driver" ]]
}

@test "fixture: no /sys/dev/block link for the device is an error, exit 8" {
	use_fixture leak
	rm "$SYS/sys/dev/block/$(mountpoint -d "$MNT")"
	run "$E4CTL" delalloc audit --sysroot "$SYS" "$MNT"
	[ "$status" -eq 8 ]
	[[ $output == *"$SYS/sys/dev/block/$(mountpoint -d "$MNT"): No such file or directory" ]]
}
