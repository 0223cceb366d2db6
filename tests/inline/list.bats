#!/usr/bin/env bats
# e4ctl inline list: offline (inode table) and mounted (FS_IOC_GETFLAGS)
# against what debugfs says about each inode.

load ../lib
load inline

setup() {
	require_root
	IMG=$BATS_TEST_TMPDIR/fs.img
}

teardown() {
	e4_teardown
}

populate_three() {
	local m=$BATS_TEST_TMPDIR/m
	mkdir -p "$m"
	mount -o loop "$1" "$m" || return
	printf '12345' >"$m/a"
	printf '1234567' >"$m/b"
	mkdir "$m/d"
	umount "$m"
}

list_matches_debugfs() {
	inline_image "$IMG" "$1" "$2"
	want=$(debugfs_inline "$IMG")
	got=$(e4_inline_inodes "$IMG")
	[[ -n $want ]]
	echo "debugfs: $want"
	echo "e4ctl:   $got"
	[[ $got == "$want" ]]
}

@test "offline list matches debugfs: 4k blocks, metadata_csum" {
	list_matches_debugfs 4096 on
}

@test "offline list matches debugfs: 4k blocks, no metadata_csum" {
	list_matches_debugfs 4096 off
}

@test "offline list matches debugfs: 1k blocks, metadata_csum" {
	list_matches_debugfs 1024 on
}

@test "offline list matches debugfs: 1k blocks, no metadata_csum" {
	list_matches_debugfs 1024 off
}

@test "offline list: paths, types, sizes and links of the populated files" {
	inline_image "$IMG" 4096 on
	max=$(cat "$BATS_TEST_TMPDIR/max")
	run "$E4CTL" inline list "$IMG" --raw --noheadings -o PATH,TYPE,SIZE,LINKS
	[ "$status" -eq 0 ]
	echo "$output"
	for n in 1 59 60 61 "$max"; do
		grep -qx "/f$n file $n 1" <<<"$output"
	done
	grep -qx "/emptied file 0 1" <<<"$output"
	grep -qx "/deep/a/b/leaf file 4 1" <<<"$output"
	grep -qx "/small dir 60 2" <<<"$output"
	grep -qx "/xattrs file 10 1" <<<"$output"
	# two names, one inode: listed once, with either name
	grep -Eqx "(/hardlink1|/small/hardlink2) file 6 2" <<<"$output"
	[ "$(grep -c hardlink <<<"$output")" -eq 1 ]
	# not inline: too big, never written, a big directory, symlinks
	[ -z "$(grep -E "^/f($((max + 1))|4096|0) " <<<"$output")" ]
	[ -z "$(grep "^/big " <<<"$output")" ]
	[ -z "$(grep "link " <<<"$output")" ]
}

@test "offline list: a slow symlink libext2fs made inline is listed" {
	mkimg "$IMG" 32M -t ext4 -O inline_data
	: >"$BATS_TEST_TMPDIR/inodes"
	debugfs -w -R "symlink /lnk $(printf 'y%.0s' $(seq 1 80))" "$IMG" 2>/dev/null
	ino=$(debugfs -R "stat /lnk" "$IMG" 2>/dev/null | awk '/^Inode:/{print $2}')
	[ "$(debugfs_inline "$IMG" "$ino")" = "$ino" ]
	run "$E4CTL" inline list "$IMG" --raw --noheadings
	[ "$status" -eq 0 ]
	[ "$output" = "$ino /lnk symlink 80 1" ]
}

@test "offline list: summary counts by type and bytes; --json numbers" {
	mkimg "$IMG" 32M -t ext4 -O inline_data
	in_private_ns populate_three "$IMG"
	run "$E4CTL" inline list "$IMG"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = "3 inodes with inline data: 2 files (12 bytes), 1 directory (60 bytes)" ]
	run "$E4CTL" inline list "$IMG" --json
	[ "$status" -eq 0 ]
	[ "$(jq '.inodes | length' <<<"$output")" -eq 3 ]
	[ "$(jq '[.inodes[].size] | add' <<<"$output")" -eq 72 ]
	[ "$(jq -r '.inodes[] | select(.path == "/b") | .type' <<<"$output")" = file ]
	[ "$(jq '.inodes[] | select(.path == "/b") | .links' <<<"$output")" -eq 1 ]
}

# Names that the raw form must escape: a blank, a backslash, a control
# character, bytes past ASCII; one directory deep.
populate_odd_names() {
	local m=$BATS_TEST_TMPDIR/m
	mkdir -p "$m"
	mount -o loop "$1" "$m" || return
	mkdir "$m/sp ace"
	printf 'ab' >"$m/sp ace/back\\slash"
	printf 'abc' >"$m/sp ace/$(printf 'c\001\xc3\xa9')"
	umount "$m"
}

@test "offline list: --raw escapes as libsmartcols does, --json keeps the bytes" {
	mkimg "$IMG" 32M -t ext4 -O inline_data
	in_private_ns populate_odd_names "$IMG"
	run "$E4CTL" inline list "$IMG" --raw
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" | od -c
	[ "${lines[0]}" = "INODE PATH TYPE SIZE LINKS" ]
	[ "${lines[1]}" = '12 /sp\x20ace dir 60 2' ]
	[ "${lines[2]}" = '13 /sp\x20ace/back\x5cslash file 2 1' ]
	[ "${lines[3]}" = '14 /sp\x20ace/c\x01\xc3\xa9 file 3 1' ]
	[ "${#lines[@]}" -eq 4 ]
	# an empty cell still has its separator
	run "$E4CTL" inline list "$IMG" --raw --noheadings -o INODE,REASON,TYPE
	[ "$output" = "$(printf '12  dir\n13  file\n14  file')" ]
	run "$E4CTL" inline list "$IMG" --json -o PATH
	[ "$status" -eq 0 ]
	[ "$(jq -r '.inodes[1].path' <<<"$output")" = '/sp ace/back\slash' ]
	[ "$(jq -r '.inodes[2].path' <<<"$output")" = "/sp ace/$(printf 'c\001\xc3\xa9')" ]
}

@test "offline list: no inline_data feature, nothing listed, exit 0" {
	mkimg "$IMG" 32M -t ext4
	run "$E4CTL" inline list "$IMG"
	[ "$status" -eq 0 ]
	[ "$output" = "0 inodes with inline data: none" ]
}

@test "mounted list matches debugfs and the offline list" {
	inline_image "$IMG" 4096 on
	want=$(debugfs_inline "$IMG")
	mount_img "$IMG" "$BATS_TEST_TMPDIR/m"
	got=$(e4_inline_inodes "$BATS_TEST_TMPDIR/m")
	echo "debugfs: $want"
	echo "mounted: $got"
	[[ -n $want && $got == "$want" ]]
	# paths are real paths under the mount point
	run "$E4CTL" inline list "$BATS_TEST_TMPDIR/m" --raw --noheadings -o PATH
	grep -qx "$BATS_TEST_TMPDIR/m/deep/a/b/leaf" <<<"$output"
	# the loop device as TARGET walks the whole mount
	dev=$(findmnt -n -o SOURCE "$BATS_TEST_TMPDIR/m")
	[[ $(e4_inline_inodes "$dev") == "$want" ]]
}

@test "mounted list sees what the kernel just wrote; --from-device says it may lag" {
	mkimg "$IMG" 32M -t ext4 -O inline_data
	mount_img "$IMG" "$BATS_TEST_TMPDIR/m"
	printf 'fresh' >"$BATS_TEST_TMPDIR/m/new"
	ino=$(stat -c %i "$BATS_TEST_TMPDIR/m/new")
	run e4_inline_inodes "$BATS_TEST_TMPDIR/m"
	[ "$output" = "$ino" ]
	sync
	run "$E4CTL" inline list "$BATS_TEST_TMPDIR/m" --from-device --raw --noheadings -o INODE,PATH
	[ "$status" -eq 0 ]
	[[ $output == *"may lag what the kernel has in memory"* ]]
	[[ $output == *"$ino $BATS_TEST_TMPDIR/m/new"* ]]
}

@test "mounted list does not leave the filesystem" {
	mkimg "$IMG" 32M -t ext4 -O inline_data
	mkimg "$BATS_TEST_TMPDIR/other.img" 32M -t ext4 -O inline_data
	mount_img "$IMG" "$BATS_TEST_TMPDIR/m"
	mkdir "$BATS_TEST_TMPDIR/m/sub"
	mount_img "$BATS_TEST_TMPDIR/other.img" "$BATS_TEST_TMPDIR/m/sub"
	printf 'elsewhere' >"$BATS_TEST_TMPDIR/m/sub/x"
	printf 'here' >"$BATS_TEST_TMPDIR/m/y"
	run "$E4CTL" inline list "$BATS_TEST_TMPDIR/m" --raw --noheadings -o PATH
	[ "$status" -eq 0 ]
	[ "$output" = "$BATS_TEST_TMPDIR/m/y" ]
}

@test "list: unknown column is a usage error" {
	mkimg "$IMG" 32M -t ext4 -O inline_data
	run "$E4CTL" inline list "$IMG" -o INODE,NOPE
	[ "$status" -eq 2 ]
	[[ $output == *"unknown column: NOPE"* ]]
}

@test "list: --list-columns needs no TARGET; a missing TARGET is a usage error" {
	run "$E4CTL" inline list --list-columns --raw --noheadings
	[ "$status" -eq 0 ]
	[ "$(cut -d' ' -f1 <<<"$output" | tr '\n' ' ')" = "INODE PATH TYPE SIZE LINKS STATUS REASON " ]
	run "$E4CTL" inline list
	[ "$status" -eq 2 ]
	[[ $output == *"missing TARGET"* ]]
}
