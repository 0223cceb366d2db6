#!/usr/bin/env bats
# Offline shrink: every refusal (mounted, below the minimum, not clean,
# bad SIZE) leaves the image byte for byte as it was, with the exact exit
# code; -P writes nothing; --undo + e2undo gives the original image back;
# SIGINT stops at a consistent point.  Skipped, like matrix.bats, until
# e4ctl shrinks (E4_TEST_SHRINK_PEER=1 runs them against resize2fs).
bats_require_minimum_version 1.5.0
load shrink

# One filled image for the whole file; each test works on a copy.
setup_file() {
	BASE=$BATS_FILE_TMPDIR/base.img
	export BASE
	# setup() says why when there is no shrinker or no root
	pick_shrinker && [[ $(id -u) -eq 0 ]] || return 0
	mkimg "$BASE" 128M -t ext4 -b 1024 -I 256
	populate "$BASE" --fill 30
	take_manifest "$BASE" >"$BASE.manifest"
}

setup() {
	shrink_setup
	IMG=$BATS_TEST_TMPDIR/fs.img
	UNDO=$BATS_TEST_TMPDIR/u.e2undo
	# What each shrinker says, as glob patterns one whole line of its
	# output must match (e4ctl: the complete line; resize2fs: a part of
	# it); exit codes: e4ctl 1 refused, 2 usage.
	case $SHRINKER in
	e4ctl)
		MSG_NOT_CLEAN="e4ctl resize: $IMG: the filesystem is not clean (not cleanly unmounted, or not checked since); run 'e2fsck -f $IMG' first, or use --force"
		MSG_ERRORS="e4ctl resize: $IMG: the filesystem has errors recorded; run 'e2fsck -f $IMG' first, or use --force"
		RC_BAD_SIZE=2
		;;
	resize2fs)
		MSG_NOT_CLEAN="*Please run 'e2fsck -f $IMG' first*"
		MSG_ERRORS="*Please run 'e2fsck -f $IMG' first*"
		RC_BAD_SIZE=1
		;;
	esac
}

# msg_mounted FROM TO MIN: the refusal of a mounted shrink.  e4ctl names
# the loop device the mount made (any /dev/loopN), the sizes and the
# minimum it would shrink to offline.
msg_mounted() {
	case $SHRINKER in
	e4ctl) echo "e4ctl resize: /dev/loop*: ext4 cannot shrink while mounted ($1 -> $2 blocks); unmount it and run e4ctl resize again (minimum size: $3 blocks)" ;;
	resize2fs) echo "*On-line shrinking not supported*" ;;
	esac
}

# has_line PATTERN TEXT: a line of TEXT matches the glob PATTERN.
has_line() {
	local line
	while IFS= read -r line; do
		# shellcheck disable=SC2053
		[[ $line == $1 ]] && return 0
	done <<<"$2"
	echo "no line matches: $1" >&2
	return 1
}

teardown() {
	[[ -n ${DEV:-} && $DEV == /dev/* ]] && losetup -d "$DEV"
	e4_teardown
}

# The target of an --undo shrink.  resize2fs truncates an image file it
# shrinks, so e2undo cannot bring the cut-off tail back (its undo file
# holds only the blocks it overwrote); the peer therefore works on a loop
# device.  e4ctl works on the image file itself: its undo must restore it.
undo_target() {
	if [[ $SHRINKER == resize2fs ]]; then
		DEV=$(losetup --find --show "$IMG")
	else
		DEV=$IMG
	fi
}

detach() {
	if [[ $DEV == /dev/* ]]; then
		losetup -d "$DEV"
		DEV=
	fi
}

# A filled 128 MiB ext4 image with 1k blocks and its manifest.
filled() {
	cp --sparse=always "$BASE" "$IMG"
	WANT=$BASE.manifest
}

# A size between the minimum and the current size.
midway() {
	echo $((($(sh_print_min "$IMG") + $(blocks_of "$IMG")) / 2))
}

# e4ctl goes on with why the last group cannot be cut there.
msg_below() {
	case $SHRINKER in
	e4ctl) echo "e4ctl resize: $IMG: $1 blocks is below the minimum of $2 blocks: ?*" ;;
	resize2fs) echo "*New size smaller than minimum ($2)*" ;;
	esac
}

# e4ctl goes on with what a size looks like.
msg_bad_size() {
	case $SHRINKER in
	e4ctl) echo "e4ctl resize: invalid size '$1': ?*" ;;
	resize2fs) echo "*Invalid new size: $1*" ;;
	esac
}

# refused RC PATTERN CMD...: exit RC, a line matching PATTERN in the
# output, image unchanged.
refused() {
	local rc=$1 msg=$2 before
	shift 2
	before=$(img_hash "$IMG")
	run --separate-stderr "$@"
	echo "exit $status; stdout: $output; stderr: $stderr"
	[ "$status" -eq "$rc" ]
	has_line "$msg" "$stderr
$output"
	[ "$(img_hash "$IMG")" = "$before" ]
}

# mounted_run OPTS CMD...: run CMD while IMG is loop-mounted with OPTS, in a
# mount namespace of its own (see tests/resize-shrink/img for why).
mounted_run() {
	local opts=$1
	shift
	run --separate-stderr unshare -m --propagation private bash -c '
		mnt=$(mktemp -d) && mount -o "loop,$2" "$1" "$mnt" || exit 99
		shift 2; "$@"; rc=$?
		umount "$mnt"; rmdir "$mnt"; exit $rc' _ "$IMG" "$opts" "$@"
	echo "exit $status; stdout: $output; stderr: $stderr"
}

@test "mounted (read-only): refused, exit 1, image unchanged" {
	filled
	before=$(img_hash "$IMG")
	min=$(sh_print_min "$IMG")
	to=$(midway)
	sh_argv resize "$IMG" "$to"
	mounted_run ro "${SH_ARGV[@]}"
	[ "$status" -eq 1 ]
	has_line "$(msg_mounted "$(blocks_of "$IMG")" "$to" "$min")" "$stderr
$output"
	[ "$(img_hash "$IMG")" = "$before" ]
}

@test "mounted (read-write): refused, exit 1, size and files unchanged" {
	filled
	b=$(blocks_of "$IMG")
	min=$(sh_print_min "$IMG")
	sh_argv minimum "$IMG"
	mounted_run rw "${SH_ARGV[@]}"
	[ "$status" -eq 1 ]
	has_line "$(msg_mounted "$b" "$min" "$min")" "$stderr
$output"
	# the mount itself writes the superblock; the shrinker wrote nothing
	[ "$(blocks_of "$IMG")" -eq "$b" ]
	fsck_clean "$IMG"
	same_manifest "$IMG" "$WANT" "a refused shrink of a mounted filesystem"
}

@test "below the minimum: one block less refused, image unchanged; the minimum itself works" {
	filled
	min=$(sh_print_min "$IMG")
	refused 1 "$(msg_below $((min - 1)) "$min")" sh_resize "$IMG" $((min - 1))
	sh_resize "$IMG" "$min"
	[ "$(blocks_of "$IMG")" -eq "$min" ]
	fsck_clean "$IMG"
	same_manifest "$IMG" "$WANT" "shrink to the printed minimum"
}

@test "-P prints the minimum and writes nothing" {
	filled
	before=$(img_hash "$IMG")
	min=$(sh_print_min "$IMG")
	[ "$min" -gt 0 ]
	[ "$min" -lt "$(blocks_of "$IMG")" ]
	[ "$(img_hash "$IMG")" = "$before" ]
}

@test "not clean (state 0): refused, exit 1, image unchanged" {
	filled
	debugfs -w -R 'ssv state 0' "$IMG" >/dev/null 2>&1
	refused 1 "$MSG_NOT_CLEAN" sh_resize "$IMG" 40000
	refused 1 "$MSG_NOT_CLEAN" sh_minimum "$IMG"
}

@test "errors recorded (state 3): refused, exit 1, image unchanged" {
	filled
	debugfs -w -R 'ssv state 3' "$IMG" >/dev/null 2>&1
	refused 1 "$MSG_ERRORS" sh_resize "$IMG" 40000
	refused 1 "$MSG_ERRORS" sh_minimum "$IMG"
}

@test "bad SIZE: usage error, image unchanged" {
	filled
	for size in garbage 12Q 5k5; do
		refused "$RC_BAD_SIZE" "$(msg_bad_size "$size")" sh_resize "$IMG" "$size"
	done
}

@test "--undo, then e2undo: a shrunk image restored bit for bit" {
	filled
	before=$(img_hash "$IMG")
	len=$(stat -c %s "$IMG")
	to=$(midway)
	undo_target
	sh_undo "$UNDO" "$DEV" "$to"
	[ "$(blocks_of "$DEV")" -eq "$to" ]
	fsck_clean "$DEV"
	e2undo "$UNDO" "$DEV"
	detach
	[ "$(stat -c %s "$IMG")" -eq "$len" ]
	[ "$(img_hash "$IMG")" = "$before" ]
}

@test "--undo with --minimum, then e2undo: restored bit for bit" {
	filled
	before=$(img_hash "$IMG")
	len=$(stat -c %s "$IMG")
	undo_target
	sh_undo "$UNDO" "$DEV" -M
	[ "$(blocks_of "$DEV")" -lt $((len / 1024)) ]
	fsck_clean "$DEV"
	e2undo "$UNDO" "$DEV"
	detach
	[ "$(stat -c %s "$IMG")" -eq "$len" ]
	[ "$(img_hash "$IMG")" = "$before" ]
}

# SIGINT through the test hook at the Nth progress report.  The run stops
# where the image is consistent: before anything moved (exit 3, image
# unchanged) or after the shrink completed (the new size, clean, same
# files); it says which.  Past the last report the run just completes.
@test "SIGINT at several points: unchanged or complete, never in between" {
	[[ $SHRINKER == e4ctl ]] || skip "resize2fs has no E4_TEST_SIGINT_AFTER hook"
	filled
	cp --sparse=always "$IMG" "$BATS_TEST_TMPDIR/orig.img"
	before=$(img_hash "$IMG")
	b=$(blocks_of "$IMG")
	to=$(midway)
	for n in 1 2 3 5 10 50 100000; do
		cp --sparse=always "$BATS_TEST_TMPDIR/orig.img" "$IMG"
		run --separate-stderr env E4_TEST_SIGINT_AFTER=$n "$E4CTL" resize --quiet "$IMG" "$to"
		echo "SIGINT after $n: exit $status; $stderr"
		fsck_clean "$IMG"
		same_manifest "$IMG" "$WANT" "SIGINT after report $n"
		if [ "$(blocks_of "$IMG")" -eq "$b" ]; then
			[ "$status" -eq 3 ]
			[[ $stderr == *"unchanged"* ]]
			[ "$(img_hash "$IMG")" = "$before" ]
		else
			[ "$(blocks_of "$IMG")" -eq "$to" ]
			[ "$status" -eq 0 ] || { [ "$status" -eq 3 ] && [[ $stderr == *"complete"* ]]; }
		fi
	done
}
