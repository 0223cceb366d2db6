#!/usr/bin/env bats
# e4ctl info inside a VM with full privileges, on both kernels: mounted
# loop filesystems resolve, and the predicted online growth limit is
# exactly what the kernel reaches.

load ../lib

vm() {
	run "$BATS_TEST_DIRNAME/run" "$@"
	if [[ $status -eq 77 ]]; then
		skip "VM unavailable: $output"
	fi
}

@test "vm 6.1: info on mounted filesystems predicts the kernel's online growth" {
	vm --kernel 6.1 -- "$BATS_TEST_DIRNAME/info-guest.sh"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"6 growth predictions verified on 6.1."* ]]
}

@test "vm 6.12: info on mounted filesystems predicts the kernel's online growth" {
	vm --kernel 6.12 -- "$BATS_TEST_DIRNAME/info-guest.sh"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"6 growth predictions verified on 6.12."* ]]
}
