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
# not be above resize2fs -P's, and e4ctl -M must land exactly on its -P.
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
	log "$CASE $step: $SHRINKER -P $ours; resize2fs -P $theirs, -M -> $peer_m (from $(blocks_of "$IMG"))"
	if [[ $SHRINKER == e4ctl ]]; then
		# e4ctl keeps EXTENT_SLACK free blocks for extent-tree growth
		# whenever extent-mapped blocks move (lib/shrink_priv.h), so that
		# a run cannot fail half-way; resize2fs reserves nothing of the
		# kind.  Within that reserve our minimum may pass resize2fs -P's
		# (seen: ext4 without flex_bg, 12 blocks); beyond it, it may not.
		[[ $ours -le $((theirs + EXTENT_SLACK)) ]] || { echo "our minimum $ours is above resize2fs -P's $theirs (+$EXTENT_SLACK reserved)" >&2; return 1; }
		(( ours <= theirs )) || log "$CASE $step: our minimum is $((ours - theirs)) blocks above resize2fs -P's, within the extent-tree reserve"
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

@test "ext4 meta_bg without resize_inode: refused, naming meta_bg" {
	refused_case meta_bg ext4-meta_bg 128M -t ext4 -b 1024 -g 2048 -I 256 -O ^resize_inode,meta_bg
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
# filesystem shows it too.  e4ctl refuses to shrink sparse_super2.
@test "ext4 sparse_super2: refused, naming sparse_super2" {
	refused_case sparse_super2 ext4-sparse_super2 128M -t ext4 -b 1024 -g 2048 -I 256 -O sparse_super2
}

@test "ext4 orphan_file" {
	run_case ext4-orphan_file 128M -t ext4 -b 1024 -I 256 -O orphan_file
}

# No quota case: this machine's kernel has no CONFIG_QUOTA, so a
# filesystem with the quota feature cannot be mounted to fill it.
@test "ext4 ea_inode (xattr values in EA inodes): refused, naming ea_inode" {
	refused_case ea_inode ext4-ea_inode 128M -t ext4 -b 1024 -I 256 -O ea_inode
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
