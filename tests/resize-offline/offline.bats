#!/usr/bin/env bats
# e4ctl resize on unmounted images: the offline engine through the front
# end.  The full feature matrix runs in tests/unit/test_resize_offline.c;
# here: a grow per family, the gates, refusals leaving the image alone,
# --undo with e2undo, and SIGINT.
bats_require_minimum_version 1.5.0
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
	features=$(dumpe2fs_field "$IMG" 'Filesystem features')
	[[ $features == *meta_bg* ]]
	[[ $features != *resize_inode* ]]
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

@test "shrinking below the minimum: refused, image unchanged" {
	"$HELPER" mk "$IMG" 64M -t ext4
	before=$(img_hash "$IMG")
	run "$E4CTL" resize "$IMG" 1M
	[ "$status" -eq 1 ]
	[[ $output == *" blocks is below the minimum of "*" blocks: "* ]]
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

@test "SIGINT mid-way (at the 20th group): exit 3, image unchanged; e2undo leaves it so" {
	"$HELPER" mk "$IMG" 4G -t ext2 -b 1024 --blocks=65536
	"$HELPER" populate "$IMG"
	old=$(dumpe2fs_field "$IMG" 'Block count')
	before=$(img_hash "$IMG")
	# The hook raises a real SIGINT at the 20th progress report (one a
	# group here), so the run is interrupted mid-way every time.
	run --separate-stderr env E4_TEST_SIGINT_AFTER=20 "$E4CTL" resize --quiet \
		--undo "$BATS_TEST_TMPDIR/u.e2undo" "$IMG" 1G
	[ "$status" -eq 3 ]
	[[ $stderr == *"interrupted before the grow was committed; the filesystem is unchanged ($old blocks)"* ]]
	[ "$(dumpe2fs_field "$IMG" 'Block count')" -eq "$old" ]
	[ "$(img_hash "$IMG")" = "$before" ]
	e2undo "$BATS_TEST_TMPDIR/u.e2undo" "$IMG"
	[ "$(img_hash "$IMG")" = "$before" ]
	"$HELPER" verify "$IMG" --ro
}

@test "SIGINT on an image the grow extended: the length is put back too" {
	"$HELPER" mk "$IMG" 64M -t ext2 -b 1024
	before=$(img_hash "$IMG")
	run env E4_TEST_SIGINT_AFTER=5 "$E4CTL" resize --quiet "$IMG" 1G
	[ "$status" -eq 3 ]
	[ "$(stat -c %s "$IMG")" -eq $((64 << 20)) ]
	[ "$(img_hash "$IMG")" = "$before" ]
}

@test "--undo on an image the grow extends: e2undo plus the truncate it names give the original" {
	"$HELPER" mk "$IMG" 64M -t ext4
	"$HELPER" populate "$IMG"
	before=$(img_hash "$IMG")
	run --separate-stderr "$E4CTL" resize --quiet --undo "$BATS_TEST_TMPDIR/u.e2undo" "$IMG" 1G
	[ "$status" -eq 0 ]
	want="then 'truncate -s $((64 << 20)) $IMG'"
	[[ $stderr == *"the image was extended from $((64 << 20)) bytes"*"$want"* ]]
	"$HELPER" verify "$IMG" --ro
	e2undo "$BATS_TEST_TMPDIR/u.e2undo" "$IMG"
	# e2undo writes the blocks back but leaves the file's length.
	[ "$(stat -c %s "$IMG")" -eq $((1 << 30)) ]
	truncate -s $((64 << 20)) "$IMG"
	[ "$(img_hash "$IMG")" = "$before" ]
}

@test "--progress: offline progress lines on stderr, ending at 100%" {
	"$HELPER" mk "$IMG" 64M -t ext4
	run --separate-stderr "$E4CTL" resize --quiet --progress "$IMG" 1G
	[ "$status" -eq 0 ]
	[[ $stderr == *"resize: "*" groups:"*"%"*"blocks"* ]]
	last=$(grep 'resize: ' <<<"$stderr" | tail -1)
	[[ $last == "resize: 1.0 GiB, 128/128 groups: 100.0% 983040/983040 blocks"* ]]
	# Without --progress and without a terminal: no progress lines.
	"$HELPER" mk "$IMG" 64M -t ext4
	run --separate-stderr "$E4CTL" resize --quiet "$IMG" 1G
	[ "$status" -eq 0 ]
	[[ $stderr != *"%"* ]]
	e2fsck -fn "$IMG"
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
