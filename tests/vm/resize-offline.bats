#!/usr/bin/env bats
# Filesystems grown offline by e4ctl, then online by the kernel: the
# kernel accepts the resize inode, reserved GDT blocks and meta_bg layout
# the offline engine leaves (needs CAP_SYS_RESOURCE, hence the VM).

load ../lib

vm() {
	run "$BATS_TEST_DIRNAME/run" "$@"
	if [[ $status -eq 77 ]]; then
		skip "VM unavailable: $output"
	fi
}

@test "vm 6.1: offline grow, then the kernel grows it online" {
	vm --kernel 6.1 -- "$BATS_TEST_DIRNAME/resize-offline-guest.sh"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"4 offline+online cases verified on 6.1."* ]]
}

@test "vm 6.12: offline grow, then the kernel grows it online" {
	vm --kernel 6.12 -- "$BATS_TEST_DIRNAME/resize-offline-guest.sh"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"4 offline+online cases verified on 6.12."* ]]
}
