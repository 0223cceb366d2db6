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

e4ctl_has_shrink() {
	"$E4CTL" resize --help 2>&1 | grep -q -- '--minimum'
}

# Call from setup(): sets SHRINKER to e4ctl or resize2fs, or skips.
shrink_setup() {
	require_root
	if e4ctl_has_shrink; then
		SHRINKER=e4ctl
	elif [[ ${E4_TEST_SHRINK_PEER:-} == 1 ]]; then
		SHRINKER=resize2fs
	else
		skip "e4ctl has no shrink yet"
	fi
}

# --- the shrinker, in one place ------------------------------------------
# Sizes are block counts (a plain number is blocks for both tools).

# sh_resize IMG BLOCKS [extra options]: shrink or grow to BLOCKS.
sh_resize() {
	local img=$1 blocks=$2
	shift 2
	case $SHRINKER in
	e4ctl) "$E4CTL" resize --quiet "$@" "$img" "$blocks" ;;
	# bigalloc: resize2fs wants -f ("not fully tested")
	resize2fs) resize2fs ${PEER_FORCE:+-f} "$@" "$img" "$blocks" ;;
	esac
}

# sh_minimum IMG [extra options]: shrink to the minimum.
sh_minimum() {
	local img=$1
	shift
	case $SHRINKER in
	e4ctl) "$E4CTL" resize --quiet --minimum "$@" "$img" ;;
	resize2fs) resize2fs ${PEER_FORCE:+-f} -M "$@" "$img" ;;
	esac
}

# sh_print_min IMG: the minimum, in blocks, on stdout.
sh_print_min() {
	local out
	case $SHRINKER in
	e4ctl) out=$("$E4CTL" resize --print-minimum "$1") || return ;;
	resize2fs) out=$(resize2fs -P "$1" 2>/dev/null) || return ;;
	esac
	parse_min "$out"
}

# The block count in a "... N blocks" or "...: N" line.
parse_min() {
	local n
	n=$(grep -oE '[0-9]+ blocks' <<<"$1" | head -1 | cut -d' ' -f1)
	[[ -n $n ]] || n=$(grep -oE '[0-9]+' <<<"$1" | tail -1)
	[[ -n $n ]] || { echo "no block count in: $1" >&2; return 1; }
	echo "$n"
}

# resize2fs -P of IMG, whoever the shrinker is.
peer_print_min() {
	parse_min "$(resize2fs -P "$1" 2>/dev/null)"
}

# --- checks ---------------------------------------------------------------

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
	[[ $SHRINKER == resize2fs ]] && ignore=(--ignore ctime,dir-mtime)
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
