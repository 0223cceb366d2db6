#!/usr/bin/env bats
# Offline shrink of extent-mapped files whose moved blocks split their
# extents: the plan counts the extent tree blocks remapping allocates
# (EXTENT_BLOCKS) and keeps them free, so a shrink to the printed
# minimum completes; one block less is refused with the reason and the
# image unchanged.  Every shrink runs with E4_TEST_SHRINK_STRICT=1
# (shrink.bash): one extent tree block the plan did not count fails it,
# and the mover's count of allocated blocks is compared with the plan's.
bats_require_minimum_version 1.5.0
load shrink

setup() {
	shrink_setup
	[[ $SHRINKER == e4ctl ]] || skip "e4ctl's plan (EXTENT_BLOCKS)"
	IMG=$BATS_TEST_TMPDIR/fs.img
	WANT=$BATS_TEST_TMPDIR/manifest.0
}

teardown() {
	e4_teardown
}

# holes_then_big IMG BLOCKSIZE N: N one-block files, then a 16 MiB file
# placed after 60 MiB of filler, then the filler and every other small
# file removed (all in the root directory, whose group the allocator
# starts from).  The big file (and the journal, in the middle) lie where
# a shrink cuts, and the free blocks before the end start with N/2
# one-block holes: what moves there first is cut into one extent per
# block (on 1k blocks, a tree of several leaves and an index block).  A
# fallocated file, half written, adds extents not yet initialised.
holes_then_big() {
	on_image "$1" "
		for i in \$(seq 1 $3); do head -c $2 /dev/urandom >s\$i; done
		sync
		head -c 60M /dev/zero >filler
		sync
		head -c 16M /dev/urandom >big
		fallocate -l 4M prealloc
		head -c 1M /dev/urandom | dd of=prealloc conv=notrunc status=none
		sync
		rm filler
		for i in \$(seq 1 2 $3); do rm s\$i; done
	"
	e2fsck -fy "$1" >/dev/null 2>&1 || [[ $? -eq 1 ]]
}

# deepest IMG: the most extents and the deepest tree among the journal,
# /big and /prealloc ("EXTENTS DEPTH").
deepest() {
	local f n=0 d=0 x
	for f in '<8>' /big /prealloc; do
		x=$(leaf_extents "$1" "$f")
		((${x% *} > n)) && n=${x% *}
		((${x#* } > d)) && d=${x#* }
	done
	echo "$n $d"
}

# leaf_extents IMG FILE: the leaf extents of FILE, and its tree's depth.
leaf_extents() {
	debugfs -R "ex $2" "$1" 2>/dev/null |
		awk 'NR > 1 { l = $1; sub("/", "", l); if (l == $2) n++; d = $2 } END { print n + 0, d + 0 }'
}

# shrink_min_strict: -P, then -M under the strict hook; the mover
# allocated exactly the extent tree blocks the plan counted.  Sets MIN
# and EXT.
shrink_min_strict() {
	MIN=$(sh_print_min "$IMG")
	EXT=$(extent_blocks "$IMG" "$MIN")
	run --separate-stderr "$E4CTL" resize --quiet --minimum "$IMG"
	echo "exit $status; stderr: $stderr"
	[ "$status" -eq 0 ]
	[ "$stderr" = "E4_TEST_SHRINK_STRICT: $EXT extent tree blocks allocated, $EXT counted" ]
	[ "$(blocks_of "$IMG")" -eq "$MIN" ]
	fsck_clean "$IMG"
	same_manifest "$IMG" "$WANT" "the shrink to $MIN"
}

# below_min_refused: one block (one cluster) below the minimum is refused
# with the reason, the image byte for byte as it was.
below_min_refused() {
	local to=$(($1 - ${2:-1})) before
	before=$(img_hash "$IMG")
	run --separate-stderr "$E4CTL" resize --quiet "$IMG" "$to"
	echo "exit $status; stderr: $stderr"
	[ "$status" -eq 1 ]
	[[ $stderr == "e4ctl resize: $IMG: $to blocks is below the minimum of $1 blocks: "* ]]
	[ "$(img_hash "$IMG")" = "$before" ]
}

@test "128 MiB, 1k blocks, 60 % full: the minimum counts the extent tree blocks and -M reaches it" {
	mkimg "$IMG" 128M -t ext4 -b 1024 -I 256
	populate "$IMG" --fill 60
	take_manifest "$IMG" >"$WANT"
	local min ext copy=$BATS_TEST_TMPDIR/copy.img theirs
	min=$(sh_print_min "$IMG")
	ext=$(extent_blocks "$IMG" "$min")
	cp --sparse=always "$IMG" "$copy"
	theirs=$(peer_print_min "$copy")
	rm -f "$copy"
	log "repro: minimum $min, extent_blocks $ext; resize2fs -P $theirs"
	[ "$ext" -gt 0 ]
	below_min_refused "$min"
	# A refusal for lack of room says what the extent trees need.
	run --separate-stderr "$E4CTL" resize --quiet "$IMG" $((min - 1))
	[[ $stderr == *"the extent trees they split need"* ]] || [[ $stderr != *"free blocks before it"* ]]
	shrink_min_strict
	[ "$MIN" -eq "$min" ]
}

@test "a file moved into one-block holes (1k blocks): a tree of several leaves and an index block, planned" {
	mkimg "$IMG" 128M -t ext4 -b 1024 -I 256
	holes_then_big "$IMG" 1024 4000
	take_manifest "$IMG" >"$WANT"
	# A few extents each (the groups cut them), all in the inodes.
	[ "$(deepest "$IMG" | cut -d' ' -f2)" -eq 0 ]
	shrink_min_strict
	local after
	after=$(deepest "$IMG")
	log "1k: minimum $MIN, extent_blocks $EXT; the most fragmented file has ${after% *} extents now, depth ${after#* }"
	[ "${after% *}" -gt 1000 ]
	[ "${after#* }" -ge 2 ]
	[ "$EXT" -gt 20 ]
}

@test "a file moved into one-block holes (4k blocks), planned" {
	mkimg "$IMG" 128M -t ext4 -b 4096
	holes_then_big "$IMG" 4096 3000
	take_manifest "$IMG" >"$WANT"
	local min
	min=$(sh_print_min "$IMG")
	below_min_refused "$min"
	shrink_min_strict
	local after
	after=$(deepest "$IMG")
	log "4k: minimum $MIN, extent_blocks $EXT; the most fragmented file has ${after% *} extents now, depth ${after#* }"
	[ "${after#* }" -ge 1 ]
	[ "$EXT" -gt 0 ]
}

@test "bigalloc (1k blocks, 4k clusters): extent tree blocks counted in clusters" {
	PEER_FORCE=1
	mkimg "$IMG" 128M -t ext4 -b 1024 -C 4096 -I 256 -O bigalloc
	holes_then_big "$IMG" 4096 3000
	take_manifest "$IMG" >"$WANT"
	local min
	min=$(sh_print_min "$IMG")
	below_min_refused "$min" 4
	shrink_min_strict
	log "bigalloc: minimum $MIN, extent_blocks $EXT"
}

@test "an extent tree that cannot be read is refused, naming the inode, the image unchanged" {
	mkimg "$IMG" 128M -t ext4 -b 1024 -I 256
	# 200 one-block extents with holes between them: a root in the inode
	# and three leaves.
	on_image "$IMG" '
		head -c 60M /dev/zero >filler
		sync
		for i in $(seq 0 2 399); do
			head -c 1024 /dev/urandom |
				dd of=holey bs=1024 seek=$i count=1 conv=notrunc status=none
		done
		sync
		rm filler'
	e2fsck -fy "$IMG" >/dev/null 2>&1 || [[ $? -eq 1 ]]
	[ "$(leaf_extents "$IMG" /holey)" = "200 1" ]
	local ino leaf before msg
	ino=$(debugfs -R "stat /holey" "$IMG" 2>/dev/null | sed -n 's/^Inode: \([0-9]*\).*/\1/p')
	leaf=$(debugfs -R "ex /holey" "$IMG" 2>/dev/null | awk 'NR == 2 { print $8 }')
	[[ $leaf =~ ^[0-9]+$ ]]
	# The first leaf's header magic, spoilt.
	printf '\0\0' | dd of="$IMG" bs=1 seek=$((leaf * 1024)) conv=notrunc status=none
	before=$(img_hash "$IMG")
	msg="e4ctl resize: $IMG: the extent tree of inode $ino cannot be read (block $leaf); run 'e2fsck -f $IMG'"
	local c
	for c in "--print-minimum $IMG" "--minimum $IMG" "--dry-run $IMG 100000" "$IMG 100000"; do
		# shellcheck disable=SC2086
		run --separate-stderr "$E4CTL" resize --quiet $c
		echo "$c: exit $status; stderr: $stderr"
		[ "$status" -eq 1 ]
		[ "$stderr" = "$msg" ]
		[ "$(img_hash "$IMG")" = "$before" ]
	done
}

@test "a moved directory block that fails its checksum is refused before the first write, the image unchanged" {
	mkimg "$IMG" 128M -t ext4 -b 1024 -I 256 -g 1024 -G 2
	# 1 MiB groups in flex groups of 2: top-level directories are spread
	# over the groups (Orlov), some in the half that a shrink to 64 MiB
	# removes, their blocks in their flex group.
	on_image "$IMG" '
		for d in $(seq 1 48); do
			mkdir d$d
			for f in $(seq 1 8); do echo $d.$f >d$d/f$f; done
		done'
	local d ino blk="" inodes
	inodes=$(("$(dumpe2fs -h "$IMG" 2>/dev/null | sed -n 's/^Inodes per group: *//p')" * 64))
	for d in $(seq 1 48); do
		ino=$(debugfs -R "stat /d$d" "$IMG" 2>/dev/null | sed -n 's/^Inode: \([0-9]*\).*/\1/p')
		blk=$(debugfs -R "bmap /d$d 0" "$IMG" 2>/dev/null)
		((ino > inodes && blk >= 65536)) && break
		blk=""
	done
	[ -n "$blk" ]
	# A byte of an entry's name, so that the block's checksum fails.
	printf 'X' | dd of="$IMG" bs=1 seek=$((blk * 1024 + 40)) conv=notrunc status=none
	local before
	before=$(img_hash "$IMG")
	run --separate-stderr "$E4CTL" resize --quiet "$IMG" 65536
	echo "exit $status; stderr: $stderr"
	[ "$status" -eq 1 ]
	[ "$stderr" = "e4ctl resize: $IMG: unchanged: while reading the blocks of directory $ino: Directory block checksum does not match directory block; run 'e2fsck -f $IMG'" ]
	[ "$(img_hash "$IMG")" = "$before" ]
}
