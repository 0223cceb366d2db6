#!/usr/bin/env bats
# Offline grow with the disk failing from the Nth write on (strace fault
# injection, EIO on pwrite64 and write): whatever N, the outcome is a
# grown filesystem that passes e2fsck, an untouched one, or one marked
# with errors that e2fsck -fy repairs; never an unmarked broken one.
load ../lib

HELPER=$BATS_TEST_DIRNAME/../unit/resize_offline_helper.sh

setup() {
	require_root
	command -v strace >/dev/null || skip "needs strace for fault injection"
	IMG=$BATS_TEST_TMPDIR/fs.img
	BASE=$BATS_TEST_TMPDIR/base.img
	"$HELPER" mk "$BASE" 16M -t ext4 -b 1024 -g 1024 -N 1024 -E resize=40000
	run "$E4CTL" resize --dry-run "$BASE" 300M
	if [[ $output == *"not available in this build"* || $output == *"unknown command"* ]]; then
		skip "e4ctl resize does not dispatch unmounted targets yet"
	fi
	"$HELPER" populate "$BASE"
	OLD=$(dumpe2fs_field "$BASE" 'Block count')
}

teardown() {
	e4_teardown
}

# One run failing from write n on; prints a line for the failure message.
check_failing_from() {
	local n=$1 st state blocks
	cp --sparse=always "$BASE" "$IMG"
	st=0
	strace -f -qq -o /dev/null -e trace=pwrite64,write \
		-e inject=pwrite64,write:error=EIO:when=$n+ \
		"$E4CTL" resize --quiet "$IMG" 300M >/dev/null 2>&1 || st=$?
	blocks=$(dumpe2fs_field "$IMG" 'Block count')
	state=$(dumpe2fs_field "$IMG" 'Filesystem state')
	if [[ $st -eq 0 ]]; then
		[[ $blocks -eq 307200 ]] || { echo "n=$n: success at $blocks blocks"; return 1; }
		e2fsck -fn "$IMG" >/dev/null 2>&1 || { echo "n=$n: success but e2fsck fails"; return 1; }
		return 0
	fi
	if [[ $state == *errors* ]]; then
		e2fsck -fy "$IMG" >/dev/null 2>&1 || [[ $? -le 1 ]] ||
			{ echo "n=$n: e2fsck -fy cannot repair"; return 1; }
		e2fsck -fn "$IMG" >/dev/null 2>&1 || { echo "n=$n: still broken after e2fsck -fy"; return 1; }
		return 0
	fi
	# Failed without the mark: must be untouched.
	[[ $blocks -eq $OLD ]] || { echo "n=$n: unmarked at $blocks blocks"; return 1; }
	e2fsck -fn "$IMG" >/dev/null 2>&1 || { echo "n=$n: unmarked and e2fsck fails"; return 1; }
}

@test "a disk failing at any write: grown, untouched, or marked and repairable" {
	local n
	for n in $(seq 1 2 60); do
		check_failing_from "$n"
	done
}
