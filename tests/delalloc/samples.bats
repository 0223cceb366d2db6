#!/usr/bin/env bats
# e4ctl delalloc audit takes its counter samples while the walk runs (the
# walk on its own threads, the samples in the caller's).  What must not
# change with that: --samples N gives N samples and one after the walk,
# the report is the one the samples-first order gives
# (E4_TEST_SAMPLES_FIRST=1, see HACKING.md), the JSON keeps its shape, and
# a stop request still ends a nap between samples at once.

load ../lib
load fixture

setup() {
	require_root
	IMG=$BATS_TEST_TMPDIR/fs.img
	MNT=$BATS_TEST_TMPDIR/mnt
	SYS=$BATS_TEST_TMPDIR/root
	PID=
	SERVER=
	mkimg "$IMG" 256M -t ext4 -b 4096 -N 16384
	mount_img "$IMG" "$MNT"
	# a tree the walk takes a while over: 3000 files of 4 KiB in 30
	# directories, written back
	perl -e '
		my ($root) = @ARGV;
		my $buf = "x" x 4096;
		for my $i (0 .. 2999) {
			my $d = sprintf("%s/d%02d", $root, int($i / 100));
			mkdir $d unless -d $d;
			open(my $f, ">", "$d/f$i") or die "$d/f$i: $!";
			print $f $buf;
			close $f;
		}' "$MNT"
	sync -f "$MNT"
}

teardown() {
	[[ -n $PID ]] && kill -KILL "$PID" 2>/dev/null
	[[ -n $SERVER ]] && kill "$SERVER" 2>/dev/null
	e4_teardown
}

# The kernel's counter for $MNT, read directly.
sysfs_counter() {
	cat "/sys/fs/ext4/$(basename "$(findmnt -no SOURCE "$MNT")")/delayed_allocation_blocks"
}

# The background audit $PID exited (reaped by the shell, or a zombie).
ended() {
	local state
	state=$(cut -d' ' -f3 "/proc/$PID/stat" 2>/dev/null) || return 0
	[[ $state == Z ]]
}

# Run the audit with ARGS twice, samples beside the walk and samples
# first, and compare stdout and exit codes: $json and $first hold them.
both() {
	run "$E4CTL" delalloc audit "$@"
	json=$output st=$status
	E4_TEST_SAMPLES_FIRST=1 run "$E4CTL" delalloc audit "$@"
	first=$output
	[[ $st -eq $status ]] || { echo "exit $st beside the walk, $status first"; return 1; }
	[[ $json == "$first" ]] || { diff <(echo "$json") <(echo "$first"); return 1; }
}

@test "--samples N: N samples while walking and one after, every file walked" {
	local n interval
	for n in 1 2 5 15; do
		for interval in 0 20; do
			run "$E4CTL" delalloc audit --sync --json --samples "$n" \
				--interval "$interval" "$MNT"
			[ "$status" -eq 0 ]
			fs=$(jq -c '.filesystem[0]' <<<"$output")
			want=$(printf '0%.0s,' $(seq 0 "$n"))
			[[ $(jq -r .counter_samples <<<"$fs") == "${want%,}" ]] ||
				{ echo "--samples $n --interval $interval: $fs"; false; }
			[[ $(jq -r '"\(.stable) \(.files_scanned) \(.verdict)"' <<<"$fs") == "true 3000 consistent" ]]
		done
	done
}

@test "a counter that changes: the samples in the order taken, the last after the walk" {
	use_fixture changing
	fifo=$SYS/sys/fs/ext4/dm-7/delayed_allocation_blocks
	serve_counter "$fifo" 12
	run "$E4CTL" delalloc audit --sync --json --samples 6 --interval 1 --sysroot "$SYS" "$MNT"
	[ "$status" -eq 0 ]
	[[ $(jq -r '.filesystem[0] | "\(.live_counter) \(.counter_samples) \(.counter) \(.stable) \(.files_scanned)"' <<<"$output") == "12 13,14,15,16,17,18,19 19 false 3000" ]]
}

@test "the same report as with the samples taken before the walk" {
	use_fixture leak
	# judged: the fixture's counter of 12 with nothing held is a leak
	# (--freeze first: it checkpoints the journal, so that the device's
	# free count read by each run is the same)
	for q in --freeze --sync; do
		both "$q" --json --all --samples 4 --interval 5 --sysroot "$SYS" "$MNT"
		[ "$status" -eq 4 ]
		[[ $(jq -r '.files | length' <<<"$json") -eq 3000 ]]
		[[ $(jq -r '.findings[] | "\(.finding) \(.blocks)"' <<<"$json") == "leak 12" ]]
		[[ $(jq -r .filesystem[0].counter_samples <<<"$json") == "12,12,12,12,12" ]]
	done
	both --sync --sysroot "$SYS" "$MNT"
	[ "$status" -eq 4 ]
	[[ ${lines[-1]} == "leaked reservation: 12 blocks" ]]

	# not judged, the kernel's counter: files holding delayed blocks
	# (writeback, started by anything on this machine, empties them
	# between the two runs: write them afresh, three times at most)
	for i in 1 2 3; do
		for f in 5 250 2999; do
			g=$MNT/d$(printf %02d $((f / 100)))/g$f
			rm -f "$g"
			dd if=/dev/urandom of="$g" bs=4096 count=3 status=none
		done
		before=$(sysfs_counter)
		same=0
		both --json -o +SIZE,RESERVED_BLOCKS,STALE --samples 3 --interval 5 "$MNT" || same=$?
		after=$(sysfs_counter)
		[[ $before -eq 9 && $after -eq 9 ]] && break
		echo "# attempt $i: counter $before before, $after after, not 9"
		sync -f "$MNT"
	done
	[ "$same" -eq 0 ]
	[ "$status" -eq 0 ]
	[[ $(jq -r '[.files[] | "\(.path | sub(".*/"; "")):\(.delalloc_blocks)"] | join(" ")' <<<"$json") == "g5:3 g250:3 g2999:3" ]]
	[[ $(jq -r .filesystem[0].counter_samples <<<"$json") == "9,9,9,9" ]]
}

@test "--json keeps its shape" {
	dd if=/dev/urandom of="$MNT/new" bs=4096 count=2 status=none
	run "$E4CTL" delalloc audit --json -o +SIZE,RESERVED_BLOCKS,STALE "$MNT"
	[ "$status" -eq 0 ]
	[[ $(jq -c 'keys_unsorted' <<<"$output") == '["files","filesystem","findings"]' ]]
	[[ $(jq -c '.filesystem[0] | keys_unsorted' <<<"$output") == '["mountpoint","sysfs_name","block_size","cluster_size","quiesce","live_counter","counter_samples","stable","counter","file_sum","delalloc_sum","difference","reserved_clusters","files_scanned","files_holding","files_skipped","cachestat","statfs_free","disk_free","sb_free","free_difference","verdict"]' ]]
	[[ $(jq -c '[.filesystem[0] | to_entries[] | .value | type] | unique' <<<"$output") == '["boolean","number","string"]' ]]
	[[ $(jq -r '.filesystem[0].counter_samples' <<<"$output") =~ ^[0-9]+(,[0-9]+){3}$ ]]
	[[ $(jq -c '[.files[] | keys_unsorted] | unique' <<<"$output") == '[["path","inode","delalloc_blocks","dirty_pages","writeback_pages","size","reserved_blocks","stale"]]' ]]
	[[ $(jq -c '.findings' <<<"$output") == '[]' ]]
}

@test "a stop request ends the wait for the next sample at once, exit 8" {
	# clock_nanosleep(2) is 230 on x86-64 (nanosleep(2) 35)
	[[ $(uname -m) == x86_64 ]] || skip "the system call numbers below are x86-64's"
	"$E4CTL" delalloc audit --samples 3 --interval 600000 "$MNT" \
		>"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
	PID=$!
	# wait until a thread sleeps between samples, whichever it is
	sleeping=
	for ((i = 0; i < 3000; i++)); do
		sleeping=$(cat /proc/"$PID"/task/*/syscall 2>/dev/null | grep -E '^(230|35) ' || true)
		[[ -n $sleeping ]] && break
		ended && break
		sleep 0.02
	done
	[[ -n $sleeping ]]
	kill -INT "$PID"
	# ended by itself within a minute (the interval is ten)
	for ((i = 0; i < 3000; i++)); do
		ended && break
		sleep 0.02
	done
	ended
	st=0
	wait "$PID" || st=$?
	PID=
	[ "$st" -eq 8 ]
	grep -q "audit interrupted" "$BATS_TEST_TMPDIR/err"
}
