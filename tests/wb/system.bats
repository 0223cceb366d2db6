#!/usr/bin/env bats
# e4ctl wb on this machine's kernel: a loop-mounted ext4, the explanation
# of why cgroup writeback is inactive here (hybrid cgroups: memory and io
# on v1), and that neither the private debugfs mount nor the tracefs
# instance outlives the command, also when it is stopped by a signal
# (any that can be caught: SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1...).

load ../lib
bats_require_minimum_version 1.5.0

setup() {
	require_root
	IMG=$BATS_TEST_TMPDIR/fs.img
	MNT=$BATS_TEST_TMPDIR/mnt
	mkimg "$IMG" 64M -t ext4
	mount_img "$IMG" "$MNT"
}

teardown() {
	if [[ -n ${WATCH_PID:-} ]]; then
		kill -KILL "$WATCH_PID" 2>/dev/null || true
		wait "$WATCH_PID" 2>/dev/null || true
	fi
	# what a failed test left in the kernel's tracefs: ours only
	[[ -z ${LEFT_INSTANCES:-} ]] || unshare -m --propagation private sh -c \
		'mount -t tracefs none /sys/kernel/tracing && cd /sys/kernel/tracing/instances && rmdir "$@"' \
		sh $LEFT_INSTANCES 2>/dev/null || true
	e4_teardown
}

# Mount point of the cgroup v1 hierarchy with controller $1, from mountinfo.
v1_mount() {
	awk -v c="$1" '{
		for (i = 7; $i != "-"; i++) ;
		if ($(i + 1) != "cgroup") next
		n = split($(i + 3), o, ",")
		for (j = 1; j <= n; j++) if (o[j] == c) { print $5; exit }
	}' /proc/self/mountinfo
}

# debugfs and tracefs mounts that the system (this shell's namespace) has.
system_debug_mounts() {
	awk '{ for (i = 7; $i != "-"; i++) ; if ($(i + 1) == "debugfs" || $(i + 1) == "tracefs") print }' /proc/self/mountinfo
}

# Our instances in the kernel's tracefs, seen through a mount of our own.
trace_instances() {
	unshare -m --propagation private sh -c \
		'mount -t tracefs none /sys/kernel/tracing && ls /sys/kernel/tracing/instances'
}

@test "explains that cgroup writeback is inactive: memory and io are on cgroup v1" {
	# What this machine is, by three sources: our own cgroups, the
	# kernel's controller list and the mounts.
	grep -Eq '^[1-9][0-9]*:memory:' /proc/self/cgroup || skip "memory is not on cgroup v1 here"
	grep -Eq '^[1-9][0-9]*:blkio:' /proc/self/cgroup || skip "blkio (io) is not on cgroup v1 here"
	[ "$(awk '$1 == "memory" { print $2 }' /proc/cgroups)" -ne 0 ]
	[ "$(awk '$1 == "blkio" { print $2 }' /proc/cgroups)" -ne 0 ]
	mem=$(v1_mount memory)
	blk=$(v1_mount blkio)
	[ -n "$mem" ] && [ -n "$blk" ]
	want="cgroup writeback is inactive: the memory and io controllers are on cgroup v1 (memory on $mem, io as blkio on $blk); it needs both on cgroup2"

	run --separate-stderr "$E4CTL" wb show "$MNT"
	[ "$status" -eq 0 ]
	[ "$stderr" = "e4ctl wb show: $want" ]
	[ "${lines[0]%% *}" = CGROUP ]
	[ "${#lines[@]}" -eq 2 ]
	[ "${lines[1]%% *}" = / ]

	run --separate-stderr "$E4CTL" wb show --json "$MNT"
	[ "$status" -eq 0 ]
	[ "$(jq -r .filesystem[0].reason <<<"$output")" = "$want" ]
	[ "$(jq -c '[.filesystem[0].cgroup_writeback, .filesystem[0].mode, .filesystem[0].bdi]' <<<"$output")" = \
		"[false,\"cgroup-v1\",\"$(lsblk -no MAJ:MIN "$(findmnt -no SOURCE "$MNT")" | tr -d ' ')\"]" ]
}

@test "show: the root context counts what was just dirtied on the filesystem" {
	dd if=/dev/urandom of="$MNT/f" bs=1M count=8 status=none
	run --separate-stderr "$E4CTL" wb show --json "$MNT"
	[ "$status" -eq 0 ]
	# dirtied since the bdi was created: at least these 8 MiB
	[ "$(jq '.contexts[0].dirtied' <<<"$output")" -ge $((8 << 20)) ]
	sync
	run --separate-stderr "$E4CTL" wb show --json "$MNT"
	# drained, but for per-cpu counter drift and journal metadata that
	# jbd2 may dirty again on the same device
	[ "$(jq '.contexts[0].dirty' <<<"$output")" -le $((1 << 20)) ]
	[ "$(jq '.contexts[0].written' <<<"$output")" -ge $((8 << 20)) ]
}

# mountinfo lists data= only when it is not the superblock's default:
# tune2fs -o journal_data makes data=journal without saying so there.
@test "show: data=journal as the superblock's default mount option is seen" {
	umount_all
	tune2fs -o journal_data "$IMG" >/dev/null
	mount_img "$IMG" "$MNT"
	[ -z "$(findmnt -no OPTIONS "$MNT" | grep data=journal)" ]
	run --separate-stderr "$E4CTL" wb show --json "$MNT"
	[ "$status" -eq 0 ]
	echo "$output" | jq -c '[.filesystem[0].mode, .filesystem[0].notes]'
	# the reason, or (memory and io on v1 here) a note after it
	run jq -e '.filesystem[0].mode == "data-journal" or (.filesystem[0].notes | index("the filesystem is mounted data=journal: that alone keeps cgroup writeback off for it")) != null' <<<"$output"
	[ "$status" -eq 0 ]
}

@test "show: an unmounted image is refused" {
	umount_all
	run "$E4CTL" wb show "$IMG"
	[ "$status" -eq 1 ]
	[[ $output == "e4ctl wb show: $IMG: not mounted: writeback state belongs to a mounted filesystem" ]]
}

@test "the private debugfs mount is gone after the command" {
	[ -z "$(system_debug_mounts)" ] || skip "debugfs or tracefs is mounted on this system: nothing private to check"
	run --separate-stderr "$E4CTL" wb show "$MNT"
	[ "$status" -eq 0 ]
	[ -z "$(system_debug_mounts)" ]
}

# Start `wb watch --events` and wait until its private mounts and trace
# instance exist and it has drawn its first frame (bounded: a failure to
# start is a failure, not a hang).
start_watch() {
	"$E4CTL" wb watch --events --interval 0.2 "$MNT" >"$BATS_TEST_TMPDIR/out" 2>&1 &
	WATCH_PID=$!
	LEFT_INSTANCES+=" e4ctl-$WATCH_PID"
	for _ in $(seq 100); do
		if grep -q ' - tracefs ' "/proc/$WATCH_PID/mountinfo" 2>/dev/null &&
			trace_instances | grep -qx "e4ctl-$WATCH_PID" &&
			grep -q "^events since the last frame:" "$BATS_TEST_TMPDIR/out"; then
			return 0
		fi
		kill -0 "$WATCH_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$BATS_TEST_TMPDIR/out" >&2
	return 1
}

stop_watch() {
	local sig=$1 pid=$WATCH_PID
	kill "-$sig" "$pid"
	# bounded: a watch that ignores the signal is a failure, not a hang
	for _ in $(seq 200); do
		[ -n "$(ps -o stat= -p "$pid" | grep -v Z)" ] || break
		sleep 0.1
	done
	if [ -n "$(ps -o stat= -p "$pid" | grep -v Z)" ]; then
		echo "watch still running 20 s after SIG$sig" >&2
		kill -KILL "$pid"
	fi
	rc=0
	wait "$pid" || rc=$?
	WATCH_PID=
	echo "watch exited with $rc" >&2
	cat "$BATS_TEST_TMPDIR/out" >&2
	# a watch ends on a signal: that is success
	[ "$rc" -eq 0 ]
	# the instance is gone, and so is the namespace with its mounts
	[ -z "$(trace_instances | grep -x "e4ctl-$pid")" ]
	[ ! -e "/proc/$pid" ]
	[ -z "$(system_debug_mounts)" ]
}

@test "watch --events: trace instance and private mounts gone after SIGTERM" {
	[ -z "$(system_debug_mounts)" ] || skip "debugfs or tracefs is mounted on this system: nothing private to check"
	start_watch
	# while it runs: mounted in its namespace, not in the system's
	grep -q ' - debugfs ' "/proc/$WATCH_PID/mountinfo"
	[ -z "$(system_debug_mounts)" ]
	stop_watch TERM
	grep -q "^events since the last frame:" "$BATS_TEST_TMPDIR/out"
}

@test "watch --events: trace instance and private mounts gone after SIGINT" {
	[ -z "$(system_debug_mounts)" ] || skip "debugfs or tracefs is mounted on this system: nothing private to check"
	start_watch
	stop_watch INT
}

# A closed terminal (SIGHUP) and SIGQUIT end a watch as SIGTERM does; so
# does any other signal that would kill it, such as SIGUSR1: only SIGKILL
# (and a crash) can leave the instance behind.
@test "watch --events: trace instance and private mounts gone after SIGHUP" {
	[ -z "$(system_debug_mounts)" ] || skip "debugfs or tracefs is mounted on this system: nothing private to check"
	# under nohup the watch keeps SIGHUP ignored, as it should
	(( !(0x$(awk '$1 == "SigIgn:" { print $2 }' /proc/self/status) & 1) )) ||
		skip "SIGHUP is ignored here (nohup?): the watch rightly ignores it too"
	start_watch
	stop_watch HUP
}

@test "watch --events: trace instance and private mounts gone after SIGQUIT" {
	[ -z "$(system_debug_mounts)" ] || skip "debugfs or tracefs is mounted on this system: nothing private to check"
	start_watch
	stop_watch QUIT
}

@test "watch --events: trace instance and private mounts gone after SIGUSR1" {
	[ -z "$(system_debug_mounts)" ] || skip "debugfs or tracefs is mounted on this system: nothing private to check"
	start_watch
	stop_watch USR1
}

# Pid namespaces sharing one tracefs can hand out the same pid: an
# instance named e4ctl-<our pid> may be another watcher's, and must be
# neither taken over nor removed.  The watch makes a name of its own.
@test "watch --events: an existing instance of its name is left alone; it makes another" {
	cat >"$BATS_TEST_TMPDIR/t.sh" <<-'EOS'
	mount -t tracefs none /sys/kernel/tracing || exit 99
	I=/sys/kernel/tracing/instances
	# the child takes the name first (its own pid), then becomes e4ctl
	sh -c 'mkdir "$1/e4ctl-$$" && exec "$2" wb watch --events --interval 0.1 "$3"' \
		sh "$I" "$E4CTL" "$MNT" >"$BATS_TEST_TMPDIR/out" 2>&1 &
	pid=$!
	echo "pid $pid"
	for _ in $(seq 100); do
		[ -n "$(ls "$I" | grep "^e4ctl-$pid-")" ] && break
		sleep 0.1
	done
	echo "running $(ls "$I" | grep "^e4ctl-$pid" | tr '\n' ' ')"
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	echo "rc $rc"
	echo "after $(ls "$I" | grep "^e4ctl-$pid" | tr '\n' ' ')"
	rmdir "$I/e4ctl-$pid"
	EOS
	run --separate-stderr env E4CTL="$E4CTL" MNT="$MNT" BATS_TEST_TMPDIR="$BATS_TEST_TMPDIR" \
		unshare -m --propagation private sh "$BATS_TEST_TMPDIR/t.sh"
	echo "$output"
	cat "$BATS_TEST_TMPDIR/out"
	[ "$status" -eq 0 ]
	pid=$(sed -n 's/^pid //p' <<<"$output")
	# while it ran: the other's instance and its own, e4ctl-PID-XXXXXXXX
	[[ $(sed -n 's/^running //p' <<<"$output") =~ ^e4ctl-$pid\ e4ctl-$pid-[0-9a-f]{8}\ $ ]]
	[ "$(sed -n 's/^rc //p' <<<"$output")" -eq 0 ]
	# after: the other's is still there, its own is gone
	[ "$(sed -n 's/^after //p' <<<"$output")" = "e4ctl-$pid " ]
}

@test "watch --events --count: the instance is removed on a normal exit" {
	before=$(trace_instances | grep '^e4ctl-' || true)
	run --separate-stderr "$E4CTL" wb watch --events --json --count 2 --interval 0.05 "$MNT"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	[ "$(jq -c .events <<<"${lines[1]}")" = "[]" ]
	# no instance of ours left (others' are none of our business)
	[ "$(trace_instances | grep '^e4ctl-' || true)" = "$before" ]
}
