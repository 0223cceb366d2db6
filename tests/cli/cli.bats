#!/usr/bin/env bats
# The command-line skeleton: version, help, usage errors and their exit
# codes, the stdout write check, and that every command in the table has
# --help, a man page and bash completion.

load ../lib
bats_require_minimum_version 1.5.0

# complete WORD...: what the bash completion offers for the command line
# "WORD..." with the cursor at its end, one candidate per line.  Runs in
# its own bash: bash_completion is not written for set -e.
complete_line() {
	bash -c '
		source /usr/share/bash-completion/bash_completion
		source "$0"
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		_e4ctl_module
		printf "%s\n" "${COMPREPLY[@]}"
	' "$ROOT/completions/e4ctl" "$@"
}

ROOT=$BATS_TEST_DIRNAME/../..

@test "--version names the version and libext2fs" {
	run "$E4CTL" --version
	[ "$status" -eq 0 ]
	[[ $output == "e4ctl $(cat "$ROOT/VERSION") (libext2fs "*")" ]]
}

@test "help lists every command of the table" {
	run "$E4CTL" help
	[ "$status" -eq 0 ]
	while read -r c; do
		[[ $output == *"  $c "* ]] || { echo "help lacks $c" >&2; return 1; }
	done < <("$E4CTL" help --commands)
}

@test "no command: usage on stderr, exit 2" {
	run --separate-stderr "$E4CTL"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[[ $stderr == "Usage: e4ctl "* ]]
}

@test "unknown command: the usage on stderr, exit 2" {
	run --separate-stderr "$E4CTL" frobnicate
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[ "${stderr_lines[0]}" = "e4ctl: unknown command 'frobnicate'" ]
	[[ ${stderr_lines[1]} == "Usage: e4ctl "* ]]
	[[ $stderr == *"  check "* && $stderr == *"  inline list "* ]]
}

@test "a command group without its subcommand: its usage lines, exit 2" {
	run --separate-stderr "$E4CTL" inline
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[ "${stderr_lines[0]}" = "e4ctl: 'inline' needs a subcommand" ]
	[ "${stderr_lines[1]}" = "Usage: e4ctl inline list [OPTION...] TARGET" ]
	[ "${stderr_lines[2]}" = "Usage: e4ctl inline convert [OPTION...] TARGET [PATH...]" ]
	run --separate-stderr "$E4CTL" wb frob
	[ "$status" -eq 2 ]
	[ "${stderr_lines[0]}" = "e4ctl: unknown command 'wb frob'" ]
	[[ ${stderr_lines[1]} == "Usage: e4ctl wb "* ]]
}

@test "-o with no column, or an empty one: usage error with a message (16 for check)" {
	mkimg "$BATS_TEST_TMPDIR/fs.img" 64M -t ext4
	local c want
	for c in info groups check; do
		want=2
		[[ $c == check ]] && want=16
		run --separate-stderr "$E4CTL" "$c" -o "" "$BATS_TEST_TMPDIR/fs.img"
		[ "$status" -eq "$want" ]
		[ -z "$output" ]
		[ "${stderr_lines[0]}" = "e4ctl $c: -o: no column named (see --list-columns)" ]
		run --separate-stderr "$E4CTL" "$c" -o + "$BATS_TEST_TMPDIR/fs.img"
		[ "$status" -eq "$want" ]
		run --separate-stderr "$E4CTL" "$c" -o ",group" "$BATS_TEST_TMPDIR/fs.img"
		[ "$status" -eq "$want" ]
		[ "${stderr_lines[0]}" = "e4ctl $c: -o: empty column name in ',group'" ]
	done
}

@test "unknown option: exit 2" {
	run "$E4CTL" info --no-such-option x
	[ "$status" -eq 2 ]
	[ "${lines[0]}" = "e4ctl info: --no-such-option: unknown option" ]
	run "$E4CTL" --bogus
	[ "$status" -eq 2 ]
}

@test "too many or too few arguments: exit 2" {
	run "$E4CTL" info a b
	[ "$status" -eq 2 ]
	[ "${lines[0]}" = "e4ctl info: unexpected argument 'b'" ]
	run "$E4CTL" info
	[ "$status" -eq 2 ]
	[ "${lines[0]}" = "e4ctl info: missing TARGET" ]
}

@test "a write error on stdout is an error (exit 1)" {
	mkimg "$BATS_TEST_TMPDIR/fs.img" 64M -t ext4
	run bash -c "'$E4CTL' info '$BATS_TEST_TMPDIR/fs.img' >/dev/full"
	[ "$status" -eq 1 ]
	[[ $output == "e4ctl: write error: No space left on device" ]]
}

@test "a write error on stdout of an audit command is an operational error (exit 8)" {
	mkimg "$BATS_TEST_TMPDIR/fs.img" 64M -t ext4
	run bash -c "'$E4CTL' check '$BATS_TEST_TMPDIR/fs.img' >/dev/full"
	[ "$status" -eq 8 ]
	[[ $output == "e4ctl: write error: No space left on device" ]]
	run bash -c "'$E4CTL' check --json '$BATS_TEST_TMPDIR/fs.img' >/dev/full"
	[ "$status" -eq 8 ]
	run bash -c "'$E4CTL' check --list-columns >/dev/full"
	[ "$status" -eq 8 ]
	run bash -c "'$E4CTL' delalloc audit --list-columns >/dev/full"
	[ "$status" -eq 8 ]
}

@test "a closed pipe on stdout is an error (exit 1)" {
	mkimg "$BATS_TEST_TMPDIR/fs.img" 64M -t ext4
	run bash -c "'$E4CTL' info '$BATS_TEST_TMPDIR/fs.img' | true; echo \${PIPESTATUS[0]}"
	[[ ${lines[-1]} == 1 ]]
}

@test "every command answers --help, has a man page and is completed" {
	local names
	names=$("$E4CTL" help --commands)
	[ -n "$names" ]
	while read -r c; do
		run "$E4CTL" $c --help
		[ "$status" -eq 0 ] || { echo "$c --help: $status" >&2; return 1; }
		[[ $output == "Usage: e4ctl $c "* ]] || { echo "$c --help: $output" >&2; return 1; }
		[ -f "$ROOT/man/e4ctl-${c%% *}.8" ] || [ "$c" = help ] ||
			{ echo "no man page for $c" >&2; return 1; }
		grep -qF "e4ctl\\-${c%% *}" "$ROOT/man/e4ctl.8" || [ "$c" = help ] ||
			{ echo "e4ctl.8 does not mention $c" >&2; return 1; }
		if [[ $c == *" "* ]]; then
			complete_line "$E4CTL" "${c%% *}" "" | grep -qx "${c#* }" ||
				{ echo "completion lacks $c" >&2; return 1; }
		fi
		complete_line "$E4CTL" "${c:0:2}" | grep -qx "${c%% *}" ||
			{ echo "completion lacks ${c%% *}" >&2; return 1; }
	done <<<"$names"
}

@test "completion offers a command's options" {
	run complete_line "$E4CTL" info --li
	[ "$output" = "--list-columns" ]
	run complete_line "$E4CTL" info -o BLOCK_S
	[ "$output" = "BLOCK_SIZE" ]
	run complete_line "$E4CTL" inf
	[ "$output" = "info" ]
}

@test "man pages are lint-clean" {
	for m in "$ROOT"/man/*.8; do
		run groff -man -ww -z "$m"
		[ "$status" -eq 0 ] && [ -z "$output" ] || { echo "$m: $output" >&2; return 1; }
	done
}

@test "completion: resize offers --minimum and --print-minimum" {
	run complete_line "$E4CTL" resize --m
	[ "$status" -eq 0 ]
	[[ $output == *"--minimum"* ]]
	run complete_line "$E4CTL" resize --pr
	[[ $output == *"--print-minimum"* ]]
}
