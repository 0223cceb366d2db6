#!/usr/bin/env bats
# e4ctl delalloc audit --freeze: judged while frozen, and always thawed:
# at the end, on SIGTERM, on SIGKILL, and when the time limit passes.
#
# E4_TEST_FROZEN_FILE (see e4ctl-delalloc(8)) makes the audit create
# that file once the filesystem is frozen and hold there until a signal
# arrives or the file is removed: the tests act at that point instead of
# guessing how long anything takes.  Whether the filesystem is frozen is
# asked of the kernel without changing it: FIFREEZE on a frozen one fails
# with EBUSY.  `timeout` only keeps a broken thaw from hanging the suite.

load ../lib

setup() {
	require_root
	IMG=$BATS_TEST_TMPDIR/fs.img
	MNT=$BATS_TEST_TMPDIR/mnt
	HOLD=$BATS_TEST_TMPDIR/frozen
	mkimg "$IMG" 128M -t ext4 -b 4096
	mount_img "$IMG" "$MNT"
	PID=
}

teardown() {
	[[ -n $PID ]] && kill -KILL "$PID" 2>/dev/null
	fsfreeze --unfreeze "$MNT" 2>/dev/null
	e4_teardown
}

# 0 when frozen: a second FIFREEZE is refused with EBUSY.  Should it
# succeed (not frozen), undo it and say so.
is_frozen() {
	local out
	if out=$(fsfreeze --freeze "$MNT" 2>&1); then
		fsfreeze --unfreeze "$MNT"
		return 1
	fi
	[[ $out == *"Device or resource busy"* ]]
}

# A write that reaches the disk: proof the filesystem is thawed.
write_after() {
	timeout 60 dd if=/dev/zero of="$MNT/after" bs=4096 count=4 conv=fsync status=none
}

# Start a held audit in the background; return once it is frozen.
start_held() {
	E4_TEST_FROZEN_FILE=$HOLD "$E4CTL" delalloc audit --freeze "$@" "$MNT" \
		>"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
	PID=$!
	local i
	for ((i = 0; i < 3000; i++)); do
		[[ -e $HOLD ]] && return 0
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.02
	done
	cat "$BATS_TEST_TMPDIR/err"
	return 1
}

@test "--freeze: judged frozen, consistent, thawed afterwards" {
	# 18 delayed blocks when the audit starts (anything here may start
	# writeback early: then write them again, three times at most)
	for i in 1 2 3; do
		for f in a b c; do
			rm -f "$MNT/$f"
			dd if=/dev/urandom of="$MNT/$f" bs=4096 count=6 status=none
		done
		run "$E4CTL" delalloc audit --freeze --json "$MNT"
		[[ $(jq -r .filesystem[0].live_counter <<<"$output") -eq 18 ]] && break
		sync -f "$MNT"
	done
	[ "$status" -eq 0 ]
	fs=$(jq -c '.filesystem[0]' <<<"$output")
	[[ $(jq -r '"\(.quiesce) \(.live_counter) \(.counter) \(.file_sum) \(.stable) \(.verdict)"' <<<"$fs") == "freeze 18 0 0 true consistent" ]]
	# the freeze checkpointed the journal: the device's free count is
	# the kernel's, to the block
	[[ $(jq -r '.disk_free - .statfs_free' <<<"$fs") -eq 0 ]]
	[[ $(jq -r '.counter_samples' <<<"$fs") == "0,0,0,0" ]]
	! is_frozen
	write_after
}

@test "--freeze: SIGTERM mid-audit thaws, exit 8" {
	dd if=/dev/urandom of="$MNT/a" bs=4096 count=6 status=none
	start_held --freeze-timeout 600000
	is_frozen
	kill -TERM "$PID"
	st=0
	wait "$PID" || st=$?
	PID=
	[ "$st" -eq 8 ]
	grep -q "audit interrupted" "$BATS_TEST_TMPDIR/err"
	! is_frozen
	write_after
	[[ $(stat -c %s "$MNT/after") -eq 16384 ]]
}

@test "--freeze: SIGKILL mid-audit, the watchdog thaws" {
	start_held --freeze-timeout 600000
	is_frozen
	kill -KILL "$PID"
	wait "$PID" || true
	PID=
	# the watchdog thaws when it sees its leash pipe close: the write
	# waits for that, then goes through
	write_after
	! is_frozen
}

@test "--freeze: past --freeze-timeout it is thawed and the audit fails, exit 8" {
	start_held --freeze-timeout 300
	# wait for the watchdog to thaw on its own (a write gets through)
	write_after
	! is_frozen
	rm "$HOLD"
	st=0
	wait "$PID" || st=$?
	PID=
	[ "$st" -eq 8 ]
	grep -q "thawed after 300 ms, before the audit was done" "$BATS_TEST_TMPDIR/err"
}

@test "--freeze on a read-only mount: audited and thawed" {
	umount_all
	mount_img "$IMG" "$MNT" ro
	run "$E4CTL" delalloc audit --freeze --json "$MNT"
	[ "$status" -eq 0 ]
	[[ $(jq -r '.filesystem[0] | "\(.quiesce) \(.counter) \(.verdict)"' <<<"$output") == "freeze 0 consistent" ]]
	# the kernel does freeze a read-only mount; it must be thawed again
	! is_frozen
}
