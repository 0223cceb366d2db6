#!/usr/bin/env bats
# make deb: the Debian package, built once for this file (dpkg-buildpackage
# in a copy of the tree under a temporary BUILD), then inspected: its file
# list, its dependencies, lintian, and the unpacked binary run.

load ../lib
bats_require_minimum_version 1.5.0

REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)

setup_file() {
	export DEB_BUILD=$BATS_FILE_TMPDIR/b
	export VER=$(cat "$REPO/VERSION")
	touch "$BATS_FILE_TMPDIR/stamp"
	make -C "$REPO" deb BUILD="$DEB_BUILD" >"$BATS_FILE_TMPDIR/build.log" 2>&1 ||
		{ tail -n 30 "$BATS_FILE_TMPDIR/build.log" >&3; return 1; }
	export DEB=$DEB_BUILD/deb/e4ctl_${VER}_$(dpkg --print-architecture).deb
	export ROOT=$BATS_FILE_TMPDIR/root
	dpkg -x "$DEB" "$ROOT"
}

@test "make deb: the package is built under BUILD, nothing lands next to the tree" {
	[ -f "$DEB" ]
	# dpkg-buildpackage writes to the parent of the tree it builds
	[ -z "$(find "$REPO/.." -maxdepth 1 -name 'e4ctl*' -newer "$BATS_FILE_TMPDIR/stamp")" ]
	[ -z "$(find "$REPO" -maxdepth 1 -name 'e4ctl*' -newer "$BATS_FILE_TMPDIR/stamp")" ]
	[ "$(dpkg-deb -f "$DEB" Package Version)" = "Package: e4ctl
Version: $VER" ]
	# the changelog and VERSION agree
	[ "$(dpkg-parsechangelog -l "$REPO/debian/changelog" -S Version)" = "$VER" ]
}

@test "deb: the binary next to e2fsprogs' tools, every man page, the completion, the copyright" {
	run dpkg -c "$DEB"
	[ "$status" -eq 0 ]
	files=$(awk '$1 !~ /^d/ {print $6}' <<<"$output" | sort)
	sbin=$(dpkg -S /sbin/e2fsck /usr/sbin/e2fsck 2>/dev/null | head -n1 | sed 's/.*: //; s|/e2fsck$||')
	want=$( {
		echo ".$sbin/e4ctl"
		for m in "$REPO"/man/*.8; do echo "./usr/share/man/man8/$(basename "$m").gz"; done
		echo ./usr/share/bash-completion/completions/e4ctl
		echo ./usr/share/doc/e4ctl/README.md.gz
		echo ./usr/share/doc/e4ctl/changelog.gz
		echo ./usr/share/doc/e4ctl/copyright
		echo ./usr/share/doc/e4ctl/examples/e4ctl-check@.service
		echo ./usr/share/doc/e4ctl/examples/e4ctl-check@.timer
	} | sort)
	diff <(echo "$want") <(echo "$files")
	cmp "$ROOT/usr/share/bash-completion/completions/e4ctl" "$REPO/completions/e4ctl"
	cmp <(zcat "$ROOT/usr/share/man/man8/e4ctl-check.8.gz") "$REPO/man/e4ctl-check.8"
}

@test "deb: Depends comes from the libraries the binary links (shlibs)" {
	dep=$(dpkg-deb -f "$DEB" Depends)
	[[ $dep != *'${'* ]]
	for lib in libc6 libext2fs2 libcom-err2 libblkid1 libmount1 libsmartcols1 libpopt0 liburcu8; do
		[[ $dep == *"$lib "* || $dep == *"$lib," || $dep == *"$lib" ]] || { echo "missing $lib: $dep"; false; }
	done
}

@test "deb: lintian reports no errors and no warnings" {
	run lintian --fail-on error,warning "$DEB_BUILD"/deb/e4ctl_"$VER"_*.changes
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$(grep -E '^[EW]: ' <<<"$output")" ]
}

@test "deb: the unpacked binary runs: --version and help" {
	bin=$(find "$ROOT" -path '*sbin/e4ctl' -type f)
	[ -x "$bin" ]
	run "$bin" --version
	[ "$status" -eq 0 ]
	[[ $output == "e4ctl $VER "* ]]
	run "$bin" help
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == "Usage: e4ctl "* ]]
	# the same command table as the tree's own build
	[ "$("$bin" help --commands)" = "$("$E4CTL" help --commands)" ]
	run "$bin" check --help
	[ "$status" -eq 0 ]
	[[ $output == *--openmetrics* ]]
}
