#!/bin/bash
# Runs inside the VM (tests/vm/resize.bats): the online-resize cases of
# issue 4 in one boot.  Each case prints "ok N: ...", "not ok N: why" or
# "skip N: why" and goes on with the next, so one boot answers every
# assertion.  A setup step that fails (mkfs, mount, debugfs, ...) fails
# its case with the reason.  Every case ends with an unmount and
# `e2fsck -fn` exit 0, and compares what the plan predicted (block count,
# meta_bg conversion) with what the kernel did.  Case 9 is case 8's
# refusals answered by the kernel itself: the plan passes, and the
# situation is changed while strace holds e4ctl at the entry of its ioctl.
#
#   resize-guest.sh [CASE...]     default: all of 1..9
set -uo pipefail

E4CTL=${E4CTL:?}
top=$(mktemp -d "${E4_SCRATCH:-/tmp}/resize.XXXXXX")
kernel=$(uname -r)
cur=
why=
skipped=
# The text of every error this script has the kernel record on purpose
# (trigger_fs_error); resize.bats leaves kernel log lines with it out.
deliberate="e4ctl-test-deliberate-error"

say() { echo "  [$cur] $*" >&2; }
# check COND-MESSAGE COMMAND...: record the first failure of a case.
check() {
	local msg=$1
	shift
	if ! "$@"; then
		[[ -z $why ]] && why=$msg
		say "FAILED: $msg"
		return 1
	fi
}

# setup WHAT COMMAND...: a step the case cannot go on without; its
# failure is the case's failure, with COMMAND's own words.
setup() {
	local what=$1 out
	shift
	out=$("$@" 2>&1) && return 0
	check "setup: $what failed: $(tail -n 2 <<<"$out" | tr '\n' ' ')" false
	return 1
}

mkfs_img() {	# IMG FS_BYTES DEV_BYTES MKE2FS_ARGS...
	local img=$1 fs=$2 dev=$3
	shift 3
	rm -f "$img"
	setup "truncate -s $fs $img" truncate -s "$fs" "$img" &&
		setup "mke2fs $* $img" mke2fs -q -F "$@" "$img" &&
		setup "truncate -s $dev $img" truncate -s "$dev" "$img"
}

mnt_img() {	# IMG MNT [OPTS]
	mkdir -p "$2"
	setup "mount -o loop${3:+,$3} $1 $2" mount -o "loop${3:+,$3}" "$1" "$2"
}

# What a resize changes, as dumpe2fs -h shows it (needs_recovery, which
# comes and goes with the journal, left out).
geometry() {
	dumpe2fs -h "$1" 2>/dev/null |
		grep -E '^(Block count|Reserved block count|Inode count|Reserved GDT blocks|Filesystem features|First meta block group|Blocks per group|Inodes per group|Flex block group size|Group descriptor size):' |
		sed 's/ needs_recovery//'
}

blocks() { dumpe2fs -h "$1" 2>/dev/null | sed -n 's/^Block count:[[:space:]]*//p'; }
lacks() { ! grep -qF "$1" <<<"$2"; }	# TEXT STRING
features() { dumpe2fs -h "$1" 2>/dev/null | sed -n 's/^Filesystem features:[[:space:]]*//p'; }
plan() { "$E4CTL" resize -n --json "$@" 2>/dev/null; }
pj() { jq -r ".plan[0].$2" <<<"$1"; }

# umount + e2fsck -fn, the end of every case.
finish() {	# MNT IMG
	umount "$1" || { check "umount $1" false; return; }
	check "e2fsck -fn $2 exit 0" e2fsck -fn "$2" >/dev/null 2>&1
}

# A filesystem with errors recorded on purpose: umount, e2fsck -fy
# clears them (exit 1: corrected), then e2fsck -fn must find it clean.
finish_errors() {	# MNT IMG
	local rc
	umount "$1" || { check "umount $1" false; return; }
	e2fsck -fy "$2" >/dev/null 2>&1
	rc=$?
	check "e2fsck -fy $2 exit 0 or 1 (got $rc)" [ "$rc" -le 1 ]
	check "e2fsck -fn $2 exit 0 after clearing the error" e2fsck -fn "$2" >/dev/null 2>&1
}

# Record an error through the kernel, as ext4 does on corruption.
fs_error() {	# MNT
	local dev k
	dev=$(findmnt -no SOURCE "$1")
	k=/sys/fs/ext4/${dev##*/}
	check "$k/trigger_fs_error exists" [ -w "$k/trigger_fs_error" ] || return 1
	echo "$deliberate" >"$k/trigger_fs_error"
}

# Wait (at most 30 s) for the superblock to carry the error the kernel
# recorded: the update is written by a work item, a moment later.
errors_counted() {	# MNT
	local dev n i
	dev=$(findmnt -no SOURCE "$1")
	for ((i = 0; i < 300; i++)); do
		n=$(cat "/sys/fs/ext4/${dev##*/}/errors_count" 2>/dev/null)
		[[ ${n:-0} -gt 0 ]] && return 0
		sleep 0.1
	done
	return 1
}

# Grow MNT to SIZE and compare with the plan: block count and meta_bg.
grow_and_compare() {	# NAME MNT SIZE [e4ctl options...]
	local name=$1 mnt=$2 size=$3 p want conv dev got rc had has
	shift 3
	dev=$(findmnt -no SOURCE "$mnt")
	p=$(plan "$@" "$mnt" "$size")
	want=$(pj "$p" new_blocks)
	conv=$(pj "$p" meta_bg_conversion)
	"$E4CTL" resize -q "$@" "$mnt" "$size"
	rc=$?
	check "$name: e4ctl resize exit 0 (got $rc)" [ "$rc" -eq 0 ] || return 1
	got=$(blocks "$dev")
	check "$name: plan predicted $want blocks, the kernel has $got" [ "$got" = "$want" ]
	had=no has=no
	grep -qw meta_bg <<<"${FEAT0:-}" && had=yes
	grep -qw meta_bg <<<"$(features "$dev")" && has=yes
	if [[ $conv == true ]]; then
		check "$name: plan predicted meta_bg conversion, meta_bg: $has" [ $has = yes ]
	else
		check "$name: no meta_bg conversion predicted, meta_bg: $had -> $has" [ $has = $had ]
	fi
	say "$name: $(pj "$p" old_blocks) -> $got blocks (meta_bg conversion: $conv)"
}

run_case() {
	local n=$1 desc=$2 t0=$SECONDS rc
	cur=$n why='' skipped=''
	mkdir -p "$top/$n"
	cd "$top/$n" || return
	"case$n"
	rc=$?
	# A case that stopped early said why through check/setup; if not,
	# that is a failure too, never an "ok".
	if ((rc)) && [[ -z $why$skipped ]]; then
		why="stopped early (status $rc) without a recorded reason"
	fi
	if [[ -n $why ]]; then
		echo "not ok $n: $desc: $why"
	elif [[ -n $skipped ]]; then
		echo "skip $n: $desc: $skipped"
	else
		echo "ok $n: $desc"
	fi
	say "took $((SECONDS - t0)) s"
	# Leave nothing mounted for the next case.
	grep -q " $top/$n" /proc/mounts && umount -R "$top/$n"/* 2>/dev/null
	cd "$top" && rm -rf "${top:?}/$n"
}

case1() {	# one-shot 64 MiB -> 1 GiB
	local size
	mkfs_img a.img 64M 1G -t ext4 -b 4096 && mnt_img a.img m || return
	FEAT0=$(features a.img)
	grow_and_compare "one-shot" m 1G
	check "dumpe2fs: 262144 blocks of 4096" [ "$(blocks "$(findmnt -no SOURCE m)")" = 262144 ]
	# df counts blocks without the metadata overhead: close below 1 GiB.
	size=$(df -B1 --output=size m | tail -1)
	check "df size $size within 5% under 1 GiB" [ "$size" -le $((1 << 30)) ] &&
		check "df size $size within 5% under 1 GiB" [ "$size" -ge $(((1 << 30) * 95 / 100)) ]
	finish m a.img
	check "the image is 1 GiB of blocks" [ "$(blocks a.img)" = 262144 ]
}

case2() {	# stepped 1 GiB -> 16 GiB with progress
	local p steps out got
	mkfs_img a.img 1G 16G -t ext4 -b 4096 && mnt_img a.img m || return
	FEAT0=$(features a.img)
	p=$(plan --progress m 16G)
	steps=$(pj "$p" steps)
	check "planned several steps, got $steps" [ "$steps" -gt 1 ]
	out=$("$E4CTL" resize --progress m 16G 2>&1)
	check "stepped resize exit 0" [ $? -eq 0 ]
	say "$(tail -n 3 <<<"$out")"
	check "progress lines show groups" grep -q 'groups:.*blocks/s, ETA' <<<"$out"
	check "progress reached 128/128 groups" grep -q '16.0 GiB, 128/128 groups' <<<"$out"
	got=$(sed -n 's/.* in \([0-9]*\) steps$/\1/p' <<<"$out")
	check "ran $got steps, planned $steps" [ "$got" = "$steps" ]
	check "kernel has 16 GiB of blocks" [ "$(blocks "$(findmnt -no SOURCE m)")" = 4194304 ]
	finish m a.img
}

writer() {	# DIR MANIFEST STOPFILE: create, append, delete; record checksums
	local dir=$1 man=$2 stop=$3 i=0 tmp
	tmp=$(mktemp)
	mkdir -p "$dir"
	while [[ ! -e $stop ]]; do
		i=$((i + 1))
		head -c $((4096 + RANDOM * 3)) /dev/urandom >"$tmp"
		cat "$tmp" >"$dir/f$i"
		head -c $((RANDOM + 1)) /dev/urandom >>"$tmp"
		tail -c +$(($(stat -c %s "$dir/f$i") + 1)) "$tmp" >>"$dir/f$i"
		echo "$(sha256sum <"$tmp" | cut -d' ' -f1)  $dir/f$i" >>"$man"
		if ((i % 3 == 0)); then
			rm -f "$dir/f$((i - 2))"
			sed -i "\\#  $dir/f$((i - 2))\$#d" "$man"
		fi
	done
	rm -f "$tmp"
}

case3() {	# grow while 4 writers create, append and delete
	local pids=() w n bad rc
	mkfs_img a.img 256M 4G -t ext4 -b 4096 -G 1 && mnt_img a.img m || return
	FEAT0=$(features a.img)
	dmesg -C
	for w in 1 2 3 4; do
		writer "$PWD/m/w$w" "$PWD/man$w" "$PWD/stop" &
		pids+=($!)
	done
	sleep 1
	grow_and_compare "under 4 writers" m 4G --step 128M
	sleep 1
	touch stop
	wait "${pids[@]}"
	sync
	n=$(cat man? | wc -l)
	check "writers made files ($n survive)" [ "$n" -gt 8 ]
	cat man? >all.sum
	check "every surviving file's checksum matches (before remount)" sha256sum -c --quiet all.sum
	setup "umount m" umount m && mnt_img a.img m || return
	check "every surviving file's checksum matches (after remount)" sha256sum -c --quiet all.sum
	bad=$(dmesg | grep -E 'WARNING|BUG|EXT4-fs error' || true)
	check "kernel log clean: $bad" [ -z "$bad" ]
	finish m a.img
}

case4() {	# past the reserved GDT blocks: meta_bg conversion
	local p
	# 7 reserved GDT blocks: 8 descriptor blocks = 128 groups = 1 GiB.
	mkfs_img a.img 16M 2G -t ext4 -b 1024 -E resize=1000000 && mnt_img a.img m || return
	FEAT0=$(features a.img)
	p=$(plan m 2G)
	check "plan: reserved GDT blocks do not cover" [ "$(pj "$p" reserved_gdt_covers)" = false ]
	check "plan: meta_bg conversion" [ "$(pj "$p" meta_bg_conversion)" = true ]
	grow_and_compare "past reserved GDT" m 2G
	check "meta_bg set" grep -qw meta_bg <<<"$(features "$(findmnt -no SOURCE m)")"
	check "resize_inode gone" bash -c "! grep -qw resize_inode <<<'$(features "$(findmnt -no SOURCE m)")'"
	finish m a.img
}

case5() {	# 1k blocks; bigalloc; no flex_bg; 64bit and not; odd device sizes
	local spec name fs dev args
	# Small enough to keep the boot short under TCG, large enough to add
	# groups (and, for noresize-1k, a descriptor block).
	for spec in "1k|32M|512M|-b 1024" "bigalloc|128M|1G|-b 4096 -O bigalloc -C 65536" \
		    "noflex|64M|512M|-b 4096 -O ^flex_bg" "noflex-1k|16M|256M|-b 1024 -O ^flex_bg" \
		    "64bit|64M|1G|-b 4096 -O 64bit" "not64bit|64M|1G|-b 4096 -O ^64bit" \
		    "noresize|64M|512M|-b 4096 -O ^resize_inode" "noresize-1k|16M|256M|-b 1024 -O ^resize_inode"; do
		IFS='|' read -r name fs dev args <<<"$spec"
		# shellcheck disable=SC2086
		mkfs_img "$name.img" "$fs" "$dev" -t ext4 $args && mnt_img "$name.img" "$name" ||
			continue
		FEAT0=$(features "$name.img")
		grow_and_compare "$name" "$name" max
		finish "$name" "$name.img"
	done
	# bigalloc rounds down to a cluster and says so.
	mkfs_img b.img 128M 1G -t ext4 -b 4096 -O bigalloc -C 65536 && mnt_img b.img b || return
	FEAT0=$(features b.img)
	check "bigalloc: rounding announced" grep -q 'rounded down to 262128, a cluster boundary' \
		<<<"$("$E4CTL" resize -n b 262143)"
	grow_and_compare "bigalloc-rounded" b 262143
	finish b b.img
	trim_cases
}

field() { dumpe2fs -h "$1" 2>/dev/null | sed -n "s/^$2:[[:space:]]*//p"; }

# The smallest block count that keeps group G as the last group, by the
# kernel's rule (ext4_resize_fs): first block + OVERHEAD (superblock,
# descriptor and reserved GDT blocks) + 2 bitmaps + inode table + a
# cluster, plus one.
kernel_min() {	# IMG G OVERHEAD
	local first bpg itb
	first=$(field "$1" 'First block')
	bpg=$(field "$1" 'Blocks per group')
	itb=$(field "$1" 'Inode blocks per group')
	echo $((first + $2 * bpg + $3 + 2 + itb + 1 + 1))
}

group_start() {	# IMG G
	echo $(($(field "$1" 'First block') + $2 * $(field "$1" 'Blocks per group')))
}

# Devices that end inside a group, one block either side of the kernel's
# minimum for that last group: the kernel keeps the group or drops it,
# and the plan must say which.  1k blocks, 64bit: 16 descriptors a block.
trim_cases() {
	local spec name args post g ovh min want dev res n c cmds out
	# name|mke2fs args|debugfs commands after mkfs|last group|overhead
	# ("R" is the reserved GDT blocks): with resize_inode, group 25 (a
	# backup, starting a second descriptor block within the reserved
	# ones) counts today's one descriptor block; without, the growth
	# converts to meta_bg and group 25 holds no descriptor block; a
	# converted filesystem (s_first_meta_bg 1) keeps the old table in
	# the backups of meta group 0 (group 3).
	for spec in "rgdt|-O 64bit||25|R+2" "noresize|-O 64bit,^resize_inode||25|1" \
		    "metabg|-O 64bit,^resize_inode|feature meta_bg;ssv first_meta_bg 1|3|2"; do
		IFS='|' read -r name args post g ovh <<<"$spec"
		for n in 0 1; do
			# shellcheck disable=SC2086
			mkfs_img "$name$n.img" 16M 16M -t ext4 -b 1024 $args || return
			if [[ -n $post ]]; then
				IFS=';' read -ra cmds <<<"$post"
				for c in "${cmds[@]}"; do
					setup "debugfs -w -R '$c'" debugfs -w -R "$c" "$name$n.img" || return
				done
				setup "e2fsck -fn after debugfs" e2fsck -fn "$name$n.img" || return
			fi
			res=$(field "$name$n.img" 'Reserved GDT blocks')
			min=$(kernel_min "$name$n.img" "$g" $((${ovh/R/${res:-0}})))
			# n=0: a device of min blocks keeps group g; n=1: one less drops it.
			dev=$((min - n))
			want=$min
			((n)) && want=$(group_start "$name$n.img" "$g")
			setup "truncate -s $((dev * 1024))" truncate -s $((dev * 1024)) "$name$n.img" &&
				mnt_img "$name$n.img" "$name$n" || return
			FEAT0=$(features "$name$n.img")
			grow_and_compare "trim-$name, device $dev blocks" "$name$n" max
			check "trim-$name: $want blocks after growing onto a $dev-block device (got $(blocks "$name$n.img"))" \
				[ "$(blocks "$(findmnt -no SOURCE "$name$n")")" = "$want" ]
			finish "$name$n" "$name$n.img"
		done
	done
	# Ten blocks more than a full group: nothing to do, exit 0.
	mkfs_img t.img 128M $((32778 * 4096)) -t ext4 -b 4096 && mnt_img t.img t || return
	out=$("$E4CTL" resize t max 2>&1)
	check "10 blocks past the fs: exit 0 (got $?)" [ $? -eq 0 ]
	check "10 blocks past the fs: nothing to do" grep -qF "nothing to do: already 32768 blocks" <<<"$out"
	check "10 blocks past the fs: the note says why" grep -qF "a last group too small" <<<"$out"
	check "10 blocks past the fs: still 32768 blocks" [ "$(blocks "$(findmnt -no SOURCE t)")" = 32768 ]
	finish t t.img
}

case6() {	# SIGINT mid-way through a stepped grow
	local pid rc out n i
	mkfs_img a.img 1G 16G -t ext4 -b 4096 -G 1 && mnt_img a.img m || return
	"$E4CTL" resize -q --progress --step 128M m 16G >out 2>&1 &
	pid=$!
	for ((i = 0; i < 600; i++)); do
		grep -q 'groups:' out && break
		sleep 0.1
	done
	kill -INT "$pid"
	wait "$pid"
	rc=$?
	out=$(cat out)
	say "$(tail -n 2 <<<"$out")"
	check "exit 3 after SIGINT (got $rc)" [ "$rc" -eq 3 ]
	n=$(sed -n 's/.*interrupted; filesystem consistent at \([0-9]*\) blocks.*/\1/p' <<<"$out")
	check "reported the size reached" [ -n "$n" ]
	check "stopped mid-way ($n blocks)" [ "${n:-0}" -gt 262144 ] && check "stopped mid-way ($n blocks)" [ "$n" -lt 4194304 ]
	check "stopped on a group boundary" [ $((${n:-1} % 32768)) -eq 0 ]
	check "the kernel has the reported size" [ "$(blocks "$(findmnt -no SOURCE m)")" = "$n" ]
	finish m a.img
	check "the image has the reported size" [ "$(blocks a.img)" = "$n" ]
}

case7() {	# --legacy-ioctls
	local p
	mkfs_img a.img 100M 1G -t ext4 -b 4096 && mnt_img a.img m || return
	FEAT0=$(features a.img)
	p=$(plan --legacy-ioctls m 1G)
	check "plan says legacy" grep -q GROUP_ADD <<<"$(pj "$p" method)"
	grow_and_compare "legacy 4k" m 1G --legacy-ioctls
	finish m a.img
	mkfs_img c.img 20M 300M -t ext4 -b 1024 -O ^flex_bg && mnt_img c.img c || return
	FEAT0=$(features c.img)
	grow_and_compare "legacy 1k no flex_bg" c 300M --legacy-ioctls
	finish c c.img
	# Without sparse_super every group has a backup; GROUP_ADD works
	# within the descriptor block there is (16 groups of 1k, 64bit).
	mkfs_img n.img 16M 120M -t ext4 -b 1024 -O 64bit,^sparse_super,^resize_inode &&
		mnt_img n.img n || return
	FEAT0=$(features n.img)
	grow_and_compare "legacy 1k ^sparse_super" n 120M --legacy-ioctls
	finish n n.img
}

# refuse NAME MNT/TARGET IMG WANT_EXIT MESSAGE COMMAND...: COMMAND exits
# WANT_EXIT saying MESSAGE, and the filesystem's geometry (dumpe2fs -h:
# block and inode counts, reserved GDT blocks, features, ...) is as it was;
# the case's finish then runs e2fsck -fn.
refuse() {
	local name=$1 mnt=$2 img=$3 want=$4 msg=$5 out rc before dev
	shift 5
	dev=$(findmnt -no SOURCE "$mnt" 2>/dev/null || echo "$img")
	before=$(geometry "$dev")
	check "$name: dumpe2fs -h $dev before" [ -n "$before" ] || return
	out=$("$@" 2>&1)
	rc=$?
	say "$name: $(grep -m1 'e4ctl resize:' <<<"$out")"
	check "$name: exit $want (got $rc)" [ "$rc" -eq "$want" ]
	check "$name: message '$msg'" grep -qF "$msg" <<<"$out"
	check "$name: geometry untouched: $(diff <(echo "$before") <(geometry "$dev") | tr '\n' ' ')" \
		[ "$(geometry "$dev")" = "$before" ]
}

# Wait (at most 60 s) until PID sits in EXT4_IOC_RESIZE_FS: syscall 16
# (ioctl) with request 0x40086610 in /proc/PID/syscall.  That holds while
# the kernel blocks it (a frozen filesystem) and while strace holds it at
# the entry.
in_resize_ioctl() {	# PID
	local i
	for ((i = 0; i < 600; i++)); do
		grep -qE '^16 0x[0-9a-f]+ 0x40086610 ' "/proc/$1/syscall" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# parts FUNCTION...: a case's parts, each on its own filesystem; one
# that cannot set up (its reason recorded) does not keep the others from
# running.
parts() {
	local f rc
	for f; do
		"$f"
		rc=$?
		if ((rc)) && [[ -z $why ]]; then
			why="$f stopped early (status $rc) without a recorded reason"
		fi
	done
}

r_main() {	# capability, size, sysfs errors_count, loop size, EBUSY
	local pid fake dev
	mkfs_img a.img 64M 1G -t ext4 -b 4096 && mnt_img a.img m || return
	refuse "no CAP_SYS_RESOURCE" m a.img 1 "lacks CAP_SYS_RESOURCE" \
		setpriv --inh-caps=-sys_resource --bounding-set=-sys_resource "$E4CTL" resize -q m 1G
	refuse "shrink" m a.img 1 "ext4 cannot shrink while mounted" "$E4CTL" resize -q m 32M
	refuse "beyond the device" m a.img 1 "is only 1073741824 bytes" "$E4CTL" resize -q m 2G
	# errors_count in sysfs, read through --sysroot from a copy that says 3.
	dev=$(findmnt -no SOURCE m)
	fake=$PWD/sysroot
	mkdir -p "$fake/sys/fs/ext4/${dev##*/}" "$fake/sys/fs/ext4/features"
	echo 3 >"$fake/sys/fs/ext4/${dev##*/}/errors_count"
	: >"$fake/sys/fs/ext4/features/meta_bg_resize"
	# the sysroot's mountinfo is the one the plan reads (read-only, sb=)
	mkdir -p "$fake/proc/self" && cat /proc/self/mountinfo >"$fake/proc/self/mountinfo"
	refuse "errors_count in sysfs" m a.img 1 "has errors recorded (errors_count in /sys/fs/ext4)" \
		"$E4CTL" resize -n --sysroot "$fake" m 1G
	setup "truncate -s 2G a.img" truncate -s 2G a.img || return
	refuse "loop not refreshed" m a.img 1 "run 'losetup -c" "$E4CTL" resize -q m 2G
	# EBUSY: a frozen filesystem holds the first resize inside the
	# kernel, after it took the resize lock.
	setup "fsfreeze -f m" fsfreeze -f m || return
	"$E4CTL" resize -q m 512M >busy.out 2>&1 &
	pid=$!
	check "the first resize waits in EXT4_IOC_RESIZE_FS" in_resize_ioctl "$pid"
	refuse "another resize running" m a.img 1 "another resize or tune operation" "$E4CTL" resize -q m 1G
	fsfreeze -u m
	wait "$pid"
	check "the frozen resize completed after thaw" [ $? -eq 0 ]
	check "... to 512 MiB" [ "$(blocks "$(findmnt -no SOURCE m)")" = 131072 ]
	finish m a.img
}

r_readonly() {
	mkfs_img r.img 64M 1G -t ext4 -b 4096 && mnt_img r.img r ro || return
	refuse "read-only" r r.img 1 "mounted read-only; remount it read-write first" "$E4CTL" resize -q r 1G
	finish r r.img
}

r_errors() {	# set on disk before the mount
	mkfs_img e.img 64M 1G -t ext4 -b 4096 &&
		setup "debugfs: state 3 (errors)" debugfs -w -R 'ssv state 3' e.img &&
		mnt_img e.img e || return
	refuse "errors recorded" e e.img 1 "has errors recorded" "$E4CTL" resize -q e 1G
	finish_errors e e.img
}

r_kernel_errors() {	# recorded by the kernel itself, as on corruption
	mkfs_img k.img 64M 1G -t ext4 -b 4096 && mnt_img k.img k || return
	fs_error k || return
	# The plan sees it once the superblock update is written.
	check "trigger_fs_error: errors_count > 0 within 30 s" errors_counted k || return
	refuse "errors recorded by trigger_fs_error" k k.img 1 "has errors recorded" "$E4CTL" resize -q k 1G
	finish_errors k k.img
}

r_backup() {
	mkfs_img b.img 64M 1G -t ext4 -b 1024 && mnt_img b.img b sb=8193 || return
	refuse "backup superblock" b b.img 1 "mounted from the backup superblock" "$E4CTL" resize -q b 1G
	finish_errors b b.img
}

r_sparse_super2() {
	mkfs_img s.img 64M 1G -t ext4 -b 4096 -O sparse_super2 && mnt_img s.img s || return
	refuse "sparse_super2" s s.img 1 "does not resize sparse_super2" "$E4CTL" resize -q s 1G
	finish s s.img
}

r_bigalloc_legacy() {
	mkfs_img g.img 64M 1G -t ext4 -b 4096 -O bigalloc -C 65536 && mnt_img g.img g || return
	refuse "bigalloc legacy" g g.img 1 "do not support bigalloc" "$E4CTL" resize -q --legacy-ioctls g 1G
	finish g g.img
}

r_nonsparse_legacy() {
	# GROUP_ADD without sparse_super cannot start a descriptor block
	# (ext4_group_add checks that before the reserved GDT blocks).
	mkfs_img n.img 16M 256M -t ext4 -b 1024 -O 64bit,^sparse_super,^resize_inode &&
		mnt_img n.img n || return
	refuse "non-sparse legacy" n n.img 1 "Can't resize non-sparse filesystem further" \
		"$E4CTL" resize -q --legacy-ioctls n 256M
	finish n n.img
}

r_not_ext4() {
	local out rc
	out=$("$E4CTL" resize -q /dev/shm 1G 2>&1)
	rc=$?
	check "not ext4: exit 1 (got $rc)" [ "$rc" -eq 1 ]
	check "not ext4: says so" grep -qF "not ext2/3/4" <<<"$out"
}

case8() {	# every refusal explained, filesystem untouched
	parts r_main r_readonly r_errors r_kernel_errors r_backup r_sparse_super2 \
		r_bigalloc_legacy r_nonsparse_legacy r_not_ext4
}

# strace does not name ext4's ioctls: -X raw, and these numbers.
readonly IOC_RESIZE_FS=0x40086610 IOC_GROUP_ADD=0x40286608

# held NAME MNT ACTION -- E4CTL-ARGS...: run e4ctl under strace, which
# holds it for 20 s at the entry of its first ioctl on MNT (RESIZE_FS:
# the plan has passed by then), run ACTION meanwhile, then let the kernel
# answer.  Sets rc, out (e4ctl's output) and trace (strace's record).
held() {
	local name=$1 mnt=$2 action=$3 pid tracee i
	shift 4
	strace -qq -X raw -o "$name.trace" -P "$(realpath "$mnt")" -e trace=ioctl \
		-e inject=ioctl:delay_enter=20000000:when=1 "$E4CTL" "$@" >"$name.out" 2>&1 &
	pid=$!
	for ((i = 0; i < 300; i++)); do
		tracee=$(pgrep -P "$pid" -x e4ctl) && break
		sleep 0.1
	done
	check "$name: e4ctl started under strace" [ -n "$tracee" ] &&
		check "$name: e4ctl held at the entry of EXT4_IOC_RESIZE_FS" in_resize_ioctl "$tracee" &&
		check "$name: $action" "$action" &&
		check "$name: still held after $action (so the kernel sees the change)" \
			grep -qE '^16 0x[0-9a-f]+ 0x40086610 ' "/proc/$tracee/syscall"
	wait "$pid"
	rc=$?
	out=$(cat "$name.out")
	trace=$(cat "$name.trace")
	say "$name: $(grep -m1 'e4ctl resize:' <<<"$out")"
	check "$name: the kernel answered RESIZE_FS itself: $trace" \
		grep -qE "^ioctl\([0-9]+, $IOC_RESIZE_FS, .* = -1 E" <<<"$trace"
}

# The actions, each on the filesystem of the current part: image
# $K.img mounted on $K.
act_error() { fs_error "$K"; }
act_remount_ro() { mount -o remount,ro "$K"; }
act_shrink_device() { truncate -s 512M "$K.img" && losetup -c "$(findmnt -no SOURCE "$K")"; }
act_other_grow() { resize2fs "$(findmnt -no SOURCE "$K")" 768M >/dev/null 2>&1; }

# kfs NAME: a fresh 64 MiB 4k filesystem on a 1 GiB image NAME.img,
# mounted on NAME, as the current part's (K); before: its geometry.
kfs() {
	K=$1
	mkfs_img "$K.img" 64M 1G -t ext4 -b 4096 && mnt_img "$K.img" "$K" || return
	before=$(geometry "$(findmnt -no SOURCE "$K")")
}

k_eperm() {	# an error recorded after the plan
	local rc out trace before
	kfs eperm || return
	held eperm eperm act_error -- resize -q eperm 1G
	check "eperm: exit 1 (got $rc)" [ "$rc" -eq 1 ]
	check "eperm: says the filesystem has errors recorded" grep -qF "has errors recorded" <<<"$out"
	check "eperm: geometry untouched" [ "$(geometry "$(findmnt -no SOURCE eperm)")" = "$before" ]
	finish_errors eperm eperm.img
}

k_erofs() {	# remounted read-only after the plan
	local rc out trace before
	kfs erofs || return
	held erofs erofs act_remount_ro -- resize -q erofs 1G
	check "erofs: exit 1 (got $rc)" [ "$rc" -eq 1 ]
	check "erofs: says mounted read-only" grep -qF "is mounted read-only; remount it read-write first" <<<"$out"
	check "erofs: geometry untouched" [ "$(geometry "$(findmnt -no SOURCE erofs)")" = "$before" ]
	finish erofs erofs.img
}

k_enospc() {	# the device shrank below the target after the plan
	local rc out trace before
	kfs enospc || return
	held enospc enospc act_shrink_device -- resize -q enospc 1G
	check "enospc: exit 1 (got $rc)" [ "$rc" -eq 1 ]
	check "enospc: names the device's size now" grep -qF "the device is only 536870912 bytes" <<<"$out"
	check "enospc: geometry untouched" [ "$(geometry "$(findmnt -no SOURCE enospc)")" = "$before" ]
	finish enospc enospc.img
}

k_einval() {	# grown past the target by someone else: a shrink to the kernel
	local rc out trace before
	kfs einval || return
	held einval einval act_other_grow -- resize -q einval 512M
	check "einval: exit 1 (got $rc)" [ "$rc" -eq 1 ]
	check "einval: says someone else grew it" grep -qF "someone else grew it meanwhile" <<<"$out"
	check "einval: no part-way note (e4ctl grew nothing)" lacks "before that" "$out"
	check "einval: at resize2fs's 768 MiB, nothing more" [ "$(blocks "$(findmnt -no SOURCE einval)")" = 196608 ]
	finish einval einval.img
}

k_enotty_fallback() {	# RESIZE_FS answers ENOTTY (before 3.3): legacy ioctls
	local rc trace before
	kfs notty || return
	strace -qq -X raw -o notty.trace -P "$(realpath notty)" -e trace=ioctl \
		-e inject=ioctl:error=ENOTTY:when=1 "$E4CTL" resize -q notty 1G >notty.out 2>&1
	rc=$?
	trace=$(cat notty.trace)
	check "enotty fallback: exit 0 (got $rc: $(cat notty.out))" [ "$rc" -eq 0 ]
	check "enotty fallback: RESIZE_FS answered ENOTTY by injection: $trace" \
		grep -qE "$IOC_RESIZE_FS, .*ENOTTY.*INJECTED" <<<"$trace"
	check "enotty fallback: grown by GROUP_ADD" grep -qE "$IOC_GROUP_ADD, .* = 0" <<<"$trace"
	check "enotty fallback: 1 GiB of blocks" [ "$(blocks "$(findmnt -no SOURCE notty)")" = 262144 ]
	finish notty notty.img
}

k_enotty() {	# every resize ioctl answers ENOTTY: no online resize there
	local rc before
	kfs none || return
	strace -qq -X raw -o none.trace -P "$(realpath none)" -e trace=ioctl \
		-e inject=ioctl:error=ENOTTY:when=1+ "$E4CTL" resize -q none 1G >none.out 2>&1
	rc=$?
	check "enotty: exit 1 (got $rc)" [ "$rc" -eq 1 ]
	check "enotty: says the driver does not resize online" grep -qF "does not resize online (no GROUP_" none.out
	check "enotty: geometry untouched" [ "$(geometry "$(findmnt -no SOURCE none)")" = "$before" ]
	finish none none.img
}

case9() {	# the kernel's own refusals, explained (plan passed, situation changed)
	if ! command -v strace >/dev/null; then
		skipped="strace is not installed (scripts/deps)"
		return
	fi
	parts k_eperm k_erofs k_enospc k_einval k_enotty_fallback k_enotty
}

descs=(
	[1]="one-shot grow 64 MiB -> 1 GiB; df and dumpe2fs agree"
	[2]="stepped grow 1 GiB -> 16 GiB with progress, steps as planned"
	[3]="grow while 4 writers create, append and delete; checksums and kernel log"
	[4]="growth past the reserved GDT blocks converts to meta_bg as planned"
	[5]="1k blocks, bigalloc, no flex_bg, 64bit and not; devices that end inside a group"
	[6]="SIGINT mid-way: exit 3, consistent at the reported size"
	[7]="--legacy-ioctls grow"
	[8]="every refusal explained, filesystem untouched"
	[9]="the kernel's own refusals explained (EPERM, EROFS, ENOSPC, EINVAL, ENOTTY fallback)"
)
(($#)) || set -- 1 2 3 4 5 6 7 8 9
for c; do
	run_case "$c" "${descs[$c]}"
done
echo "resize cases done on $kernel"
