#!/usr/bin/env bats
# TARGET resolution (device, image, mount point, path inside, bind mounts,
# several mount points) and the refusal of everything that is not an
# ext2/3/4 filesystem: exact message, exit code, nothing written.

load ../lib

setup() {
	IMG=$BATS_TEST_TMPDIR/fs.img
	MNT=$BATS_TEST_TMPDIR/mnt
}

teardown() {
	e4_teardown
}

field() {
	"$E4CTL" info -J -o "$2" "$1" | jq -r ".filesystems[0].$2"
}

@test "a mounted image resolves the same from image, device, mount point and a path inside" {
	require_root
	mkimg "$IMG" 64M -t ext4
	mount_img "$IMG" "$MNT"
	mkdir -p "$MNT/a/b"
	dev=$(findmnt -n -o SOURCE "$MNT")
	for t in "$IMG" "$dev" "$MNT" "$MNT/a/b"; do
		[[ $(field "$t" device) == "$dev" ]]
		[[ $(field "$t" mountpoint) == "$MNT" ]]
		[[ $(field "$t" mounted) == true ]]
		[[ $(field "$t" readonly) == false ]]
	done
	[[ $(field "$IMG" image) == "$IMG" ]]
}

@test "a read-only mount is reported read-only" {
	require_root
	mkimg "$IMG" 64M -t ext4
	mount_img "$IMG" "$MNT" ro
	[[ $(field "$MNT" readonly) == true ]]
	run "$E4CTL" info "$MNT"
	[[ $output == *"Mount point:"*"$MNT (read-only)"* ]]
}

@test "a bind mount of a subdirectory resolves to the device" {
	require_root
	mkimg "$IMG" 64M -t ext4
	mount_img "$IMG" "$MNT"
	mkdir -p "$MNT/sub" "$BATS_TEST_TMPDIR/bind"
	mount --bind "$MNT/sub" "$BATS_TEST_TMPDIR/bind"
	E4_MOUNTS+=("$BATS_TEST_TMPDIR/bind")
	dev=$(findmnt -n -o SOURCE "$MNT")
	[[ $(field "$BATS_TEST_TMPDIR/bind" device) == "$dev" ]]
	[[ $(field "$BATS_TEST_TMPDIR/bind" mountpoint) == "$BATS_TEST_TMPDIR/bind" ]]
	[[ $(field "$BATS_TEST_TMPDIR/bind" block_count) == 65536 ]]
}

@test "a device mounted at two places: the device names the mount of its root" {
	require_root
	mkimg "$IMG" 64M -t ext4
	mount_img "$IMG" "$MNT"
	dev=$(findmnt -n -o SOURCE "$MNT")
	mkdir -p "$MNT/sub"
	mkdir -p "$BATS_TEST_TMPDIR/second"
	mount "$dev" "$BATS_TEST_TMPDIR/second"
	E4_MOUNTS+=("$BATS_TEST_TMPDIR/second")
	run "$E4CTL" info "$dev"
	[ "$status" -eq 0 ]
	[[ $output == *"Mount point:"*"$MNT (read-write, and elsewhere)"* ]]
	[[ $(field "$BATS_TEST_TMPDIR/second/sub" mountpoint) == "$BATS_TEST_TMPDIR/second" ]]
}

@test "an image attached to a loop device but not mounted reads the image" {
	require_root
	mkimg "$IMG" 64M -t ext4
	dev=$(losetup -f --show "$IMG")
	run "$E4CTL" info -J -o device,mounted "$IMG"
	losetup -d "$dev"
	[ "$status" -eq 0 ]
	[[ $(jq -r '.filesystems[0].device' <<<"$output") == "$IMG" ]]
	[[ $(jq -r '.filesystems[0].mounted' <<<"$output") == false ]]
}

@test "nonexistent path" {
	run "$E4CTL" info "$BATS_TEST_TMPDIR/nope"
	[ "$status" -eq 1 ]
	[ "$output" = "e4ctl info: $BATS_TEST_TMPDIR/nope: No such file or directory" ]
}

@test "not ext2/3/4: xfs, swap, no signature; image untouched" {
	truncate -s 300M "$IMG"
	mkfs.xfs -q -f "$IMG"
	h=$(img_hash "$IMG")
	run "$E4CTL" info "$IMG"
	[ "$status" -eq 1 ]
	[ "$output" = "e4ctl info: $IMG: not an ext2/3/4 filesystem (found xfs)" ]
	[[ $(img_hash "$IMG") == "$h" ]]

	rm -f "$IMG"; truncate -s 16M "$IMG"; mkswap -q "$IMG" >/dev/null
	run "$E4CTL" info "$IMG"
	[ "$output" = "e4ctl info: $IMG: not an ext2/3/4 filesystem (found swap)" ]

	rm -f "$IMG"; head -c 1M /dev/zero >"$IMG"
	run "$E4CTL" info "$IMG"
	[ "$status" -eq 1 ]
	[ "$output" = "e4ctl info: $IMG: not an ext2/3/4 filesystem (no filesystem signature found)" ]
}

@test "empty image" {
	: >"$IMG"
	run "$E4CTL" info "$IMG"
	[ "$status" -eq 1 ]
	[ "$output" = "e4ctl info: $IMG: empty file, not an ext2/3/4 filesystem" ]
	[ ! -s "$IMG" ]
}

@test "truncated image" {
	mkimg "$IMG" 64M -t ext4 -b 4096
	truncate -s 32M "$IMG"
	h=$(img_hash "$IMG")
	run "$E4CTL" info "$IMG"
	[ "$status" -eq 1 ]
	[ "$output" = "e4ctl info: $IMG: truncated: the filesystem needs 67108864 bytes (16384 blocks of 4096) but the file has only 33554432" ]
	[[ $(img_hash "$IMG") == "$h" ]]
}

@test "a directory on a non-ext4 filesystem" {
	run "$E4CTL" info /proc
	[ "$status" -eq 1 ]
	[ "$output" = "e4ctl info: /proc: a directory on a proc filesystem, not ext2/3/4" ]
	run "$E4CTL" info /dev/shm
	[ "$output" = "e4ctl info: /dev/shm: a directory on a tmpfs filesystem, not ext2/3/4" ]
}

@test "a device without read permission" {
	require_root
	command -v setpriv >/dev/null || skip "setpriv not installed"
	mkimg "$IMG" 64M -t ext4
	chmod 600 "$IMG"
	chmod 755 "$BATS_TEST_TMPDIR"
	run setpriv --reuid=nobody --regid=nogroup --clear-groups "$E4CTL" info "$IMG"
	[ "$status" -eq 1 ]
	[ "$output" = "e4ctl info: $IMG: Permission denied" ]
}

@test "neither device, file nor directory" {
	run "$E4CTL" info /dev/null
	[ "$status" -eq 1 ]
	[ "$output" = "e4ctl info: /dev/null: not a block device, image file or directory" ]
}
