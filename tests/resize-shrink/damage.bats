#!/usr/bin/env bats
# Offline shrink of a filesystem damaged where the gates do not look (an
# inode, an extent tree block, a directory block, an xattr block): what
# the mover will read back or rewrite is read before the first write, and
# damage there is refused with the image byte for byte as it was, so
# e2fsck still finds it.  Before, some of these stopped the shrink
# half-way (a kept inode, a kept file's extent tree), and others came out
# "clean", the bad checksum rewritten as good over the wrong contents (a
# renumbered directory's or file's blocks that do not move).
bats_require_minimum_version 1.5.0
load shrink

setup_file() {
	[[ $(id -u) -eq 0 ]] || return 0
	# 8 groups of 1 MiB and 128 inodes, metadata in group 0; a shrink to
	# 4096 blocks keeps 4 groups (inodes 1-512).  The kept file comes
	# first; 600 empty files take inodes 12-611 while the rest is made,
	# so that it is renumbered; then they are removed.
	export BASE=$BATS_FILE_TMPDIR/base.img
	mkimg "$BASE" 8M -t ext4 -b 1024 -g 1024 -N 1024 -I 256
	on_image "$BASE" '
		frag() {
			local i
			for i in $(seq 0 2 40); do
				head -c 1024 /dev/urandom |
					dd of="$1" bs=1024 seek=$i count=1 conv=notrunc status=none
			done
		}
		frag kept-frag
		for i in $(seq 1 600); do : >"hold-$i"; done
		mkdir dir
		for i in $(seq 1 30); do echo "$i" >"dir/f$i"; done
		frag frag
		: >xa
		setfattr -n user.big -v "$(printf "%0300d" 7)" xa
		rm -f hold-*
	'
	e2fsck -fy "$BASE" >/dev/null 2>&1 || [[ $? -eq 1 ]]
}

setup() {
	shrink_setup
	[[ $SHRINKER == e4ctl ]] || skip "e4ctl's checks before the first write"
	BASE=$BATS_FILE_TMPDIR/base.img
	IMG=$BATS_TEST_TMPDIR/fs.img
	cp --sparse=always "$BASE" "$IMG"
}

teardown() {
	e4_teardown
}

ino_of() {
	debugfs -R "stat /$1" "$IMG" 2>/dev/null | sed -n 's/^Inode: \([0-9]*\).*/\1/p'
}

# leaf_of FILE: the block of the first leaf of FILE's extent tree.
leaf_of() {
	debugfs -R "ex /$1" "$IMG" 2>/dev/null | awk '$1 == "0/" && $2 == "1" { print $8; exit }'
}

# spoil BLOCK OFFSET: one byte of the image changed, so that the block's
# checksum fails.
spoil() {
	printf 'X' | dd of="$IMG" bs=1 seek=$(($1 * 1024 + $2)) conv=notrunc status=none
}

# refused MESSAGE: e2fsck sees the damage; the shrink to 4096 blocks is
# refused with MESSAGE and e2fsck named, the image unchanged.
refused() {
	! e2fsck -fn "$IMG" >/dev/null 2>&1
	refused_unchanged "$IMG" 4096 "$1; run 'e2fsck -f $IMG'"
}

@test "damage: the image as made shrinks, e2fsck clean (the objects spoilt below are renumbered, kept or moved)" {
	[ "$(ino_of kept-frag)" -le 512 ]
	[ "$(ino_of dir)" -gt 512 ]
	[ "$(ino_of frag)" -gt 512 ]
	[ "$(ino_of xa)" -gt 512 ]
	[ "$(leaf_of kept-frag)" -lt 4096 ]
	[ "$(leaf_of frag)" -lt 4096 ]
	[ "$(debugfs -R "bmap /dir 0" "$IMG" 2>/dev/null)" -lt 4096 ]
	[ "$(debugfs -R "stat /xa" "$IMG" 2>/dev/null | sed -n 's/^File ACL: \([0-9]*\).*/\1/p')" -ge 4096 ]
	"$E4CTL" resize --quiet "$IMG" 4096
	e2fsck -fn "$IMG"
}

@test "damage: a kept inode's checksum: refused before the first write (was: stopped half-way)" {
	debugfs -w -R "sif <11> checksum 0x1234" "$IMG"
	refused "while reading inode 11: Inode checksum does not match inode"
}

@test "damage: a renumbered inode's checksum: refused" {
	local ino
	ino=$(ino_of frag)
	debugfs -w -R "sif <$ino> checksum 0x1234" "$IMG"
	refused "while reading inode $ino: Inode checksum does not match inode"
}

@test "damage: a kept file's extent tree block: refused before the first write (was: stopped half-way)" {
	spoil "$(leaf_of kept-frag)" 1000
	refused "while reading the block map of inode $(ino_of kept-frag): Extent block checksum does not match extent block"
}

@test "damage: a renumbered file's extent tree block that stays: refused (was: its checksum rewritten as good)" {
	spoil "$(leaf_of frag)" 1000
	refused "while reading the block map of inode $(ino_of frag): Extent block checksum does not match extent block"
}

@test "damage: a renumbered directory's block that stays: refused (was: its checksum rewritten as good)" {
	# the first byte of the name of the entry after '.' and '..'
	spoil "$(debugfs -R "bmap /dir 0" "$IMG" 2>/dev/null)" 32
	refused "while reading the blocks of directory $(ino_of dir): Directory block checksum does not match directory block"
}

@test "damage: an xattr block that moves: refused (was: its checksum rewritten as good)" {
	local acl
	acl=$(debugfs -R "stat /xa" "$IMG" 2>/dev/null | sed -n 's/^File ACL: \([0-9]*\).*/\1/p')
	spoil "$acl" 1000
	refused "while reading the xattr block $acl: Extended attribute block checksum does not match block"
}
