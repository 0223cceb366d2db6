#!/usr/bin/env bats
# e4ctl wb against real cgroup writeback: one VM boot per kernel (6.12
# with wb_stats, 6.1 without), cgroup2 only with memory and io enabled.
# tests/vm/wb-guest.sh drives the scenario in the guest and prints each
# step's JSON; the assertions are here.
#
# Tolerance: a cgroup that wrote N MiB must show DIRTIED within 1 MiB of
# N, and DIRTY + WRITEBACK + WRITTEN within 1 MiB of N (pages the kernel
# started writing early move from DIRTY to WRITEBACK/WRITTEN).  The slack
# covers the kernel's per-cpu counter batching (wb_stat reads are
# approximate by up to a batch per cpu) and lazily flushed memcg stats;
# "drained" likewise means zero within that tolerance.

load ../lib

TOL=$((1 << 20))
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

within() { # VALUE WANT: |VALUE - WANT| <= TOL
	local d=$(($1 - $2))
	((d < 0)) && d=$((-d))
	echo "got $1, want $2 +- $TOL" >&2
	((d <= TOL))
}

@test "vm 6.12: two cgroups' dirty data show as their own contexts, root present" {
	guest 6.12
	[ "$(fact dirty | jq -c '[.wb_stats, .cgroup_writeback, .reason]')" = '[true,true,null]' ]
	# the contexts are named by the cgroup directories' inode numbers
	[ "$(ctx dirty /a ino)" -eq "$(fact 'ino a')" ]
	[ "$(ctx dirty /b ino)" -eq "$(fact 'ino b')" ]
	[ "$(ctx dirty / ino)" -eq 1 ]
	within "$(ctx dirty /a dirtied)" $((16 * MIB))
	within "$(ctx dirty /b dirtied)" $((32 * MIB))
	within $(($(ctx dirty /a dirty) + $(ctx dirty /a writeback) + $(ctx dirty /a written))) $((16 * MIB))
	within $(($(ctx dirty /b dirty) + $(ctx dirty /b writeback) + $(ctx dirty /b written))) $((32 * MIB))
	# memory.stat of each cgroup agrees
	within $(($(ctx dirty /a file_dirty) + $(ctx dirty /a file_writeback) + $(ctx dirty /a io_wbytes))) $((16 * MIB))
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
	# once written back and switched to the parent: gone
	[ "$(fact switched | jq '[.contexts[].cgroup | select(startswith("(dying)"))] | length')" -eq 0 ]
}

@test "vm 6.12: watch --events shows inode_switch_wbs from the dying cgroup to its parent" {
	guest 6.12
	if [ -n "$(fact events_none)" ]; then
		skip "kernel did not reproduce it: $(fact events_none); tests/wb/fixtures.bats covers the display"
	fi
	c=$(fact 'ino c')
	ev=$(fact event)
	[ "$(jq -c '[.event, .name, .old_cgroup_ino, .old_cgroup, .new_cgroup_ino, .new_cgroup]' <<<"$ev")" = \
		"[\"inode_switch_wbs\",\"7:0\",$c,\"(dying) ino $c\",1,\"/\"]" ]
	[ "$(fact watch_rc)" -eq 0 ]
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
	[ "$(fact dirty | jq -c '[.wb_stats, .cgroup_writeback, .reason]')" = '[false,true,null]' ]
	[ "$(fact dirty | jq -r '.notes[0]')" = \
		"per-cgroup writeback contexts need Linux 6.10 (no wb_stats in debugfs): the root context is shown with the cgroups' memory and io figures" ]
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
	[ "$(fact part | jq -r .bdi)" = "$disk" ]
	[ "$(fact part | jq -r '.notes[0]')" = \
		"bdi $disk belongs to the whole disk $name: its figures cover every partition on it" ]
	[ "$(fact part | jq -r '.contexts[0].cgroup')" = / ]
	[ -z "$(fact dm_none)" ] || skip "$(fact dm_none)"
	[ "$(fact dm | jq -r .bdi)" = "$(fact dm_dev)" ]
	[ "$(fact dm | jq -c .notes)" = "[]" ]
}
