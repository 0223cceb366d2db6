#!/bin/bash
# Image fixtures for tests/unit/test_resize_offline.c and
# tests/resize-offline/*.bats:
#   mk IMG SIZE [mke2fs options...]   fresh sparse image (--blocks=N: a
#                                     filesystem of N blocks in it)
#   populate IMG                      files 0 B .. 5 MiB, dirs, symlinks,
#                                     hard links, xattrs; checksums in
#                                     IMG.sums; then e2fsck -fy so the
#                                     safety gates pass
#   verify IMG [--ro]                 e2fsck -fn exit 0, every checksum
#                                     of IMG.sums on a loop mount, then
#                                     (unless --ro) a write through the
#                                     kernel and e2fsck -fn again
# Exit status is non-zero with a message on stderr on the first failure.
set -euo pipefail

# Mount in a mount namespace of our own: a namespace that some other
# process clones while our loop mount exists would keep the filesystem
# alive after our umount and write its superblock back much later, over
# whatever came after (seen here with other suites running alongside).
if [[ -z ${E4_HELPER_NS:-} ]] && command -v unshare >/dev/null; then
	E4_HELPER_NS=1 exec unshare -m --propagation private "$0" "$@"
fi

cmd=$1 img=$2
shift 2
mnt=$img.mnt

# Loop devices are shared with whatever else runs here: retry a busy one.
mount_retry() {
	local i
	for i in 1 2 3 4 5; do
		mount "$@" 2>/dev/null && return 0
		sleep 0.5
	done
	mount "$@"
}

# The loop device goes away with the last user of the filesystem; until
# then the kernel may still write to the image.
wait_detached() {
	local i
	for i in $(seq 1 100); do
		[[ -z $(losetup -j "$img") ]] && return 0
		sleep 0.1
	done
	die "$img is still attached to a loop device after umount: $(losetup -j "$img")"
}

die() {
	echo "resize_offline_helper: $*" >&2
	exit 1
}

# What is compared: content of regular files, symlink targets, link
# counts, user xattrs, the tree's shape.
fingerprint() {
	(
		cd "$1"
		find . -path ./lost+found -prune -o -printf '%y %n %p %l\n' | LC_ALL=C sort
		find . -path ./lost+found -prune -o -type f -print0 | LC_ALL=C sort -z |
			xargs -0 -r sha256sum
		getfattr -R -d -m '^user\.' --absolute-names . 2>/dev/null | grep -v '^$' || true
	)
}

case $cmd in
mk)
	size=$1 blocks=()
	shift
	opts=()
	for a in "$@"; do
		case $a in
		--blocks=*) blocks=("${a#--blocks=}") ;;
		*) opts+=("$a") ;;
		esac
	done
	rm -f "$img"
	truncate -s "$size" "$img"
	mke2fs -q -F "${opts[@]}" "$img" "${blocks[@]}" >/dev/null
	;;
populate)
	mkdir -p "$mnt"
	mount_retry -o loop "$img" "$mnt"
	trap 'umount "$mnt" 2>/dev/null || true' EXIT
	(
		cd "$mnt"
		mkdir -p d/e/f empty
		: >zero
		printf x >one
		head -c 4095 /dev/urandom >d/b4095
		head -c 4096 /dev/urandom >d/b4096
		head -c 60 /dev/urandom >d/e/small60
		head -c $((1024 * 1024 + 1)) /dev/urandom >d/e/f/m1
		head -c $((5 * 1024 * 1024)) /dev/urandom >five
		for i in $(seq 1 40); do echo "file $i" >"d/e/n$i"; done
		ln -s five sym
		ln -s "$(head -c 200 /dev/zero | tr '\0' y)" longsym
		ln five hard5
		ln d/b4095 d/e/hard4095
		setfattr -n user.small -v hello one
		setfattr -n user.big -v "$(head -c 700 /dev/zero | tr '\0' z)" d/b4096
	)
	fingerprint "$mnt" >"$img.sums"
	umount "$mnt"
	trap - EXIT
	wait_detached
	# The mount counts as a mount after the last check; a check ends it.
	e2fsck -fy "$img" >/dev/null 2>&1 || [[ $? -le 1 ]] || die "e2fsck -fy failed on $img"
	;;
verify)
	out=$(e2fsck -fn "$img" 2>&1) || die "e2fsck -fn $img: $out"
	mkdir -p "$mnt"
	mount_retry -o loop,ro "$img" "$mnt"
	trap 'umount "$mnt" 2>/dev/null || true' EXIT
	fingerprint "$mnt" >"$img.sums.after"
	umount "$mnt"
	trap - EXIT
	wait_detached
	cmp -s "$img.sums" "$img.sums.after" ||
		die "contents differ after the grow: $(diff "$img.sums" "$img.sums.after" | head -5)"
	[[ ${1:-} == --ro ]] && exit 0
	# The kernel allocates from the new groups (initialising the
	# uninitialised ones) and e2fsck still finds nothing wrong.
	mount_retry -o loop "$img" "$mnt"
	trap 'umount "$mnt" 2>/dev/null || true' EXIT
	avail=$(df -k --output=avail "$mnt" | tail -1)
	mb=$((avail / 1024 / 2))
	((mb > 64)) && mb=64
	dd if=/dev/zero of="$mnt/fill" bs=1M count=$mb status=none conv=fsync 2>/dev/null ||
		die "writing $mb MiB to the grown filesystem failed"
	mkdir "$mnt/newdir" && touch "$mnt/newdir/"{a,b,c}
	umount "$mnt"
	trap - EXIT
	wait_detached
	out=$(e2fsck -fn "$img" 2>&1) || die "e2fsck -fn $img after writing to it: $out"
	;;
*)
	die "unknown command $cmd"
	;;
esac
