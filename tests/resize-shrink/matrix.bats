#!/usr/bin/env bats
# Offline shrink, feature by feature.  Each case makes an image, fills it
# with gen-content (fixed seed, spread over all groups), then:
#   shrink by 10 %, to half, to the minimum, grow back, minimum again;
# after every step e2fsck -fn exits 0 and the manifest of every file
# (content, size, mode, owner, times, links, symlink targets, xattrs,
# flags) equals the one taken before the first step.
#
# The content fills FILL % of the original size (of the blocks statfs
# counts), about 65 % of the half size with the metadata: filled to 70 %
# at the start, the "to half" step could not exist.  A step whose size is
# below the shrinker's minimum (-P) goes to that minimum instead, and the
# log says so.
#
# Before each minimum step, resize2fs -P and -M run on an identical copy;
# the log shows both next to the shrinker's own -P, e4ctl's minimum must
# not be above resize2fs -P's by more than the extent tree blocks its plan
# counts, and e4ctl -M must land exactly on its -P.
#
# e4ctl refuses to shrink some features by name (refused_case): those
# cases assert the refusal, and say so in their names.
bats_require_minimum_version 1.5.0
load shrink

FILL=30

setup() {
	shrink_setup
	IMG=$BATS_TEST_TMPDIR/fs.img
	WANT=$BATS_TEST_TMPDIR/manifest.0
}

teardown() {
	e4_teardown
}

# check_step STEP [BLOCKS]: e2fsck clean, same files, (the block count).
check_step() {
	local step=$1 want=${2:-}
	fsck_clean "$IMG"
	if [[ -n $want ]]; then
		local got
		got=$(blocks_of "$IMG")
		[[ $got -eq $want ]] || { echo "$step: $got blocks, wanted $want" >&2; return 1; }
	fi
	same_manifest "$IMG" "$WANT" "$step"
}

# step_to NAME BLOCKS: shrink to BLOCKS, or to the shrinker's minimum
# when BLOCKS is below it (said in the log), then check.
step_to() {
	local step=$1 to=$2 min
	min=$(sh_print_min "$IMG")
	if [[ $to -lt $min ]]; then
		log "$CASE $step: $to blocks is below $SHRINKER's minimum of $min; shrinking to that"
		to=$min
	fi
	sh_resize "$IMG" "$to"
	check_step "$step" "$to"
}

# min_step NAME: compare the minima, shrink to it, check.
min_step() {
	local step=$1 ours theirs peer_m copy=$BATS_TEST_TMPDIR/peer.img
	ours=$(sh_print_min "$IMG")
	cp --sparse=always "$IMG" "$copy"
	theirs=$(peer_print_min "$copy")
	# resize2fs -M is a reference only: its failures are logged, and fail
	# the case only when resize2fs is the shrinker under test.
	if resize2fs ${PEER_FORCE:+-f} -M "$copy" >/dev/null 2>&1; then
		peer_m="$(blocks_of "$copy") blocks"
		fsck_clean "$copy" 2>/dev/null || peer_m="$peer_m (e2fsck -fn NOT clean)"
	else
		peer_m="failed"
	fi
	rm -f "$copy"
	if [[ $SHRINKER == e4ctl ]]; then
		# e4ctl keeps free the extent tree blocks that remapping the
		# moved files allocates (EXTENT_BLOCKS, counted exactly), so that
		# a run cannot fail half-way; resize2fs -P counts nothing of the
		# kind.  By up to that many blocks our minimum may pass resize2fs
		# -P's; beyond it, it may not.
		local ext
		ext=$(extent_blocks "$IMG" "$ours")
		log "$CASE $step: $SHRINKER -P $ours (extent_blocks $ext); resize2fs -P $theirs, -M -> $peer_m (from $(blocks_of "$IMG"))"
		[[ $ours -le $((theirs + ext)) ]] || { echo "our minimum $ours is above resize2fs -P's $theirs (+$ext extent tree blocks)" >&2; return 1; }
		(( ours <= theirs )) || log "$CASE $step: our minimum is $((ours - theirs)) blocks above resize2fs -P's, within the $ext extent tree blocks"
	else
		log "$CASE $step: $SHRINKER -P $ours; resize2fs -P $theirs, -M -> $peer_m (from $(blocks_of "$IMG"))"
	fi
	sh_minimum "$IMG"
	local got
	got=$(blocks_of "$IMG")
	# e4ctl's minimum is exact: -M lands on what -P printed.  resize2fs
	# -P is an estimate, so with the peer only the log shows the gap.
	if [[ $SHRINKER == e4ctl ]]; then
		check_step "$step" "$ours"
	else
		[[ $got -ne $ours ]] && log "$CASE $step: resize2fs -M gave $got, its -P said $ours"
		check_step "$step"
	fi
}

# run_case NAME SIZE [mke2fs options...]
run_case() {
	CASE=$1
	local size=$2 b
	shift 2
	size=$(numfmt --from=iec "$size")
	[[ $SHRINK_PROFILE == full ]] && size=$((size * 4))
	# JEND in an option: 12 MiB before the end (a journal placed there)
	set -- "${@/JEND/$((size / 1048576 - 12))M}"
	mkimg "$IMG" "$size" "$@"
	${AFTER_MKFS:-true}
	populate "$IMG" --fill "$FILL"
	${AFTER_POPULATE:-true}
	fsck_clean "$IMG"
	take_manifest "$IMG" >"$WANT"
	b=$(blocks_of "$IMG")
	log "$CASE: $b blocks of $(dumpe2fs_field "$IMG" 'Block size') bytes, $(dumpe2fs_field "$IMG" 'Free blocks') free, $(dumpe2fs_field "$IMG" 'Free inodes') free inodes"

	if [[ $SHRINKER == resize2fs && $(peer_print_min "$IMG") -ge $b ]]; then
		skip "resize2fs -P gives the current size here ($b blocks): the peer cannot shrink this layout"
	fi

	step_to "shrink by 10%" $((b * 9 / 10))
	step_to "shrink to half" $((b / 2))
	min_step "minimum"
	sh_resize "$IMG" "$b"
	check_step "grow back" "$b"
	min_step "minimum again"
}

# refused_case FEATURE NAME SIZE [mke2fs options...]: e4ctl refuses to
# shrink a filesystem with FEATURE, naming it: -P, a shrink by 10 %, -M
# and -M --undo each exit 1 with exactly that message and leave the
# filled image byte for byte as it was (and write no undo file).  With
# resize2fs standing in, the case runs as run_case.
refused_case() {
	local feature=$1 size b before msg
	shift
	if [[ $SHRINKER != e4ctl ]]; then
		run_case "$@"
		return
	fi
	CASE=$1 size=$2
	shift 2
	mkimg "$IMG" "$(numfmt --from=iec "$size")" "$@"
	populate "$IMG" --fill "$FILL"
	fsck_clean "$IMG"
	b=$(blocks_of "$IMG")
	before=$(img_hash "$IMG")
	msg="e4ctl resize: $IMG: shrinking a filesystem with $feature is not supported"
	local undo=$BATS_TEST_TMPDIR/u.e2undo
	local -a cmds=(
		"resize --print-minimum --quiet $IMG"
		"resize --quiet $IMG $((b * 9 / 10))"
		"resize --quiet --minimum $IMG"
		"resize --quiet --undo $undo --minimum $IMG"
	)
	local c
	for c in "${cmds[@]}"; do
		# shellcheck disable=SC2086
		run --separate-stderr "$E4CTL" $c
		echo "e4ctl $c: exit $status; stdout: $output; stderr: $stderr"
		[ "$status" -eq 1 ]
		[ -z "$output" ]
		[ "$stderr" = "$msg" ]
		[ "$(img_hash "$IMG")" = "$before" ]
		[ ! -e "$undo" ]
	done
	log "$CASE: $b blocks; refused: $msg"
}

@test "ext2, 1k blocks (indirect maps, no journal)" {
	run_case ext2-1k 128M -t ext2 -b 1024 -I 256
}

@test "ext2, 4k blocks, small groups" {
	run_case ext2-4k 128M -t ext2 -b 4096 -g 4096
}

@test "ext3, 1k blocks" {
	run_case ext3-1k 128M -t ext3 -b 1024 -I 256
}

@test "ext3, 4k blocks, 128-byte inodes (xattrs all in blocks)" {
	run_case ext3-4k-i128 128M -t ext3 -b 4096 -g 4096 -I 128
}

@test "ext4 default, 4k blocks" {
	run_case ext4-default 320M -t ext4 -b 4096
}

@test "ext4, 1k blocks" {
	run_case ext4-1k 128M -t ext4 -b 1024 -I 256
}

@test "ext4, small groups (-g 1024): flex_bg metadata of kept groups in removed ones" {
	run_case ext4-g1024 128M -t ext4 -b 1024 -g 1024 -I 256
}

@test "ext4 without flex_bg" {
	run_case ext4-noflex 128M -t ext4 -b 4096 -g 4096 -O ^flex_bg
}

@test "ext4 meta_bg without resize_inode" {
	run_case ext4-meta_bg 128M -t ext4 -b 1024 -g 2048 -I 256 -O ^resize_inode,meta_bg
}

# s_first_meta_bg > 0: made again (AFTER_MKFS) with 16 groups and one
# reserved GDT block, grown by
# e4ctl past it, which converts to meta_bg with s_first_meta_bg 2 as the
# kernel does (resize2fs moves the metadata instead and keeps
# resize_inode).  Filled to 10 %, the minimum has fewer than 16 groups:
# one descriptor block, fewer than s_first_meta_bg, so the shrink clears
# meta_bg, as resize2fs does (e2fsck reports an s_first_meta_bg past the
# descriptor blocks).
@test "ext4 meta_bg with s_first_meta_bg 2 (grown past the reserved GDT blocks)" {
	FILL=10 AFTER_MKFS=grow_to_meta_bg run_case ext4-first_meta_bg 128M \
		-t ext4 -b 1024 -g 2048 -I 256
	# The minimum left one descriptor block and no meta_bg; the grow
	# back converted again, from there: s_first_meta_bg is 1 now.  Had
	# the shrink kept s_first_meta_bg 2, the grow would have kept it.
	[[ $(blocks_of "$IMG") -le 32768 ]]
	[[ $(dumpe2fs_field "$IMG" 'First meta block group') -eq 1 ]]
}

grow_to_meta_bg() {
	mke2fs -q -F -t ext4 -b 1024 -g 2048 -I 256 -E resize=40000 "$IMG" 32768
	"$E4CTL" resize --quiet "$IMG"
	[[ $(dumpe2fs_field "$IMG" 'First meta block group') -eq 2 ]]
}

@test "ext4 without 64bit" {
	run_case ext4-32bit 128M -t ext4 -b 4096 -g 4096 -O ^64bit
}

@test "ext4 bigalloc (1k blocks, 4k clusters)" {
	PEER_FORCE=1 run_case ext4-bigalloc 128M -t ext4 -b 1024 -C 4096 -I 256 -O bigalloc
}

@test "ext4 bigalloc (4k blocks, 64k clusters, small groups)" {
	PEER_FORCE=1 run_case ext4-bigalloc-64k 320M -t ext4 -b 4096 -C 65536 -g 1024 -O bigalloc
}

@test "ext4 inline_data (inline files and directories renumbered)" {
	run_case ext4-inline 128M -t ext4 -b 4096 -g 4096 -I 256 -O inline_data
}

@test "ext4 without metadata_csum" {
	run_case ext4-nocsum 128M -t ext4 -b 1024 -I 256 -O ^metadata_csum
}

# resize2fs 1.47.0 fails this case with E4_TEST_SHRINK_PEER=1: growing a
# sparse_super2 filesystem back (67350 -> 131072 blocks here) leaves a
# block in use but free in the bitmap, which e2fsck -fn reports; an empty
# filesystem shows it too.  e4ctl's shrink moves the second backup to
# the new last group, its grow back to the old one.
@test "ext4 sparse_super2" {
	run_case ext4-sparse_super2 128M -t ext4 -b 1024 -g 2048 -I 256 -O sparse_super2
}

# The second backup was in the old last group; shrunk so that the last
# group is one of 34..40 whose first 260 blocks (superblock, 3 descriptor
# and 256 reserved GDT blocks) hold file data (where the kernel put it
# varies: the first such group from 40 down), it goes there and that data
# moves first.  Groups 32 and 33 hold the flex group's metadata.
@test "ext4 sparse_super2: the new last group's backup lands on file data" {
	CASE=ext4-sparse_super2-data
	local b g start to used=0 gain=260
	mkimg "$IMG" 128M -t ext4 -b 1024 -g 2048 -I 256 -O sparse_super2
	populate "$IMG" --fill 60
	fsck_clean "$IMG"
	take_manifest "$IMG" >"$WANT"
	b=$(blocks_of "$IMG")
	[ "$(dumpe2fs_field "$IMG" 'Backup block groups' | xargs)" = "1 63" ]
	for ((g = 40; g >= 34; g--)); do
		start=$((1 + g * 2048))
		used=$(debugfs -R "testb $start $gain" "$IMG" 2>/dev/null | grep -c 'marked in use' || true)
		((used > 0)) && break
	done
	log "$CASE: $used of the $gain blocks of group $g's backup to be are in use"
	[ "$used" -gt 0 ]
	to=$((start + 1500))
	sh_resize "$IMG" "$to"
	check_step "to $((g + 1)) groups" "$to"
	[ "$(dumpe2fs_field "$IMG" 'Backup block groups' | xargs)" = "1 $g" ]
	sh_resize "$IMG" "$b"
	check_step "grow back" "$b"
	min_step "minimum"
}

# Without flex_bg every group starts with its own bitmaps and inode table:
# no kept group can take the second backup without relocating them, which
# e4ctl does not do.  A shrink that removes the old last group (with the
# backup in it) is refused, saying why, the image unchanged; the minimum
# lies within the last group, and shrinking to it works.
@test "ext4 sparse_super2 without flex_bg: removing the second backup's group is refused" {
	[[ $SHRINKER == e4ctl ]] || skip "an e4ctl refusal (resize2fs relocates group metadata)"
	CASE=ext4-sparse_super2-noflex
	local b before min msg
	mkimg "$IMG" 64M -t ext4 -b 1024 -g 2048 -I 256 -O sparse_super2,^flex_bg
	populate "$IMG" --fill "$FILL"
	fsck_clean "$IMG"
	take_manifest "$IMG" >"$WANT"
	b=$(blocks_of "$IMG")
	before=$(img_hash "$IMG")
	min=$(sh_print_min "$IMG")
	[[ $min -gt $((b - 2048)) ]]
	msg="e4ctl resize: $IMG: 50000 blocks is below the minimum of $min blocks: no kept group can take the second superblock backup (sparse_super2) without its bitmaps and inode table relocated, which e4ctl does not do"
	run --separate-stderr "$E4CTL" resize --quiet "$IMG" 50000
	echo "exit $status; stderr: $stderr"
	[ "$status" -eq 1 ]
	[ "$stderr" = "$msg" ]
	[ "$(img_hash "$IMG")" = "$before" ]
	log "$CASE: $b blocks, minimum $min; refused: $msg"
	sh_minimum "$IMG"
	check_step "minimum" "$min"
	[ "$(dumpe2fs_field "$IMG" 'Backup block groups' | xargs)" = "1 31" ]
}

@test "ext4 orphan_file" {
	run_case ext4-orphan_file 128M -t ext4 -b 1024 -I 256 -O orphan_file
}

# No quota case: this machine's kernel has no CONFIG_QUOTA, so a
# filesystem with the quota feature cannot be mounted to fill it.

# ea_inode: gen-content puts xattr values in EA inodes, named from inode
# bodies, one EA inode by two files; ea_block_refs adds two files naming
# one more EA inode from xattr blocks of their own.  While the content is
# made, empty files hold the first 11 of the 16 groups' inodes (more than
# the minimum keeps), so every EA inode is made in a group the shrink
# removes; they are freed before the manifest.  ea_renumbered then checks
# that each EA inode got a number inside the final filesystem.
@test "ext4 ea_inode (EA inodes renumbered, the entries naming them rewritten)" {
	AFTER_MKFS=hold_inodes AFTER_POPULATE=ea_block_refs \
		run_case ext4-ea_inode 128M -t ext4 -b 1024 -I 256 -O ea_inode
	ea_renumbered
}

@test "ext4, the journal in the part that is cut off" {
	# -J location puts the journal 12 MiB before the end, inside the
	# last 10 %, so the first step already has to move it.
	AFTER_MKFS=journal_at_end run_case ext4-journal-end 128M -t ext4 -b 4096 -g 4096 \
		-J size=8,location=JEND
}

journal_at_end() {
	local first b
	first=$(debugfs -R 'bmap <8> 0' "$IMG" 2>/dev/null)
	b=$(blocks_of "$IMG")
	[[ $first -ge $((b * 9 / 10)) ]] || { echo "journal starts at $first of $b" >&2; return 1; }
}

# Empty files in /hold taking 11/16 of the inodes, before gen-content.
hold_inodes() {
	local n
	n=$(($(dumpe2fs_field "$IMG" 'Inode count') * 11 / 16))
	on_image "$IMG" "mkdir hold && cd hold && seq 1 $n | xargs touch"
}

EA_FILES=(ea-inode-0 ea-inode-1 ea-inode-2 ea-shared-0 ea-shared-1 ea-block-0 ea-block-1)

# Two files whose inode body a 48-byte xattr fills, then a value of their
# own and one shared large value: both go to an xattr block (one each, the
# sets differ), naming one EA inode.  Then the held inodes are freed and
# e2fsck -fy run (the shrinkers' "checked since mounted" gates).
ea_block_refs() {
	on_image "$IMG" '
		big=$(printf "%03000d" 7)
		for i in 0 1; do
			: >xattr/ea-block-$i
			setfattr -n user.pad -v "$(printf "%048d" $i)" xattr/ea-block-$i
			setfattr -n user.id -v "$i" xattr/ea-block-$i
			setfattr -n user.large -v "$big" xattr/ea-block-$i
		done
		rm -rf hold'
	e2fsck -fy "$IMG" >/dev/null 2>&1 || { echo "e2fsck -fy: exit $?" >&2; return 1; }
	ea_refs "$IMG" >"$BATS_TEST_TMPDIR/ea.0"
}

# ea_refs IMG: "FILE body|block EA-INODE" for each xattr entry of the
# EA_FILES naming an EA inode, from debugfs.
ea_refs() {
	local f acl
	for f in "${EA_FILES[@]}"; do
		debugfs -R "inode_dump -x /xattr/$f" "$1" 2>/dev/null |
			sed -n "s|.*value_inum = \([1-9][0-9]*\),.*|$f body \1|p"
		acl=$(debugfs -R "stat /xattr/$f" "$1" 2>/dev/null |
			sed -n 's/^File ACL: \([0-9]*\).*/\1/p')
		[[ ${acl:-0} == 0 ]] ||
			debugfs -R "block_dump -x $acl" "$1" 2>/dev/null |
			sed -n "s|.*value_inum = \([1-9][0-9]*\),.*|$f block \1|p"
	done
}

# Every EA inode named before the first step (ea.0) lay past the final
# inode count, and now the same entries name EA inodes inside it, shared
# where they were.
ea_renumbered() {
	local inodes before after
	inodes=$(dumpe2fs_field "$IMG" 'Inode count')
	ea_refs "$IMG" >"$BATS_TEST_TMPDIR/ea.1"
	before=$(awk '{ print $3 }' "$BATS_TEST_TMPDIR/ea.0" | sort -un | tr '\n' ' ')
	after=$(awk '{ print $3 }' "$BATS_TEST_TMPDIR/ea.1" | sort -un | tr '\n' ' ')
	log "$CASE: EA inodes named before: $before(from $(grep -c body "$BATS_TEST_TMPDIR/ea.0") inode bodies, $(grep -c block "$BATS_TEST_TMPDIR/ea.0") xattr blocks); now: $after($inodes inodes)"
	# what the case must exercise: bodies and blocks, a shared EA inode
	[ "$(grep -c body "$BATS_TEST_TMPDIR/ea.0")" -ge 5 ]
	[ "$(grep -c block "$BATS_TEST_TMPDIR/ea.0")" -eq 2 ]
	[ "$(awk '{ print $3 }' "$BATS_TEST_TMPDIR/ea.0" | sort | uniq -d | wc -l)" -eq 2 ]
	local n
	for n in $before; do
		[ "$n" -gt "$inodes" ] || { echo "EA inode $n was kept: nothing renumbered it" >&2; return 1; }
	done
	for n in $after; do
		[ "$n" -le "$inodes" ]
	done
	# the same files and places, the same sharing
	diff <(cut -d' ' -f1,2 "$BATS_TEST_TMPDIR/ea.0") <(cut -d' ' -f1,2 "$BATS_TEST_TMPDIR/ea.1")
	[ "$(wc -w <<<"$before")" -eq "$(wc -w <<<"$after")" ]
	diff <(awk '{ print $3 }' "$BATS_TEST_TMPDIR/ea.0" | uniq -c | awk '{ print $1 }') \
	     <(awk '{ print $3 }' "$BATS_TEST_TMPDIR/ea.1" | uniq -c | awk '{ print $1 }')
}

# itable_of IMG GROUP: the first block of GROUP's inode table.
itable_of() {
	dumpe2fs "$1" 2>/dev/null |
		awk -v g="Group $2:" '$1 " " $2 == g { f = 1 } f && /Inode table at/ { split($4, a, "-"); print a[1]; exit }'
}

# Flex groups of 32 put the bitmaps and inode tables of groups 96..127 at
# the start of group 96.  An end 20 blocks into group 96 keeps that group
# but leaves its inode bitmap and inode table past the end: e4ctl copies
# them before the end (before relocation, this size was refused).
@test "ext4 -G 32, the new end cuts through a flex group's metadata: relocated" {
	CASE=ext4-G32-reloc
	mkimg "$IMG" "$(numfmt --from=iec 128M)" -t ext4 -b 1024 -g 1024 -G 32 -I 256
	populate "$IMG" --fill "$FILL"
	fsck_clean "$IMG"
	take_manifest "$IMG" >"$WANT"
	local first to before after
	first=$(dumpe2fs "$IMG" 2>/dev/null | sed -n 's/^Group 96: (Blocks \([0-9]*\)-.*/\1/p')
	to=$((first + 20))
	before=$(itable_of "$IMG" 96)
	[[ $before -ge $to ]] || { echo "group 96's inode table at $before, not past $to" >&2; return 1; }
	sh_resize "$IMG" "$to"
	check_step "shrink into group 96's metadata" "$to"
	after=$(itable_of "$IMG" 96)
	log "$CASE: to $to blocks: group 96's inode table moved from block $before to $after"
	[[ $after -lt $to ]]
	min_step "minimum"
}
