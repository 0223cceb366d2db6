# Helpers of the crash sweeps: cut a writing command at its Nth write
# (E4_TEST_FAULT=cut:N, see HACKING.md) and judge what is left.  Load
# after ../lib.
#
# A suite sets BASE (the populated image) and defines op IMG [UNDO], the
# command under test.  E4_CRASH_ALL=1 (make stress) tries every cut
# point; otherwise a fixed-seed sample of CRASH_SAMPLE points (always
# with the first, the last and the one after the last write).

CRASH_SAMPLE=${CRASH_SAMPLE:-30}

# Mount ro in a mount namespace of our own (see tests/inline/inline.bash
# for why) and print what must survive: type, links, mode, owner, size,
# path, symlink target; content hashes; extended attributes.
crash_manifest() {
	unshare -m --propagation private bash -c '
		set -e
		mnt=$(mktemp -d)
		mount -o loop,ro,noload "$1" "$mnt"
		cd "$mnt"
		# A directory'"'"'s size is its layout (inline or a block), not content.
		find . -path ./lost+found -prune -o -type d \
			-printf "%y %n %m %U %G - %p\n" -o \
			-printf "%y %n %m %U %G %s %p %l\n" | LC_ALL=C sort
		find . -path ./lost+found -prune -o -type f -print0 |
			LC_ALL=C sort -z | xargs -0 -r sha256sum
		getfattr -R -d -m "^(user|trusted|security)\." --absolute-names . \
			2>/dev/null | grep -v "^$" || true
		cd /
		umount "$mnt"
		rmdir "$mnt"' crash_manifest "$1"
}

# Populate an image through the kernel with files of every kind.
crash_populate() {
	unshare -m --propagation private bash -c '
		set -e
		mnt=$(mktemp -d)
		mount -o loop "$1" "$mnt"
		cd "$mnt"
		mkdir -p d/e/f empty
		: >zero
		printf x >one
		head -c 59 /dev/urandom >small59
		head -c 4095 /dev/urandom >d/b4095
		head -c 70000 /dev/urandom >d/e/f/big
		for i in $(seq 1 30); do echo "file $i" >"d/e/n$i"; done
		ln -s one sym
		ln -s "$(head -c 200 /dev/zero | tr "\0" y)" longsym
		ln d/b4095 d/e/hard
		chown 1234:5678 one
		chmod 0640 small59
		setfattr -n user.small -v hello one
		setfattr -n user.big -v "$(head -c 300 /dev/zero | tr "\0" z)" d/b4095
		cd /
		umount "$mnt"
		rmdir "$mnt"' crash_populate "$1"
	e2fsck -fy "$1" >/dev/null 2>&1 || [[ $? -le 1 ]]
}

# The writes op makes on a copy of BASE, counted by the fault injector.
crash_total() {
	local w=$BATS_TEST_TMPDIR/count.img
	cp --sparse=always "$BASE" "$w"
	E4_TEST_FAULT=count op "$w" ${1:+"$1"} 2>&1 >/dev/null |
		sed -n 's/^E4_TEST_FAULT: \([0-9]*\) writes$/\1/p'
}

# crash_points TOTAL SEED: the cut points to try, one a line.
crash_points() {
	local total=$1 seed=$2 last=$(($1 + 1))
	if [[ ${E4_CRASH_ALL:-} == 1 ]]; then
		if ((last <= 2000)); then
			seq 1 "$last"
		else
			{ seq 1 2000; seq 2001 "$last" | shuf -n 500 \
				--random-source=<(yes "$seed"); echo "$last"; } | sort -un
		fi
		return
	fi
	if ((last <= CRASH_SAMPLE)); then
		seq 1 "$last"
		return
	fi
	{ echo 1; echo "$total"; echo "$last"
	  seq 2 $((total - 1)) | shuf -n $((CRASH_SAMPLE - 3)) \
		--random-source=<(yes "$seed"); } | sort -un
}

# crash_note TEXT: a line in the TAP output (shown by bats and tests/run).
crash_note() {
	echo "# $*" >&3
}

# crash_sweep_undo NAME SEED: at every cut point with --undo, e2undo must
# give back the original image bit for bit.  The one exception allowed is
# the cut between a superblock write and the matching update of the undo
# file's copy (e4/undo.h), where e2undo refuses: then the image must be
# the original already, or the finished result that e2fsck finds clean.
crash_sweep_undo() {
	local name=$1 seed=$2 total n st tried=0 restored=0 window=0 early=0
	local w=$BATS_TEST_TMPDIR/w.img u=$BATS_TEST_TMPDIR/w.undo size h0
	size=$(stat -c %s "$BASE")
	h0=$(img_hash "$BASE")
	total=$(crash_total "$u")
	[[ $total -gt 0 ]]
	for n in $(crash_points "$total" "$seed"); do
		cp --sparse=always "$BASE" "$w"
		rm -f "$u"
		st=0
		E4_TEST_FAULT=cut:$n op "$w" "$u" >/dev/null 2>&1 || st=$?
		if ((n <= total && st != 137)); then
			echo "$name: cut $n of $total: exit $st, not killed"
			return 1
		fi
		tried=$((tried + 1))
		st=0
		e2undo "$u" "$w" >"$BATS_TEST_TMPDIR/e2undo.out" 2>&1 || st=$?
		truncate -s "$size" "$w"
		if [[ $(img_hash "$w") == "$h0" ]]; then
			if ((st == 0)); then
				restored=$((restored + 1))
			elif grep -q "doesn't match" "$BATS_TEST_TMPDIR/e2undo.out"; then
				window=$((window + 1))
			else
				# Cut before the undo file's first header: nothing
				# was written to the image yet.
				early=$((early + 1))
			fi
			continue
		fi
		if ! grep -q "doesn't match" "$BATS_TEST_TMPDIR/e2undo.out"; then
			echo "$name: cut $n of $total: e2undo (exit $st) did not restore the image:"
			cat "$BATS_TEST_TMPDIR/e2undo.out"
			return 1
		fi
		# Refused: the superblock was the last write; the rest is done.
		if ! e2fsck -fn "$w" >/dev/null 2>&1; then
			echo "$name: cut $n of $total: e2undo refused and the result is not clean"
			return 1
		fi
		window=$((window + 1))
	done
	crash_note "$name --undo: $tried cut points of $((total + 1)), $restored restored bit for bit by e2undo, $early before the undo file existed (image untouched), $window between a superblock write and its undo copy (e2undo refuses; image untouched, or finished and clean)"
}

# crash_sweep_plain NAME SEED: without --undo, at every cut point the
# filesystem is either clean for e2fsck -fn or marked (not clean or with
# errors), e2fsck -fy repairs it, and every file is as before.
crash_sweep_plain() {
	local name=$1 seed=$2 total n st tried=0 intact=0 clean=0 state
	local w=$BATS_TEST_TMPDIR/w.img m0=$BATS_TEST_TMPDIR/m0 m1=$BATS_TEST_TMPDIR/m1
	crash_manifest "$BASE" >"$m0"
	total=$(crash_total)
	[[ $total -gt 0 ]]
	for n in $(crash_points "$total" "$seed"); do
		cp --sparse=always "$BASE" "$w"
		st=0
		E4_TEST_FAULT=cut:$n op "$w" >/dev/null 2>&1 || st=$?
		if ((n <= total && st != 137)); then
			echo "$name: cut $n of $total: exit $st, not killed"
			return 1
		fi
		tried=$((tried + 1))
		if e2fsck -fn "$w" >/dev/null 2>&1; then
			clean=$((clean + 1))
		else
			state=$(dumpe2fs_field "$w" 'Filesystem state')
			if [[ $state == clean ]]; then
				echo "$name: cut $n of $total: marked clean but e2fsck -fn finds problems"
				return 1
			fi
			st=0
			e2fsck -fy "$w" >/dev/null 2>&1 || st=$?
			if ((st >= 4)) || ! e2fsck -fn "$w" >/dev/null 2>&1; then
				echo "$name: cut $n of $total: e2fsck -fy (exit $st) did not repair it"
				return 1
			fi
		fi
		crash_manifest "$w" >"$m1"
		if ! cmp -s "$m0" "$m1"; then
			echo "$name: cut $n of $total: files differ after repair:"
			diff "$m0" "$m1" | head -10
			return 1
		fi
		intact=$((intact + 1))
	done
	crash_note "$name: $tried cut points of $((total + 1)), $intact recovered with files intact, $clean clean without repair (e2fsck -fn exit 0)"
}

# crash_sweep_eio NAME SEED: the Nth write fails with EIO: the command
# exits non-zero naming the block and the next step, never reports
# success, and e2fsck -fy repairs what is left.
crash_sweep_eio() {
	local name=$1 seed=$2 total n st tried=0
	local w=$BATS_TEST_TMPDIR/w.img out=$BATS_TEST_TMPDIR/eio.out
	total=$(crash_total)
	[[ $total -gt 0 ]]
	for n in $(crash_points "$total" "$seed"); do
		((n <= total)) || continue
		cp --sparse=always "$BASE" "$w"
		st=0
		E4_TEST_FAULT=eio:$n op "$w" >"$out" 2>&1 || st=$?
		tried=$((tried + 1))
		if ((st == 0)); then
			echo "$name: EIO at write $n of $total: exit 0:"
			cat "$out"
			return 1
		fi
		if ! grep -q "writing block [0-9]* failed" "$out" ||
		   ! grep -qE "e2fsck -f|unchanged" "$out"; then
			echo "$name: EIO at write $n of $total: the message names no block or no e2fsck:"
			cat "$out"
			return 1
		fi
		st=0
		e2fsck -fy "$w" >/dev/null 2>&1 || st=$?
		if ((st >= 4)) || ! e2fsck -fn "$w" >/dev/null 2>&1; then
			echo "$name: EIO at write $n of $total: e2fsck -fy (exit $st) did not repair it"
			return 1
		fi
	done
	crash_note "$name: EIO at $tried of $total writes: each exit non-zero naming the block and e2fsck; each repaired"
}
