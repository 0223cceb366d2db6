# Helpers of the inline suites: images with inline data written by the
# kernel through a loop mount, snapshots of what conversion must keep, and
# debugfs's own opinion of which inodes are inline.  Load after ../lib.

# The largest regular file the kernel keeps inline on the fs mounted at $1:
# probe with files of growing size and ask lsattr.
inline_max() {
	local d=$1/.probe n max=0
	mkdir "$d"
	for n in $(seq 60 8 400); do
		head -c "$n" /dev/zero | tr '\0' a >"$d/p$n"
	done
	for n in $(seq 60 8 400); do
		[[ $(lsattr "$d/p$n" | cut -d' ' -f1) == *N* ]] && max=$n
	done
	# then byte by byte above the last size that was inline
	for n in $(seq "$max" $((max + 8))); do
		head -c "$n" /dev/zero | tr '\0' a >"$d/q$n"
		[[ $(lsattr "$d/q$n" | cut -d' ' -f1) == *N* ]] && max=$n
	done
	rm -rf "$d"
	echo "$max"
}

# inline_populate DIR: what the issue asks for, written by the kernel.
inline_populate() {
	local d=$1 max n i
	max=$(inline_max "$d")
	echo "$max" >"$BATS_TEST_TMPDIR/max"
	for n in 0 1 59 60 61 "$max" $((max + 1)) 4096; do
		head -c "$n" /dev/urandom >"$d/f$n"
	done
	# Written, then cut to nothing: the kernel keeps it inline.
	printf x >"$d/emptied"
	truncate -s 0 "$d/emptied"
	mkdir "$d/small" "$d/big" "$d/deep" "$d/deep/a" "$d/deep/a/b"
	printf 'a\n' >"$d/small/a"
	for i in $(seq 1 200); do
		printf '%s' "$i" >"$d/big/entry-with-a-longish-name-$i"
	done
	printf 'deep' >"$d/deep/a/b/leaf"
	ln -s short "$d/fastlink"
	ln -s "$(printf 'x%.0s' $(seq 1 100))" "$d/slowlink"
	printf 'has xattrs' >"$d/xattrs"
	setfattr -n user.one -v 1 "$d/xattrs"
	setfattr -n user.two -v "$(printf 'v%.0s' $(seq 1 24))" "$d/xattrs"
	printf 'linked' >"$d/hardlink1"
	ln "$d/hardlink1" "$d/small/hardlink2"
	chown 1234:5678 "$d/f1"
	chmod 0640 "$d/f59"
	touch -d '2001-02-03 04:05:06.123456789' "$d/f60"
	find "$d" -xdev -printf '%i\n' | sort -un >"$BATS_TEST_TMPDIR/inodes"
}

# Run a shell function in a mount namespace of its own.  Others
# working on this machine start namespaces too (unshare -m); one started
# while our loop mount exists keeps a copy of it, so our umount would not
# really unmount and the image would stay dirty.  Mounts made in here are
# invisible to them, and go away with the namespace.
in_private_ns() {
	unshare -m --propagation private bash -c "
		$(declare -f)
		E4CTL='$E4CTL' BATS_TEST_TMPDIR='$BATS_TEST_TMPDIR'
		\"\$@\"" in_private_ns "$@"
}

# inline_populate_img IMG DIR: mount, populate, unmount.
inline_populate_img() {
	mkdir -p "$2"
	mount -o loop "$1" "$2" || return
	inline_populate "$2"
	local rc=$?
	umount "$2" || return
	return $rc
}

# inline_populate_many IMG DIR: 20 directories of 1000 three-byte files.
inline_populate_many() {
	local d
	mkdir -p "$2"
	mount -o loop "$1" "$2" || return
	for d in $(seq 1 20); do
		mkdir "$2/$d"
		for i in $(seq 1 1000); do printf '%s' "$i"; done |
			split -b 3 -a 3 - "$2/$d/f"
	done
	umount "$2"
}

# inline_image IMG BLOCKSIZE CSUM(on|off): a populated, checked, unmounted
# image.
inline_image() {
	local img=$1 bs=$2 csum=$3 feat=inline_data
	[[ $csum == off ]] && feat+=,^metadata_csum
	mkimg "$img" 64M -t ext4 -b "$bs" -I 256 -O "$feat"
	in_private_ns inline_populate_img "$img" "$BATS_TEST_TMPDIR/pop"
	# After a mount the gates want a check, as before resize2fs.  (Once
	# in a while e2fsck fixes something here, before e4ctl runs: say what,
	# and insist on a clean second pass.)
	e2fsck -fy "$img" >"$BATS_TEST_TMPDIR/fsck.out" 2>&1 ||
		{ cat "$BATS_TEST_TMPDIR/fsck.out"; e2fsck -fn "$img"; }
}

# What conversion must keep, one line per path: type, inode, mode, owner,
# links, times (ns), size and content hash (files), target (symlinks),
# names (dirs), extended attributes.  $2: "online" leaves out ctime,
# which the kernel sets on any change.
inline_snapshot() {
	local d=$1 how=${2:-offline} f fmt
	fmt='%F %i %a %u %g %h %x %y %z %w'
	[[ $how == online ]] && fmt='%F %i %a %u %g %h %x %y %w'
	(cd "$d" && find . -xdev ! -name lost+found -print | LC_ALL=C sort) |
	while IFS= read -r f; do
		printf '%s|%s' "$f" "$(stat -c "$fmt" "$d/$f")"
		if [[ -L $d/$f ]]; then
			printf '|%s' "$(readlink "$d/$f")"
		elif [[ -f $d/$f ]]; then
			printf '|%s|%s' "$(stat -c %s "$d/$f")" \
				"$(sha256sum <"$d/$f" | cut -d' ' -f1)"
		elif [[ -d $d/$f ]]; then
			printf '|%s' "$(ls -a "$d/$f" | tr '\n' ' ')"
		fi
		printf '|%s\n' "$(getfattr -h -d -m - "$d/$f" 2>/dev/null | grep -v '^#' | LC_ALL=C sort | tr '\n' ' ')"
	done
}

# Snapshot of an unmounted image through a read-only, noatime mount
# (call through in_private_ns).
inline_snapshot_img() {
	local img=$1 how=${2:-offline} m=$BATS_TEST_TMPDIR/snap
	mkdir -p "$m"
	mount -o loop,ro,noatime "$img" "$m" || return
	inline_snapshot "$m" "$how"
	umount "$m"
}

# Inodes (from $BATS_TEST_TMPDIR/inodes, plus any given) that debugfs
# says carry inline data, sorted.  (debugfs prints "Size of inline data"
# for files and directories only; the flag is there for every type.)
debugfs_inline() {
	local img=$1 cmds=$BATS_TEST_TMPDIR/dbgcmds
	shift
	{ cat "$BATS_TEST_TMPDIR/inodes"; printf '%s\n' "$@"; } |
		sed 's/.*/stat <&>/' >"$cmds"
	# The Flags word carries EXT4_INLINE_DATA_FL (0x10000000).
	debugfs -f "$cmds" "$img" 2>/dev/null |
		awk '/^Inode: /{print $2, $NF}' |
		while read -r ino fl; do
			((fl & 0x10000000)) && echo "$ino"
		done | sort -un
}

# Inodes e4ctl lists, sorted.
e4_inline_inodes() {
	"$E4CTL" inline list "$@" --raw --noheadings -o INODE | sort -un
}
