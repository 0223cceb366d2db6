#!/usr/bin/env bats
# e4ctl inline convert, offline, where data could be lost: a filesystem
# without free blocks (libext2fs empties an inode before it allocates the
# block its data goes to), a directory whose entries reach into the xattr
# area, an inode the scan cannot read, a filesystem without the feature,
# and popt's strings.

load ../lib
load inline

setup() {
	require_root
	IMG=$BATS_TEST_TMPDIR/fs.img
}

teardown() {
	e4_teardown
}

# full_image IMG [LEAVE]: 8 MiB, 1k blocks: /p "precious" (inline file),
# /d (inline directory: x1, x2, two fifos), then every free block but
# LEAVE (0) taken by a filler file.
full_image() {
	local img=$1 leave=${2:-0} t=$BATS_TEST_TMPDIR free
	mkimg "$img" 8M -t ext4 -b 1024 -O inline_data
	printf precious >"$t/p"
	debugfs -w -f - "$img" >/dev/null 2>&1 <<-EOF
		write $t/p p
		mkdir d
		cd d
		mknod x1 p
		mknod x2 p
	EOF
	free=$(dumpe2fs_field "$img" "Free blocks")
	head -c $(((free - leave) * 1024)) /dev/zero | tr '\0' f >"$t/filler"
	debugfs -w -R "write $t/filler filler" "$img" >/dev/null 2>&1
	[ "$(dumpe2fs_field "$img" "Free blocks")" -eq "$leave" ]
	e2fsck -fn "$img" >/dev/null 2>&1
}

ino_of() {
	debugfs -R "stat $2" "$1" 2>/dev/null | awk '/^Inode:/ { print $2 }'
}

# What must survive, whatever happens: p's size and bytes, d's names, as
# the kernel reads them (debugfs 1.47.0 dumps an inline file as all 60
# bytes of i_block, whatever its size).  Call through in_private_ns.
contents_of() {
	local m=$BATS_TEST_TMPDIR/c
	mkdir -p "$m"
	mount -o loop,ro,noatime "$1" "$m" || return
	stat -c %s "$m/p"
	sha256sum <"$m/p"
	ls -a "$m/d" | tr '\n' ' '
	echo
	umount "$m"
}

contents() {
	in_private_ns contents_of "$1"
}

@test "full filesystem: convert --all refuses before writing anything; contents intact, e2fsck clean" {
	full_image "$IMG"
	p=$(ino_of "$IMG" /p)
	want=$(contents "$IMG")
	h=$(img_hash "$IMG")
	run "$E4CTL" inline convert "$IMG" --all
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$output" = "e4ctl inline convert: $IMG: no free blocks for inode $p /p: converting 2 inodes needs 2 free blocks, the filesystem has 0; nothing was changed" ]
	[ "$(img_hash "$IMG")" = "$h" ]
	[ "$(contents "$IMG")" = "$want" ]
	grep -q "^8$" <<<"$want"
	grep -q "^$(printf precious | sha256sum)$" <<<"$want"
	grep -q "^\. \.\. x1 x2 $" <<<"$want"
	run e2fsck -fn "$IMG"
	[ "$status" -eq 0 ]
	[ "$(e4_inline_inodes "$IMG" | wc -l)" -eq 2 ]
}

@test "full filesystem: --disable-feature refuses, inline_data stays, nothing written" {
	full_image "$IMG"
	p=$(ino_of "$IMG" /p)
	want=$(contents "$IMG")
	h=$(img_hash "$IMG")
	run "$E4CTL" inline convert "$IMG" --all --disable-feature --undo "$BATS_TEST_TMPDIR/u"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$output" = "e4ctl inline convert: $IMG: no free blocks for inode $p /p: converting 2 inodes needs 2 free blocks, the filesystem has 0; nothing was changed; inline_data stays set" ]
	[ "$(img_hash "$IMG")" = "$h" ]
	# refused before the filesystem was opened for writing: no undo file
	[ ! -e "$BATS_TEST_TMPDIR/u" ]
	[ "$(contents "$IMG")" = "$want" ]
	dumpe2fs -h "$IMG" 2>/dev/null | grep '^Filesystem features:' | grep -qw inline_data
	run e2fsck -fn "$IMG"
	[ "$status" -eq 0 ]
}

@test "one free block for two inodes: refused, naming the inode that finds none; --dry-run says the same" {
	full_image "$IMG" 1
	d=$(ino_of "$IMG" /d)
	want=$(contents "$IMG")
	h=$(img_hash "$IMG")
	msg="e4ctl inline convert: $IMG: no free blocks for inode $d /d: converting 2 inodes needs 2 free blocks, the filesystem has 1; nothing was changed"
	run "$E4CTL" inline convert "$IMG" --all
	[ "$status" -eq 1 ]
	[ "$output" = "$msg" ]
	run "$E4CTL" inline convert "$IMG" --all --dry-run
	[ "$status" -eq 1 ]
	[ "$output" = "$msg" ]
	[ "$(img_hash "$IMG")" = "$h" ]
	[ "$(contents "$IMG")" = "$want" ]
	run e2fsck -fn "$IMG"
	[ "$status" -eq 0 ]
}

@test "enough free blocks: the same image converts, contents intact, e2fsck clean" {
	full_image "$IMG" 2
	want=$(contents "$IMG")
	run "$E4CTL" inline convert "$IMG" --all --disable-feature
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"inline_data cleared on $IMG"* ]]
	[ "$(contents "$IMG")" = "$want" ]
	run e2fsck -fn "$IMG"
	[ "$status" -eq 0 ]
	[ "$(dumpe2fs_field "$IMG" "Free blocks")" -eq 0 ]
}

# shared_populate IMG DIR: /a and /b, inline, with the same 300-byte
# xattr, which does not fit the inode: the kernel shares one xattr block.
shared_populate() {
	local f v
	v=$(printf 'v%.0s' $(seq 1 300))
	mkdir -p "$2"
	mount -o loop "$1" "$2" || return
	for f in a b; do
		printf "data-$f" >"$2/$f"
		setfattr -n user.big -v "$v" "$2/$f"
	done
	umount "$2"
}

shared_snapshot() {
	local m=$BATS_TEST_TMPDIR/c f
	mkdir -p "$m"
	mount -o loop,ro,noatime "$1" "$m" || return
	for f in a b; do
		echo "$f $(cat "$m/$f") $(getfattr -n user.big --only-values "$m/$f" | sha256sum)"
	done
	umount "$m"
}

# shared_image IMG LEAVE: that, checked, with LEAVE free blocks left.
shared_image() {
	local img=$1 free
	mkimg "$img" 8M -t ext4 -b 1024 -O inline_data
	in_private_ns shared_populate "$img" "$BATS_TEST_TMPDIR/m"
	e2fsck -fy "$img" >/dev/null 2>&1 || true
	e2fsck -fn "$img" >/dev/null
	local a b
	a=$(debugfs -R "stat /a" "$img" 2>/dev/null | sed -n 's/.*File ACL: \([0-9]*\).*/\1/p')
	b=$(debugfs -R "stat /b" "$img" 2>/dev/null | sed -n 's/.*File ACL: \([0-9]*\).*/\1/p')
	[ "$a" -gt 0 ] && [ "$a" = "$b" ]
	free=$(dumpe2fs_field "$img" "Free blocks")
	head -c $(((free - $2) * 1024)) /dev/zero | tr '\0' f >"$BATS_TEST_TMPDIR/filler"
	debugfs -w -R "write $BATS_TEST_TMPDIR/filler filler" "$img" >/dev/null 2>&1
	[ "$(dumpe2fs_field "$img" "Free blocks")" -eq "$2" ]
	e2fsck -fn "$img" >/dev/null 2>&1
}

@test "a shared xattr block: the first holder's copy is counted, the last holder's is not" {
	# a: data block + its copy of the shared block; b: data block only
	shared_image "$IMG" 2
	a=$(ino_of "$IMG" /a) b=$(ino_of "$IMG" /b)
	want=$(in_private_ns shared_snapshot "$IMG")
	h=$(img_hash "$IMG")
	run "$E4CTL" inline convert "$IMG" --all
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$output" = "e4ctl inline convert: $IMG: no free blocks for inode $b /b: converting 2 inodes needs 3 free blocks, the filesystem has 2; nothing was changed" ]
	[ "$(img_hash "$IMG")" = "$h" ]

	shared_image "$IMG" 3
	run "$E4CTL" inline convert "$IMG" --all
	echo "$output"
	[ "$status" -eq 0 ]
	run e2fsck -fn "$IMG"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$(e4_inline_inodes "$IMG")" ]
	[ "$(dumpe2fs_field "$IMG" "Free blocks")" -eq 0 ]
	[ "$(in_private_ns shared_snapshot "$IMG")" = "$want" ]
	grep -q "^a data-a " <<<"$want"
}

# spill_populate IMG DIR: a directory whose 40 entries the kernel keeps
# inline, past i_block, in the system.data attribute.
spill_populate() {
	local i
	mkdir -p "$2"
	mount -o loop "$1" "$2" || return
	mkdir "$2/spill"
	for i in $(seq -w 1 40); do
		: >"$2/spill/n$i"
	done
	lsattr -d "$2/spill" | cut -d' ' -f1 >"$BATS_TEST_TMPDIR/attr"
	umount "$2"
}

@test "an inline directory whose entries spill into the xattr area converts offline; e2fsck clean; same listing" {
	mkimg "$IMG" 32M -t ext4 -I 1024 -O inline_data
	in_private_ns spill_populate "$IMG" "$BATS_TEST_TMPDIR/m"
	[[ $(cat "$BATS_TEST_TMPDIR/attr") == *N* ]]
	e2fsck -fy "$IMG" >/dev/null 2>&1 || true
	e2fsck -fn "$IMG"
	size=$(debugfs -R "stat /spill" "$IMG" 2>/dev/null | sed -n 's/^Size of inline data: *//p')
	echo "inline size $size"
	[ "$size" -gt 400 ]
	names() {
		debugfs -R "ls /spill" "$1" 2>/dev/null | tr -s ' ' '\n' | grep -E '^(n[0-9]+|\.|\.\.)$' | sort
	}
	before=$(names "$IMG")
	[ "$(wc -l <<<"$before")" -eq 42 ]
	run "$E4CTL" inline convert "$IMG" --all
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"/spill "*"converted"* ]]
	run e2fsck -fn "$IMG"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$(e4_inline_inodes "$IMG")" ]
	[ "$(names "$IMG")" = "$before" ]
	debugfs -R "stat /spill" "$IMG" 2>/dev/null | grep -q "^EXTENTS:"
	mount_img "$IMG" "$BATS_TEST_TMPDIR/m" ro
	[ "$(ls -a "$BATS_TEST_TMPDIR/m/spill" | sort)" = "$before" ]
}

@test "--disable-feature: an in-use inode the scan cannot read is no proof; refused, nothing written" {
	mkimg "$IMG" 32M -t ext4 -b 1024 -I 256 -O inline_data
	printf hidden >"$BATS_TEST_TMPDIR/h"
	debugfs -w -R "write $BATS_TEST_TMPDIR/h h" "$IMG" 2>/dev/null
	ino=$(ino_of "$IMG" /h)
	[ "$(e4_inline_inodes "$IMG")" = "$ino" ]
	# its inode table block on the bad block list: the scan cannot read it
	itab=$(dumpe2fs "$IMG" 2>/dev/null | sed -n 's/^ *Inode table at \([0-9]*\)-.*/\1/p' | head -n1)
	blk=$((itab + (ino - 1) * 256 / 1024))
	debugfs -w -f - "$IMG" >/dev/null 2>&1 <<-EOF
		sif <1> block[0] $blk
		sif <1> size 1024
		sif <1> blocks 2
	EOF
	h=$(img_hash "$IMG")
	run "$E4CTL" inline convert "$IMG" --all --disable-feature
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"could not be read (inode "*"), so no scan can prove that no inline inode is left; inline_data stays set, nothing was changed: run 'e2fsck -f $IMG'"* ]]
	[ "$(img_hash "$IMG")" = "$h" ]
	dumpe2fs -h "$IMG" 2>/dev/null | grep '^Filesystem features:' | grep -qw inline_data
	# list says so too
	run "$E4CTL" inline list "$IMG"
	[ "$status" -eq 0 ]
	[[ $output == *"could not be read (inode "*"and may have inline data; run 'e2fsck -f $IMG'"* ]]
}

@test "no inline_data feature: convert --all --disable-feature says there is nothing to do and writes nothing" {
	mkimg "$IMG" 32M -t ext4
	h=$(img_hash "$IMG")
	run "$E4CTL" inline convert "$IMG" --all --disable-feature --undo "$BATS_TEST_TMPDIR/u"
	[ "$status" -eq 0 ]
	[ "$output" = "$IMG has no inline_data feature; nothing to do" ]
	[ "$(img_hash "$IMG")" = "$h" ]
	[ ! -e "$BATS_TEST_TMPDIR/u" ]
	run "$E4CTL" inline convert "$IMG" --all
	[ "$status" -eq 0 ]
	[ "$output" = "$IMG has no inline_data feature; nothing to do" ]
	[ "$(img_hash "$IMG")" = "$h" ]
}

# Definitely-lost blocks allocated by popt for -o and --undo.
popt_leaks() {
	valgrind --leak-check=full -q "$@" 2>&1 >/dev/null |
		grep -A8 "definitely lost" | grep -c poptGetNextOpt || true
}

@test "popt's copies of -o and --undo are freed, on success and on a usage error" {
	command -v valgrind >/dev/null || skip "no valgrind"
	mkimg "$IMG" 32M -t ext4 -O inline_data
	[ "$(popt_leaks "$E4CTL" inline convert "$IMG" --all --dry-run -o INODE,STATUS)" -eq 0 ]
	[ "$(popt_leaks "$E4CTL" inline convert "$IMG" --all --dry-run -o INODE --undo "$BATS_TEST_TMPDIR/u")" -eq 0 ]
	[ "$(popt_leaks "$E4CTL" inline convert "$IMG" --all -o INODE --undo "$BATS_TEST_TMPDIR/u")" -eq 0 ]
	[ "$(popt_leaks "$E4CTL" inline list "$IMG" -o INODE,PATH)" -eq 0 ]
}
