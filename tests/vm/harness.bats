#!/usr/bin/env bats
# tests/vm/harness.bats — what the other VM tests rely on tests/vm/run for:
# a guest root with CAP_SYS_RESOURCE, the host's cwd and a filtered
# environment, exit status and stdout/stderr carried back unmixed with kernel
# messages, loop-mounted ext4 in $E4_SCRATCH, cgroup2-only with memory+io
# delegated, and a refusal (not a failure) when the capability is missing.
# Every guest boot costs a few seconds (TCG), so checks that can share a
# boot do.

# shellcheck disable=SC2154 # status, output, stderr, lines: set by bats' run

bats_require_minimum_version 1.5.0
load lib.sh

# Runs in the guest: one "key=value" line per fact the tests check.
# shellcheck disable=SC2016 # expanded in the guest
facts_script='
	while read -r k v; do [ "$k" = CapEff: ] && echo "capeff=$v"; done </proc/self/status
	echo "uid=$(id -u)"
	echo "kernel=$(uname -r)"
	echo "pwd=$(pwd)"
	echo "mark=${E4_T_MARK-unset}"
	echo "term=$TERM"
	echo "scratch=$E4_SCRATCH"
	echo "scratch_fs=$(stat -f -c %T "$E4_SCRATCH")"
	echo "tmp_writable=$(touch /tmp/e4-probe && echo yes)"
	echo "subtree=$(cat /sys/fs/cgroup/cgroup.subtree_control)"
	echo "debugfs_mounts=$(grep -c " debugfs " /proc/self/mountinfo)"
'

# Value of key $1 in $output (the facts above).
fact() {
	local line
	for line in "${lines[@]}"; do
		if [[ $line == "$1="* ]]; then
			printf '%s\n' "${line#*=}"
			return 0
		fi
	done
	echo "no '$1=' line in output: $output" >&2
	return 1
}

check_basics() {
	local series=$1 capeff
	vm_require "$series"
	export E4_T_MARK="it's a \"mark\" with \$pecial chars"
	# Neither E4_* nor E4CTL, so it must not reach the guest.
	export T_NOT_E4=leak
	# shellcheck disable=SC2016 # expanded in the guest
	vm_run --kernel "$series" -- sh -c "$facts_script"'echo "leak=${T_NOT_E4-unset}"'
	[ "$status" -eq 0 ]
	capeff=$(fact capeff)
	[ $(((0x$capeff >> 24) & 1)) -eq 1 ]
	[ "$(fact uid)" = 0 ]
	[[ $(fact kernel) == "$series".* ]]
	[ "$(fact pwd)" = "$PWD" ]
	[ "$(fact mark)" = "$E4_T_MARK" ]
	[ "$(fact leak)" = unset ]
	[ "$(fact term)" = dumb ]
	[ "$(fact scratch)" = /scratch ]
	[ "$(fact scratch_fs)" = tmpfs ]
	[ "$(fact tmp_writable)" = yes ]
	# Without --cgroup2 no controller is enabled for child cgroups.
	[ "$(fact subtree)" = "" ]
	[ "$(fact debugfs_mounts)" = 0 ]
}

check_status_and_streams() {
	vm_require "$1"
	vm_run --kernel "$1" -- sh -c 'echo to-stdout; echo to-stderr >&2; exit 7'
	[ "$status" -eq 7 ]
	# Exactly the command's output: no kernel or harness noise in either.
	[ "$output" = to-stdout ]
	[ "$stderr" = to-stderr ]
}

check_loop_ext4() {
	vm_require "$1"
	# shellcheck disable=SC2016 # expanded in the guest
	vm_run --kernel "$1" -- bash -c '
		set -euo pipefail
		cd "$E4_SCRATCH"
		truncate -s 64M fs.img
		mke2fs -q -F -t ext4 fs.img
		mkdir mnt
		mount -o loop fs.img mnt
		echo payload >mnt/file
		echo "fstype=$(findmnt -n -o FSTYPE mnt)"
		echo "source=$(findmnt -n -o SOURCE mnt)"
		umount mnt
		e2fsck -fn fs.img >/dev/null 2>&1 && echo fsck=0 || echo "fsck=$?"
		echo "dmesg_mount=$(dmesg | grep -c "EXT4-fs (loop")"
	'
	[ "$status" -eq 0 ]
	[ "$(fact fstype)" = ext4 ]
	[[ $(fact source) == /dev/loop* ]]
	[ "$(fact fsck)" = 0 ]
	# dmesg works in the guest and the host saved the same kernel log.
	[ "$(fact dmesg_mount)" -ge 1 ]
	grep -q 'EXT4-fs (loop' "$E4_VM_LOG"
	vm_assert_clean_log
}

check_cgroup2() {
	vm_require "$1"
	# shellcheck disable=SC2016 # expanded in the guest
	vm_run --kernel "$1" --cgroup2 -- sh -c '
		echo "fstype=$(stat -f -c %T /sys/fs/cgroup)"
		echo "controllers=$(cat /sys/fs/cgroup/cgroup.controllers)"
		echo "subtree=$(cat /sys/fs/cgroup/cgroup.subtree_control)"
		echo "v1_mounts=$(grep -c " - cgroup " /proc/self/mountinfo)"
	'
	[ "$status" -eq 0 ] || { echo "vm_run exit $status: $output"; return 1; }
	[ "$(fact fstype)" = cgroup2fs ]
	[[ " $(fact controllers) " == *" memory "* ]]
	[[ " $(fact controllers) " == *" io "* ]]
	[[ " $(fact subtree) " == *" memory "* ]]
	[[ " $(fact subtree) " == *" io "* ]]
	[ "$(fact v1_mounts)" = 0 ]
}

@test "usage errors exit 2 without booting" {
	run "$E4_VM_RUNNER" --kernel 5.10 -- true
	[ "$status" -eq 2 ]
	run "$E4_VM_RUNNER" --kernel 6.12
	[ "$status" -eq 2 ]
	run "$E4_VM_RUNNER" --bogus -- true
	[ "$status" -eq 2 ]
}

@test "a missing prerequisite skips (77), or fails (125) under E4_REQUIRE_VM=1, without booting" {
	# No qemu on this PATH: the harness stops before building anything.
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	ln -s "$(command -v bash)" "$BATS_TEST_TMPDIR/bin/bash"
	ln -s "$(command -v dirname)" "$BATS_TEST_TMPDIR/bin/dirname"
	run env -u E4_REQUIRE_VM PATH="$BATS_TEST_TMPDIR/bin" "$E4_VM_RUNNER" -- true
	[ "$status" -eq 77 ]
	[[ $output == *"tests/vm/run: SKIP: qemu-system-x86_64 not installed"* ]]
	run env E4_REQUIRE_VM=1 PATH="$BATS_TEST_TMPDIR/bin" "$E4_VM_RUNNER" -- true
	[ "$status" -eq 125 ]
	[[ $output == *"cannot run, and E4_REQUIRE_VM=1: qemu-system-x86_64 not installed"* ]]
}

@test "6.1: root with CAP_SYS_RESOURCE, host cwd, only E4_* env passed" {
	check_basics 6.1
}

@test "6.12: root with CAP_SYS_RESOURCE, host cwd, only E4_* env passed" {
	check_basics 6.12
}

@test "6.1: exit status, stdout and stderr propagate" {
	check_status_and_streams 6.1
}

@test "6.12: exit status, stdout and stderr propagate" {
	check_status_and_streams 6.12
}

@test "6.1: loop mount of a fresh ext4 image in \$E4_SCRATCH" {
	check_loop_ext4 6.1
}

@test "6.12: loop mount of a fresh ext4 image in \$E4_SCRATCH" {
	check_loop_ext4 6.12
}

@test "6.1: --cgroup2 gives cgroup2 only, memory and io delegated" {
	check_cgroup2 6.1
}

@test "6.12: --cgroup2 gives cgroup2 only, memory and io delegated" {
	check_cgroup2 6.12
}

@test "refuses with 77, not running the command, if the guest lacks CAP_SYS_RESOURCE" {
	vm_require 6.12
	# Not vm_run: that would turn the refusal into a skip.
	E4_VM_SELFTEST_DROP_CAP=1 E4_VM_LOG=$BATS_TEST_TMPDIR/vm-console.log \
		run --separate-stderr "$E4_VM_RUNNER" -- sh -c 'echo command-ran'
	[ "$status" -eq 77 ]
	[[ $stderr == *"tests/vm/run: SKIP: "*"lacks CAP_SYS_RESOURCE"* ]]
	[[ $output != *command-ran* ]]
}

@test "missing command gives 127; a script under the host's /tmp runs at its path" {
	vm_require 6.12
	# BATS_TEST_TMPDIR is normally under /tmp, which is an overlay in the guest.
	# shellcheck disable=SC2016 # expanded in the guest
	printf '#!/bin/sh\necho "script ran in $PWD"\nexit 3\n' >"$BATS_TEST_TMPDIR/s.sh"
	chmod +x "$BATS_TEST_TMPDIR/s.sh"
	cd "$BATS_TEST_TMPDIR"
	vm_run -127 -- sh -c './s.sh; echo "rc=$?"; e4-no-such-command'
	[ "$status" -eq 127 ]
	[ "${lines[0]}" = "script ran in $BATS_TEST_TMPDIR" ]
	[ "${lines[1]}" = "rc=3" ]
}

@test "binary stdout is carried intact; a background job holding it does not hang the run" {
	vm_require 6.12
	local out=$BATS_TEST_TMPDIR/blob err=$BATS_TEST_TMPDIR/err rc=0
	# Not vm_run: bats' $output cannot hold NUL bytes, so capture to a file.
	# If the leftover "sleep" kept the VM up, the timeout would end the run
	# with 125.
	E4_VM_TIMEOUT=300 E4_VM_LOG=$BATS_TEST_TMPDIR/vm-console.log \
		"$E4_VM_RUNNER" -- sh -c '
		head -c 3145728 /dev/urandom >/scratch/blob
		sha256sum </scratch/blob >&2
		sleep 600 &
		cat /scratch/blob
	' >"$out" 2>"$err" || rc=$?
	cat "$err"
	[ "$rc" -eq 0 ]
	[ "$(stat -c %s "$out")" -eq 3145728 ]
	[ "$(sha256sum <"$out")" = "$(cat "$err")" ]
}

@test "a kernel panic before the guest's init is followed by a second boot that runs the command" {
	vm_require 6.12
	E4_VM_SELFTEST_PANIC_FIRST_BOOT=1 vm_run --kernel 6.12 -- sh -c 'echo command-ran'
	[ "$status" -eq 0 ]
	[ "$output" = command-ran ]
	[[ $stderr == *"tests/vm/run: the kernel (6.12."*") panicked before starting the guest's init:"* ]]
	[[ $stderr == *"Kernel panic - not syncing: VFS: Unable to mount root fs"* ]]
	[[ $stderr == *"tests/vm/run: booting a second time (the command had not started)"* ]]
}

@test "a kernel panic once the guest's init ran is the run's failure (125), not booted again" {
	vm_require 6.12
	vm_run -125 --kernel 6.12 -- sh -c 'echo command-ran; sleep 1; echo c >/proc/sysrq-trigger; sleep 60'
	[ "$output" = command-ran ]
	[[ $stderr == *"tests/vm/run: VM failure (kernel 6.12."*"): no result from the guest"* ]]
	[[ $stderr == *"Kernel panic - not syncing: sysrq triggered crash"* ]]
	[[ $stderr != *"booting a second time"* ]]
}
