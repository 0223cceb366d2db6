#!/bin/bash
# Runs inside the VM (tests/vm/delalloc.bats): e4ctl delalloc audit on
# loop-mounted ext4 of the running kernel, checked against that kernel's
# own counter.  Prints one line per check and a summary; exits 1 at the
# first disagreement.
#
# In these guests writeback comes within seconds of a write (the host's
# kernel keeps the same data delayed for 30 s), and TCG makes every step
# slow, so a check that needs data still delayed writes and audits at
# once, and runs again (three times at most) when the kernel's counter
# moved under it: the audit's own samples disagree, or the counter read
# right after the audit is not the one the audit saw.  A real disagreement
# fails all three.
set -euo pipefail

E4CTL=${E4CTL:?}
dir=$(mktemp -d "${E4_SCRATCH:-/tmp}/delalloc.XXXXXX")
series=$(uname -r | grep -o '^[0-9]*\.[0-9]*')
mounts=()
trap 'for m in "${mounts[@]}"; do umount "$m" 2>/dev/null || true; done' EXIT

say() { echo "$*"; }
no() { echo "  retry: $*"; return 1; }
fail() { echo "FAIL: $*" >&2; exit 1; }

# cachestat(2) came with Linux 6.5.
if [[ $(printf '%s\n6.5\n' "$series" | sort -V | head -n1) == 6.5 ]]; then
	cachestat=true
else
	cachestat=false
fi

# fs NAME MKE2FS_ARGS...: a fresh loop mount on $dir/NAME; sets mnt, ctr.
fs() {
	local name=$1
	shift
	truncate -s 256M "$dir/$name.img"
	mke2fs -q -F -t ext4 "$@" "$dir/$name.img"
	mnt=$dir/$name
	mkdir -p "$mnt"
	mount -o loop "$dir/$name.img" "$mnt"
	mounts+=("$mnt")
	ctr=/sys/fs/ext4/$(basename "$(findmnt -no SOURCE "$mnt")")/delayed_allocation_blocks
	[[ -r $ctr ]] || fail "$name: no $ctr"
}

j() { jq -r "$1" <<<"$json"; }

# Audit $mnt now; no (return 1) when the counter moved meanwhile.
audit_now() {
	local after
	json=$("$E4CTL" delalloc audit --json "$@" "$mnt")
	after=$(cat "$ctr")
	[[ $(j .filesystem[0].stable) == true ]] || { no "counter moved during the audit"; return 1; }
	[[ $(j .filesystem[0].counter) == "$after" ]] || { no "counter $(j .filesystem[0].counter) then $after"; return 1; }
}

three_files() {
	rm -f "$mnt"/a "$mnt"/b "$mnt"/c
	sync -f "$mnt"
	dd if=/dev/urandom of="$mnt/a" bs=4096 count=5 status=none
	dd if=/dev/urandom of="$mnt/b" bs=4096 count=12 status=none
	dd if=/dev/urandom of="$mnt/c" bs=1000 count=7 status=none
	# both forms at once, before TCG-slow checks give writeback its time
	human=$("$E4CTL" delalloc audit --samples 1 "$mnt")
	audit_now --samples 1 -o +RESERVED_BLOCKS || return 1
	[[ $(j .filesystem[0].counter) == 19 ]] || { no "counter $(j .filesystem[0].counter), not 19"; return 1; }
	[[ $(j '[.files[] | "\(.path | sub(".*/"; "")):\(.delalloc_blocks):\(.reserved_blocks)"] | join(" ")') == "a:5:5 b:12:12 c:2:2" ]] ||
		fail "files: $(j '.files')"
	[[ $(j .filesystem[0].file_sum) == 19 ]] || fail "file_sum $(j .filesystem[0].file_sum)"
	[[ $(j .filesystem[0].sysfs_name) == "$(basename "$(findmnt -no SOURCE "$mnt")")" ]] ||
		fail "sysfs name $(j .filesystem[0].sysfs_name)"
	[[ $(j .filesystem[0].cachestat) == "$cachestat" ]] || fail "cachestat $(j .filesystem[0].cachestat)"
	if [[ $cachestat == true ]]; then
		[[ $(j '.files[0].dirty_pages') -ge 1 ]] || { no "no dirty pages left"; return 1; }
	else
		[[ $(j '[.files[] | .dirty_pages, .writeback_pages] | unique | join(",")') == "" ]] ||
			fail "pages without cachestat: $(j '.files')"
		line=$(awk '$1 ~ /\/a$/' <<<"$human")
		[[ -n $line ]] || { no "a written back before the human audit"; return 1; }
		[[ $(awk '{print $4, $5}' <<<"$line") == "n/a n/a" ]] || fail "human output: $line"
	fi
}

bigalloc_files() {
	rm -f "$mnt"/small "$mnt"/two
	sync -f "$mnt"
	dd if=/dev/urandom of="$mnt/small" bs=4096 count=3 status=none
	dd if=/dev/urandom of="$mnt/two" bs=4096 count=20 status=none
	audit_now -o +RESERVED_BLOCKS || return 1
	[[ $(j .filesystem[0].counter) == 48 ]] || { no "counter $(j .filesystem[0].counter), not 48"; return 1; }
	[[ $(j '.filesystem[0] | "\(.cluster_size) \(.file_sum) \(.delalloc_sum)"') == "65536 48 23" ]] ||
		fail "bigalloc: $(j '.filesystem[0]')"
}

try() {
	local i
	for i in 1 2 3; do
		"$@" && return 0
	done
	fail "$1: the counter kept moving, or disagreed three times"
}

fs plain -b 4096
try three_files
say "three files: delalloc blocks as sizes, sum = counter, cachestat=$cachestat"

json=$("$E4CTL" delalloc audit --sync --json "$mnt")
[[ $(j '.filesystem[0] | "\(.counter) \(.file_sum) \(.verdict)"') == "0 0 consistent" ]] ||
	fail "--sync: $(j '.filesystem[0]')"
say "--sync: all zero, consistent"

dd if=/dev/urandom of="$mnt/d" bs=4096 count=6 status=none
json=$("$E4CTL" delalloc audit --freeze --json "$mnt")
[[ $(j '.filesystem[0] | "\(.quiesce) \(.counter) \(.verdict) \(.disk_free - .statfs_free)"') == "freeze 0 consistent 0" ]] ||
	fail "--freeze: $(j '.filesystem[0]')"
say "--freeze: consistent, on-disk free = statfs free"

hold=$dir/frozen
E4_TEST_FROZEN_FILE=$hold "$E4CTL" delalloc audit --freeze --freeze-timeout 600000 "$mnt" \
	>/dev/null 2>"$dir/err" &
pid=$!
for ((i = 0; i < 3000; i++)); do
	[[ -e $hold ]] && break
	sleep 0.05
done
[[ -e $hold ]] || fail "never frozen: $(cat "$dir/err")"
fsfreeze --freeze "$mnt" 2>/dev/null && fail "not frozen while held"
kill -TERM "$pid"
st=0
wait "$pid" || st=$?
[[ $st -eq 8 ]] || fail "SIGTERM: exit $st"
timeout 120 dd if=/dev/zero of="$mnt/after" bs=4096 count=4 conv=fsync status=none ||
	fail "write after SIGTERM"
say "--freeze: SIGTERM thaws, exit 8"

fs big -b 4096 -O bigalloc -C 65536
try bigalloc_files
say "bigalloc: counter in blocks of whole clusters (48), sum matches"

say "delalloc audit verified on $series."
