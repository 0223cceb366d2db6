#!/usr/bin/env bats
# inline convert (and --disable-feature) behind the safety gates of
# lib/gate.c: damage is refused by name with e2fsck -f as the next step,
# the image is unchanged and e2fsck -fn still sees it; --force passes only
# the soft gates.  And inline list on damage: inline inodes whose
# directory entries are gone are still listed (no name), errors name the
# target.
bats_require_minimum_version 1.5.0
load ../lib

setup() {
	IMG=$BATS_TEST_TMPDIR/fs.img
	mkimg "$IMG" 32M -t ext4 -b 1024 -O inline_data
	# An inline inode made by libext2fs: a symlink of 80 bytes.
	debugfs -w -R "symlink /lnk $(printf 'y%.0s' $(seq 1 80))" "$IMG" >/dev/null 2>&1
	# The sanitizer build of e4ctl when make check built it.
	E4SAN=${E4_BUILD:-$BATS_TEST_DIRNAME/../../build}/san/e4ctl
}

dbg() {
	printf '%s\n' "$@" >"$BATS_TEST_TMPDIR/dbg"
	debugfs -w -f "$BATS_TEST_TMPDIR/dbg" "$IMG" >/dev/null 2>&1
}

hard() {
	echo "e4ctl inline convert: $IMG: $1; run 'e2fsck -f $IMG' (--force does not override this)"
}

# refused MESSAGE E2FSCK_TEXT ARGS...: exit 1, exactly MESSAGE on stderr,
# image unchanged, e2fsck -fn still reports E2FSCK_TEXT.
refused() {
	local msg=$1 fsck=$2 before
	shift 2
	before=$(img_hash "$IMG")
	run --separate-stderr "$E4CTL" inline convert "$@" "$IMG"
	echo "status $status stderr: $stderr"
	[ "$status" -eq 1 ]
	[ "$stderr" = "$msg" ]
	[ "$(img_hash "$IMG")" = "$before" ]
	run e2fsck -fn "$IMG"
	[ "$status" -eq 4 ]
	[[ $output == *"$fsck"* ]]
}

@test "convert: a bad block bitmap checksum is refused, with --force and --disable-feature too" {
	dbg "set_bg 0 block_bitmap_csum 0x1234" "set_bg 0 checksum calc"
	local calc
	calc=$("$E4CTL" check --raw --noheadings -o WHAT,EXPECTED "$IMG" | awk '$1 == "block_bitmap_csum" { printf "0x%x", $2 }')
	local m
	m=$(hard "the block bitmap checksum of group 0 is wrong (0x1234 stored, $calc computed)")
	refused "$m" "Group 0 block bitmap does not match checksum" --all
	refused "$m" "Group 0 block bitmap does not match checksum" --all --force
	refused "$m" "Group 0 block bitmap does not match checksum" --all --force --disable-feature
	refused "$m" "Group 0 block bitmap does not match checksum" --all --dry-run
}

@test "convert: a bad superblock checksum is refused, also with --force" {
	printf '\x34\x12\x00\x00' | dd of="$IMG" bs=1 seek=$((1024 + 0x3fc)) conv=notrunc status=none
	run --separate-stderr "$E4CTL" inline convert --all --force "$IMG"
	[ "$status" -eq 1 ]
	[[ $stderr =~ ^"e4ctl inline convert: $IMG: the superblock checksum is wrong (0x00001234 stored, 0x"[0-9a-f]{8}" computed); run 'e2fsck -f $IMG' (--force does not override this)"$ ]]
	refused "$stderr" "Superblock checksum does not match superblock" --all --force --disable-feature
}

@test "convert: a bad descriptor checksum is refused, also with --force" {
	debugfs -w -n -R "set_bg 1 checksum 0x1234" "$IMG" >/dev/null 2>&1
	run e2fsck -fn "$IMG"
	[[ $output =~ Group\ descriptor\ 1\ checksum\ is\ 0x1234,\ should\ be\ (0x[0-9a-f]+) ]]
	refused "$(hard "the descriptor checksum of group 1 is wrong (0x1234 stored, ${BASH_REMATCH[1]} computed)")" \
		"Group descriptor 1 checksum is 0x1234" --all --force
}

@test "convert: a wrong group free count is refused; --force converts and e2fsck still sees the count" {
	local was before
	was=$("$E4CTL" groups --raw --noheadings -o FREE_BLOCKS --groups 2 "$IMG")
	dbg "set_bg 2 free_blocks_count 7" "set_bg 2 checksum calc"
	refused "e4ctl inline convert: $IMG: a free count disagrees with the bitmaps (group 2 free blocks: 7 stored, $was counted); run 'e2fsck -f $IMG' first, or use --force" \
		"Free blocks count wrong for group #2 (7, counted=$was)" --all
	run "$E4CTL" inline convert --all --force "$IMG"
	[ "$status" -eq 0 ]
	run e2fsck -fn "$IMG"
	[ "$status" -eq 4 ]
	[[ $output == *"Free blocks count wrong for group #2 (7, counted=$was)"* ]]
}

@test "convert: errors recorded, the state gate, says --force" {
	debugfs -w -R "ssv state 3" "$IMG" >/dev/null 2>&1
	before=$(img_hash "$IMG")
	run --separate-stderr "$E4CTL" inline convert --all "$IMG"
	[ "$status" -eq 1 ]
	[ "$stderr" = "e4ctl inline convert: $IMG: the filesystem has errors recorded; run 'e2fsck -f $IMG' first, or use --force" ]
	[ "$(img_hash "$IMG")" = "$before" ]
}

@test "list: inline inodes whose directory entries are gone are listed without a name" {
	debugfs -w -R "unlink /lnk" "$IMG" >/dev/null 2>&1
	# No name of any kind is left to sort (lost+found gone too).
	debugfs -w -R "unlink /lost+found" "$IMG" >/dev/null 2>&1
	local bin
	for bin in "$E4CTL" "$E4SAN"; do
		[[ -x $bin ]] || continue
		run --separate-stderr "$bin" inline list --raw --noheadings "$IMG"
		echo "$bin: $status $output $stderr"
		[ "$status" -eq 0 ]
		[ "$output" = "12  symlink 80 1" ]
		[ -z "$stderr" ]
		run --separate-stderr "$bin" inline list --json "$IMG"
		[ "$status" -eq 0 ]
		[ "$(jq -c '.inodes' <<<"$output")" = '[{"inode":12,"path":null,"type":"symlink","size":80,"links":1}]' ]
	done
}

@test "list: an error names the target" {
	dbg "set_bg 0 inode_table 4000000" "set_bg 0 checksum calc"
	run --separate-stderr "$E4CTL" inline list "$IMG"
	[ "$status" -eq 1 ]
	[ "$stderr" = "e4ctl inline list: $IMG: while reading the bad block list: Corrupt group descriptor: bad block for inode table" ]
}
