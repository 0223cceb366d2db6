#!/usr/bin/env bats
# e4ctl delalloc audit on loop mounts of this machine's kernel: the files
# holding delayed allocations against FIEMAP sizes and the kernel's own
# counter (read here straight from sysfs), --sync, bigalloc, PATHs, and
# a walk that neither follows symlinks nor leaves the filesystem.
#
# Data written without sync stays delayed until writeback; the kernel
# starts that after dirty_expire_centisecs (30 s by default), far longer
# than any of these tests takes from the write to the audit.

load ../lib

setup() {
	require_root
	IMG=$BATS_TEST_TMPDIR/fs.img
	MNT=$BATS_TEST_TMPDIR/mnt
}

teardown() {
	e4_teardown
}

# The kernel's counter for the filesystem mounted on $1, read directly.
sysfs_counter() {
	local dev
	dev=$(findmnt -no SOURCE "$1")
	cat "/sys/fs/ext4/$(basename "$dev")/delayed_allocation_blocks"
}

# fresh empty fs on $MNT with nothing dirty
fresh() {
	mkimg "$IMG" "${SIZE:-256M}" -t ext4 "$@"
	mount_img "$IMG" "$MNT"
	sync -f "$MNT"
}

# cachestat(2) came with Linux 6.5.
kernel_has_cachestat() {
	local v
	v=$(uname -r | grep -o '^[0-9]*\.[0-9]*')
	[[ $(printf '%s\n6.5\n' "$v" | sort -V | head -n1) == 6.5 ]]
}

audit_json() {
	"$E4CTL" delalloc audit --json "$@"
}

# Delayed data stays so only until writeback, which anything on this
# machine may start early: a sync(1) of every filesystem in another test,
# memory pressure.  audit_after MOUNT WANT WRITER [AUDIT_ARGS...] runs
# WRITER (which writes its files afresh), then `run e4ctl delalloc audit
# AUDIT_ARGS`.  When the kernel's counter for MOUNT, read here right before
# and right after the audit, is not WANT, writeback got in between and it
# starts again, three times at most: a counter that is never WANT fails.
audit_after() {
	local mnt=$1 want=$2 writer=$3 i before after
	shift 3
	for i in 1 2 3; do
		"$writer"
		before=$(sysfs_counter "$mnt")
		run "$E4CTL" delalloc audit "$@"
		after=$(sysfs_counter "$mnt")
		[[ $before == "$want" && $after == "$want" ]] && return 0
		echo "# attempt $i: counter $before before the audit, $after after, not $want"
		sync -f "$mnt"
	done
	return 1
}

@test "three files written without sync: exactly those, delalloc = size in blocks, sum = counter" {
	fresh -b 4096
	sync -f "$MNT"
	[[ $(sysfs_counter "$MNT") -eq 0 ]]
	mkdir "$MNT/dir"
	writer() {
		rm -f "$MNT/a" "$MNT/b" "$MNT/dir/c"
		dd if=/dev/urandom of="$MNT/a" bs=4096 count=5 status=none
		dd if=/dev/urandom of="$MNT/b" bs=4096 count=12 status=none
		dd if=/dev/urandom of="$MNT/dir/c" bs=1000 count=7 status=none	# 2 blocks
	}
	audit_after "$MNT" 19 writer --json -o +SIZE,RESERVED_BLOCKS "$MNT"
	[ "$status" -eq 0 ]
	json=$output

	[[ $(jq -r '.files | length' <<<"$json") -eq 3 ]]
	[[ $(jq -r '[.files[].path] | join(" ")' <<<"$json") == "$MNT/a $MNT/b $MNT/dir/c" ]]
	for f in a b dir/c; do
		want=$(( ($(stat -c %s "$MNT/$f") + 4095) / 4096 ))
		ino=$(stat -c %i "$MNT/$f")
		got=$(jq -r --arg p "$MNT/$f" '.files[] | select(.path == $p) | "\(.delalloc_blocks) \(.reserved_blocks) \(.inode)"' <<<"$json")
		[[ $got == "$want $want $ino" ]] || { echo "$f: $got, want $want $want $ino"; false; }
	done
	fs=$(jq -c '.filesystem[0]' <<<"$json")
	[[ $(jq -r .counter <<<"$fs") -eq 19 ]]
	[[ $(jq -r .file_sum <<<"$fs") -eq 19 ]]
	[[ $(jq -r .difference <<<"$fs") -eq 0 ]]
	[[ $(jq -r .stable <<<"$fs") == true ]]
	[[ $(jq -r .sysfs_name <<<"$fs") == "$(basename "$(findmnt -no SOURCE "$MNT")")" ]]
	[[ $(jq -r '.findings | length' <<<"$json") -eq 0 ]]
}

@test "dirty and writeback pages come from cachestat" {
	kernel_has_cachestat || skip "no cachestat(2) before Linux 6.5 (the next test covers it)"
	fresh -b 4096
	writer() {
		rm -f "$MNT/a"
		dd if=/dev/urandom of="$MNT/a" bs=4096 count=9 status=none
	}
	audit_after "$MNT" 9 writer --json "$MNT"
	[ "$status" -eq 0 ]
	[[ $(jq -r .filesystem[0].cachestat <<<"$output") == true ]]
	# 9 dirty 4 KiB pages, none under writeback yet
	[[ $(jq -r '.files[0] | "\(.dirty_pages) \(.writeback_pages)"' <<<"$output") == "9 0" ]]
}

@test "without cachestat(2) pages are n/a (null in JSON) and the audit still works" {
	kernel_has_cachestat && skip "this kernel has cachestat(2); tests/vm/delalloc.bats runs this on 6.1"
	fresh -b 4096
	writer() {
		rm -f "$MNT/a"
		dd if=/dev/urandom of="$MNT/a" bs=4096 count=3 status=none
	}
	audit_after "$MNT" 3 writer --json "$MNT"
	[ "$status" -eq 0 ]
	[[ $(jq -r .filesystem[0].cachestat <<<"$output") == false ]]
	[[ $(jq -c '.files[0] | [.delalloc_blocks, .dirty_pages, .writeback_pages]' <<<"$output") == "[3,null,null]" ]]
	[[ $(jq -r .filesystem[0].counter <<<"$output") -eq 3 ]]
	run "$E4CTL" delalloc audit "$MNT"
	[ "$status" -eq 0 ]
	[[ $(awk '{print $3, $4, $5}' <<<"${lines[1]}") == "3 n/a n/a" ]]
	run audit_json --sync "$MNT"
	[ "$status" -eq 0 ]
	[[ $(jq -r .filesystem[0].verdict <<<"$output") == consistent ]]
}

@test "--sync: everything allocated, all zero, consistent, exit 0" {
	fresh -b 4096
	writer() {
		for f in a b c; do
			rm -f "$MNT/$f"
			dd if=/dev/urandom of="$MNT/$f" bs=4096 count=4 status=none
		done
	}
	# without --sync they are there (so it is the sync that empties them)
	audit_after "$MNT" 12 writer --json "$MNT"
	[ "$status" -eq 0 ]
	[[ $(jq -r '.files | length' <<<"$output") -eq 3 ]]
	[[ $(jq -r .filesystem[0].verdict <<<"$output") == "not judged: not quiesced (use --sync or --freeze)" ]]

	run audit_json --sync "$MNT"
	[ "$status" -eq 0 ]
	json=$output
	[[ $(jq -r '.files | length' <<<"$json") -eq 0 ]]
	[[ $(jq -r '.filesystem[0] | "\(.counter) \(.file_sum) \(.difference) \(.quiesce)"' <<<"$json") == "0 0 0 sync" ]]
	[[ $(jq -r .filesystem[0].verdict <<<"$json") == consistent ]]
	[[ $(jq -r '.findings | length' <<<"$json") -eq 0 ]]
	[[ $(sysfs_counter "$MNT") -eq 0 ]]
	# and FIEMAP agrees: a's extents are allocated, none is delalloc
	run filefrag -v "$MNT/a"
	[ "$status" -eq 0 ]
	[[ $output == *" ext: "*"flags:"* && $output =~ [1-9][0-9]*\ extents?\ found ]]
	[[ $output != *delalloc* ]]
}

@test "bigalloc: delayed blocks per file, the counter in blocks of whole clusters" {
	fresh -b 4096 -O bigalloc -C 65536
	writer() {
		rm -f "$MNT/small" "$MNT/two" "$MNT/grow" "$MNT/small2"
		dd if=/dev/urandom of="$MNT/small" bs=4096 count=3 status=none	# 1 cluster
		dd if=/dev/urandom of="$MNT/two" bs=4096 count=20 status=none	# 2 clusters
		dd if=/dev/urandom of="$MNT/grow" bs=4096 count=17 status=none
		sync -f "$MNT"
		# grow: 17..26 share cluster 1 with allocated block 16 (nothing
		# to reserve), 40..49 need clusters 2 and 3
		dd if=/dev/urandom of="$MNT/grow" bs=4096 count=10 seek=17 conv=notrunc status=none
		dd if=/dev/urandom of="$MNT/grow" bs=4096 count=10 seek=40 conv=notrunc status=none
		dd if=/dev/urandom of="$MNT/small2" bs=4096 count=3 status=none
	}
	audit_after "$MNT" 48 writer --json -o +RESERVED_BLOCKS "$MNT"
	[ "$status" -eq 0 ]
	json=$output
	[[ $(jq -r .filesystem[0].cluster_size <<<"$json") -eq 65536 ]]
	got=$(jq -r '[.files[] | "\(.path | sub(".*/"; "")):\(.delalloc_blocks):\(.reserved_blocks)"] | join(" ")' <<<"$json")
	[[ $got == "grow:20:32 small2:3:16" ]] || { echo "$got"; false; }
	[[ $(jq -r .filesystem[0].counter <<<"$json") -eq 48 ]]
	[[ $(jq -r .filesystem[0].file_sum <<<"$json") -eq 48 ]]
	[[ $(jq -r .filesystem[0].delalloc_sum <<<"$json") -eq 23 ]]
	run audit_json --sync "$MNT"
	[ "$status" -eq 0 ]
	[[ $(jq -r '.filesystem[0] | "\(.counter) \(.file_sum) \(.verdict)"' <<<"$output") == "0 0 consistent" ]]
}

@test "1 KiB blocks: block counts are in filesystem blocks, pages in 4 KiB pages" {
	fresh -b 1024
	writer() {
		rm -f "$MNT/a"
		dd if=/dev/urandom of="$MNT/a" bs=1024 count=10 status=none
	}
	audit_after "$MNT" 10 writer --json "$MNT"
	[ "$status" -eq 0 ]
	pages=3
	kernel_has_cachestat || pages=null
	[[ $(jq -r '.files[0] | "\(.delalloc_blocks) \(.dirty_pages)"' <<<"$output") == "10 $pages" ]]
	[[ $(jq -r .filesystem[0].counter <<<"$output") -eq 10 ]]
}

@test "the walk follows no symlink and stays on the filesystem" {
	fresh -b 4096
	mkimg "$BATS_TEST_TMPDIR/other.img" 64M -t ext4 -b 4096
	mkdir "$MNT/sub"
	mount_img "$BATS_TEST_TMPDIR/other.img" "$MNT/sub"
	sync -f "$MNT/sub"
	ln -s sub/elsewhere "$MNT/link"
	ln -s sub "$MNT/dirlink"
	elsewhere() {
		rm -f "$MNT/sub/elsewhere"
		dd if=/dev/urandom of="$MNT/sub/elsewhere" bs=4096 count=4 status=none
	}
	mine() {
		rm -f "$MNT/mine"
		dd if=/dev/urandom of="$MNT/mine" bs=4096 count=2 status=none
	}
	elsewhere
	audit_after "$MNT" 2 mine --json --all -o +RESERVED_BLOCKS "$MNT"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $(jq -r '[.files[].path] | join(" ")' <<<"$output") == "$MNT/mine" ]]
	[[ $(jq -r .filesystem[0].file_sum <<<"$output") -eq 2 ]]
	# and the other filesystem has its own audit
	audit_after "$MNT/sub" 4 elsewhere --json "$MNT/sub"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $(jq -r '[.files[].path] | join(" ")' <<<"$output") == "$MNT/sub/elsewhere" ]]
}

@test "PATHs: only those are audited, and no verdict on the whole" {
	fresh -b 4096
	mkdir "$MNT/d"
	for f in a d/b d/c; do
		dd if=/dev/urandom of="$MNT/$f" bs=4096 count=3 status=none
	done
	run audit_json --sync "$MNT" "$MNT/d"
	[ "$status" -eq 0 ]
	[[ $(jq -r .filesystem[0].verdict <<<"$output") == "not judged: only the PATHs given were walked" ]]
	# new files: rewriting one through O_TRUNC makes ext4 (auto_da_alloc)
	# start its writeback on close
	writer() {
		rm -f "$MNT/d/b2" "$MNT/a2"
		dd if=/dev/urandom of="$MNT/d/b2" bs=4096 count=3 status=none
		dd if=/dev/urandom of="$MNT/a2" bs=4096 count=3 status=none
	}
	audit_after "$MNT" 6 writer --json "$MNT" "$MNT/d/b2"
	[ "$status" -eq 0 ]
	[[ $(jq -r '[.files[].path] | join(" ")' <<<"$output") == "$MNT/d/b2" ]]
	[[ $(jq -r .filesystem[0].files_scanned <<<"$output") -eq 1 ]]
}

@test "a bind mount of a subdirectory is audited but not judged as the whole" {
	fresh -b 4096
	mkdir "$MNT/d" "$BATS_TEST_TMPDIR/bind"
	dd if=/dev/urandom of="$MNT/d/x" bs=4096 count=2 status=none
	mount --bind "$MNT/d" "$BATS_TEST_TMPDIR/bind"
	E4_MOUNTS+=("$BATS_TEST_TMPDIR/bind")
	run audit_json --sync "$BATS_TEST_TMPDIR/bind"
	[ "$status" -eq 0 ]
	[[ $(jq -r .filesystem[0].mountpoint <<<"$output") == "$BATS_TEST_TMPDIR/bind" ]]
	[[ $(jq -r .filesystem[0].verdict <<<"$output") == "not judged: $BATS_TEST_TMPDIR/bind shows only a subdirectory of the filesystem" ]]
}

@test "a PATH on another filesystem is refused, exit 8" {
	fresh -b 4096
	run "$E4CTL" delalloc audit "$MNT" /proc/self/status
	[ "$status" -eq 8 ]
	[[ $output == "e4ctl delalloc audit: /proc/self/status: not on the filesystem mounted on $MNT" ]]
}

@test "an unmounted image is refused, exit 8" {
	mkimg "$IMG" 64M -t ext4
	run "$E4CTL" delalloc audit "$IMG"
	[ "$status" -eq 8 ]
	[[ $output == *"$IMG: not mounted; delayed allocation exists only on a mounted filesystem" ]]
}

@test "usage errors exit 16" {
	run "$E4CTL" delalloc audit
	[ "$status" -eq 16 ]
	run "$E4CTL" delalloc audit --sync --freeze /
	[ "$status" -eq 16 ]
	[[ $output == *"--sync and --freeze exclude each other"* ]]
	run "$E4CTL" delalloc audit --samples 0 /
	[ "$status" -eq 16 ]
	run "$E4CTL" delalloc audit -o NOPE /
	[ "$status" -eq 16 ]
	[[ $output == *"unknown column: NOPE"* ]]
}

@test "human output: the table, the summary, and the findings as sentences" {
	fresh -b 4096
	writer() {
		rm -f "$MNT/a"
		dd if=/dev/urandom of="$MNT/a" bs=4096 count=2 status=none
	}
	audit_after "$MNT" 2 writer "$MNT"
	[ "$status" -eq 0 ]
	[[ ${lines[0]} =~ ^PATH\ +INODE\ +DELALLOC_BLOCKS\ +DIRTY_PAGES\ +WRITEBACK_PAGES$ ]]
	[[ ${lines[1]} == "$MNT/a "* ]]
	pages="2 0"
	kernel_has_cachestat || pages="n/a n/a"
	[[ $(awk '{print $3, $4, $5}' <<<"${lines[1]}") == "2 $pages" ]]
	[[ $output == *"Delayed allocation blocks:"*" 2"* ]]
	run "$E4CTL" delalloc audit --list-columns
	[ "$status" -eq 0 ]
	[[ $output == *DELALLOC_BLOCKS* && $output == *WRITEBACK_PAGES* ]]
}
