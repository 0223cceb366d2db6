#!/bin/bash
# Runs inside the VM (tests/vm/resize-offline.bats): filesystems grown
# offline by e4ctl, then grown online by the kernel (resize2fs on the
# mounted filesystem, i.e. EXT4_IOC_RESIZE_FS), which checks the resize
# inode and descriptor layout the offline engine left: the reserved GDT
# blocks it did not use, and meta_bg after a conversion.  e2fsck -fn after
# each step.  Prints one line per case; exits 1 at the first failure.
set -euo pipefail

E4CTL=${E4CTL:?}
dir=$(mktemp -d "${E4_SCRATCH:-/tmp}/roff.XXXXXX")
n=0

fail() { echo "FAIL: $*" >&2; exit 1; }
field() { dumpe2fs -h "$1" 2>/dev/null | sed -n "s/^$2:[[:space:]]*//p"; }

# offline_then_online NAME FS_SIZE OFFLINE_SIZE ONLINE_SIZE MKE2FS_ARGS...
offline_then_online() {
	local name=$1 size=$2 off=$3 on=$4 img=$dir/$1.img mnt=$dir/$1.mnt dev
	shift 4
	truncate -s "$size" "$img"
	mke2fs -q -F "$@" "$img" >/dev/null
	"$E4CTL" resize --quiet "$img" "$off" || fail "$name: offline grow to $off"
	e2fsck -fn "$img" >/dev/null 2>&1 || fail "$name: e2fsck after the offline grow"
	truncate -s "$on" "$img"
	mkdir -p "$mnt"
	dev=$(losetup -f --show "$img")
	mount "$dev" "$mnt"
	head -c 8M /dev/urandom >"$mnt/before"
	resize2fs "$dev" >/dev/null 2>&1 || { umount "$mnt"; losetup -d "$dev"; fail "$name: online grow to $on"; }
	head -c 8M /dev/urandom >"$mnt/after"
	umount "$mnt"
	losetup -d "$dev"
	e2fsck -fn "$img" >/dev/null 2>&1 || fail "$name: e2fsck after the online grow"
	n=$((n + 1))
	echo "ok: $name: offline to $off, online to $on ($(field "$img" 'Block count') blocks, features: $(field "$img" 'Filesystem features'))"
}

# Reserved GDT blocks partly used offline, the rest online.
offline_then_online rgdt 16M 70M 200M -t ext4 -b 1024 -g 1024 -N 1024 -E resize=250000
# Converted to meta_bg offline; the kernel goes on in meta_bg.
offline_then_online metabg 16M 100M 300M -t ext4 -b 1024 -g 1024 -N 1024 -E resize=40000
# Large 4k filesystem with flex_bg and lazy init.
offline_then_online ext4_4k 1G 4G 12G -t ext4 -b 4096
# ext3-style (no flex_bg, no checksums) grown by one group offline.
offline_then_online ext3 128M 256M 1G -t ext3 -b 4096
echo "$n offline+online cases verified on $(uname -r | cut -d. -f1,2)."
