#!/usr/bin/env bats
# e4ctl wb against real cgroup writeback: one VM boot per kernel (6.12
# with wb_stats, 6.1 without), cgroup2 only with memory and io enabled.
# tests/vm/wb-guest.sh drives the scenario in the guest and prints each
# step's JSON; the assertions are here.
#
# Tolerances.  TOL, 1 MiB, is the counters' slack: the kernel's per-cpu
# batching (wb_stat reads are approximate by up to 8 * (1 + log2 ncpu)
# pages per cpu, 128 KiB with 2 vCPUs), memcg stats flushed lazily (up to
# 64 pages per cpu, 512 KiB) and the few metadata pages ext4 dirties with
# the data; "drained" means zero within TOL.  How much of a cgroup's pages
# the kernel writes before the sync is its own choice, although the guest
# turns periodic writeback off and sets the thresholds far above what is
# dirtied: 6.12 guests were seen writing 1216 KiB, 2368 KiB and, on a
# loaded CI host, 8 MiB of one cgroup early.  So no assertion depends on
# it: a cgroup that wrote N MiB shows, before the sync, DIRTIED within TOL
# of N and DIRTY + WRITEBACK + WRITTEN within TOL of N (what was written
# early is counted as written); DIRTY + WRITEBACK is not zero, and its
# memory.stat file_dirty + file_writeback agrees with it within EARLY
# (the two are read a moment apart while writeback may run).

load ../lib

TOL=$((1 << 20))
EARLY=$((4 << 20))
MIB=$((1 << 20))

boot() { # series
	local out=$BATS_FILE_TMPDIR/guest-$1 rc=0
	E4CTL=${E4CTL:?} "$BATS_TEST_DIRNAME/run" --kernel "$1" --cgroup2 -- \
		"$BATS_TEST_DIRNAME/wb-guest.sh" "$1" >"$out" 2>"$out.err" || rc=$?
	echo "$rc" >"$out.rc"
}

setup_file() {
	boot 6.12
	boot 6.1
}

# guest SERIES: skip if the VM could not run; fail if the script failed.
guest() {
	local out=$BATS_FILE_TMPDIR/guest-$1
	case $(cat "$out.rc") in
	0) ;;
	77) skip "VM unavailable: $(cat "$out.err")" ;;
	*) cat "$out" "$out.err" >&2; return 1 ;;
	esac
	G=$out
}

# fact TAG: the rest of the guest's @@TAG line
fact() { sed -n "s/^@@$1 //p" "$G" | head -n 1; }

ctx() { # TAG CGROUP FIELD
	fact "$1" | jq -r --arg cg "$2" ".contexts[] | select(.cgroup == \$cg) | .$3"
}

within() { # VALUE WANT [SLACK]: |VALUE - WANT| <= SLACK (default TOL)
	local d=$(($1 - $2)) slack=${3:-$TOL}
	((d < 0)) && d=$((-d))
	echo "got $1, want $2 +- $slack" >&2
	((d <= slack))
}

@test "vm 6.12: two cgroups' dirty data show as their own contexts, root present" {
	guest 6.12
	[ "$(fact dirty | jq -c '[.filesystem[0].wb_stats, .filesystem[0].cgroup_writeback, .filesystem[0].reason]')" = '[true,true,null]' ]
	# the contexts are named by the cgroup directories' inode numbers
	[ "$(ctx dirty /a ino)" -eq "$(fact 'ino a')" ]
	[ "$(ctx dirty /b ino)" -eq "$(fact 'ino b')" ]
	[ "$(ctx dirty / ino)" -eq 1 ]
	# each cgroup on its own, not only as sums: what it wrote is still in
	# memory, dirty (or already queued for writeback), in its own context
	for cg in a:16 b:32; do
		n=$((${cg#*:} * MIB))
		cg=/${cg%:*}
		echo "$cg: dirty $(ctx dirty "$cg" dirty) writeback $(ctx dirty "$cg" writeback) written $(ctx dirty "$cg" written)" >&2
		within "$(ctx dirty "$cg" dirtied)" "$n"
		within $(($(ctx dirty "$cg" dirty) + $(ctx dirty "$cg" writeback) + $(ctx dirty "$cg" written))) "$n"
		held=$(($(ctx dirty "$cg" dirty) + $(ctx dirty "$cg" writeback)))
		((held > 0))
		# memory.stat of the cgroup agrees
		within $(($(ctx dirty "$cg" file_dirty) + $(ctx dirty "$cg" file_writeback))) "$held" "$EARLY"
	done
	# sorted by dirty: b first
	[ "$(fact dirty | jq -r '.contexts[0].cgroup')" = /b ]
}

@test "vm 6.12: after sync the figures drain" {
	guest 6.12
	# zero, give or take the per-cpu counters' drift (the same tolerance)
	for cg in /a /b; do
		within "$(ctx synced "$cg" dirty)" 0
		within "$(ctx synced "$cg" writeback)" 0
		within $(($(ctx synced "$cg" file_dirty) + $(ctx synced "$cg" file_writeback))) 0
	done
	within "$(ctx synced /a written)" $((16 * MIB))
	within "$(ctx synced /b written)" $((32 * MIB))
	# io.stat of the loop disk: each cgroup's own writeback I/O
	within "$(ctx synced /a io_wbytes)" $((16 * MIB))
	within "$(ctx synced /b io_wbytes)" $((32 * MIB))
}

@test "vm 6.12: a removed cgroup with attached inodes is shown as dying until switched" {
	guest 6.12
	c=$(fact 'ino c')
	[ -n "$c" ]
	# while its 8 MiB are dirty: dying, with its inode number
	[ "$(ctx dying "(dying) ino $c" ino)" -eq "$c" ]
	within $(($(ctx dying "(dying) ino $c" dirty) + $(ctx dying "(dying) ino $c" writeback) + $(ctx dying "(dying) ino $c" written))) $((8 * MIB))
	[ "$(ctx dying / dying_descendants)" -ge 1 ]
	# once written back and switched to the parent: gone.  The switch is
	# the kernel's to make (the guest retriggers it for a bounded time);
	# if it did not happen, the context must still be shown as dying.
	dying=$(fact switched | jq '[.contexts[].cgroup | select(startswith("(dying)"))] | length')
	if [ "$dying" -ne 0 ]; then
		[ "$(ctx switched "(dying) ino $c" ino)" -eq "$c" ]
		skip "the kernel did not switch the dying cgroup's inodes in the bounded wait"
	fi
}

@test "vm 6.12: watch --events shows inode_switch_wbs from the dying cgroup to its parent" {
	guest 6.12
	# the watch itself, whatever the kernel did: ended by SIGTERM with
	# status 0, nothing on stderr
	[ "$(fact watch_rc)" -eq 0 ]
	[ -z "$(sed -n 's/^@@watch_stderr //p' "$G")" ]
	c=$(fact 'ino c')
	[ -n "$c" ]
	dying=$(fact switched | jq '[.contexts[].cgroup | select(startswith("(dying)"))] | length')
	if [ -n "$(fact events_none)" ]; then
		# The dying context is gone, so the kernel switched its inodes:
		# the watch was running then and must have shown it.
		if [ "$dying" -eq 0 ]; then
			echo "the dying context was switched, but: $(fact events_none)" >&2
			return 1
		fi
		skip "the kernel did not switch the dying cgroup's inodes in the bounded wait ($(fact events_none)); tests/wb/fixtures.bats covers the display"
	fi
	# one of the events is c's inode going to the root
	ev=$(sed -n 's/^@@event //p' "$G" | jq -c --argjson c "$c" 'select(.old_cgroup_ino == $c)' | head -n 1)
	[ -n "$ev" ]
	[ "$(jq -c '[.event, .name, .old_cgroup_ino, .old_cgroup, .new_cgroup_ino, .new_cgroup]' <<<"$ev")" = \
		"[\"inode_switch_wbs\",\"7:0\",$c,\"(dying) ino $c\",1,\"/\"]" ]
}

@test "vm 6.12: debugfs and tracefs were mounted privately; nothing left behind" {
	guest 6.12
	[ "$(fact mounts_before)" -eq 0 ]
	# the watcher had both in its own namespace ...
	[ "$(fact watch_mounts)" -eq 2 ]
	# ... and the guest's namespace never got them; no instance remains
	[ "$(fact mounts)" -eq 0 ]
	[ -z "$(fact instances | tr -d ' ')" ]
	grep -q '^@@instances' "$G"
}

@test "vm 6.1: no wb_stats: the root context, the cgroups' own figures, and the message" {
	guest 6.1
	[ "$(fact dirty | jq -c '[.filesystem[0].wb_stats, .filesystem[0].cgroup_writeback, .filesystem[0].reason]')" = '[false,true,null]' ]
	[ "$(fact dirty | jq -r '.filesystem[0].notes[0]')" = \
		"per-cgroup writeback contexts need Linux 6.10 (no wb_stats in debugfs): the root context is shown with the cgroups' memory and io figures (FILE_DIRTY and FILE_WRITEBACK of every device, IO_WBYTES of this disk)" ]
	# the root context, from stats
	[ "$(ctx dirty / bandwidth)" -gt 0 ]
	# the cgroups: memory.stat and io.stat, no context figures
	[ "$(ctx dirty /a dirty)" = null ]
	[ "$(ctx dirty /a ino)" -eq "$(fact 'ino a')" ]
	within $(($(ctx dirty /a file_dirty) + $(ctx dirty /a file_writeback) + $(ctx dirty /a io_wbytes))) $((16 * MIB))
	within $(($(ctx dirty /b file_dirty) + $(ctx dirty /b file_writeback) + $(ctx dirty /b io_wbytes))) $((32 * MIB))
	# after sync: written by each cgroup, nothing dirty
	within "$(ctx synced /a file_dirty)" 0
	within "$(ctx synced /a io_wbytes)" $((16 * MIB))
	within "$(ctx synced /b io_wbytes)" $((32 * MIB))
	[ "$(fact mounts)" -eq 0 ]
}

@test "vm 6.12: a partition is shown through its disk's bdi, a dm device through its own" {
	guest 6.12
	[ -z "$(fact part_none)" ] || skip "$(fact part_none)"
	read -r disk name <<<"$(fact part_disk)"
	[ "$(fact part_dev)" != "$disk" ]
	[ "$(fact part | jq -r .filesystem[0].bdi)" = "$disk" ]
	[ "$(fact part | jq -r '.filesystem[0].notes[0]')" = \
		"bdi $disk belongs to the whole disk $name: its figures cover every partition on it" ]
	[ "$(fact part | jq -r '.contexts[0].cgroup')" = / ]
	[ -z "$(fact dm_none)" ] || skip "$(fact dm_none)"
	[ "$(fact dm | jq -r .filesystem[0].bdi)" = "$(fact dm_dev)" ]
	[ "$(fact dm | jq -c .filesystem[0].notes)" = "[]" ]
}
