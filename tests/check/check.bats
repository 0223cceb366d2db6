#!/usr/bin/env bats
# e4ctl check: clean images are clean, each seeded corruption gives
# exactly its findings and exit 4 (and e2fsck -fn agrees on the numbers),
# nothing is ever written, and the freeze of a mounted filesystem is
# always lifted: at the end, on timeout, on SIGTERM and on SIGKILL.

load ../lib
bats_require_minimum_version 1.5.0

setup() {
	IMG=$BATS_TEST_TMPDIR/fs.img
	MNT=$BATS_TEST_TMPDIR/mnt
}

teardown() {
	# Never leave a frozen filesystem behind, even when a test failed.
	[[ -d $MNT ]] && fsfreeze -u "$MNT" 2>/dev/null
	e4_teardown
}

findings() {
	"$E4CTL" check --raw --noheadings -o GROUP,WHAT,EXPECTED,FOUND "$@"
}

# A value of group $2's descriptor ("free_blocks") as e4ctl groups shows it.
desc() {
	"$E4CTL" groups --raw --noheadings -o "$3" --groups "$2" "$1"
}

# Whether the filesystem mounted at $1 is frozen, without blocking on it:
# FIFREEZE on a frozen filesystem fails with EBUSY.
is_frozen() {
	if fsfreeze -f "$1" 2>/dev/null; then
		fsfreeze -u "$1"
		return 1
	fi
	return 0
}

@test "clean images: exit 0, no findings, and e2fsck agrees" {
	local opts
	for opts in "-t ext4 -b 1024" "-t ext4 -b 4096" "-t ext4 -O ^flex_bg" \
		    "-t ext4 -b 1024 -O meta_bg,^resize_inode" "-t ext4 -O 64bit" \
		    "-t ext4 -O bigalloc,^resize_inode -C 65536" "-t ext3 -b 1024" \
		    "-t ext4 -O ^metadata_csum,uninit_bg"; do
		# shellcheck disable=SC2086
		mkimg "$IMG" 300M $opts
		run "$E4CTL" check "$IMG"
		echo "$opts: $output"
		[[ $status -eq 0 ]]
		[[ $output == *": "*" groups, "*": clean" ]]
		e2fsck -fn "$IMG" >/dev/null 2>&1
		[[ $("$E4CTL" check --json "$IMG" | jq '.findings | length') -eq 0 ]]
	done
}

@test "the totals are the superblock's on a clean image" {
	mkimg "$IMG" 300M -t ext4
	run "$E4CTL" check "$IMG"
	[[ $status -eq 0 ]]
	[[ $output == *"$(dumpe2fs_field "$IMG" 'Free blocks') free blocks, $(dumpe2fs_field "$IMG" 'Free inodes') free inodes: clean" ]]
}

@test "set_bg 3 free_blocks_count 7 (checksum recomputed): exactly that finding, exit 4" {
	mkimg "$IMG" 96M -t ext4 -b 1024
	local was hash
	was=$(desc "$IMG" 3 FREE_BLOCKS)
	printf 'set_bg 3 free_blocks_count 7\nset_bg 3 checksum calc\n' >"$BATS_TEST_TMPDIR/cmds"
	debugfs -w -f "$BATS_TEST_TMPDIR/cmds" "$IMG" >/dev/null 2>&1
	[[ $(desc "$IMG" 3 FREE_BLOCKS) == 7 ]]
	hash=$(img_hash "$IMG")
	run findings "$IMG"
	[[ $status -eq 4 ]]
	[[ $output == "3 free_blocks $was 7" ]]
	# Never writes.
	[[ $(img_hash "$IMG") == "$hash" ]]
	# e2fsck -fn says the same.
	run e2fsck -fn "$IMG"
	[[ $status -eq 4 ]]
	[[ $output == *"Free blocks count wrong for group #3 (7, counted=$was)"* ]]
}

@test "set_bg alone leaves a bad descriptor checksum: both findings, as e2fsck" {
	mkimg "$IMG" 96M -t ext4 -b 1024
	local was calc stored
	was=$(desc "$IMG" 3 FREE_BLOCKS)
	debugfs -w -R "set_bg 3 free_blocks_count 7" "$IMG" >/dev/null 2>&1
	run e2fsck -fn "$IMG"
	[[ $output =~ Group\ descriptor\ 3\ checksum\ is\ (0x[0-9a-f]+),\ should\ be\ (0x[0-9a-f]+) ]]
	stored=$((BASH_REMATCH[1])) calc=$((BASH_REMATCH[2]))
	[[ $output == *"Free blocks count wrong for group #3 (7, counted=$was)"* ]]
	run findings "$IMG"
	[[ $status -eq 4 ]]
	[[ $output == "3 desc_csum $calc $stored"$'\n'"3 free_blocks $was 7" ]]
}

@test "a bad descriptor checksum alone" {
	mkimg "$IMG" 96M -t ext4 -b 1024
	debugfs -w -n -R "set_bg 0 checksum 0x1234" "$IMG" >/dev/null 2>&1
	run e2fsck -fn "$IMG"
	[[ $output =~ Group\ descriptor\ 0\ checksum\ is\ 0x1234,\ should\ be\ (0x[0-9a-f]+) ]]
	run findings "$IMG"
	[[ $status -eq 4 ]]
	[[ $output == "0 desc_csum $((BASH_REMATCH[1])) 4660" ]]
}

@test "a bit set in a block bitmap (debugfs setb): that group and the superblock" {
	mkimg "$IMG" 96M -t ext4 -b 1024
	local was sb blk
	was=$(desc "$IMG" 0 FREE_BLOCKS)
	sb=$(dumpe2fs_field "$IMG" 'Free blocks')
	# The last block of group 0 (1-8192) is free on a fresh image, and
	# group 0's bitmap is initialised (debugfs writes no BLOCK_UNINIT one).
	blk=8192
	debugfs -R "testb $blk" "$IMG" 2>/dev/null | grep -q "not in use"
	debugfs -w -R "setb $blk" "$IMG" >/dev/null 2>&1
	run findings "$IMG"
	[[ $status -eq 4 ]]
	[[ $output == "0 free_blocks $((was - 1)) $was"$'\n'" sb_free_blocks $((sb - 1)) $sb" ]]
	run e2fsck -fn "$IMG"
	[[ $status -eq 4 && $output == *"Block bitmap differences:  -$blk"* ]]
	[[ $output == *"Free blocks count wrong for group #0 ($was, counted=$((was - 1)))"* ]]
	[[ $output == *"Free blocks count wrong ($sb, counted=$((sb - 1)))"* ]]
}

@test "a bit flipped on disk in an inode bitmap: counts and the bitmap checksum" {
	mkimg "$IMG" 96M -t ext4 -b 1024
	local ib was stored sbfree
	ib=$(desc "$IMG" 0 IBITMAP)
	was=$(desc "$IMG" 0 FREE_INODES)
	stored=$(($(desc "$IMG" 0 IBITMAP_CSUM)))
	sbfree=$(dumpe2fs_field "$IMG" 'Free inodes')
	# Inode 2041 (byte 255, bit 0) is free: mark it used behind
	# libext2fs's back, so nothing else changes.
	printf '\x01' | dd of="$IMG" bs=1 seek=$((ib * 1024 + 255)) conv=notrunc status=none
	run findings "$IMG"
	[[ $status -eq 4 ]]
	[[ ${lines[0]} == "0 free_inodes $((was - 1)) $was" ]]
	[[ ${lines[1]} =~ ^0\ inode_bitmap_csum\ [0-9]+\ $stored$ ]]
	[[ ${lines[2]} == " sb_free_inodes $((sbfree - 1)) $sbfree" ]]
	[[ ${#lines[@]} -eq 3 ]]
	# e2fsck -fn: the same inode, the same counts, the same group's checksum
	run e2fsck -fn "$IMG"
	[[ $status -eq 4 ]]
	[[ $output == *"Inode bitmap differences:  -2041"$'\n'* ]]
	[[ $output == *"Free inodes count wrong for group #0 ($was, counted=$((was - 1)))"* ]]
	[[ $output == *"Free inodes count wrong ($sbfree, counted=$((sbfree - 1)))"* ]]
	[[ $output == *"Group 0 inode bitmap does not match checksum"* ]]
	[[ $(grep -c "bitmap does not match checksum" <<<"$output") -eq 1 ]]
}

@test "a bit flipped on disk in a block bitmap: 32- and 16-bit bitmap checksums" {
	local opts bb was stored sbfree calc
	for opts in "-O 64bit" "-O ^64bit"; do
		# shellcheck disable=SC2086
		mkimg "$IMG" 96M -t ext4 -b 1024 $opts
		bb=$(desc "$IMG" 0 BBITMAP)
		was=$(desc "$IMG" 0 FREE_BLOCKS)
		stored=$(($(desc "$IMG" 0 BBITMAP_CSUM)))
		sbfree=$(dumpe2fs_field "$IMG" 'Free blocks')
		# Block 8192, the last of group 0, is free: bit 8191.
		printf '\x80' | dd of="$IMG" bs=1 seek=$((bb * 1024 + 1023)) conv=notrunc status=none
		run findings "$IMG"
		echo "$opts: $output"
		[[ $status -eq 4 && ${#lines[@]} -eq 3 ]]
		[[ ${lines[0]} == "0 free_blocks $((was - 1)) $was" ]]
		[[ ${lines[1]} =~ ^0\ block_bitmap_csum\ ([0-9]+)\ $stored$ ]]
		calc=${BASH_REMATCH[1]}
		[[ ${lines[2]} == " sb_free_blocks $((sbfree - 1)) $sbfree" ]]
		# Without 64-byte descriptors only the low 16 bits are kept.
		if [[ $opts == *^64bit* ]]; then
			[[ $calc -lt 65536 && $stored -lt 65536 ]]
		fi
		# e2fsck sees the same block, counts and bitmap checksum problem.
		run e2fsck -fn "$IMG"
		[[ $status -eq 4 ]]
		[[ $output == *"Block bitmap differences:  -8192"$'\n'* ]]
		[[ $output == *"Free blocks count wrong for group #0 ($was, counted=$((was - 1)))"* ]]
		[[ $output == *"Free blocks count wrong ($sbfree, counted=$((sbfree - 1)))"* ]]
		[[ $output == *"Group 0 block bitmap does not match checksum"* ]]
		[[ $(grep -c "bitmap does not match checksum" <<<"$output") -eq 1 ]]
	done
}

@test "the superblock's free count changed: one finding, as e2fsck" {
	mkimg "$IMG" 96M -t ext4 -b 1024
	local sb
	sb=$(dumpe2fs_field "$IMG" 'Free blocks')
	debugfs -w -R "ssv free_blocks_count 1234" "$IMG" >/dev/null 2>&1
	run findings "$IMG"
	[[ $status -eq 4 && $output == " sb_free_blocks $sb 1234" ]]
	run e2fsck -fn "$IMG"
	[[ $output == *"Free blocks count wrong (1234, counted=$sb)"* ]]
}

@test "--json: findings with numbers, null group for the superblock" {
	mkimg "$IMG" 96M -t ext4 -b 1024
	debugfs -w -R "ssv free_inodes_count 5" "$IMG" >/dev/null 2>&1
	run "$E4CTL" check --json "$IMG"
	[[ $status -eq 4 ]]
	[[ $(jq -r '.findings[0].group' <<<"$output") == null ]]
	[[ $(jq -r '.findings[0].what' <<<"$output") == sb_free_inodes ]]
	[[ $(jq -r '.findings[0].found | type' <<<"$output") == number ]]
	[[ $(jq -r '.findings[0].found' <<<"$output") == 5 ]]
}

@test "--json: the verdict, whether it is advisory, whether it was frozen" {
	mkimg "$IMG" 96M -t ext4 -b 1024
	run "$E4CTL" check --json "$IMG"
	[[ $status -eq 0 ]]
	[[ $(jq -c '.filesystem[0] | [.device, .mountpoint, .verdict, .advisory, .frozen]' <<<"$output") == "[\"$IMG\",null,\"clean\",false,false]" ]]
	[[ $(jq '.filesystem[0].groups' <<<"$output") -eq 12 ]]
	[[ $(jq '.filesystem[0].free_blocks' <<<"$output") -eq $(dumpe2fs_field "$IMG" 'Free blocks') ]]
	[[ $(jq '.filesystem[0].free_inodes' <<<"$output") -eq $(dumpe2fs_field "$IMG" 'Free inodes') ]]
	[[ $(jq '.findings | length' <<<"$output") -eq 0 ]]
	printf 'set_bg 3 free_blocks_count 7\nset_bg 3 checksum calc\n' >"$BATS_TEST_TMPDIR/cmds"
	debugfs -w -f "$BATS_TEST_TMPDIR/cmds" "$IMG" >/dev/null 2>&1
	run "$E4CTL" check --json "$IMG"
	[[ $status -eq 4 ]]
	[[ $(jq -c '.filesystem[0] | [.verdict, .advisory]' <<<"$output") == '["problems found",false]' ]]
	# -o chooses the finding columns only
	run "$E4CTL" check --json -o what "$IMG"
	[[ $(jq -c '.findings' <<<"$output") == '[{"what":"free_blocks"}]' ]]
	[[ $(jq -r '.filesystem[0].verdict' <<<"$output") == "problems found" ]]
}

@test "--json on a mounted filesystem: advisory without --freeze, not with it" {
	require_root
	mkimg "$IMG" 96M -t ext4 -b 1024
	printf 'set_bg 3 free_blocks_count 7\nset_bg 3 checksum calc\n' >"$BATS_TEST_TMPDIR/cmds"
	debugfs -w -f "$BATS_TEST_TMPDIR/cmds" "$IMG" >/dev/null 2>&1
	mount_img "$IMG" "$MNT"
	run --separate-stderr "$E4CTL" check --json "$MNT"
	[[ $status -eq 0 ]]
	[[ $(jq -c '.filesystem[0] | [.mountpoint, .verdict, .advisory, .frozen]' <<<"$output") == "[\"$MNT\",\"problems found\",true,false]" ]]
	[[ $(jq -r '.findings[0].what' <<<"$output") == free_blocks ]]
	run --separate-stderr "$E4CTL" check --json --freeze "$MNT"
	[[ $status -eq 4 ]]
	[[ $(jq -c '.filesystem[0] | [.verdict, .advisory, .frozen]' <<<"$output") == '["problems found",false,true]' ]]
}

@test "--threads: 0 is one per CPU; out of range is a usage error that says so" {
	mkimg "$IMG" 96M -t ext4 -b 1024
	run "$E4CTL" check --threads 0 "$IMG"
	[[ $status -eq 0 && $output == *": clean" ]]
	run "$E4CTL" check --threads 257 "$IMG"
	[[ $status -eq 16 ]]
	[[ ${lines[0]} == "e4ctl check: --threads must be 0 (one per CPU, the default) or 1 to 256" ]]
	run "$E4CTL" check --threads -1 "$IMG"
	[[ $status -eq 16 ]]
}

@test "exit codes: usage 16, operational error 8" {
	run "$E4CTL" check --bogus x
	[[ $status -eq 16 ]]
	run "$E4CTL" check
	[[ $status -eq 16 ]]
	run "$E4CTL" check --freeze-timeout 0 x
	[[ $status -eq 16 ]]
	truncate -s 10M "$IMG"
	run "$E4CTL" check "$IMG"
	[[ $status -eq 8 && $output == *"not an ext2/3/4 filesystem"* ]]
	run "$E4CTL" check --list-columns
	[[ $status -eq 0 && $output == *EXPECTED* ]]
}

@test "--progress: groups done on stderr, the last line complete" {
	mkimg "$IMG" 300M -t ext4 -b 1024
	"$E4CTL" check --progress "$IMG" 2>"$BATS_TEST_TMPDIR/err" >/dev/null
	tail -n1 "$BATS_TEST_TMPDIR/err" | grep -q "^check: 100.0% 38/38 groups"
	run "$E4CTL" check "$IMG"
	[[ $output != *"groups/s"* ]]
}

@test "the result is the same with 1 thread and with many" {
	mkimg "$IMG" 300M -t ext4 -b 1024
	printf 'set_bg 5 free_inodes_count 9\nset_bg 5 checksum calc\nset_bg 30 free_blocks_count 1\nset_bg 30 checksum calc\n' >"$BATS_TEST_TMPDIR/cmds"
	debugfs -w -f "$BATS_TEST_TMPDIR/cmds" "$IMG" >/dev/null 2>&1
	run findings -j 1 "$IMG"
	[[ $status -eq 4 && ${#lines[@]} -eq 2 ]]
	[[ $(findings -j 7 "$IMG") == "$output" ]]
}

@test "mounted, no --freeze: advisory, disagreements are warnings, exit 0" {
	require_root
	mkimg "$IMG" 96M -t ext4 -b 1024
	printf 'set_bg 3 free_blocks_count 7\nset_bg 3 checksum calc\n' >"$BATS_TEST_TMPDIR/cmds"
	debugfs -w -f "$BATS_TEST_TMPDIR/cmds" "$IMG" >/dev/null 2>&1
	mount_img "$IMG" "$MNT"
	run "$E4CTL" check -o +LEVEL "$MNT"
	[[ $status -eq 0 ]]
	[[ $output == *"result is advisory (use --freeze)"* ]]
	[[ $output == *"3 free_blocks"*" 7 warning"* ]]
	[[ $output == *"problems found (advisory)"* ]]
	# Frozen, the same disagreement is an error.
	run "$E4CTL" check --freeze "$MNT"
	[[ $status -eq 4 && $output == *"3 free_blocks"* ]]
}

@test "mounted, --freeze after writes: clean, and writable afterwards" {
	require_root
	mkimg "$IMG" 300M -t ext4
	mount_img "$IMG" "$MNT"
	local i
	for i in $(seq 1 30); do
		head -c $((i * 30000)) /dev/urandom >"$MNT/f$i"
	done
	mkdir "$MNT/dir"
	rm "$MNT/f3" "$MNT/f7"
	run "$E4CTL" check --freeze "$MNT"
	echo "$output"
	[[ $status -eq 0 && $output == *": clean" && $output != *advisory* ]]
	run ! is_frozen "$MNT"
	timeout 10 sh -c "echo after >'$MNT/after' && sync"
	[[ $(cat "$MNT/after") == after ]]
	# The watchdog holds none of our descriptors: a pipe reader sees EOF
	# as soon as e4ctl exits.
	timeout 20 "$E4CTL" check --freeze --freeze-timeout 60000 "$MNT" | cat >/dev/null
	run ! is_frozen "$MNT"
	umount_all
	e2fsck -fn "$IMG"
}

# Start a --freeze check that holds the freeze (test hook), wait until it is frozen.
start_held_check() {
	E4_TEST_FREEZE_HOLD_MS=$1 "$E4CTL" check --freeze --freeze-timeout "$2" "$MNT" \
		>"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
	PID=$!
	local i
	for i in $(seq 1 200); do
		grep -q "holding the freeze" "$BATS_TEST_TMPDIR/err" && break
		sleep 0.05
	done
	grep -q "holding the freeze" "$BATS_TEST_TMPDIR/err"
	is_frozen "$MNT"
}

@test "SIGTERM while frozen: thawed, exit 8" {
	require_root
	mkimg "$IMG" 96M -t ext4
	mount_img "$IMG" "$MNT"
	start_held_check 60000 120000
	kill -TERM "$PID"
	local status=0
	wait "$PID" || status=$?
	[[ $status -eq 8 ]]
	grep -q "interrupted; the filesystem is thawed" "$BATS_TEST_TMPDIR/err"
	run ! is_frozen "$MNT"
	timeout 10 touch "$MNT/after"
}

# Start a check that stops after its first group (test hook) with $@ as
# options; wait until it holds there.
start_scan_held_check() {
	E4_TEST_SCAN_HOLD_MS=120000 "$E4CTL" check --progress --threads 1 "$@" \
		>"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
	PID=$!
	local i
	for i in $(seq 1 200); do
		grep -q "holding the scan" "$BATS_TEST_TMPDIR/err" && break
		sleep 0.05
	done
	grep -q "holding the scan" "$BATS_TEST_TMPDIR/err"
}

@test "SIGTERM during the scan of a frozen filesystem: the scan stops, thawed, exit 8" {
	require_root
	mkimg "$IMG" 300M -t ext4 -b 1024
	mount_img "$IMG" "$MNT"
	start_scan_held_check --freeze --freeze-timeout 120000 "$MNT"
	is_frozen "$MNT"
	kill -TERM "$PID"
	local status=0
	wait "$PID" || status=$?
	cat "$BATS_TEST_TMPDIR/err"
	[[ $status -eq 8 ]]
	grep -q "interrupted; the filesystem is thawed" "$BATS_TEST_TMPDIR/err"
	# stopped in the scan: group 1 of 38 was the last one reported
	grep -q "^check: .* 1/38 groups" "$BATS_TEST_TMPDIR/err"
	run ! grep -q "38/38 groups" "$BATS_TEST_TMPDIR/err"
	[[ ! -s $BATS_TEST_TMPDIR/out ]]
	run ! is_frozen "$MNT"
	timeout 10 touch "$MNT/after"
}

@test "SIGTERM during the scan of an image: the scan stops, exit 8, nothing printed" {
	mkimg "$IMG" 300M -t ext4 -b 1024
	local hash
	hash=$(img_hash "$IMG")
	start_scan_held_check "$IMG"
	kill -TERM "$PID"
	local status=0
	wait "$PID" || status=$?
	[[ $status -eq 8 ]]
	grep -qx "e4ctl check: interrupted" "$BATS_TEST_TMPDIR/err"
	run ! grep -q "38/38 groups" "$BATS_TEST_TMPDIR/err"
	[[ ! -s $BATS_TEST_TMPDIR/out ]]
	[[ $(img_hash "$IMG") == "$hash" ]]
}

@test "SIGKILL while frozen: the watchdog thaws" {
	require_root
	mkimg "$IMG" 96M -t ext4
	mount_img "$IMG" "$MNT"
	start_held_check 60000 120000
	kill -KILL "$PID"
	wait "$PID" || true
	# The watchdog notices the closed pipe at once; allow it a moment.
	local i
	for i in $(seq 1 50); do
		is_frozen "$MNT" || break
		sleep 0.1
	done
	run ! is_frozen "$MNT"
	timeout 10 touch "$MNT/after"
}

@test "--freeze-timeout expiry: thawed early, check incomplete, exit 8" {
	require_root
	mkimg "$IMG" 96M -t ext4
	mount_img "$IMG" "$MNT"
	E4_TEST_FREEZE_HOLD_MS=3000 run "$E4CTL" check --freeze --freeze-timeout 500 "$MNT"
	[[ $status -eq 8 ]]
	[[ $output == *"check incomplete: frozen longer than 500 ms"* ]]
	[[ $output != *clean* ]]
	run ! is_frozen "$MNT"
	timeout 10 touch "$MNT/after"
}

@test "--freeze on an unmounted image: a warning, then the check" {
	mkimg "$IMG" 96M -t ext4
	run "$E4CTL" check --freeze "$IMG"
	[[ $status -eq 0 && $output == *"not mounted; --freeze has nothing to do"* && $output == *clean* ]]
}
