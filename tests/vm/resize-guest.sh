#!/bin/bash
# Runs inside the VM (tests/vm/resize.bats): the eight online-resize cases
# of issue 4 in one boot.  Each case prints "ok N: ..." or "not ok N: why"
# and goes on with the next, so one boot answers every assertion.  Every
# case ends with an unmount and `e2fsck -fn` exit 0, and compares what
# the plan predicted (block count, meta_bg conversion) with what the
# kernel did.
#
#   resize-guest.sh [CASE...]     default: all of 1..8
set -uo pipefail

E4CTL=${E4CTL:?}
top=$(mktemp -d "${E4_SCRATCH:-/tmp}/resize.XXXXXX")
kernel=$(uname -r)
cur=
why=

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

mkfs_img() {	# IMG FS_BYTES DEV_BYTES MKE2FS_ARGS...
	local img=$1 fs=$2 dev=$3
	shift 3
	rm -f "$img"
	truncate -s "$fs" "$img"
	mke2fs -q -F "$@" "$img" >/dev/null || return 1
	truncate -s "$dev" "$img"
}

mnt_img() {	# IMG MNT [OPTS]
	mkdir -p "$2"
	mount -o "loop${3:+,$3}" "$1" "$2"
}

blocks() { dumpe2fs -h "$1" 2>/dev/null | sed -n 's/^Block count:[[:space:]]*//p'; }
features() { dumpe2fs -h "$1" 2>/dev/null | sed -n 's/^Filesystem features:[[:space:]]*//p'; }
plan() { "$E4CTL" resize -n --json "$@" 2>/dev/null; }
pj() { jq -r ".$2" <<<"$1"; }

# umount + e2fsck -fn, the end of every case.
finish() {	# MNT IMG
	umount "$1" || { check "umount $1" false; return; }
	check "e2fsck -fn $2 exit 0" e2fsck -fn "$2" >/dev/null 2>&1
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
	local n=$1 desc=$2 t0=$SECONDS
	cur=$n why=
	mkdir -p "$top/$n"
	cd "$top/$n" || return
	"case$n"
	if [[ -z $why ]]; then
		echo "ok $n: $desc"
	else
		echo "not ok $n: $desc: $why"
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
	umount m && mnt_img a.img m
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

case5() {	# 1k blocks; bigalloc; no flex_bg; 64bit and not
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
			{ check "$name: mkfs/mount" false; continue; }
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
}

# refuse NAME MNT/TARGET IMG WANT_EXIT MESSAGE [env/cmd prefix...] -- ARGS
refuse() {
	local name=$1 mnt=$2 img=$3 want=$4 msg=$5 out rc before dev
	shift 5
	dev=$(findmnt -no SOURCE "$mnt" 2>/dev/null || echo "$img")
	before=$(blocks "$dev")
	out=$("$@" 2>&1)
	rc=$?
	say "$name: $(grep -m1 'e4ctl resize:' <<<"$out")"
	check "$name: exit $want (got $rc)" [ "$rc" -eq "$want" ]
	check "$name: message '$msg'" grep -qF "$msg" <<<"$out"
	check "$name: block count untouched" [ "$(blocks "$dev")" = "$before" ]
}

case8() {	# every refusal explained, filesystem untouched
	local pid out
	mkfs_img a.img 64M 1G -t ext4 -b 4096 && mnt_img a.img m || return
	refuse "no CAP_SYS_RESOURCE" m a.img 1 "lacks CAP_SYS_RESOURCE" \
		setpriv --inh-caps=-sys_resource --bounding-set=-sys_resource "$E4CTL" resize -q m 1G
	refuse "shrink" m a.img 1 "cannot shrink a mounted filesystem" "$E4CTL" resize -q m 32M
	refuse "beyond the device" m a.img 1 "is only 1073741824 bytes" "$E4CTL" resize -q m 2G
	truncate -s 2G a.img
	refuse "loop not refreshed" m a.img 1 "run 'losetup -c" "$E4CTL" resize -q m 2G
	# EBUSY: a frozen filesystem holds the first resize inside the
	# kernel, after it took the resize lock.
	fsfreeze -f m
	"$E4CTL" resize -q m 512M >busy.out 2>&1 &
	pid=$!
	sleep 2
	refuse "another resize running" m a.img 1 "another resize or tune operation" "$E4CTL" resize -q m 1G
	fsfreeze -u m
	wait "$pid"
	check "the frozen resize completed after thaw" [ $? -eq 0 ]
	check "... to 512 MiB" [ "$(blocks "$(findmnt -no SOURCE m)")" = 131072 ]
	finish m a.img

	mkfs_img r.img 64M 1G -t ext4 -b 4096 && mnt_img r.img r ro || return
	refuse "read-only" r r.img 1 "mounted read-only; remount it read-write first" "$E4CTL" resize -q r 1G
	finish r r.img

	mkfs_img e.img 64M 1G -t ext4 -b 4096 && debugfs -w -R 'ssv state 3' e.img >/dev/null 2>&1 &&
		mnt_img e.img e || return
	refuse "errors recorded" e e.img 1 "has errors recorded" "$E4CTL" resize -q e 1G
	umount e
	e2fsck -fy e.img >/dev/null 2>&1
	check "e2fsck -fn after clearing the error" e2fsck -fn e.img >/dev/null 2>&1

	mkfs_img b.img 64M 1G -t ext4 -b 1024 && mnt_img b.img b sb=8193 || return
	refuse "backup superblock" b b.img 1 "mounted from the backup superblock" "$E4CTL" resize -q b 1G
	umount b
	e2fsck -fy b.img >/dev/null 2>&1
	check "e2fsck -fn after the backup-superblock mount" e2fsck -fn b.img >/dev/null 2>&1

	mkfs_img s.img 64M 1G -t ext4 -b 4096 -O sparse_super2 && mnt_img s.img s || return
	refuse "sparse_super2" s s.img 1 "does not resize sparse_super2" "$E4CTL" resize -q s 1G
	finish s s.img

	mkfs_img g.img 64M 1G -t ext4 -b 4096 -O bigalloc -C 65536 && mnt_img g.img g || return
	refuse "bigalloc legacy" g g.img 1 "do not support bigalloc" "$E4CTL" resize -q --legacy-ioctls g 1G
	finish g g.img

	out=$("$E4CTL" resize -q /dev/shm 1G 2>&1)
	check "not ext4: exit 1 (got $?)" [ $? -eq 1 ]
	check "not ext4: says so" grep -qF "not ext2/3/4" <<<"$out"
}

descs=(
	[1]="one-shot grow 64 MiB -> 1 GiB; df and dumpe2fs agree"
	[2]="stepped grow 1 GiB -> 16 GiB with progress, steps as planned"
	[3]="grow while 4 writers create, append and delete; checksums and kernel log"
	[4]="growth past the reserved GDT blocks converts to meta_bg as planned"
	[5]="1k blocks, bigalloc, no flex_bg, 64bit and not"
	[6]="SIGINT mid-way: exit 3, consistent at the reported size"
	[7]="--legacy-ioctls grow"
	[8]="every refusal explained, filesystem untouched"
)
(($#)) || set -- 1 2 3 4 5 6 7 8
for c; do
	run_case "$c" "${descs[$c]}"
done
echo "resize cases done on $kernel"
