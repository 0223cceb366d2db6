# tests/crash/shrink.bash: what the offline shrink crash tests share.  A
# .bats file loading it makes $BASE in setup_file and sets SHRINK_TO, the
# block count (or size) it shrinks to.

# Top-level directories, which the Orlov allocator puts in different
# groups (from a random start: enough of them that some land in the
# groups the shrink removes), each with files of its own.
spread() {
	on_image "$1" '
		for i in $(seq 1 32); do
			mkdir "t$i"
			head -c $((i % 8 * 12000 + 1000)) /dev/urandom >"t$i/big"
			for j in 1 2 3; do echo "$i.$j" >"t$i/s$j"; done
			setfattr -n user.n -v "$i" "t$i/s1"
		done
	'
}

# thin_fill IMG N DEL [BYTES]: N small files in /fill, of which the first
# DEL are removed again, so that the inodes allocated next lie past the
# groups they filled; then a file of BYTES random bytes, /t5/bigger.
thin_fill() {
	on_image "$1" "
		mkdir fill
		for i in \$(seq 1 $2); do echo \"\$i\" >fill/f\$i; done
		rm -f fill/f{1..$3}
		${4:+head -c $4 /dev/urandom >t5/bigger}
	"
}

op() {
	"$E4CTL" resize --quiet ${2:+--undo "$2"} "$1" "$SHRINK_TO"
}

# plan_field NAME: a line of the dry run's plan for BASE.
plan_field() {
	"$E4CTL" resize --dry-run "$BASE" "$SHRINK_TO" | sed -n "s/^$1:[[:space:]]*//p"
}

# shrink_moves_and_renumbers WHAT: the plan moves blocks and renumbers
# inodes (printed with WHAT), or the image does not test what it should.
shrink_moves_and_renumbers() {
	local moved renumbered
	moved=$(plan_field 'Blocks to move')
	renumbered=$(plan_field 'Inodes to renumber')
	crash_note "$1: $moved blocks to move, $renumbered inodes to renumber"
	[ "$moved" -gt 100 ]
	[ "$renumbered" -gt 0 ]
}

# lost_found_entries IMG: how many entries e2fsck left in lost+found.
lost_found_entries() {
	debugfs -R 'ls -l /lost+found' "$1" 2>/dev/null |
		awk '$NF != "." && $NF != ".." && NF > 1 && $2 != 0' | wc -l
}

# shrink_sweep_plain NAME SEED [POINT...]: with POINTs, those cut points
# instead of the sample.
# Like crash_sweep_plain, but every cut point is tried and counted, and
# lost+found must stay empty: the copies of renumbered inodes are deleted
# inodes until the journal transaction that links them and switches the
# directory entries, so e2fsck has nothing to reconnect.  The output says
# how many end clean without repair and how many repaired by e2fsck -fy
# with every file as before; a cut that ends otherwise (not repaired,
# files differ, entries in lost+found) fails the test, with its number.
shrink_sweep_plain() {
	local name=$1 seed=$2 total n st tried=0 clean=0 intact=0 bad=0
	local w=$BATS_TEST_TMPDIR/w.img m0=$BATS_TEST_TMPDIR/m0 m1=$BATS_TEST_TMPDIR/m1
	local bad_points=() was_clean points
	shift 2
	crash_manifest "$BASE" >"$m0"
	total=$(crash_total)
	[[ $total -gt 0 ]]
	if (($#)); then
		points="$*"
	else
		points=$(crash_points "$total" "$seed")
	fi
	for n in $points; do
		cp --sparse=always "$BASE" "$w"
		st=0
		E4_TEST_FAULT=cut:$n op "$w" >/dev/null 2>&1 || st=$?
		if ((n <= total && st != 137)); then
			echo "$name: cut $n of $total: exit $st, not killed"
			return 1
		fi
		tried=$((tried + 1))
		was_clean=0
		if e2fsck -fn "$w" >/dev/null 2>&1; then
			was_clean=1
		else
			if [[ $(dumpe2fs_field "$w" 'Filesystem state') == clean ]]; then
				echo "$name: cut $n of $total: marked clean but e2fsck -fn finds problems"
				bad=$((bad + 1)) bad_points+=("$n")
				continue
			fi
			st=0
			e2fsck -fy "$w" >/dev/null 2>&1 || st=$?
			if ((st >= 4)) || ! e2fsck -fn "$w" >/dev/null 2>&1; then
				echo "$name: cut $n of $total: e2fsck -fy (exit $st) did not repair it"
				bad=$((bad + 1)) bad_points+=("$n")
				continue
			fi
		fi
		if [[ $(lost_found_entries "$w") -gt 0 ]]; then
			echo "$name: cut $n of $total: e2fsck left entries in lost+found"
			bad=$((bad + 1)) bad_points+=("$n")
			continue
		fi
		crash_manifest "$w" >"$m1"
		if ! cmp -s "$m0" "$m1"; then
			echo "$name: cut $n of $total: files differ after repair:"
			diff "$m0" "$m1" | head -10
			bad=$((bad + 1)) bad_points+=("$n")
			continue
		fi
		if ((was_clean)); then
			clean=$((clean + 1))
		else
			intact=$((intact + 1))
		fi
	done
	crash_note "$name: $tried cut points of $((total + 1)): $((clean + intact)) with every file intact and lost+found empty: $clean clean without repair (e2fsck -fn exit 0), $intact repaired by e2fsck -fy; $bad not repaired, files differ or lost+found not empty (cuts ${bad_points[*]:-none})"
	((bad == 0))
}

# The directory entries and the new geometry are one journal transaction.
# committed N: cut at write N, the journal holds it (its superblock
# points at it; the image is left in w.img).
committed() {
	local w=$BATS_TEST_TMPDIR/w.img
	cp --sparse=always "$BASE" "$w"
	E4_TEST_FAULT=cut:$1 op "$w" >/dev/null 2>&1 || true
	[[ $(dumpe2fs_field "$w" 'Journal start') -gt 0 ]]
}

# Cut just after the commit, before anything is written in place: e2fsck
# replays the transaction and finds nothing else to repair, the shrink is
# complete and every file in its place.  The commit is found by bisection
# (cuts before it leave the journal empty, cuts after it hold the
# transaction until the journal is emptied, in the last writes).
# committed_range: "FIRST LAST TOTAL", the cuts that find the journal
# transaction committed (from the commit until the journal is emptied),
# by bisection; checked one write before FIRST.
committed_range() {
	local total n lo hi mid
	total=$(crash_total)
	for ((n = total; n > total - 20; n--)); do
		committed "$n" && break
	done
	committed "$n" || return
	lo=1 hi=$n
	while ((lo < hi)); do
		mid=$(((lo + hi) / 2))
		if committed "$mid"; then hi=$mid; else lo=$((mid + 1)); fi
	done
	# one write earlier, nothing is in the journal
	if committed $((hi - 1)); then
		echo "cut $((hi - 1)) also finds the transaction: the bisection is wrong" >&2
		return 1
	fi
	echo "$hi $n $total"
}

shrink_commit_replayed() {
	local name=$1
	local w=$BATS_TEST_TMPDIR/w.img out=$BATS_TEST_TMPDIR/fsck.out
	local m0=$BATS_TEST_TMPDIR/m0 m1=$BATS_TEST_TMPDIR/m1 total n hi st range
	crash_manifest "$BASE" >"$m0"
	range=$(committed_range)
	read -r hi n total <<<"$range"
	crash_note "$name: cuts $hi..$n of $total find the journal transaction committed ($((n - hi + 1)) points)"
	committed "$hi"
	st=0
	e2fsck -fy "$w" >"$out" 2>&1 || st=$?
	cat "$out"
	[ "$st" -le 1 ]
	grep -q "recovering journal" "$out"
	# nothing but the replay: no pass found anything to fix
	[ "$(grep -c -v -e '^Pass ' -e '^e2fsck ' -e 'recovering journal' -e 'files (' "$out")" -eq 0 ]
	e2fsck -fn "$w"
	[ "$(dumpe2fs_field "$w" 'Block count')" -eq "$SHRINK_TO" ]
	[ "$(lost_found_entries "$w")" -eq 0 ]
	crash_manifest "$w" >"$m1"
	cmp "$m0" "$m1"
}

# shrink_sweep_checkpoint NAME: every cut from the commit to the last
# write (the journaled blocks going to their places, the journal emptied,
# the superblock): e2fsck must replay the transaction each time.  With
# the superblock written in place first, a shrink that relocated a kept
# group's bitmaps left old descriptors the new superblock failed; e2fsck
# then took a backup superblock, kept the old geometry and put renumbered
# inodes in lost+found.
shrink_sweep_checkpoint() {
	local hi n total range
	range=$(committed_range)
	read -r hi n total <<<"$range"
	shrink_sweep_plain "$1" 0 $(seq "$hi" "$((total + 1))")
}


# first_write_named LATER FIRST: the first write whose failure (EIO) is
# named by a message matching the extended regex LATER, by bisection (the
# steps run in order, so every write after it matches LATER too); the
# message of that write must match FIRST.
first_write_named() {
	local later=$1 first=$2 w=$BATS_TEST_TMPDIR/e.img lo=1 hi mid msg
	hi=$(crash_total)
	while ((lo < hi)); do
		mid=$(((lo + hi) / 2))
		cp --sparse=always "$BASE" "$w"
		msg=$(E4_TEST_FAULT=eio:$mid op "$w" 2>&1 >/dev/null) || true
		if grep -qE "$later" <<<"$msg"; then
			hi=$mid
		else
			lo=$((mid + 1))
		fi
	done
	cp --sparse=always "$BASE" "$w"
	msg=$(E4_TEST_FAULT=eio:$lo op "$w" 2>&1 >/dev/null) || true
	grep -qE "$first" <<<"$msg" || { echo "write $lo: $msg" >&2; return 1; }
	echo "$lo"
}
