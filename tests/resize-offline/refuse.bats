#!/usr/bin/env bats
# e4ctl resize on unmounted images: every refusal leaves the image and the
# --undo file exactly as they were (also with MMP, which a read-write open
# would update), the safety gates are refusals listed in the plan, and a
# bad SIZE is a usage error whatever the gates say.
bats_require_minimum_version 1.5.0
load ../lib

HELPER=$BATS_TEST_DIRNAME/../unit/resize_offline_helper.sh

setup() {
	require_root
	IMG=$BATS_TEST_TMPDIR/fs.img
	UNDO=$BATS_TEST_TMPDIR/u.e2undo
}

teardown() {
	e4_teardown
}

# refused_unchanged MESSAGE ARGS...: exit 1, MESSAGE on stderr, the image
# and an existing undo file byte for byte as before.
refused_unchanged() {
	local msg=$1 before
	shift
	echo "not an undo file" >"$UNDO"
	before=$(img_hash "$IMG")
	run --separate-stderr "$E4CTL" resize "$@"
	[ "$status" -eq 1 ]
	[[ $stderr == *"$msg"* ]]
	[ "$(img_hash "$IMG")" = "$before" ]
	[ "$(cat "$UNDO")" = "not an undo file" ]
}

gate_msg() {
	echo "e4ctl resize: $IMG: $1; run 'e2fsck -f $IMG' first, or use --force"
}

@test "MMP: a refused shrink writes nothing, not even the MMP block" {
	"$HELPER" mk "$IMG" 64M -t ext4 -O mmp
	refused_unchanged "is below the minimum of" \
		--undo "$UNDO" "$IMG" 1M
}

@test "MMP: a refused inode count writes nothing" {
	"$HELPER" mk "$IMG" 64M -t ext4 -b 1024 -O mmp,^resize_inode,meta_bg,64bit -i 1024 -N 65536
	# 2^32 inodes or more: far beyond what 64 MiB holds, so the plan
	# refuses before anything else could.
	ipg=$(dumpe2fs_field "$IMG" 'Inodes per group')
	groups=$(((1 << 32) / ipg + 1))
	refused_unchanged "would pass the limit of 4294967295 inodes" \
		--undo "$UNDO" "$IMG" $((groups * 8192 + 1))
}

@test "gate: not clean; exact message, image and undo file unchanged (MMP)" {
	"$HELPER" mk "$IMG" 64M -t ext4 -O mmp
	debugfs -w -R 'ssv state 0' "$IMG" >/dev/null 2>&1
	refused_unchanged "$(gate_msg 'the filesystem is not clean (not cleanly unmounted, or not checked since)')" \
		--undo "$UNDO" "$IMG" 128M
}

@test "gate: journal needs recovery; exact message, image and undo file unchanged" {
	"$HELPER" mk "$IMG" 64M -t ext4 -O mmp
	debugfs -w -R 'feature needs_recovery' "$IMG" >/dev/null 2>&1
	refused_unchanged "$(gate_msg 'the journal needs recovery')" --undo "$UNDO" "$IMG" 128M
}

@test "gate: orphan list; exact message, image and undo file unchanged" {
	"$HELPER" mk "$IMG" 64M -t ext4 -O mmp
	debugfs -w -R 'ssv last_orphan 12' "$IMG" >/dev/null 2>&1
	refused_unchanged "$(gate_msg 'the filesystem has an orphan inode list')" --undo "$UNDO" "$IMG" 128M
}

@test "gate: errors recorded; refused, then --force grows and e2fsck is clean" {
	"$HELPER" mk "$IMG" 64M -t ext4
	"$HELPER" populate "$IMG"
	debugfs -w -R 'ssv state 3' "$IMG" >/dev/null 2>&1
	refused_unchanged "$(gate_msg 'the filesystem has errors recorded')" "$IMG" 128M
	run "$E4CTL" resize --force --quiet "$IMG" 128M
	[ "$status" -eq 0 ]
	[ "$(dumpe2fs_field "$IMG" 'Block count')" -eq 131072 ]
	"$HELPER" verify "$IMG" --ro
}

@test "an undo file that did not exist is not created by a refusal" {
	"$HELPER" mk "$IMG" 64M -t ext4
	debugfs -w -R 'ssv state 0' "$IMG" >/dev/null 2>&1
	run "$E4CTL" resize --undo "$UNDO" "$IMG" 128M
	[ "$status" -eq 1 ]
	[ ! -e "$UNDO" ]
}

@test "-n --json on a not-clean image: the plan, with the gate among its refusals" {
	"$HELPER" mk "$IMG" 64M -t ext4
	debugfs -w -R 'ssv state 0' "$IMG" >/dev/null 2>&1
	run --separate-stderr "$E4CTL" resize -n --json "$IMG" 1G
	[ "$status" -eq 1 ]
	[ "$(jq -r .plan[0].new_blocks <<<"$output")" -eq 1048576 ]
	[ "$(jq -r '.plan[0].refusals | length' <<<"$output")" -eq 1 ]
	[[ $(jq -r '.plan[0].refusals[0]' <<<"$output") == "the filesystem is not clean"*"e2fsck -f $IMG"* ]]
	# Two refusals at once: the size (below the minimum) and the gate.
	run --separate-stderr "$E4CTL" resize -n --json "$IMG" 1M
	[ "$status" -eq 1 ]
	[ "$(jq -r '.plan[0].refusals | length' <<<"$output")" -eq 2 ]
}

@test "a bad SIZE is a usage error (exit 2) even when a gate would refuse" {
	"$HELPER" mk "$IMG" 64M -t ext4 -O mmp
	debugfs -w -R 'ssv state 0' "$IMG" >/dev/null 2>&1
	before=$(img_hash "$IMG")
	run "$E4CTL" resize "$IMG" garbage
	[ "$status" -eq 2 ]
	[[ $output == *"invalid size 'garbage'"* ]]
	[ "$(img_hash "$IMG")" = "$before" ]
}

@test "equal size: nothing to do, nothing written (MMP)" {
	"$HELPER" mk "$IMG" 64M -t ext4 -O mmp
	before=$(img_hash "$IMG")
	run "$E4CTL" resize "$IMG" 64M
	[ "$status" -eq 0 ]
	[[ $output == *"nothing to do"* ]]
	[ "$(img_hash "$IMG")" = "$before" ]
}
