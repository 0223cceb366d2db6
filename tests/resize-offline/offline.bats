#!/usr/bin/env bats
# e4ctl resize on unmounted images: the offline engine through the front
# end.  The full feature matrix runs in tests/unit/test_resize_offline.c;
# here: a grow per family, the gates, refusals leaving the image alone,
# --undo with e2undo, and SIGINT.
load ../lib

HELPER=$BATS_TEST_DIRNAME/../unit/resize_offline_helper.sh

setup() {
	require_root
	IMG=$BATS_TEST_TMPDIR/fs.img
	# Skip, saying why, while the front end cannot grow unmounted targets.
	"$HELPER" mk "$IMG" 64M -t ext4
	run "$E4CTL" resize --dry-run "$IMG" 128M
	if [[ $output == *"not available in this build"* || $output == *"unknown command"* ]]; then
		skip "e4ctl resize does not dispatch unmounted targets yet"
	fi
}

teardown() {
	e4_teardown
}

grow_and_verify() {
	local size=$1
	shift
	"$HELPER" mk "$IMG" "$size" "$@"
	"$HELPER" populate "$IMG"
	run "$E4CTL" resize --quiet "$IMG" "$GROW_TO"
	[ "$status" -eq 0 ]
	"$HELPER" verify "$IMG"
}

@test "ext4, 4k blocks, many groups: e2fsck clean, files intact" {
	GROW_TO=3G grow_and_verify 128M -t ext4 -b 4096
	[ "$(dumpe2fs_field "$IMG" 'Block count')" -eq $((3 * 1024 * 1024 / 4)) ]
}

@test "ext2, 1k blocks, beyond the reserved GDT blocks: converts to meta_bg" {
	GROW_TO=200M grow_and_verify 16M -t ext2 -b 1024 -g 1024 -N 1024 -E resize=40000
	dumpe2fs -h "$IMG" 2>/dev/null | grep -q '^Filesystem features:.*meta_bg'
	! dumpe2fs -h "$IMG" 2>/dev/null | grep -q '^Filesystem features:.*resize_inode'
}

@test "ext3 grown within its last group" {
	GROW_TO=110M grow_and_verify 100M -t ext3
}

@test "the image file is extended sparsely to SIZE" {
	"$HELPER" mk "$IMG" 64M -t ext4
	run "$E4CTL" resize --quiet "$IMG" 10G
	[ "$status" -eq 0 ]
	[ "$(stat -c %s "$IMG")" -eq $((10 * 1024 * 1024 * 1024)) ]
	[ "$(du -k "$IMG" | cut -f1)" -lt $((200 * 1024)) ]
	e2fsck -fn "$IMG"
}

@test "mounted since the last check: refused, image unchanged; --force passes" {
	"$HELPER" mk "$IMG" 64M -t ext4
	debugfs -w -R 'ssv mtime 20250101' "$IMG" >/dev/null 2>&1
	tune2fs -T 20000101 "$IMG" >/dev/null
	before=$(img_hash "$IMG")
	run "$E4CTL" resize "$IMG" 128M
	[ "$status" -eq 1 ]
	[[ $output == *"mounted after its last check"* ]]
	[[ $output == *"e2fsck -f"* ]]
	[ "$(img_hash "$IMG")" = "$before" ]
	run "$E4CTL" resize --force --quiet "$IMG" 128M
	[ "$status" -eq 0 ]
	e2fsck -fn "$IMG"
}

@test "errors recorded: refused, image unchanged" {
	"$HELPER" mk "$IMG" 64M -t ext4
	debugfs -w -R 'ssv state 3' "$IMG" >/dev/null 2>&1
	before=$(img_hash "$IMG")
	run "$E4CTL" resize "$IMG" 128M
	[ "$status" -eq 1 ]
	[[ $output == *"errors"* ]]
	[ "$(img_hash "$IMG")" = "$before" ]
}

@test "2^32 blocks without 64bit: refused, image unchanged" {
	"$HELPER" mk "$IMG" 64M -t ext4 -O ^64bit -b 4096
	before=$(img_hash "$IMG")
	run "$E4CTL" resize "$IMG" $((1 << 32))
	[ "$status" -eq 1 ]
	[[ $output == *"64bit"* ]]
	[ "$(img_hash "$IMG")" = "$before" ]
}

@test "shrinking: refused, image unchanged" {
	"$HELPER" mk "$IMG" 64M -t ext4
	before=$(img_hash "$IMG")
	run "$E4CTL" resize "$IMG" 32M
	[ "$status" -eq 1 ]
	[[ $output == *"shrinking an unmounted filesystem is not supported yet"* ]]
	[ "$(img_hash "$IMG")" = "$before" ]
}

@test "--undo, then e2undo: the image hash is the original's" {
	"$HELPER" mk "$IMG" 1G -t ext4 -b 4096 --blocks=32768
	"$HELPER" populate "$IMG"
	before=$(img_hash "$IMG")
	run "$E4CTL" resize --quiet --undo "$BATS_TEST_TMPDIR/u.e2undo" "$IMG" 900M
	[ "$status" -eq 0 ]
	"$HELPER" verify "$IMG" --ro
	e2undo "$BATS_TEST_TMPDIR/u.e2undo" "$IMG"
	[ "$(img_hash "$IMG")" = "$before" ]
}

@test "SIGINT mid-way: exit 3 and not a byte changed, or grown; e2fsck clean either way" {
	"$HELPER" mk "$IMG" 4G -t ext2 -b 1024 --blocks=65536
	"$HELPER" populate "$IMG"
	old=$(dumpe2fs_field "$IMG" 'Block count')
	before=$(img_hash "$IMG")
	"$E4CTL" resize --quiet "$IMG" 4G &
	pid=$!
	sleep 0.05
	kill -INT "$pid" 2>/dev/null || true
	status=0
	wait "$pid" || status=$?
	now=$(dumpe2fs_field "$IMG" 'Block count')
	if [ "$status" -eq 3 ]; then
		[ "$now" -eq "$old" ]
		[ "$(img_hash "$IMG")" = "$before" ]
	else
		[ "$status" -eq 0 ]
		[ "$now" -eq $((4 * 1024 * 1024)) ]
	fi
	"$HELPER" verify "$IMG" --ro
}

@test "--undo across a meta_bg conversion: e2undo gives the original back" {
	"$HELPER" mk "$IMG" 200M -t ext4 -b 1024 -g 1024 -N 1024 -E resize=40000 --blocks=16384
	"$HELPER" populate "$IMG"
	before=$(img_hash "$IMG")
	run "$E4CTL" resize --quiet --undo "$BATS_TEST_TMPDIR/u.e2undo" "$IMG" 150M
	[ "$status" -eq 0 ]
	dumpe2fs -h "$IMG" 2>/dev/null | grep -q '^Filesystem features:.*meta_bg'
	"$HELPER" verify "$IMG" --ro
	e2undo "$BATS_TEST_TMPDIR/u.e2undo" "$IMG"
	[ "$(img_hash "$IMG")" = "$before" ]
	e2fsck -fn "$IMG"
}
