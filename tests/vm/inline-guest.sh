#!/bin/bash
# Runs inside the VM (tests/vm/inline.bats): does ext4_fallocate() on this
# kernel convert inline data without changing size or contents, and does
# `e4ctl inline convert` on a mounted filesystem rely on that correctly?
# Each case prints "ok N: ..." or "not ok N: why" and goes on.
#
#   1  fallocate(KEEP_SIZE, 0, 1) by hand: flag gone, size and content kept
#   2  e4ctl inline convert --all on a loop mount: files converted, content,
#      size, atime and mtime equal, directories reported as needing offline,
#      e2fsck clean after unmount
set -uo pipefail

E4CTL=${E4CTL:?}
top=$(mktemp -d "${E4_SCRATCH:-/tmp}/inline.XXXXXX")
why=

fail() { [[ -z $why ]] && why=$1; echo "  FAILED: $1" >&2; }
inline_flag() { [[ $(lsattr -d "$1" 2>/dev/null | cut -d' ' -f1) == *N* ]]; }
report() {	# N WHAT
	if [[ -z $why ]]; then echo "ok $1: $2"; else echo "not ok $1: $why"; fi
	why=
}

img=$top/fs.img m=$top/m
truncate -s 64M "$img"
mke2fs -q -F -t ext4 -O inline_data "$img" >/dev/null || { echo "not ok 1: mke2fs"; exit 1; }
mkdir -p "$m"
mount -o loop,noatime "$img" "$m" || { echo "not ok 1: mount"; exit 1; }

# 1: the kernel mechanism itself
for n in 1 59 60 61 100; do
	head -c "$n" /dev/urandom >"$m/k$n"
done
printf x >"$m/kempty"
truncate -s 0 "$m/kempty"
for f in "$m"/k*; do
	inline_flag "$f" || fail "$(basename "$f") not inline to begin with"
	sum=$(sha256sum <"$f") size=$(stat -c %s "$f")
	fallocate -n -o 0 -l 1 "$f" || fail "fallocate $(basename "$f"): $?"
	inline_flag "$f" && fail "$(basename "$f") still inline after fallocate"
	[[ $(sha256sum <"$f") == "$sum" ]] || fail "$(basename "$f") content changed"
	[[ $(stat -c %s "$f") == "$size" ]] || fail "$(basename "$f") size changed"
done
report 1 "fallocate(KEEP_SIZE, 0, 1) converts inline data on $(uname -r), size and content kept"

# 2: e4ctl's online conversion
mkdir "$m/d" "$m/d/sub"
for n in 1 59 60 61 100; do
	head -c "$n" /dev/urandom >"$m/d/f$n"
done
printf 'deep' >"$m/d/sub/leaf"
printf x >"$m/d/emptied"
truncate -s 0 "$m/d/emptied"
snap() {
	(cd "$m/d" && find . -type f | sort | while read -r f; do
		echo "$f $(stat -c '%s %x %y' "$f") $(sha256sum <"$f" | cut -d' ' -f1)"
	done)
}
before=$(snap)
out=$("$E4CTL" inline convert "$m/d" --all --raw --noheadings -o PATH,TYPE,STATUS,REASON 2>&1)
rc=$?
echo "$out" | sed 's/^/  | /' >&2
[[ $rc -eq 1 ]] || fail "exit $rc, expected 1 (directories left)"
for f in "$m"/d/f* "$m/d/emptied" "$m/d/sub/leaf"; do
	inline_flag "$f" && fail "$(basename "$f") still inline"
	grep -q "^$f file converted" <<<"$out" || fail "$(basename "$f") not reported converted"
done
for d in "$m/d" "$m/d/sub"; do
	grep -q "^$d dir skipped a\\\\x20directory:" <<<"$out" ||
		fail "$d not reported as needing offline conversion"
done
[[ $(snap) == "$before" ]] || fail "content, size or times changed"
umount "$m"
e2fsck -fn "$img" >/dev/null 2>&1 || fail "e2fsck -fn after the online conversion"
report 2 "e4ctl inline convert online: files converted and equal, directories need offline"
rm -rf "$top"
