#!/usr/bin/env bats
# e4ctl inline convert: offline through libext2fs, online through the
# kernel's fallocate, --disable-feature, --undo, and the refusals.

load ../lib
load inline

setup() {
	require_root
	IMG=$BATS_TEST_TMPDIR/fs.img
}

teardown() {
	e4_teardown
}

offline_convert_keeps_everything() {
	inline_image "$IMG" "$1" "$2"
	before=$(in_private_ns inline_snapshot_img "$IMG")
	[ "$(grep -c '|regular file ' <<<"$before")" -gt 200 ]
	n=$(debugfs_inline "$IMG" | wc -l)
	[ "$n" -gt 5 ]
	run "$E4CTL" inline convert "$IMG" --all
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -c ' converted' <<<"$output")" -eq "$n" ]
	[[ ${lines[-1]} == "converted: "*"; skipped 0, failed 0" ]]
	run e2fsck -fn "$IMG"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$(debugfs_inline "$IMG")" ]
	[ -z "$(e4_inline_inodes "$IMG")" ]
	after=$(in_private_ns inline_snapshot_img "$IMG")
	# sizes of directories are not in the snapshot: they grow to a block
	diff <(echo "$before") <(echo "$after")
	# extents when the filesystem has them
	debugfs -R "stat /f61" "$IMG" 2>/dev/null | grep -q "^EXTENTS:"
	debugfs -R "stat /small" "$IMG" 2>/dev/null | grep -q "^EXTENTS:"
}

@test "offline convert --all keeps contents, sizes, modes, owners, times, xattrs, links: 4k, csum" {
	offline_convert_keeps_everything 4096 on
}

@test "offline convert --all keeps everything: 4k, no csum" {
	offline_convert_keeps_everything 4096 off
}

@test "offline convert --all keeps everything: 1k, csum" {
	offline_convert_keeps_everything 1024 on
}

@test "offline convert --all keeps everything: 1k, no csum" {
	offline_convert_keeps_everything 1024 off
}

@test "offline convert of a slow symlink libext2fs made inline" {
	mkimg "$IMG" 32M -t ext4 -O inline_data
	target=$(printf 'z%.0s' $(seq 1 90))
	debugfs -w -R "symlink /lnk $target" "$IMG" 2>/dev/null
	run "$E4CTL" inline convert "$IMG" --all
	[ "$status" -eq 0 ]
	[ -z "$(e4_inline_inodes "$IMG")" ]
	e2fsck -fn "$IMG"
	mount_img "$IMG" "$BATS_TEST_TMPDIR/m" ro
	[ "$(readlink "$BATS_TEST_TMPDIR/m/lnk")" = "$target" ]
}

@test "offline convert PATH converts that file and that subtree only" {
	inline_image "$IMG" 4096 on
	run "$E4CTL" inline convert "$IMG" /f1 deep
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -gt 3 ]
	run "$E4CTL" inline list "$IMG" --raw --noheadings -o PATH
	[ "$status" -eq 0 ]
	[ -z "$(grep -x "/f1" <<<"$output")" ]
	[ -z "$(grep "^/deep" <<<"$output")" ]
	grep -qx "/f59" <<<"$output"
	grep -qx "/small" <<<"$output"
	e2fsck -fn "$IMG"
}

@test "offline convert of a missing PATH fails and changes nothing" {
	inline_image "$IMG" 4096 on
	h=$(img_hash "$IMG")
	run "$E4CTL" inline convert "$IMG" /no/such
	[ "$status" -eq 1 ]
	[[ $output == *"/no/such: no such file or directory in the filesystem"* ]]
	[ "$(img_hash "$IMG")" = "$h" ]
}

@test "--dry-run lists what would be converted and writes nothing" {
	inline_image "$IMG" 4096 on
	h=$(img_hash "$IMG")
	n=$(debugfs_inline "$IMG" | wc -l)
	run "$E4CTL" inline convert "$IMG" --all --dry-run
	[ "$status" -eq 0 ]
	[ "$(grep -c ' would-convert' <<<"$output")" -eq "$n" ]
	[[ ${lines[-1]} == "would convert: "* ]]
	[ "$(img_hash "$IMG")" = "$h" ]
}

# After --disable-feature: new small files and dirs, their lsattr flags,
# and an old file's size.
new_files_after_disable() {
	local m=$BATS_TEST_TMPDIR/m
	mkdir -p "$m"
	mount -o loop "$1" "$m" || return
	printf 'small' >"$m/newfile"
	mkdir "$m/newdir"
	sync
	echo "newfile $(lsattr -d "$m/newfile" | cut -d' ' -f1)"
	echo "newdir $(lsattr -d "$m/newdir" | cut -d' ' -f1)"
	echo "f60 $(wc -c <"$m/f60")"
	umount "$m"
}

@test "--disable-feature clears inline_data; e2fsck clean; new small files are not inline" {
	inline_image "$IMG" 4096 on
	run "$E4CTL" inline convert "$IMG" --all --disable-feature
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"inline_data cleared on $IMG"* ]]
	features=$(dumpe2fs_field "$IMG" "Filesystem features")
	[[ " $features " == *" extent "* ]]
	[[ " $features " != *" inline_data "* ]]
	run e2fsck -fn "$IMG"
	[ "$status" -eq 0 ]
	run in_private_ns new_files_after_disable "$IMG"
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q '^newfile [^N]*$' <<<"$output"
	grep -q '^newdir [^N]*$' <<<"$output"
	grep -qx 'f60 60' <<<"$output"
	run e2fsck -fn "$IMG"
	[ "$status" -eq 0 ]
}

@test "--disable-feature is refused when an inode cannot be converted; nothing changes" {
	mkimg "$IMG" 32M -t ext4 -O inline_data
	# a device node with the inline flag: nothing to move, cannot lose it
	debugfs -w -R "mknod fifo p" "$IMG" 2>/dev/null
	debugfs -w -R "set_inode_field fifo flags 0x10000000" "$IMG" 2>/dev/null
	[ "$(e4_inline_inodes "$IMG" | wc -l)" -eq 1 ]
	debugfs -w -R "write /etc/hostname /host" "$IMG" 2>/dev/null
	h=$(img_hash "$IMG")
	run "$E4CTL" inline convert "$IMG" --all --disable-feature
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"/fifo cannot be converted (not a file, directory or symlink); inline_data stays set, nothing was changed"* ]]
	[ "$(img_hash "$IMG")" = "$h" ]
}

@test "--disable-feature needs --all; --all and PATHs exclude each other" {
	mkimg "$IMG" 32M -t ext4 -O inline_data
	run "$E4CTL" inline convert "$IMG" --disable-feature /x
	[ "$status" -eq 2 ]
	[[ $output == *"--disable-feature needs --all"* ]]
	run "$E4CTL" inline convert "$IMG" --all /x
	[ "$status" -eq 2 ]
	run "$E4CTL" inline convert "$IMG"
	[ "$status" -eq 2 ]
	[[ $output == *"name the PATHs to convert, or use --all"* ]]
}

@test "--undo FILE and e2undo restore the image bit for bit" {
	inline_image "$IMG" 1024 on
	h=$(img_hash "$IMG")
	run "$E4CTL" inline convert "$IMG" --all --disable-feature --undo "$BATS_TEST_TMPDIR/u.e2undo"
	[ "$status" -eq 0 ]
	[ "$(img_hash "$IMG")" != "$h" ]
	e2undo "$BATS_TEST_TMPDIR/u.e2undo" "$IMG"
	[ "$(img_hash "$IMG")" = "$h" ]
}

@test "refused: not clean; the image is unchanged" {
	inline_image "$IMG" 4096 on
	debugfs -w -R "ssv state 0" "$IMG" 2>/dev/null
	h=$(img_hash "$IMG")
	run "$E4CTL" inline convert "$IMG" --all
	[ "$status" -eq 1 ]
	[[ $output == *"not clean"*"run 'e2fsck -f $IMG' first, or use --force"* ]]
	[ "$(img_hash "$IMG")" = "$h" ]
	# refused before anything is opened for writing: an undo file is
	# neither made nor replaced
	run "$E4CTL" inline convert "$IMG" --all --undo "$BATS_TEST_TMPDIR/new.e2undo"
	[ "$status" -eq 1 ]
	[ ! -e "$BATS_TEST_TMPDIR/new.e2undo" ]
	printf keep >"$BATS_TEST_TMPDIR/old.e2undo"
	run "$E4CTL" inline convert "$IMG" --all --undo "$BATS_TEST_TMPDIR/old.e2undo"
	[ "$status" -eq 1 ]
	[ "$(cat "$BATS_TEST_TMPDIR/old.e2undo")" = keep ]
	[ "$(img_hash "$IMG")" = "$h" ]
}

@test "refused: mounted, for --disable-feature and --undo, and read-only; the image is unchanged" {
	inline_image "$IMG" 4096 on
	mount_img "$IMG" "$BATS_TEST_TMPDIR/m" ro
	h=$(img_hash "$IMG")
	run "$E4CTL" inline convert "$IMG" --all --disable-feature
	[ "$status" -eq 1 ]
	[[ $output == *"mounted on $BATS_TEST_TMPDIR/m; --disable-feature needs it unmounted"* ]]
	run "$E4CTL" inline convert "$BATS_TEST_TMPDIR/m" --all --undo "$BATS_TEST_TMPDIR/u"
	[ "$status" -eq 1 ]
	[[ $output == *"--undo needs it unmounted"* ]]
	run "$E4CTL" inline convert "$BATS_TEST_TMPDIR/m" --all
	[ "$status" -eq 1 ]
	[[ $output == *"mounted read-only on $BATS_TEST_TMPDIR/m; remount it read-write, or unmount it"* ]]
	[ "$(img_hash "$IMG")" = "$h" ]
	[ ! -e "$BATS_TEST_TMPDIR/u" ]
}

@test "refused: not ext4; the file is unchanged" {
	truncate -s 32M "$IMG"
	if command -v mkfs.vfat >/dev/null; then
		mkfs.vfat "$IMG" >/dev/null
	else
		head -c 1M /dev/urandom | dd of="$IMG" conv=notrunc status=none
	fi
	h=$(img_hash "$IMG")
	run "$E4CTL" inline convert "$IMG" --all
	[ "$status" -eq 1 ]
	[[ $output == *"not an ext2/3/4 filesystem"* ]]
	[ "$(img_hash "$IMG")" = "$h" ]
}

# Mount (noatime: the snapshots' reads must not move atime), snapshot,
# convert online, snapshot again, unmount: results in files.
online_case() {
	local img=$1 m=$BATS_TEST_TMPDIR/m o=$BATS_TEST_TMPDIR
	mkdir -p "$m"
	mount -o loop,noatime "$img" "$m" || return
	inline_snapshot "$m" online >"$o/before"
	"$E4CTL" inline convert "$m" --all >"$o/out" 2>&1
	echo $? >"$o/rc"
	lsattr -R "$m" 2>/dev/null | awk '$1 ~ /N/ { print $2 }' >"$o/still"
	inline_snapshot "$m" online >"$o/after"
	for ino in $(e4_inline_inodes "$m"); do
		find "$m" -xdev -inum "$ino" -printf '%y\n'
	done >"$o/left-types"
	umount "$m"
}

@test "online convert: files lose the flag, contents and sizes equal, directories need offline" {
	inline_image "$IMG" 4096 on
	in_private_ns online_case "$IMG"
	o=$BATS_TEST_TMPDIR m=$BATS_TEST_TMPDIR/m
	cat "$o/out"
	# directories stay inline: not everything could be converted
	[ "$(cat "$o/rc")" -eq 1 ]
	grep -Eq "$m/small .*skipped +a directory: needs the filesystem unmounted" "$o/out"
	grep -q "$m/f1 .*converted" "$o/out"
	[[ $(tail -n1 "$o/out") == *"failed 0" ]]
	[ "$(grep -c '|regular file ' "$o/before")" -gt 200 ]
	# lsattr: what still carries N is a directory, and so is what e4ctl
	# still lists
	[ -s "$o/still" ]
	[ -z "$(grep -v "^$m\(/small\|/big\|/deep\|/deep/a\|/deep/a/b\)\?$" "$o/still")" ]
	[ -s "$o/left-types" ]
	[ -z "$(grep -vx d "$o/left-types")" ]
	diff "$o/before" "$o/after"
	run e2fsck -fn "$IMG"
	[ "$status" -eq 0 ]
}

@test "online convert PATH: only that file; --dry-run changes nothing" {
	mkimg "$IMG" 32M -t ext4 -O inline_data
	mount_img "$IMG" "$BATS_TEST_TMPDIR/m"
	m=$BATS_TEST_TMPDIR/m
	printf 'one' >"$m/a"
	printf 'two' >"$m/b"
	run "$E4CTL" inline convert "$m" "$m/a" --dry-run
	[ "$status" -eq 0 ]
	[[ $output == *"$m/a "*"would-convert"* ]]
	[[ $(lsattr "$m/a" | cut -d' ' -f1) == *N* ]]
	run "$E4CTL" inline convert "$m" "$m/a"
	[ "$status" -eq 0 ]
	[[ $(lsattr "$m/a" | cut -d' ' -f1) != *N* ]]
	[[ $(lsattr "$m/b" | cut -d' ' -f1) == *N* ]]
	[ "$(cat "$m/a")" = one ]
}

@test "online convert refuses a PATH on another filesystem" {
	mkimg "$IMG" 32M -t ext4 -O inline_data
	mount_img "$IMG" "$BATS_TEST_TMPDIR/m"
	run "$E4CTL" inline convert "$BATS_TEST_TMPDIR/m" /etc/hostname
	[ "$status" -eq 1 ]
	[[ $output == *"/etc/hostname: not on "* ]]
}

@test "SIGINT stops between inodes: each inode converted or untouched, fs clean" {
	mkimg "$IMG" 256M -t ext4 -b 1024 -N 40000 -O inline_data
	in_private_ns inline_populate_many "$IMG" "$BATS_TEST_TMPDIR/m"
	e2fsck -fy "$IMG" >/dev/null
	total=$(e4_inline_inodes "$IMG" | wc -l)
	[ "$total" -gt 10000 ]
	"$E4CTL" inline convert "$IMG" --all --progress --raw -o INODE,STATUS \
		>"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
	pid=$!
	# signal once it is converting: the first progress line says so
	for _ in $(seq 1 600); do
		grep -q "inline convert:" "$BATS_TEST_TMPDIR/err" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -INT "$pid" 2>/dev/null || true
	rc=0
	wait "$pid" || rc=$?
	cat "$BATS_TEST_TMPDIR/err"
	if [ "$rc" -eq 0 ]; then
		skip "the conversion finished before SIGINT arrived"
	fi
	[ "$rc" -eq 3 ]
	grep -q "interrupted; every inode is either converted or untouched" "$BATS_TEST_TMPDIR/err"
	run e2fsck -fn "$IMG"
	[ "$status" -eq 0 ]
	converted=$(grep -c ' converted$' "$BATS_TEST_TMPDIR/out")
	left=$(e4_inline_inodes "$IMG" | wc -l)
	[ "$left" -gt 0 ]
	[ $((converted + left)) -eq "$total" ]
	[ "$(grep -c ' not-reached$' "$BATS_TEST_TMPDIR/out")" -eq "$left" ]
}

@test "online convert: a file that cannot be opened for writing fails with its errno; the rest goes on" {
	mkimg "$IMG" 32M -t ext4 -O inline_data
	mount_img "$IMG" "$BATS_TEST_TMPDIR/m"
	m=$BATS_TEST_TMPDIR/m
	printf 'locked' >"$m/locked"
	printf 'free' >"$m/free"
	chattr +i "$m/locked"
	run "$E4CTL" inline convert "$m" --all --raw --noheadings -o PATH,STATUS,REASON
	chattr -i "$m/locked"
	echo "$output"
	[ "$status" -eq 1 ]
	grep -qx "$m/locked failed while\\\\x20opening\\\\x20it\\\\x20for\\\\x20writing:\\\\x20Operation\\\\x20not\\\\x20permitted\\\\x20(EPERM)" <<<"$output"
	grep -Eq "^$m/free converted *$" <<<"$output"
	[[ $(lsattr "$m/locked" | cut -d' ' -f1) == *N* ]]
	[[ $(lsattr "$m/free" | cut -d' ' -f1) != *N* ]]
}

@test "online convert: a file open elsewhere is converted with the kernel's mtime, and says so" {
	mkimg "$IMG" 32M -t ext4 -O inline_data
	mount_img "$IMG" "$BATS_TEST_TMPDIR/m"
	m=$BATS_TEST_TMPDIR/m
	printf 'one' >"$m/open1"
	printf 'two' >"$m/open2"
	ln "$m/open2" "$m/open2-link"
	touch -d '2001-02-03 04:05:06' "$m/open1" "$m/open2"
	# held open for the whole run: with two links the lease is asked for
	# again a few times, then given up as well
	exec {h1}<"$m/open1" {h2}<"$m/open2-link"
	run "$E4CTL" inline convert "$m" "$m/open1" "$m/open2" --raw --noheadings -o PATH,STATUS,REASON
	exec {h1}<&- {h2}<&-
	echo "$output"
	[ "$status" -eq 0 ]
	for f in open1 open2; do
		grep -qx "$m/$f converted mtime\\\\x20is\\\\x20the\\\\x20kernel's:\\\\x20the\\\\x20file\\\\x20is\\\\x20open\\\\x20elsewhere" <<<"$output"
		[[ $(lsattr "$m/$f" | cut -d' ' -f1) != *N* ]]
		[ "$(stat -c %Y "$m/$f")" -gt "$(date -d '2001-02-03 04:05:06' +%s)" ]
	done
	[ "$(cat "$m/open1")" = one ]
	[ "$(cat "$m/open2")" = two ]
}

@test "online convert: an inode with names in many directories keeps its mtime (workers opening its other names)" {
	mkimg "$IMG" 64M -t ext4 -O inline_data -I 256
	mount_img "$IMG" "$BATS_TEST_TMPDIR/m"
	m=$BATS_TEST_TMPDIR/m
	mkdir "$m/src"
	# each walker opens a name to read its flags while the worker that
	# claimed the inode asks for its lease or holds it: before, about one
	# inode in a hundred kept the kernel's mtime, and a walker's open
	# breaking the lease could kill the run with SIGIO
	for round in 1 2 3; do
		for k in $(seq 1 100); do printf 'x%d' "$k" >"$m/src/f$k"; done
		touch -d '2001-02-03 04:05:06' "$m"/src/f*
		for d in $(seq 1 16); do
			mkdir -p "$m/d$d"
			ln "$m"/src/f* "$m/d$d/"
		done
		run "$E4CTL" inline convert "$m" --all --raw --noheadings -o PATH,STATUS,REASON
		echo "$output" >"$BATS_TEST_TMPDIR/out$round"
		# before SIGIO was ignored, a lease broken by a walker killed us
		[ "$status" -eq 0 ]
		# one line per inode, converted without a note (none unreadable)
		[ "${#lines[@]}" -eq 100 ]
		[ -z "$(grep -v ' converted *$' <<<"$output")" ]
		[ -z "$(find "$m" -xdev -type f -newermt '2001-02-03 04:05:07')" ]
		rm -r "$m/src" "$m"/d*
		mkdir "$m/src"
	done
}
