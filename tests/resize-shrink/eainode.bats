#!/usr/bin/env bats
# Offline shrink with ea_inode: the references to EA inodes that the
# shrink checks before its first write.  An xattr entry naming an EA inode
# the shrink would renumber (or held by an inode it would renumber) must
# be one e2fsck accepts as it is, and must carry its value's hash (an old
# Lustre-style EA inode names its holder instead, by number); otherwise
# the shrink is refused with the image byte for byte as it was.  (The
# shrink itself: matrix.bats, and tests/crash/shrink-eainode.bats.)
bats_require_minimum_version 1.5.0
load shrink

setup() {
	shrink_setup
	[[ $SHRINKER == e4ctl ]] || skip "e4ctl's own checks"
	IMG=$BATS_TEST_TMPDIR/fs.img
	# 8 groups of 128 inodes; 600 empty files hold the first groups'
	# inodes while /r and its EA inode are made, past the 4 groups that a
	# shrink to 4096 blocks keeps.
	mkimg "$IMG" 8M -t ext4 -b 1024 -g 1024 -N 1024 -I 256 -O ea_inode
	on_image "$IMG" '
		for i in $(seq 1 600); do : >"hold-$i"; done
		: >r
		setfattr -n user.large -v "$(printf "%03000d" 1)" r
		rm -f hold-*
	'
	e2fsck -fy "$IMG" >/dev/null
	HOLDER=$(debugfs -R "stat /r" "$IMG" 2>/dev/null | sed -n 's/^Inode: \([0-9]*\).*/\1/p')
	EA=$(debugfs -R "inode_dump -x /r" "$IMG" 2>/dev/null | sed -n 's/.*value_inum = \([0-9]*\),.*/\1/p')
	[ "$HOLDER" -gt 512 ]
	[ "$EA" -gt 512 ]
}

teardown() {
	e4_teardown
}

# refused MESSAGE: a shrink to 4096 blocks is refused with MESSAGE, the
# image unchanged.
refused() {
	refused_unchanged "$IMG" 4096 "$1"
}

@test "ea_inode: the image as made shrinks, e2fsck clean, the value intact" {
	local v
	v=$(debugfs -R "ea_get /r user.large" "$IMG" 2>/dev/null | sha256sum)
	[ "$(debugfs -R "ea_get /r user.large" "$IMG" 2>/dev/null | wc -c)" -gt 3000 ]
	"$E4CTL" resize --quiet "$IMG" 4096
	e2fsck -fn "$IMG"
	[ "$(debugfs -R "ea_get /r user.large" "$IMG" 2>/dev/null | sha256sum)" = "$v" ]
	[ "$(debugfs -R "inode_dump -x /r" "$IMG" 2>/dev/null | sed -n 's/.*value_inum = \([0-9]*\),.*/\1/p')" -le 512 ]
}

@test "ea_inode: an entry naming an inode without the EA_INODE flag: refused, image unchanged" {
	debugfs -w -R "sif <$EA> flags 0x80000" "$IMG"
	refused "an xattr in inode $HOLDER names inode $EA as its value's EA inode, which has no EA_INODE flag: run 'e2fsck -f $IMG'"
}

@test "ea_inode: an old Lustre-style EA inode (e2fsck clean): refused, image unchanged" {
	local blk off xi gen
	# The Lustre format: the entry's hash covers no value hash, the EA
	# inode names its holder (mtime, generation) and the holder's blocks
	# do not count it.
	read -r blk off < <(debugfs -R "imap <$HOLDER>" "$IMG" 2>/dev/null |
		sed -n 's/.*located at block \([0-9]*\), offset \(0x[0-9a-f]*\).*/\1 \2/p')
	xi=$(debugfs -R "stat <$HOLDER>" "$IMG" 2>/dev/null | sed -n 's/^Size of extra inode fields: \([0-9]*\)/\1/p')
	gen=$(debugfs -R "stat <$HOLDER>" "$IMG" 2>/dev/null | sed -n 's/^Generation: \([0-9]*\).*/\1/p')
	# e_hash: after the body's magic, 12 bytes into the first entry
	printf '\x01\x02\x03\x04' | dd of="$IMG" bs=1 seek=$((blk * 1024 + off + 128 + xi + 4 + 12)) \
		conv=notrunc status=none
	debugfs -w -n -f - "$IMG" <<-EOF
		sif <$HOLDER> blocks 0
		sif <$HOLDER> checksum calc
		sif <$EA> mtime $HOLDER
		sif <$EA> generation $gen
	EOF
	e2fsck -fn "$IMG"
	refused "the xattr entry naming EA inode $EA does not carry its value's hash (an EA inode of the old Lustre format, or damage); renumbering it is not supported"
}
