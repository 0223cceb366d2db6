#!/usr/bin/env bats
# The safety gates of lib/gate.c in front of an offline grow: every kind
# of damage (a bad checksum of the superblock, a descriptor, a block or
# inode bitmap; an impossible superblock count; a free count that
# disagrees with the bitmaps) is refused by name with e2fsck -f as the
# next step, also in `resize -n`, the image is left byte for byte as it
# was and e2fsck -fn still sees the damage.  --force passes only the soft
# gates: a bad checksum or an impossible count is never written over.
bats_require_minimum_version 1.5.0
load ../lib

setup() {
	IMG=$BATS_TEST_TMPDIR/fs.img
	mkimg "$IMG" 64M -t ext4 -b 1024
}

# debugfs with several requests in one session (a second session could
# not even open a filesystem whose bitmap checksum is bad).
dbg() {
	printf '%s\n' "$@" >"$BATS_TEST_TMPDIR/dbg"
	debugfs -w -f "$BATS_TEST_TMPDIR/dbg" "$IMG" >/dev/null 2>&1
}

# The primary superblock's checksum field (offset 0x3fc), behind
# libext2fs's back: debugfs would recompute it on close.
bad_sb_csum() {
	printf '\x34\x12\x00\x00' | dd of="$IMG" bs=1 seek=$((1024 + 0x3fc)) conv=notrunc status=none
}

hard() {
	echo "e4ctl resize: $IMG: $1; run 'e2fsck -f $IMG' (--force does not override this)"
}

soft() {
	echo "e4ctl resize: $IMG: $1; run 'e2fsck -f $IMG' first, or use --force"
}

# refused MESSAGE E2FSCK_TEXT [resize options]: exit 1 with exactly
# MESSAGE as the one line on stderr, the same refusal in -n (exit 1, the
# plan shown), the image unchanged, and e2fsck -fn still finds E2FSCK_TEXT
# (with exit 4, or $FSCK_RC: e2fsck -n does not count the superblock's
# free counts as errors, but prints them).
refused() {
	local msg=$1 fsck=$2 before
	shift 2
	before=$(img_hash "$IMG")
	run --separate-stderr "$E4CTL" resize -q "$@" "$IMG" 128M
	echo "status $status stderr: $stderr"
	[ "$status" -eq 1 ]
	[ "$stderr" = "$msg" ]
	[ "$(img_hash "$IMG")" = "$before" ]
	run --separate-stderr "$E4CTL" resize -n "$@" "$IMG" 128M
	[ "$status" -eq 1 ]
	[[ $output == *"Refused because:"*"${msg#e4ctl resize: "$IMG": }"* ]]
	[ "$(img_hash "$IMG")" = "$before" ]
	run e2fsck -fn "$IMG"
	[ "$status" -eq "${FSCK_RC:-4}" ]
	[[ $output == *"$fsck"* ]]
}

@test "block bitmap checksum: refused, also with --force; evidence kept" {
	dbg "set_bg 0 block_bitmap_csum 0x1234" "set_bg 0 checksum calc"
	local calc
	calc=$("$E4CTL" check --raw --noheadings -o WHAT,EXPECTED "$IMG" | awk '$1 == "block_bitmap_csum" { printf "0x%x", $2 }')
	[ -n "$calc" ]
	refused "$(hard "the block bitmap checksum of group 0 is wrong (0x1234 stored, $calc computed)")" \
		"Group 0 block bitmap does not match checksum"
	refused "$(hard "the block bitmap checksum of group 0 is wrong (0x1234 stored, $calc computed)")" \
		"Group 0 block bitmap does not match checksum" --force
}

@test "inode bitmap checksum: refused, also with --force; evidence kept" {
	dbg "set_bg 0 inode_bitmap_csum 0x1234" "set_bg 0 checksum calc"
	local calc
	calc=$("$E4CTL" check --raw --noheadings -o WHAT,EXPECTED "$IMG" | awk '$1 == "inode_bitmap_csum" { printf "0x%x", $2 }')
	refused "$(hard "the inode bitmap checksum of group 0 is wrong (0x1234 stored, $calc computed)")" \
		"Group 0 inode bitmap does not match checksum"
	refused "$(hard "the inode bitmap checksum of group 0 is wrong (0x1234 stored, $calc computed)")" \
		"Group 0 inode bitmap does not match checksum" --force
}

@test "superblock checksum: refused, also with --force; evidence kept" {
	bad_sb_csum
	run e2fsck -fn "$IMG"
	[[ $output == *"Superblock checksum does not match superblock"* ]]
	run --separate-stderr "$E4CTL" resize -q --force "$IMG" 128M
	[ "$status" -eq 1 ]
	[[ $stderr =~ ^"e4ctl resize: $IMG: the superblock checksum is wrong (0x00001234 stored, 0x"[0-9a-f]{8}" computed); run 'e2fsck -f $IMG' (--force does not override this)"$ ]]
	refused "$stderr" "Superblock checksum does not match superblock"
	refused "$stderr" "Superblock checksum does not match superblock" --force
}

@test "descriptor checksum: refused, also with --force; evidence kept" {
	debugfs -w -n -R "set_bg 2 checksum 0x1234" "$IMG" >/dev/null 2>&1
	run e2fsck -fn "$IMG"
	[[ $output =~ Group\ descriptor\ 2\ checksum\ is\ 0x1234,\ should\ be\ (0x[0-9a-f]+) ]]
	local calc=${BASH_REMATCH[1]}
	refused "$(hard "the descriptor checksum of group 2 is wrong (0x1234 stored, $calc computed)")" \
		"Group descriptor 2 checksum is 0x1234" --force
	refused "$(hard "the descriptor checksum of group 2 is wrong (0x1234 stored, $calc computed)")" \
		"Group descriptor 2 checksum is 0x1234"
}

@test "free blocks > block count: refused, also with --force" {
	debugfs -w -R "ssv free_blocks_count 99999999" "$IMG" >/dev/null 2>&1
	[ "$(dumpe2fs_field "$IMG" 'Free blocks')" = 99999999 ]
	run --separate-stderr "$E4CTL" resize -q --force "$IMG" 128M
	[ "$status" -eq 1 ]
	[ "$stderr" = "$(hard "the superblock's free block count (99999999) exceeds its block count (65536)")" ]
	# Without --force the count finding of check is listed as well.
	run --separate-stderr "$E4CTL" resize -q "$IMG" 128M
	[ "$status" -eq 1 ]
	[[ $stderr == *"free block count (99999999) exceeds its block count (65536)"* ]]
	[[ $stderr == *"a free count disagrees with the bitmaps (superblock free blocks: 99999999 stored, "* ]]
	FSCK_RC=0 refused "$(hard "the superblock's free block count (99999999) exceeds its block count (65536)")" \
		"Free blocks count wrong (99999999, counted=" --force
}

@test "free inodes > inode count: refused, also with --force" {
	debugfs -w -R "ssv free_inodes_count 99999" "$IMG" >/dev/null 2>&1
	FSCK_RC=0 refused "$(hard "the superblock's free inode count (99999) exceeds its inode count (16384)")" \
		"Free inodes count wrong (99999, counted=" --force
}

@test "a group's free count wrong: refused; --force grows and the damage is still there" {
	local was
	was=$("$E4CTL" groups --raw --noheadings -o FREE_BLOCKS --groups 3 "$IMG")
	dbg "set_bg 3 free_blocks_count 7" "set_bg 3 checksum calc"
	refused "$(soft "a free count disagrees with the bitmaps (group 3 free blocks: 7 stored, $was counted)")" \
		"Free blocks count wrong for group #3 (7, counted=$was)"
	# --force passes a soft gate; the grow leaves group 3 alone, so
	# e2fsck still sees the count it must repair.
	run "$E4CTL" resize -q --force "$IMG" 128M
	[ "$status" -eq 0 ]
	[ "$(dumpe2fs_field "$IMG" 'Block count')" -eq 131072 ]
	run e2fsck -fn "$IMG"
	[ "$status" -eq 4 ]
	[[ $output == *"Free blocks count wrong for group #3 (7, counted=$was)"* ]]
}

@test "several kinds at once: each listed by resize -n --json, hard ones with --force" {
	bad_sb_csum
	debugfs -w -n -R "set_bg 2 checksum 0x1234" "$IMG" >/dev/null 2>&1
	bad_sb_csum
	run --separate-stderr "$E4CTL" resize -n --json "$IMG" 128M
	[ "$status" -eq 1 ]
	jq -e . <<<"$output" >/dev/null
	[[ $(jq -r '.plan[0].refusals[]' <<<"$output") == *"superblock checksum is wrong"* ]]
	[[ $(jq -r '.plan[0].refusals[]' <<<"$output") == *"descriptor checksum of group 2 is wrong"* ]]
	run --separate-stderr "$E4CTL" resize -n --json --force "$IMG" 128M
	[ "$status" -eq 1 ]
	[ "$(jq -r '.plan[0].refusals | length' <<<"$output")" -eq 2 ]
}

@test "a clean image passes every gate and grows" {
	run "$E4CTL" resize -q "$IMG" 128M
	[ "$status" -eq 0 ]
	e2fsck -fn "$IMG"
}

@test "two writers: the second refuses while the first holds the lock, never both write" {
	local err=$BATS_TEST_TMPDIR/first.err undo=$BATS_TEST_TMPDIR/u.e2undo i
	E4_TEST_HOLD_AFTER_LOCK_MS=20000 "$E4CTL" resize -q "$IMG" 128M 2>"$err" &
	local first=$!
	# Wait (not a timed assertion) for the first to say it holds the lock.
	for i in $(seq 1 300); do
		grep -q "holding the write lock" "$err" && break
		sleep 0.1
	done
	grep -q "holding the write lock" "$err"
	local before
	before=$(img_hash "$IMG")
	echo "not an undo file" >"$undo"
	run --separate-stderr "$E4CTL" resize -q --undo "$undo" "$IMG" 96M
	[ "$status" -eq 1 ]
	[ "$stderr" = "e4ctl resize: $IMG: another e4ctl is writing to it; nothing was changed, try again once it has finished" ]
	[ "$(cat "$undo")" = "not an undo file" ]
	[ "$(img_hash "$IMG")" = "$before" ]
	# The first still holds the lock and has not written yet; end it
	# there, through its SIGINT path, then the lock is free again.
	kill -INT "$first"
	wait "$first" || true
	run "$E4CTL" resize -q "$IMG" 128M
	[ "$status" -eq 0 ]
	[ "$(dumpe2fs_field "$IMG" 'Block count')" -eq 131072 ]
	e2fsck -fn "$IMG"
}
