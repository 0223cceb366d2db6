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
	[[ -n ${HOLDER:-} ]] && kill "$HOLDER" 2>/dev/null && wait "$HOLDER" 2>/dev/null
	e4_teardown
	# Every loop device still on the image (attach runs in $(...), so it
	# cannot remember them itself).
	local l
	for l in $(losetup -nO NAME -j "$IMG" 2>/dev/null); do
		losetup -d "$l" 2>/dev/null
	done
	[[ -n ${PUB:-} ]] && rm -rf "$PUB"
	return 0
}

# A directory that nobody can traverse (bats's own are root's, mode 0700):
# what the unprivileged tests run on, so that they reach the object itself.
public_dir() {
	PUB=$(mktemp -d /tmp/e4ctl-target.XXXXXX)
	chmod 755 "$PUB"
}

# attach [losetup options...]: a loop device on $IMG, detached in teardown.
attach() {
	losetup -f --show "$@" "$IMG"
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

@test "an image on two loop devices, either one mounted: the mounted one, whichever is found first" {
	require_root
	mkimg "$IMG" 64M -t ext4
	local first second dev
	for which in first second; do
		first=$(attach)
		second=$(attach)
		[[ $which == first ]] && dev=$first || dev=$second
		mkdir -p "$MNT"
		mount "$dev" "$MNT"
		[[ $(field "$IMG" device) == "$dev" ]]
		[[ $(field "$IMG" mounted) == true ]]
		[[ $(field "$IMG" mountpoint) == "$MNT" ]]
		# resize plans an online grow, never an offline one on a live image
		run "$E4CTL" resize -n "$IMG" 80M
		echo "$which: $output"
		[[ $(grep '^Method:' <<<"$output") == *online* ]]
		umount "$MNT"
		losetup -d "$first" "$second"
		LOOPS=()
	done
}

@test "unprivileged, the mounted loop device of an image is found through sysfs" {
	require_root
	command -v setpriv >/dev/null || skip "setpriv not installed"
	public_dir
	IMG=$PUB/fs.img
	mkimg "$IMG" 64M -t ext4
	chmod 644 "$IMG"
	local first second
	first=$(attach)
	second=$(attach)
	mkdir -p "$MNT"
	mount "$second" "$MNT"
	E4_MOUNTS+=("$MNT")
	# nobody may not open the loop nodes (no LOOP_GET_STATUS64), so sysfs's
	# backing_file names the file; the live device is then what is refused
	run setpriv --reuid=nobody --regid=nogroup --clear-groups "$E4CTL" info "$IMG"
	[ "$status" -eq 1 ]
	[ "$output" = "e4ctl info: $second: Permission denied" ]
}

@test "an image mounted through two loop devices: both mounts count" {
	require_root
	mkimg "$IMG" 64M -t ext4
	local a b
	a=$(attach)
	b=$(attach)
	mkdir -p "$MNT" "$BATS_TEST_TMPDIR/ro"
	mount -o ro,noload "$a" "$BATS_TEST_TMPDIR/ro"
	E4_MOUNTS+=("$BATS_TEST_TMPDIR/ro")
	mount -o ro,noload "$b" "$MNT"
	E4_MOUNTS+=("$MNT")
	run "$E4CTL" info "$IMG"
	[ "$status" -eq 0 ]
	[[ $output == *"Mount point:"*"(read-only, and elsewhere)"* ]]
}

@test "a loop device at an offset of the image is mounted: in use, image untouched" {
	require_root
	truncate -s 128M "$IMG"
	mke2fs -q -F -t ext4 "$IMG" 64M
	mke2fs -q -F -t ext4 -E offset=67108864 "$IMG" 64M
	local dev h
	dev=$(attach -o 67108864)
	mkdir -p "$MNT"
	mount "$dev" "$MNT"
	E4_MOUNTS+=("$MNT")
	# the filesystem at offset 0, which nothing may touch
	h=$(head -c 64M "$IMG" | sha256sum)
	run "$E4CTL" info "$IMG"
	[ "$status" -eq 1 ]
	[ "$output" = "e4ctl info: $IMG: in use: it backs $dev at offset 67108864, mounted on $MNT; not touching the image" ]
	run "$E4CTL" resize -n "$IMG" 100M
	[ "$status" -eq 1 ]
	[[ $output == *"$IMG: in use: it backs $dev at offset 67108864"* ]]
	umount_all
	[[ $(head -c 64M "$IMG" | sha256sum) == "$h" ]]
	# (Not asserted: that the image is free again after umount.  A mount
	# namespace made meanwhile by anyone on this machine keeps a copy of
	# the mount, and then the device rightly stays busy.)
}

@test "a loop device of the image mounted in another mount namespace: in use" {
	require_root
	command -v unshare >/dev/null || skip "unshare not installed"
	mkimg "$IMG" 64M -t ext4
	local dev i
	dev=$(attach)
	mkdir -p "$MNT"
	unshare -m --propagation private sh -c \
		"mount '$dev' '$MNT' && touch '$BATS_TEST_TMPDIR/ready' && exec sleep 600" &
	HOLDER=$!
	for i in $(seq 1 100); do
		[[ -e $BATS_TEST_TMPDIR/ready ]] && break
		sleep 0.1
	done
	[[ -e $BATS_TEST_TMPDIR/ready ]]
	# not in this namespace's mountinfo, but the device is claimed
	[[ $(findmnt -n -S "$dev" || true) == "" ]]
	run "$E4CTL" info "$IMG"
	[ "$status" -eq 1 ]
	[ "$output" = "e4ctl info: $IMG: in use: it backs $dev, which is busy (mounted in another mount namespace, or open exclusively); not touching the image" ]
	run "$E4CTL" resize -n "$IMG" 80M
	[ "$status" -eq 1 ]
	[[ $output == *"$IMG: in use: it backs $dev, which is busy"* ]]
}

@test "a partition of a loop device of the image is mounted: in use" {
	require_root
	truncate -s 64M "$IMG"
	# an MBR with one Linux partition: sectors 2048-34815
	printf '\x83' | dd of="$IMG" bs=1 seek=450 conv=notrunc status=none
	printf '\x00\x08\x00\x00\x00\x80\x00\x00' | dd of="$IMG" bs=1 seek=454 conv=notrunc status=none
	printf '\x55\xaa' | dd of="$IMG" bs=1 seek=510 conv=notrunc status=none
	local dev
	dev=$(attach -P)
	[[ -b ${dev}p1 ]] || skip "this kernel made no partition device for $dev (no MBR partition support)"
	mke2fs -q -t ext4 "${dev}p1"
	mkdir -p "$MNT"
	mount "${dev}p1" "$MNT"
	E4_MOUNTS+=("$MNT")
	run "$E4CTL" info "$IMG"
	[ "$status" -eq 1 ]
	[ "$output" = "e4ctl info: $IMG: in use: it backs $dev, whose partition $(basename "$dev")p1 is mounted on $MNT; not touching the image" ]
}

@test "read-only through a bind mount: a read-only superblock, or a read-only bind" {
	require_root
	mkimg "$IMG" 64M -t ext4
	mount_img "$IMG" "$MNT"
	mkdir -p "$MNT/sub" "$BATS_TEST_TMPDIR/bind"
	mount --bind "$MNT/sub" "$BATS_TEST_TMPDIR/bind"
	E4_MOUNTS+=("$BATS_TEST_TMPDIR/bind")
	[[ $(field "$BATS_TEST_TMPDIR/bind" readonly) == false ]]
	# The superblock goes read-only; the bind mount itself stays rw.
	mount -o remount,ro "$MNT"
	[[ $(findmnt -n -o VFS-OPTIONS "$BATS_TEST_TMPDIR/bind") =~ ^rw(,|$) ]]
	[[ $(findmnt -n -o FS-OPTIONS "$BATS_TEST_TMPDIR/bind") =~ ^ro(,|$) ]]
	[[ $(field "$BATS_TEST_TMPDIR/bind" readonly) == true ]]
	[[ $(field "$MNT" readonly) == true ]]
	run "$E4CTL" info "$BATS_TEST_TMPDIR/bind"
	[[ $output == *"Mount point:"*"$BATS_TEST_TMPDIR/bind (read-only, and elsewhere)"* ]]
	# Back to rw; then a read-only bind of the rw filesystem.
	mount -o remount,rw "$MNT"
	mkdir -p "$BATS_TEST_TMPDIR/robind"
	mount --bind -o ro "$MNT/sub" "$BATS_TEST_TMPDIR/robind"
	E4_MOUNTS+=("$BATS_TEST_TMPDIR/robind")
	[[ $(findmnt -n -o VFS-OPTIONS "$BATS_TEST_TMPDIR/robind") =~ ^ro(,|$) ]]
	[[ $(findmnt -n -o FS-OPTIONS "$BATS_TEST_TMPDIR/robind") =~ ^rw(,|$) ]]
	[[ $(field "$BATS_TEST_TMPDIR/robind" readonly) == true ]]
	[[ $(field "$MNT" readonly) == false ]]
	[[ $(field "$BATS_TEST_TMPDIR/bind" readonly) == false ]]
}

@test "device size: BLKGETSIZE64 of a loop device, the file size of an image" {
	require_root
	# a 64 MiB filesystem in a 96 MiB file, seen through an 80 MiB loop device
	truncate -s 96M "$IMG"
	mke2fs -q -F -t ext4 -b 1024 "$IMG" 64M
	local dev size
	dev=$(attach --sizelimit 83886080)
	size=$(blockdev --getsize64 "$dev")
	[[ $size -eq 83886080 ]]
	[[ $(field "$dev" device_size) -eq $size ]]
	[[ $(field "$dev" device_blocks) -eq $((size / 1024)) ]]
	[[ $(field "$IMG" device_size) -eq $(stat -c %s "$IMG") ]]
	[[ $(field "$IMG" device_size) -eq 100663296 ]]
}

@test "a read error while probing is an I/O error, not a missing signature" {
	command -v cc >/dev/null || skip "no C compiler for the LD_PRELOAD fixture"
	cc -shared -fPIC -o "$BATS_TEST_TMPDIR/eio.so" "$BATS_TEST_DIRNAME/eio_preload.c" -ldl
	mkimg "$IMG" 64M -t ext4
	E4_EIO_PATH=$IMG LD_PRELOAD=$BATS_TEST_TMPDIR/eio.so run "$E4CTL" info "$IMG"
	[ "$status" -eq 1 ]
	[ "$output" = "e4ctl info: $IMG: while probing for a filesystem signature: Input/output error" ]
}

@test "a path that stat sees but that does not resolve: its own error, not ENOMEM" {
	mkdir "$BATS_TEST_TMPDIR/gone"
	cd "$BATS_TEST_TMPDIR/gone"
	rmdir "$BATS_TEST_TMPDIR/gone"
	run "$E4CTL" info .
	cd /
	[ "$status" -eq 1 ]
	[ "$output" = "e4ctl info: .: while resolving the path: No such file or directory" ]
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
	public_dir
	IMG=$PUB/fs.img
	mkimg "$IMG" 64M -t ext4
	chmod 600 "$IMG"
	# nobody sees the file (so it is the open that fails, not the path)
	setpriv --reuid=nobody --regid=nogroup --clear-groups stat "$IMG" >/dev/null
	run setpriv --reuid=nobody --regid=nogroup --clear-groups "$E4CTL" info "$IMG"
	[ "$status" -eq 1 ]
	[ "$output" = "e4ctl info: $IMG: Permission denied" ]
}

@test "a block device without read permission" {
	require_root
	command -v setpriv >/dev/null || skip "setpriv not installed"
	mkimg "$IMG" 64M -t ext4
	local dev node
	dev=$(attach)
	# a private node of the loop device, root's and mode 0600
	public_dir
	node=$PUB/blk
	mknod -m 0600 "$node" b $((0x$(stat -c %t "$dev"))) $((0x$(stat -c %T "$dev")))
	[[ $(setpriv --reuid=nobody --regid=nogroup --clear-groups stat -c %F "$node") == "block special file" ]]
	run setpriv --reuid=nobody --regid=nogroup --clear-groups "$E4CTL" info "$node"
	[ "$status" -eq 1 ]
	[ "$output" = "e4ctl info: $node: Permission denied" ]
	# root reads it
	[[ $(field "$node" block_count) -gt 0 ]]
}

@test "neither device, file nor directory" {
	run "$E4CTL" info /dev/null
	[ "$status" -eq 1 ]
	[ "$output" = "e4ctl info: /dev/null: not a block device, image file or directory" ]
}
