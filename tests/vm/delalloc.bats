#!/usr/bin/env bats
# e4ctl delalloc audit inside a VM on both kernels (tests/vm/run): three
# files against the kernel's counter, --sync, --freeze with a SIGTERM
# mid-audit, bigalloc; on 6.1, which has no cachestat(2), the page columns
# must say n/a while the audit still works.  The checks themselves are in
# delalloc-guest.sh.

load ../lib

vm() {
	[[ -x $BATS_TEST_DIRNAME/run ]] || skip "no tests/vm/run in this checkout"
	run "$BATS_TEST_DIRNAME/run" "$@"
	if [[ $status -eq 77 ]]; then
		skip "VM unavailable: $output"
	fi
}

@test "vm 6.1: delalloc audit, no cachestat: pages n/a" {
	vm --kernel 6.1 -- "$BATS_TEST_DIRNAME/delalloc-guest.sh"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"sum = counter, cachestat=false"* ]]
	[[ $output == *"delalloc audit verified on 6.1."* ]]
}

@test "vm 6.12: delalloc audit, with cachestat" {
	vm --kernel 6.12 -- "$BATS_TEST_DIRNAME/delalloc-guest.sh"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"sum = counter, cachestat=true"* ]]
	[[ $output == *"delalloc audit verified on 6.12."* ]]
}
