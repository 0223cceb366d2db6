#!/usr/bin/env bats
# e4ctl resize online, in the VM on both kernels: the eight cases of
# issue 4, and case 9: case 8's refusals answered by the kernel itself.
# One boot per kernel runs them all (tests/vm/resize-guest.sh, several
# minutes under TCG); each test below checks its case's verdict line and
# shows that case's details on failure.

load ../lib

RUNNER=$BATS_TEST_DIRNAME/run

setup_file() {
	local k
	for k in 6.1 6.12; do
		E4_VM_LOG=$BATS_FILE_TMPDIR/$k.log "$RUNNER" --kernel "$k" -- \
			"$BATS_TEST_DIRNAME/resize-guest.sh" >"$BATS_FILE_TMPDIR/$k.out" \
			2>"$BATS_FILE_TMPDIR/$k.err"
		echo $? >"$BATS_FILE_TMPDIR/$k.rc"
	done
}

# verdict KERNEL CASE: pass if the guest printed "ok CASE:", skip (with
# the guest's reason) on "skip CASE:".
verdict() {
	local k=$1 n=$2 rc line
	rc=$(cat "$BATS_FILE_TMPDIR/$k.rc")
	if [[ $rc -eq 77 ]]; then
		skip "VM unavailable: $(grep -m1 SKIP "$BATS_FILE_TMPDIR/$k.err")"
	fi
	grep "^  \[$n\]" "$BATS_FILE_TMPDIR/$k.err" || true
	[[ $rc -eq 0 ]] || { echo "VM exit $rc"; tail -n 20 "$BATS_FILE_TMPDIR/$k.err"; }
	line=$(grep -m1 "^skip $n: " "$BATS_FILE_TMPDIR/$k.out" || true)
	[[ -z $line ]] || skip "${line#*: *: }"
	grep -q "^ok $n: " "$BATS_FILE_TMPDIR/$k.out"
}

# The kernel log of the whole boot: no warning, bug or ext4 error.  The
# refusal cases record errors on purpose (debugfs, trigger_fs_error with
# the guest's marker text): those lines are left out, nothing else.
clean_log() {
	local log=$BATS_FILE_TMPDIR/$1.log bad
	[[ -s $log ]] || return 0
	bad=$(grep -nE 'WARNING:|BUG:|Oops|Kernel panic|Call Trace|EXT4-fs error' "$log" |
		grep -v 'e4ctl-test-deliberate-error' || true)
	[[ -z $bad ]] || { echo "$bad"; return 1; }
}

@test "vm 6.1: one-shot grow 64 MiB -> 1 GiB; df and dumpe2fs agree" { verdict 6.1 1; }
@test "vm 6.1: stepped grow 1 GiB -> 16 GiB with progress, steps as planned" { verdict 6.1 2; }
@test "vm 6.1: grow under 4 writers: checksums match, kernel log clean" { verdict 6.1 3; clean_log 6.1; }
@test "vm 6.1: past the reserved GDT blocks: meta_bg conversion as planned" { verdict 6.1 4; }
@test "vm 6.1: 1k blocks, bigalloc, no flex_bg, 64bit and not; devices ending inside a group" { verdict 6.1 5; }
@test "vm 6.1: SIGINT mid-way: exit 3, consistent at the reported size" { verdict 6.1 6; }
@test "vm 6.1: --legacy-ioctls grow" { verdict 6.1 7; }
@test "vm 6.1: every refusal explained, filesystem untouched" { verdict 6.1 8; }
@test "vm 6.1: the kernel's own refusals explained, ENOTTY falls back to the legacy ioctls" { verdict 6.1 9; }
@test "vm 6.12: one-shot grow 64 MiB -> 1 GiB; df and dumpe2fs agree" { verdict 6.12 1; }
@test "vm 6.12: stepped grow 1 GiB -> 16 GiB with progress, steps as planned" { verdict 6.12 2; }
@test "vm 6.12: grow under 4 writers: checksums match, kernel log clean" { verdict 6.12 3; clean_log 6.12; }
@test "vm 6.12: past the reserved GDT blocks: meta_bg conversion as planned" { verdict 6.12 4; }
@test "vm 6.12: 1k blocks, bigalloc, no flex_bg, 64bit and not; devices ending inside a group" { verdict 6.12 5; }
@test "vm 6.12: SIGINT mid-way: exit 3, consistent at the reported size" { verdict 6.12 6; }
@test "vm 6.12: --legacy-ioctls grow" { verdict 6.12 7; }
@test "vm 6.12: every refusal explained, filesystem untouched" { verdict 6.12 8; }
@test "vm 6.12: the kernel's own refusals explained, ENOTTY falls back to the legacy ioctls" { verdict 6.12 9; }
