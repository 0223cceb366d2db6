# Shared by tests/resize-shrink/*.bats (load shrink): which shrinker runs,
# the commands that drive it, and the checks made after every step.
#
# The shrinker under test is e4ctl.  Until e4ctl has a shrink (detected:
# `e4ctl resize --help` does not offer --minimum) every test skips, unless
# E4_TEST_SHRINK_PEER=1: then resize2fs plays the shrinker, which
# validates this harness against a known implementation.
#
# E4_TEST_SHRINK_PROFILE=quick (default, make check) or full (make stress):
# the size of gen-content's output and of the images.
load ../lib

SHRINK_DIR=$BATS_TEST_DIRNAME
SHRINK_PROFILE=${E4_TEST_SHRINK_PROFILE:-quick}
# Every e4ctl shrink here fails if its mover allocates an extent tree
# block its plan did not count (HACKING.md, test hooks).
export E4_TEST_SHRINK_STRICT=1

e4ctl_has_shrink() {
	"$E4CTL" resize --help 2>&1 | grep -q -- '--minimum'
}

# Sets SHRINKER to e4ctl or resize2fs; fails when there is none.
pick_shrinker() {
	if e4ctl_has_shrink; then
		SHRINKER=e4ctl
	elif [[ ${E4_TEST_SHRINK_PEER:-} == 1 ]]; then
		SHRINKER=resize2fs
	else
		return 1
	fi
}

# Call from setup(): SHRINKER set, or the test skipped.
shrink_setup() {
	require_root
	pick_shrinker || skip "e4ctl has no shrink yet"
}

# --- the shrinker, in one place ------------------------------------------
# Sizes are block counts (a plain number is blocks for both tools).

# sh_argv resize IMG BLOCKS | minimum IMG | undo FILE IMG BLOCKS|-M:
# the shrinker's command line, in the array SH_ARGV.
sh_argv() {
	local what=$1
	shift
	# bigalloc: resize2fs wants -f ("not fully tested")
	local f=()
	[[ -n ${PEER_FORCE:-} ]] && f=(-f)
	case $SHRINKER/$what in
	e4ctl/resize) SH_ARGV=("$E4CTL" resize --quiet "$1" "$2") ;;
	e4ctl/minimum) SH_ARGV=("$E4CTL" resize --quiet --minimum "$1") ;;
	e4ctl/undo)
		if [[ $3 == -M ]]; then
			SH_ARGV=("$E4CTL" resize --quiet --undo "$1" --minimum "$2")
		else
			SH_ARGV=("$E4CTL" resize --quiet --undo "$1" "$2" "$3")
		fi ;;
	resize2fs/resize) SH_ARGV=(resize2fs "${f[@]}" "$1" "$2") ;;
	resize2fs/minimum) SH_ARGV=(resize2fs "${f[@]}" -M "$1") ;;
	resize2fs/undo)
		if [[ $3 == -M ]]; then
			SH_ARGV=(resize2fs "${f[@]}" -z "$1" -M "$2")
		else
			SH_ARGV=(resize2fs "${f[@]}" -z "$1" "$2" "$3")
		fi ;;
	esac
}

# sh_resize IMG BLOCKS: shrink or grow to BLOCKS.
sh_resize() {
	sh_argv resize "$@"
	"${SH_ARGV[@]}"
}

# sh_minimum IMG: shrink to the minimum.
sh_minimum() {
	sh_argv minimum "$@"
	"${SH_ARGV[@]}"
}

# sh_undo FILE IMG BLOCKS|-M: shrink, recording an undo file for e2undo.
sh_undo() {
	sh_argv undo "$@"
	"${SH_ARGV[@]}"
}

# sh_print_min IMG: the minimum, in blocks, on stdout.  e4ctl -P -q
# prints the bare number and nothing else; resize2fs -P prints
# "Estimated minimum size of the filesystem: N".
sh_print_min() {
	local out
	case $SHRINKER in
	e4ctl)
		out=$("$E4CTL" resize --print-minimum --quiet "$1") || return
		[[ $out =~ ^[0-9]+$ ]] || { echo "e4ctl resize -P -q $1 printed '$out', not a number" >&2; return 1; }
		echo "$out" ;;
	resize2fs)
		out=$(resize2fs -P "$1" 2>/dev/null) || return
		parse_min "$out" ;;
	esac
}

# The block count in resize2fs -P's "Estimated minimum size of the
# filesystem: N" line.
parse_min() {
	local n
	n=$(sed -n 's/^Estimated minimum size of the filesystem: \([0-9][0-9]*\)$/\1/p' <<<"$1")
	[[ -n $n ]] || { echo "no minimum in: $1" >&2; return 1; }
	echo "$n"
}

# resize2fs -P of IMG, whoever the shrinker is.
peer_print_min() {
	parse_min "$(resize2fs -P "$1" 2>/dev/null)"
}

# --- checks ---------------------------------------------------------------

# refused_unchanged IMG BLOCKS MESSAGE: an e4ctl shrink of IMG to BLOCKS
# exits 1 with exactly "e4ctl resize: IMG: unchanged: MESSAGE" on stderr,
# nothing on stdout, and leaves the image as it was.
refused_unchanged() {
	local before
	before=$(img_hash "$1")
	run --separate-stderr "$E4CTL" resize --quiet "$1" "$2"
	echo "exit $status; stdout: $output; stderr: $stderr"
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "$stderr" = "e4ctl resize: $1: unchanged: $3" ]
	[ "$(img_hash "$1")" = "$before" ]
}

blocks_of() {
	dumpe2fs_field "$1" 'Block count'
}

# populate IMG [gen-content options]
populate() {
	"$SHRINK_DIR/img" populate "$@" --profile "$SHRINK_PROFILE"
}

# The manifest of IMG.  resize2fs sets the mtime and ctime of every
# directory whose entries it renumbers, and the ctime of every inode it
# moves, to the time of the resize; e4ctl must keep them.  So only when
# resize2fs stands in (E4_TEST_SHRINK_PEER=1) are those fields left out.
take_manifest() {
	local ignore=()
	[[ $SHRINKER == resize2fs ]] && ignore=(--ignore "ctime,dir-mtime")
	"$SHRINK_DIR/img" manifest "$1" "${ignore[@]}"
}

# fsck_clean IMG: e2fsck -fn exit 0, its output in the log otherwise.
fsck_clean() {
	local out rc=0
	out=$(e2fsck -fn "$1" 2>&1) || rc=$?
	if [[ $rc -ne 0 ]]; then
		echo "e2fsck -fn $1: exit $rc" >&2
		head -n 40 <<<"$out" >&2
		return 1
	fi
}

# same_manifest IMG WANT STEP: IMG's manifest equals the file WANT.
same_manifest() {
	local got=$BATS_TEST_TMPDIR/manifest.now
	take_manifest "$1" >"$got"
	if ! cmp -s "$2" "$got"; then
		echo "manifest differs after $3:" >&2
		diff "$2" "$got" | head -n 20 | cut -c1-300 >&2
		return 1
	fi
}

# A line in the test log (TAP comment), visible in bats' output.
log() {
	echo "# $*" >&3
}

# extent_blocks IMG BLOCKS: the extent tree blocks e4ctl's plan for a
# shrink of IMG to BLOCKS counts (EXTENT_BLOCKS).
extent_blocks() {
	"$E4CTL" resize --dry-run --json "$1" "$2" | jq -r '.plan[0].extent_blocks'
}
