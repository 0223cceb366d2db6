# Shared helpers for the bats suites.  Load with: load ../lib
#
# Images are sparse files under $BATS_TEST_TMPDIR; loop mounts made with
# mount_img are unmounted and detached in teardown (call e4_teardown from
# your teardown(), or use the default below).

E4CTL=${E4CTL:-$BATS_TEST_DIRNAME/../../build/e4ctl}
E4_MOUNTS=()

# mkimg FILE SIZE [mke2fs options...]: a fresh sparse image.
mkimg() {
	local img=$1 size=$2
	shift 2
	rm -f "$img"
	truncate -s "$size" "$img"
	mke2fs -q -F "$@" "$img" >/dev/null
}

# mount_img IMG DIR [mount options]: loop-mount, remembered for teardown.
mount_img() {
	local img=$1 dir=$2 opts=${3:-}
	mkdir -p "$dir"
	mount -o "loop${opts:+,$opts}" "$img" "$dir"
	E4_MOUNTS+=("$dir")
}

umount_all() {
	local i
	for ((i = ${#E4_MOUNTS[@]} - 1; i >= 0; i--)); do
		umount "${E4_MOUNTS[$i]}" 2>/dev/null || umount -l "${E4_MOUNTS[$i]}" 2>/dev/null
	done
	E4_MOUNTS=()
}

e4_teardown() {
	umount_all
}

# The value of a "Field:   value" line of dumpe2fs -h.
dumpe2fs_field() {
	dumpe2fs -h "$1" 2>/dev/null | sed -n "s/^$2:[[:space:]]*//p"
}

# A JSON field of the first object in e4ctl's array output (stdin).
json_field() {
	jq -r "first(.[])[0].$1 // empty"
}

img_hash() {
	sha256sum "$1" | cut -d' ' -f1
}

# on_image IMG SCRIPT: run SCRIPT (bash, set -e) in the root of IMG,
# loop-mounted read-write in a mount namespace of its own (a namespace
# another job starts meanwhile cannot keep a copy of the mount; see
# tests/inline/inline.bash).  IMG is unmounted whatever the script's
# status, which is returned.
on_image() {
	unshare -m --propagation private bash -c '
		mnt=$(mktemp -d) || exit
		mount -o loop "$1" "$mnt" || exit
		(set -e; cd "$mnt"; eval "$2")
		st=$?
		cd /
		umount "$mnt" && rmdir "$mnt" || st=1
		exit $st' on_image "$1" "$2"
}

require_root() {
	[[ $(id -u) -eq 0 ]] || skip "needs root (loop devices)"
}
