#!/usr/bin/env bats
# e4ctl inline list/convert on a mounted filesystem, where the walk could
# go wrong: a PATH that is a symlink, a read-only mount with --dry-run, a
# file whose flags cannot be read, a file open elsewhere during its
# conversion (mtime), data the kernel leaves in the journal, and
# --from-device with a subdirectory as TARGET.

load ../lib
load inline

setup() {
	require_root
	IMG=$BATS_TEST_TMPDIR/fs.img
	M=$BATS_TEST_TMPDIR/m
}

teardown() {
	e4_teardown
}

inline_attr() {
	[[ $(lsattr -d "$1" | cut -d' ' -f1) == *N* ]]
}

@test "online PATH that is a symlink: skipped, not followed, its target left alone" {
	mkimg "$IMG" 32M -t ext4 -O inline_data
	mount_img "$IMG" "$M"
	printf target >"$M/t"
	ln -s t "$M/lnk"
	ln -s /etc/hostname "$M/out"
	inline_attr "$M/t"
	run "$E4CTL" inline convert "$M" "$M/lnk" --raw --noheadings -o PATH,TYPE,STATUS,REASON
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$output" = "$M/lnk symlink skipped a\\x20symlink:\\x20not\\x20followed" ]
	inline_attr "$M/t"
	run "$E4CTL" inline convert "$M" "$M/out" --raw --noheadings -o PATH,TYPE,STATUS,REASON
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$output" = "$M/out symlink skipped a\\x20symlink:\\x20not\\x20followed" ]
	# the target itself, by its own name, is converted
	run "$E4CTL" inline convert "$M" "$M/t"
	[ "$status" -eq 0 ]
	run inline_attr "$M/t"
	[ "$status" -ne 0 ]
	[ "$(cat "$M/t")" = target ]
}

@test "online convert refuses a PATH on another filesystem, even below a symlinked directory" {
	mkimg "$IMG" 32M -t ext4 -O inline_data
	mount_img "$IMG" "$M"
	ln -s /etc "$M/etc"
	run "$E4CTL" inline convert "$M" "$M/etc/hostname"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"$M/etc/hostname: not on "* ]]
}

populate_two() {
	mkdir -p "$2"
	mount -o loop "$1" "$2" || return
	printf one >"$2/a"
	printf two >"$2/b"
	umount "$2"
}

@test "--dry-run on a read-only mount opens nothing for writing: would-convert, exit 0" {
	mkimg "$IMG" 32M -t ext4 -O inline_data
	in_private_ns populate_two "$IMG" "$M"
	mount_img "$IMG" "$M" ro
	run "$E4CTL" inline convert "$M" --all --dry-run --raw --noheadings -o PATH,STATUS,REASON
	echo "$output"
	[ "$status" -eq 0 ]
	grep -qx "$M/a would-convert " <<<"$output"
	grep -qx "$M/b would-convert " <<<"$output"
	run grep -c failed <<<"$output"
	[ "$output" = 0 ]
	inline_attr "$M/a"
}

# e4ctl with FS_IOC_GETFLAGS failing (EIO) on one path only.
flags_fail_on() {
	local path=$1
	shift
	strace -f -qq -o /dev/null -e trace=ioctl -P "$path" \
		-e inject=ioctl:error=EIO "$E4CTL" "$@"
}

@test "FS_IOC_GETFLAGS failing on one file: recorded for it, the walk goes on (list and convert)" {
	command -v strace >/dev/null || skip "no strace"
	mkimg "$IMG" 32M -t ext4 -O inline_data
	mount_img "$IMG" "$M"
	mkdir "$M/d"
	printf one >"$M/a"
	printf two >"$M/b"
	printf three >"$M/d/c"
	run flags_fail_on "$M/b" inline list "$M" --raw --noheadings -o PATH
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"$M/b: while reading its flags: Input/output error; not known whether it has inline data"* ]]
	grep -qx "$M/a" <<<"$output"
	grep -qx "$M/d/c" <<<"$output"
	run grep -cx "$M/b" <<<"$output"
	[ "$output" = 0 ]
	# the top directory itself
	run flags_fail_on "$M" inline list "$M" --raw --noheadings -o PATH
	echo "$output"
	[ "$status" -eq 0 ]
	grep -qx "$M/d/c" <<<"$output"
	run flags_fail_on "$M/b" inline convert "$M" --all --raw --noheadings -o PATH,STATUS,REASON
	echo "$output"
	[ "$status" -eq 1 ]
	grep -qx "$M/b failed while\\\\x20reading\\\\x20its\\\\x20flags:\\\\x20Input/output\\\\x20error\\\\x20(EIO)" <<<"$output"
	grep -Eq "^$M/a converted *$" <<<"$output"
	grep -Eq "^$M/d/c converted *$" <<<"$output"
	inline_attr "$M/b"
	run inline_attr "$M/a"
	[ "$status" -ne 0 ]
}

@test "online convert puts mtime back only while nobody else has the file open" {
	mkimg "$IMG" 32M -t ext4 -O inline_data
	mount_img "$IMG" "$M"
	printf idle >"$M/idle"
	printf busy >"$M/busy"
	touch -d '2001-02-03 04:05:06.5' "$M/idle" "$M/busy"
	old=$(stat -c %y "$M/idle")
	# someone holds busy open for writing: its writes could come any time
	exec 7>>"$M/busy"
	run "$E4CTL" inline convert "$M" --all --raw --noheadings -o PATH,STATUS,REASON
	exec 7>&-
	echo "$output"
	[ "$status" -eq 0 ]
	grep -Eq "^$M/idle converted *$" <<<"$output"
	grep -qx "$M/busy converted mtime\\\\x20is\\\\x20the\\\\x20kernel's:\\\\x20the\\\\x20file\\\\x20is\\\\x20open\\\\x20elsewhere" <<<"$output"
	[ "$(stat -c %y "$M/idle")" = "$old" ]
	[ "$(stat -c %y "$M/busy")" != "$old" ]
	[ "$(cat "$M/idle")" = idle ]
	[ "$(cat "$M/busy")" = busy ]
}

# Drop the page cache of every file given (clean pages only).
drop_cache() {
	python3 -c '
import os, sys
for p in sys.argv[1:]:
    fd = os.open(p, os.O_RDONLY)
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    os.close(fd)
' "$@"
}

@test "online convert: data the kernel wrote through the journal reads back right once e4ctl returns" {
	command -v python3 >/dev/null || skip "no python3"
	mkimg "$IMG" 32M -t ext4 -O inline_data
	mount_img "$IMG" "$M"
	mkdir "$M/d"
	for i in $(seq 1 30); do printf "v$i" >"$M/d/f$i"; done
	sync
	drop_cache "$M"/d/f*
	run "$E4CTL" inline convert "$M" --all
	echo "$output"
	[[ ${lines[-1]} == "converted: 30 files"*"; skipped 0, failed 0" ]]
	# cold reads now go to the disk
	drop_cache "$M"/d/f*
	for i in $(seq 1 30); do
		[ "$(cat "$M/d/f$i")" = "v$i" ]
		run inline_attr "$M/d/f$i"
		[ "$status" -ne 0 ]
	done
}

@test "--from-device with a subdirectory as TARGET lists that subtree only, under its path" {
	mkimg "$IMG" 32M -t ext4 -O inline_data
	mount_img "$IMG" "$M"
	mkdir -p "$M/sub/deeper" "$M/other"
	printf a >"$M/sub/a"
	printf b >"$M/sub/deeper/b"
	printf c >"$M/other/c"
	printf d >"$M/d"
	sync
	run "$E4CTL" inline list "$M/sub" --from-device --raw --noheadings -o PATH
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -v "may lag" <<<"$output" | sort | tr '\n' ' ')" = "$M/sub $M/sub/a $M/sub/deeper $M/sub/deeper/b " ]
	# the mount point: everything, as before
	run "$E4CTL" inline list "$M" --from-device --raw --noheadings -o PATH
	[ "$status" -eq 0 ]
	grep -qx "$M/other/c" <<<"$output"
	grep -qx "$M/d" <<<"$output"
	# a directory the device does not have yet
	mkdir "$M/fresh"
	printf x >"$M/fresh/x"
	run "$E4CTL" inline list "$M/fresh" --from-device
	echo "$output"
	if [ "$status" -eq 0 ]; then
		skip "the kernel wrote $M/fresh out already"
	fi
	[ "$status" -eq 1 ]
	[[ $output == *"$M/fresh: directory inode "*" is not on "*" yet (run sync first)"* ]]
}
