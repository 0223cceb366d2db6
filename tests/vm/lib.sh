# shellcheck shell=bash
# shellcheck disable=SC2154 # status, output, stderr: set by bats' run
# tests/vm/lib.sh — helpers for bats tests that run commands in the test VM
# (tests/vm/run).  In a .bats file:
#
#   load ../vm/lib.sh       # path relative to the .bats file
#   bats_require_minimum_version 1.5.0   # for vm_run's "run --separate-stderr"
#
#   @test "online grow" {
#       vm_require 6.12                  # skip with a reason if it cannot run
#       vm_run --kernel 6.12 -- "$BATS_TEST_DIRNAME/guest/grow.sh"
#       [ "$status" -eq 0 ]
#       vm_assert_clean_log
#   }
#
# vm_run is bats' "run --separate-stderr" on tests/vm/run: $status, $output
# (COMMAND's stdout), $stderr and $lines are set as usual.  It turns the
# harness's own "cannot run here" (exit 77 with "tests/vm/run: SKIP: ...")
# into a bats skip; a VM failure stays status 125 and fails the test.
# Each vm_run saves the guest's kernel log to $E4_VM_LOG, by default
# $BATS_TEST_TMPDIR/vm-console.log, for vm_assert_clean_log and for greps.

E4_VM_RUNNER=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/run

# A prerequisite of the VM is missing: skip the test, or, under
# E4_REQUIRE_VM=1 (.ci/run, after make deps installed everything), fail it.
vm_missing() {
	if [[ ${E4_REQUIRE_VM:-} == 1 ]]; then
		echo "E4_REQUIRE_VM=1, and the VM cannot run: $*" >&2
		return 1
	fi
	skip "$*"
}

# Skip the current test unless a VM on each given kernel series (default
# 6.12) can be started: qemu, busybox-static and the kernel must be there.
# "make deps" installs them, so normally nothing is skipped.
vm_require() {
	local series b static=
	((EUID == 0)) || vm_missing "the VM harness needs root" || return
	command -v qemu-system-x86_64 >/dev/null ||
		vm_missing "qemu-system-x86_64 not installed (make deps)" || return
	for b in /bin/busybox /usr/bin/busybox; do
		# ldd fails on a static executable.
		if [[ -x $b ]] && ! ldd "$b" >/dev/null 2>&1; then
			static=$b
			break
		fi
	done
	[[ -n $static ]] ||
		vm_missing "no statically linked busybox (make deps: busybox-static)" || return
	(($#)) || set -- 6.12
	for series; do
		compgen -G "/boot/vmlinuz-$series.*" >/dev/null ||
			vm_missing "no kernel /boot/vmlinuz-$series.* (make deps)" || return
	done
}

# vm_run [-N|!] [--kernel S] [--cgroup2] [--mem MiB] -- COMMAND [ARG...]
# -N / ! are bats run's expected-status checks (run -127 ... to expect 127).
vm_run() {
	local expect=()
	if [[ ${1:-} =~ ^(-[0-9]+|!)$ ]]; then
		expect=("$1")
		shift
	fi
	: "${E4_VM_LOG:=$BATS_TEST_TMPDIR/vm-console.log}"
	export E4_VM_LOG
	local rc=0
	# run returns non-zero when an expected status is not met; a harness
	# skip must still become a skip then.
	run "${expect[@]}" --separate-stderr "$E4_VM_RUNNER" "$@" || rc=$?
	if [[ $status -eq 77 && $stderr == *"tests/vm/run: SKIP: "* ]]; then
		skip "${stderr##*tests/vm/run: SKIP: }"
	fi
	return "$rc"
}

# Fail (printing the matches) if the last VM's kernel log shows a kernel
# warning, bug, oops, panic, lockdep splat or ext4 error.
vm_assert_clean_log() {
	local log=${E4_VM_LOG:-$BATS_TEST_TMPDIR/vm-console.log} bad
	[[ -s $log ]] || {
		echo "no VM log at $log" >&2
		return 1
	}
	bad=$(grep -nE 'WARNING:|BUG:|Oops|Kernel panic|Call Trace|EXT4-fs error|possible circular locking|INFO: task .* blocked' "$log" || true)
	if [[ -n $bad ]]; then
		echo "kernel log $log shows problems:" >&2
		echo "$bad" >&2
		return 1
	fi
}
