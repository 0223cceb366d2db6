#!/bin/bash
# Runs inside the VM for tests/vm/wb.bats (one boot per kernel): drives
# e4ctl wb through a scenario on a loop-mounted ext4 with two cgroups that
# dirty known amounts, and prints what the bats file asserts on, one fact
# per line:
#   @@ino NAME N        inode number of cgroup directory NAME
#   @@TAG {json}        e4ctl output (compact), TAG names the step
#   @@event {json}      an inode_switch_wbs event that the watch printed
#   @@events_none WHY   the watch printed no inode_switch_wbs event
#   @@mounts N          debugfs/tracefs mounts left in the guest's namespace
#   @@instances LIST    tracefs instances left after the watch
#   @@watch_rc N        exit status of the watch after SIGTERM
#   @@watch_stderr L    each line the watch wrote to stderr
#   @@part_* @@dm_*     the bdi of a loop partition and of a dm device
# The guest starts without debugfs and tracefs, so every e4ctl run here
# mounts them in a private namespace of its own.
set -euo pipefail

E4CTL=${E4CTL:?}
series=${1:?kernel series}
CG=/sys/fs/cgroup
dir=$(mktemp -d "${E4_SCRATCH:-/tmp}/wb.XXXXXX")
mnt=$dir/mnt

show() { # TAG [options]: one compact JSON line
	local tag=$1
	shift
	echo "@@$tag $("$E4CTL" wb show --json "$@" "$mnt" | jq -c .)"
}

# dirty NAME MiB: write MiB from inside cgroup NAME, without any sync.
dirty() {
	sh -c "echo \$\$ >$CG/$1/cgroup.procs && exec dd if=/dev/zero of=$mnt/$1 bs=1M count=$2 status=none"
}

debug_mounts() {
	awk '{ for (i = 7; $i != "-"; i++) ; if ($(i + 1) == "debugfs" || $(i + 1) == "tracefs") n++ } END { print n + 0 }' /proc/self/mountinfo
}

# No periodic or age-based flushing while the figures are read, and
# thresholds far above the 56 MiB dirtied here, so that nothing is written
# before the sync: each cgroup's DIRTY (+ WRITEBACK) is what it wrote.
echo 0 >/proc/sys/vm/dirty_writeback_centisecs
echo 360000 >/proc/sys/vm/dirty_expire_centisecs
echo 80 >/proc/sys/vm/dirty_ratio
echo 50 >/proc/sys/vm/dirty_background_ratio

truncate -s 512M "$dir/img"
mke2fs -q -F -t ext4 "$dir/img"
mkdir "$mnt"
mount -o loop "$dir/img" "$mnt"
echo "@@mounts_before $(debug_mounts)"

mkdir "$CG/a" "$CG/b"
echo "@@ino a $(stat -c %i "$CG/a")"
echo "@@ino b $(stat -c %i "$CG/b")"
dirty a 16
dirty b 32
show dirty -o +ino
sync
show synced -o +ino

# Devices whose bdi is not simply theirs: a partition writes through its
# disk's bdi (a loop partition even has an extended dev_t), a device-mapper
# device through its own.
img=$dir/part.img
truncate -s 64M "$img"
# one MBR partition of type 83 from sector 2048 to the end
printf '\x00\x00\x00\x00\x83\x00\x00\x00\x00\x08\x00\x00\x00\xf8\x01\x00' |
	dd of="$img" bs=1 seek=446 conv=notrunc status=none
printf '\x55\xaa' | dd of="$img" bs=1 seek=510 conv=notrunc status=none
loop=$(losetup -P -f --show "$img")
for _ in $(seq 50); do
	[[ -b ${loop}p1 ]] && break
	sleep 0.1
done
if [[ -b ${loop}p1 ]]; then
	mke2fs -q -F -t ext4 "${loop}p1"
	mkdir "$dir/part"
	mount "${loop}p1" "$dir/part"
	echo "@@part_disk $(cat "/sys/block/${loop#/dev/}/dev") ${loop#/dev/}"
	echo "@@part_dev $(cat "/sys/class/block/${loop#/dev/}p1/dev")"
	echo "@@part $("$E4CTL" wb show --json "$dir/part" | jq -c .)"
	umount "$dir/part"
else
	echo "@@part_none the kernel made no ${loop}p1"
fi
# No udev in the guest: the node is devtmpfs's /dev/dm-N.
if modprobe dm_mod 2>/dev/null &&
	dmsetup create --noudevsync e4wb --table "0 131072 linear $loop 0"; then
	dm=$(dmsetup info -c --noheadings -o blkdevname e4wb)
	mke2fs -q -F -t ext4 "/dev/$dm"
	mkdir "$dir/dm"
	mount "/dev/$dm" "$dir/dm"
	echo "@@dm_dev $(cat "/sys/block/$dm/dev")"
	echo "@@dm $("$E4CTL" wb show --json "$dir/dm" | jq -c .)"
	umount "$dir/dm"
	dmsetup remove --noudevsync e4wb
else
	echo "@@dm_none device-mapper unavailable in the guest"
fi
losetup -d "$loop"

if [[ $series == 6.1 ]]; then
	echo "@@mounts $(debug_mounts)"
	exit 0
fi

# A cgroup removed while its dirty inodes are attached to its context.
mkdir "$CG/c"
echo "@@ino c $(stat -c %i "$CG/c")"
dirty c 8
rmdir "$CG/c"
show dying -o +ino,dying_descendants

# The kernel switches a dead cgroup's inodes to its parent once the
# context is clean, when it next cleans up offline contexts (another
# cgroup going offline triggers that).  Watch for it with the events.
"$E4CTL" wb watch --events --json --interval 0.5 "$mnt" >"$dir/ev" 2>"$dir/ev.err" &
watch=$!
for _ in $(seq 100); do
	[[ -s $dir/ev ]] && break
	sleep 0.2
done
echo "@@watch_mounts $(awk '{ for (i = 7; $i != "-"; i++) ; if ($(i + 1) == "debugfs" || $(i + 1) == "tracefs") n++ } END { print n + 0 }' "/proc/$watch/mountinfo")"
# The dying context goes once its last inode is switched (the event) and
# the context is released (RCU, a work item): bounded wait.  The cleanup
# runs when another cgroup goes offline and skips inodes still dirty or
# under writeback, so each round syncs and takes one more cgroup offline.
for i in $(seq 120); do
	sync
	mkdir "$CG/d$i"
	rmdir "$CG/d$i"
	sleep 0.5
	"$E4CTL" wb show --json "$mnt" | jq -e '[.contexts[].cgroup | select(startswith("(dying)"))] | length == 0' >/dev/null && break
done
show switched -o +ino,dying_descendants
# Two more frames of the watch, so that it has read every event up to now
# (it drains the buffer once a frame; SIGTERM drops what came since).
frames=$(wc -l <"$dir/ev")
for _ in $(seq 40); do
	(($(wc -l <"$dir/ev") >= frames + 2)) && break
	sleep 0.25
done
kill -TERM "$watch"
rc=0
wait "$watch" || rc=$?
echo "@@watch_rc $rc"
# (no pipe into grep -q here: pipefail would count jq's SIGPIPE)
events=$(jq -c '.events[] | select(.event == "inode_switch_wbs")' "$dir/ev" 2>"$dir/jq.err") ||
	echo "@@watch_stderr not JSON: $(cat "$dir/jq.err")"
if [[ -n $events ]]; then
	sed 's/^/@@event /' <<<"$events"
else
	echo "@@events_none no inode_switch_wbs in $(wc -l <"$dir/ev") frames of the watch"
fi
sed 's/^/@@watch_stderr /' "$dir/ev.err"
echo "@@mounts $(debug_mounts)"
echo "@@instances $(unshare -m --propagation private sh -c 'mount -t tracefs none /sys/kernel/tracing && ls /sys/kernel/tracing/instances' | tr '\n' ' ')"
