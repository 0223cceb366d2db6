#!/usr/bin/env bats
# e4ctl inline convert on a mounted filesystem relies on ext4_fallocate()
# converting inline data before anything else; check that on both
# kernels (tests/vm/inline-guest.sh, one boot per kernel).

load ../lib

RUNNER=$BATS_TEST_DIRNAME/run

setup_file() {
	local k
	for k in 6.1 6.12; do
		E4_VM_LOG=$BATS_FILE_TMPDIR/$k.log "$RUNNER" --kernel "$k" -- \
			"$BATS_TEST_DIRNAME/inline-guest.sh" >"$BATS_FILE_TMPDIR/$k.out" \
			2>"$BATS_FILE_TMPDIR/$k.err"
		echo $? >"$BATS_FILE_TMPDIR/$k.rc"
	done
}

# verdict KERNEL CASE: pass if the guest printed "ok CASE:".
verdict() {
	local k=$1 n=$2 rc
	rc=$(cat "$BATS_FILE_TMPDIR/$k.rc")
	if [[ $rc -eq 77 ]]; then
		skip "VM unavailable: $(head -n1 "$BATS_FILE_TMPDIR/$k.err")"
	fi
	cat "$BATS_FILE_TMPDIR/$k.out"
	[[ $rc -eq 0 ]] || { echo "VM exit $rc"; tail -n 20 "$BATS_FILE_TMPDIR/$k.err"; }
	grep -q "^ok $n: " "$BATS_FILE_TMPDIR/$k.out"
}

@test "vm 6.1: fallocate(KEEP_SIZE, 0, 1) converts inline data, size and content kept" { verdict 6.1 1; }
@test "vm 6.1: inline convert online: files converted and equal, directories need offline" { verdict 6.1 2; }
@test "vm 6.12: fallocate(KEEP_SIZE, 0, 1) converts inline data, size and content kept" { verdict 6.12 1; }
@test "vm 6.12: inline convert online: files converted and equal, directories need offline" { verdict 6.12 2; }
