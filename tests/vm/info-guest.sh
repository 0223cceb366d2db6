#!/bin/bash
# Runs inside the VM (tests/vm/info.bats): e4ctl info on mounted loop
# filesystems, and its online growth limit checked against what the
# running kernel really does with EXT4_IOC_RESIZE_FS (via resize2fs on the
# mounted filesystem).  Prints one line per check; exits 1 at the first
# disagreement.
set -euo pipefail

E4CTL=${E4CTL:?}
dir=$(mktemp -d "${E4_SCRATCH:-/tmp}/info.XXXXXX")
n=0

fail() { echo "FAIL: $*" >&2; exit 1; }
jf() { jq -r ".filesystems[0].$2" <<<"$1"; }

# grow_case NAME IMG_BYTES FS_SIZE MKE2FS_ARGS...: mount, predict, grow,
# compare.
grow_case() {
	local name=$1 bytes=$2 fssize=$3 img=$dir/$1.img mnt=$dir/$1.mnt json want got conv
	shift 3
	truncate -s "$bytes" "$img"
	mke2fs -q -F "$@" "$img" "$fssize" >/dev/null
	mkdir -p "$mnt"
	mount -o loop "$img" "$mnt"
	json=$("$E4CTL" info --json -o device,mountpoint,mounted,online_max_blocks,meta_bg_conversion "$mnt")
	[[ $(jf "$json" mounted) == true ]] || fail "$name: not reported mounted"
	[[ $(jf "$json" mountpoint) == "$mnt" ]] || fail "$name: mountpoint $(jf "$json" mountpoint)"
	want=$(jf "$json" online_max_blocks)
	conv=$(jf "$json" meta_bg_conversion)
	resize2fs "$(jf "$json" device)" >/dev/null 2>&1 || fail "$name: resize2fs (online) failed"
	got=$("$E4CTL" info --json -o block_count "$mnt" | jq '.filesystems[0].block_count')
	[[ $got == "$want" ]] || fail "$name: predicted online limit $want, kernel grew to $got"
	if [[ $conv == true ]]; then
		"$E4CTL" info -J -o features "$mnt" | grep -q meta_bg ||
			fail "$name: predicted a meta_bg conversion, none happened"
	fi
	umount "$mnt"
	e2fsck -fn "$img" >/dev/null 2>&1 || fail "$name: e2fsck -fn after the grow"
	n=$((n + 1))
	echo "ok: $name: predicted and reached $want blocks (meta_bg conversion: $conv)"
}

grow_case plain-4k $((1 << 30)) 64M -t ext4 -b 4096
grow_case tail-trimmed $(((65536 + 20) * 4096)) 16384 -t ext4 -b 4096
grow_case reserved-gdt-exhausted $((2 << 30)) 64M -t ext4 -b 1024 -E resize=200000
grow_case no-flex-1k $((512 << 20)) 32M -t ext4 -b 1024 -O ^flex_bg
grow_case not-64bit $((1 << 30)) 100M -t ext4 -O ^64bit
grow_case bigalloc $((1 << 30)) 128M -t ext4 -O bigalloc -C 65536
echo "$n growth predictions verified on $(uname -r)"
